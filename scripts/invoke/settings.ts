import * as fs from 'node:fs';
import type { AwsCredentialIdentity } from '@smithy/types';
import { DEFAULT_OUTPUTS_FILE, type DeploymentOutputs, readDeploymentOutputs } from '../../client/deployment-outputs';
import { ClientOptionError } from '../../client/errors';
import { parseFunctionUrl } from '../../client/function-url';
import type { InvokeRequest } from '../../client/function-url-client';
import { OPTION_NAMES, flagOf, optionOf } from './options';
import type { OptionSources } from './sources';

/** What to call and as whom, from flags, environment variables and the deployment outputs. */
export interface Settings {
  url: string;
  region?: string;
  /** False with --no-assume-role or --vendor-url: no AssumeRole of the CLI's own. */
  assumeRole: boolean;
  /** With --vendor-url: sign with credentials this vendor hands to the credentials held. */
  vendorUrl?: string;
  /** Undefined only with --no-assume-role. */
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
  sessionPolicy?: string;
  /** The region STS is called in: --sts-region, else the signing region. */
  stsRegion?: string;
  stsTimeoutMs?: number;
  propagationWaitSeconds?: number;
  profile?: string;
  /** The OIDC token file the role is assumed with (AssumeRoleWithWebIdentity): no key is used at all. */
  webIdentityTokenFile?: string;
  /** The invoker user's own key, when the outputs hold it. */
  invokerKey?: AwsCredentialIdentity;
  /** AssumeRole is called with the invoker key (else with your own identity, through the AWS SDK's chain). */
  useInvokerKey: boolean;
  outputs?: DeploymentOutputs;
  /** The outputs file read, if any. */
  outputsFile?: string;
}

export function readSettings(sources: OptionSources): Settings {
  const vendorUrl = sources.value('vendorUrl');
  const assumeRole = !sources.value('noAssumeRole') && vendorUrl === undefined;
  if (!assumeRole) refuseAssumeRoleOnlyFlags(sources, vendorUrl === undefined ? '--no-assume-role' : '--vendor-url');
  const { outputs, outputsFile } = readOutputs(sources, assumeRole);
  const url = sources.value('url')!;
  parseFunctionUrl(url);
  const roleArn = sources.value('roleArn');
  if (roleArn === undefined && assumeRole) {
    const unread = outputs === undefined && fs.existsSync(DEFAULT_OUTPUTS_FILE);
    throw new ClientOptionError(
      '--role-arn',
      undefined,
      unread
        ? `is required with --url: ./${DEFAULT_OUTPUTS_FILE} is not read when --url is given (pass --outputs ${DEFAULT_OUTPUTS_FILE} to take the role from it), or use --no-assume-role to sign with credentials you already hold`
        : 'is required with --url (or use --outputs FILE, or --no-assume-role to sign with credentials you already hold)',
    );
  }
  const invokerKey =
    outputs?.accessKeyId !== undefined && outputs.secretAccessKey !== undefined
      ? { accessKeyId: outputs.accessKeyId, secretAccessKey: outputs.secretAccessKey }
      : undefined;
  const region = sources.value('region');
  const webIdentityTokenFile = sources.value('webIdentityTokenFile');
  if (webIdentityTokenFile !== undefined) refuseWithWebIdentity(sources);
  return {
    url,
    region,
    assumeRole,
    vendorUrl,
    roleArn,
    externalId: sources.value('externalId'),
    sessionName: sources.value('sessionName'),
    durationSeconds: sources.value('duration'),
    sessionPolicy: sources.value('sessionPolicy'),
    stsRegion: sources.value('stsRegion') ?? region ?? parseFunctionUrl(url).region,
    stsTimeoutMs: sources.value('stsTimeout'),
    propagationWaitSeconds: sources.value('propagationWait'),
    profile: sources.value('profile'),
    webIdentityTokenFile,
    invokerKey,
    useInvokerKey: assumeRole && webIdentityTokenFile === undefined && !sources.value('useDefaultCredentials') && invokerKey !== undefined,
    outputs,
    outputsFile,
  };
}

/** With --no-assume-role or --vendor-url nothing is assumed, so a flag that shapes the AssumeRole call is a mistake. */
export function refuseAssumeRoleOnlyFlags(sources: OptionSources, instead: string): void {
  for (const name of OPTION_NAMES) {
    if (optionOf(name).assumeRoleOnly && sources.given(name))
      throw new ClientOptionError(flagOf(optionOf(name)), undefined, `only applies when the client assumes the role, not with ${instead}`);
  }
}

/** AssumeRoleWithWebIdentity takes no external ID, and the token is the caller: no other identity is used. */
function refuseWithWebIdentity(sources: OptionSources): void {
  for (const name of ['externalId', 'useDefaultCredentials'] as const) {
    if (sources.given(name))
      throw new ClientOptionError(
        flagOf(optionOf(name)),
        undefined,
        `does not apply with ${sources.label('webIdentityTokenFile')}: the token is the caller`,
      );
  }
}

/** The outputs file, when one is named, or ./outputs.json when there is no --url. */
function readOutputs(sources: OptionSources, assumeRole: boolean): { outputs?: DeploymentOutputs; outputsFile?: string } {
  const named = sources.value('outputs');
  const explicitUrl = sources.value('url');
  const outputsPath = sources.value('outputsPath');
  if (outputsPath !== undefined && named === undefined && explicitUrl !== undefined) {
    throw new ClientOptionError(
      '--outputs-path',
      outputsPath,
      'picks a deployment in an outputs file, and none is read when --url is given: add --outputs FILE, or drop --outputs-path',
    );
  }
  if (named === undefined && explicitUrl !== undefined) return {};
  const file = named ?? DEFAULT_OUTPUTS_FILE;
  if (named === undefined && !fs.existsSync(file)) {
    throw new ClientOptionError(
      '--url',
      undefined,
      `is required when there is no ${DEFAULT_OUTPUTS_FILE} here (deploy with --outputs-file ${DEFAULT_OUTPUTS_FILE}, or pass --outputs FILE)`,
    );
  }
  const outputs = readDeploymentOutputs(file, outputsPath, { roleRequired: assumeRole });
  sources.useOutputs(outputs, file);
  return { outputs, outputsFile: file };
}

/** The request every mode sends (or presigns). */
export function requestOf(sources: OptionSources): InvokeRequest {
  return {
    method: sources.value('method'),
    path: sources.value('path'),
    query: sources.value('query'),
    headers: sources.value('header') ?? [],
    body: sources.value('data'),
  };
}

/**
 * `cdktf deploy --outputs-file` writes the file with the default umask (0644 on most systems), so
 * the invoker's secret key is readable by every user of the machine. Said once, with the fix.
 */
export function warnIfSecretReadable(stderr: (text: string) => void, settings: Settings): void {
  if (settings.outputsFile === undefined || settings.outputs?.secretAccessKey === undefined || process.platform === 'win32') return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(settings.outputsFile);
  } catch {
    return;
  }
  if ((stat.mode & 0o077) === 0 || !stat.isFile()) return;
  stderr(
    `warning: ${settings.outputsFile} holds the invoker's secret access key and other users can read it (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${settings.outputsFile}\n`,
  );
}
