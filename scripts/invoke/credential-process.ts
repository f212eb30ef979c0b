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
  const credentials = await vended.getCredentials();
  io.stdout(`${JSON.stringify(credentialProcessOutput(credentials))}\n`);
  return EXIT_CODES.success;
}
