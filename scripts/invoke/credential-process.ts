import { ClientOptionError } from '../../client/errors';
import { heldCredentials } from '../../client/held-credentials';
import { stsEndpointFromEnv } from '../../client/sts';
import { credentialProcessOutput, vendedCredentials } from '../../client/vended-credentials';
import { EXIT_CODES, type ExitCode } from './errors';
import { OPTION_NAMES, flagOf, optionOf } from './options';
import { refuseAssumeRoleOnlyFlags } from './settings';
import type { OptionSources } from './sources';

/**
 * --credential-process: asks the vendor for credentials with the credentials held (the AWS SDK's
 * chain, --profile) and prints them in the `credential_process` format, and nothing else on
 * stdout, so `credential_process = lambda-url-invoke --credential-process --vendor-url URL` in
 * ~/.aws/config makes the AWS CLI and the SDKs use vended credentials (AWS CLI User Guide,
 * "Sourcing credentials with an external process"). Errors go to stderr with a non-zero exit.
 */
/**
 * Set while this command asks for credentials: a `credential_process` profile whose command names
 * itself (no --profile, AWS_PROFILE pointing back at it) would otherwise start itself without end.
 */
export const CREDENTIAL_PROCESS_MARKER = 'LAMBDA_URL_INVOKE_CREDENTIAL_PROCESS';

export async function printCredentialProcess(
  sources: OptionSources,
  io: { stdout: (text: string) => void; env: NodeJS.ProcessEnv },
): Promise<ExitCode> {
  const vendorUrl = sources.value('vendorUrl');
  if (vendorUrl === undefined)
    throw new ClientOptionError(
      '--credential-process',
      undefined,
      'needs --vendor-url URL (or INVOKE_VENDOR_URL): the vendor to ask for credentials',
    );
  for (const name of OPTION_NAMES) {
    const option = optionOf(name);
    if (name !== 'credentialProcess' && option.mode && sources.given(name))
      throw new ClientOptionError('--credential-process', undefined, `cannot be combined with ${flagOf(option)}`);
  }
  refuseAssumeRoleOnlyFlags(sources, '--credential-process');
  if (io.env[CREDENTIAL_PROCESS_MARKER] === '1') {
    throw new ClientOptionError(
      '--profile',
      sources.value('profile'),
      'must name the identity the vendor entitles, not a credential_process profile that runs this command again (it would start itself in a loop)',
    );
  }
  const stsTimeoutMs = sources.value('stsTimeout');
  const held = heldCredentials({
    profile: sources.value('profile'),
    credentialsFile: io.env.AWS_SHARED_CREDENTIALS_FILE,
    configFile: io.env.AWS_CONFIG_FILE,
    stsRegion: sources.value('stsRegion'),
    stsEndpoint: stsEndpointFromEnv(io.env),
    stsTimeoutMs,
  });
  const vended = vendedCredentials({
    vendorUrl,
    credentials: held,
    region: sources.value('region'),
    timeoutMs: sources.value('timeout'),
    retries: sources.value('retries'),
  });
  // Seen by the commands the AWS SDK's chain may start (its own credential_process), not by this process's checks.
  process.env[CREDENTIAL_PROCESS_MARKER] = '1';
  let credentials: Awaited<ReturnType<typeof vended.getCredentials>>;
  try {
    credentials = await vended.getCredentials();
  } finally {
    delete process.env[CREDENTIAL_PROCESS_MARKER];
  }
  io.stdout(`${JSON.stringify(credentialProcessOutput(credentials))}\n`);
  return EXIT_CODES.success;
}
