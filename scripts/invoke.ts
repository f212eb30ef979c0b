#!/usr/bin/env node
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { AssumeRoleCredentials, CredentialEvent, DEFAULT_STS_TIMEOUT_MS, getCallerIdentity, heldCredentials, stsEndpointFromEnv } from '../client/credentials';
import { DEFAULT_OUTPUTS_FILE, DeploymentOutputs, readDeploymentOutputs } from '../client/deployment-outputs';
import { ClientOptionError, CredentialsUnavailableError, EXIT_CODES, FunctionUrlNetworkError } from '../client/errors';
import { parseFunctionUrl } from '../client/function-url';
import { CredentialSource, DEFAULT_MAX_BODY_BYTES, FunctionUrlClient, FunctionUrlClientOptions, InvokeRequest, InvokeResponse, explainRefusal, methodOf } from '../client/function-url-client';
import { readFileAtMost } from '../client/bounded-file';
import { MAX_PRESIGN_SECONDS, describeSignedRequest } from '../client/sigv4';

const DEFAULT_MAX_TIME_SECONDS = 120;
const CLI_STS_RETRIES = 2;

export const HELP = `Usage: lambda-url-invoke [options]        (in a checkout of lambda-url-iam: npm run invoke -- [options])

Calls an IAM-protected Lambda function URL: assumes the invoker role with STS (or uses the
credentials you already hold), signs the request with SigV4 (service "lambda") and streams the
answer's body to stdout (status line and notes go to stderr). Settings come from the deployment
outputs (cdktf deploy --outputs-file …), from flags, or from the environment variables in brackets.

Where to call:
  --outputs FILE          deployment outputs file (default ./${DEFAULT_OUTPUTS_FILE}, read only
                          when --url is not given) [INVOKE_OUTPUTS]
  --outputs-path P        which deployment in the file, e.g. lambda-url-iam-demo.ProtectedUrl
  --url URL               function URL [INVOKE_URL]
  --region R              signing region (default: from the outputs or the URL host) [INVOKE_REGION]
Who calls:
  --role-arn ARN          role to assume [INVOKE_ROLE_ARN]
  --external-id ID        sts:ExternalId the role requires [INVOKE_EXTERNAL_ID]
  --session-name NAME     2-64 of [A-Za-z0-9+=,.@_-] (default lambda-url-invoke-<time>) [INVOKE_SESSION_NAME]
  --duration S            session length, 900-43200 s (default 3600) [INVOKE_DURATION]
  --session-policy FILE   scope-down session policy (JSON, at most 2048 characters)
  --sts-region R          region of the STS endpoint (default: the signing region)
  --sts-timeout MS        per STS call, then retried (${CLI_STS_RETRIES} retries) and exit 5 (default ${DEFAULT_STS_TIMEOUT_MS})
  --propagation-wait S    retry AccessDenied this long right after a deploy, while IAM
                          propagates (default 20; 0 fails at once) [INVOKE_PROPAGATION_WAIT]
  --use-default-credentials
                          assume the role from your own identity (AWS SDK chain: env,
                          profile, SSO) instead of the invoker key in the outputs
  --no-assume-role        sign with the credentials you already hold, as they are (AWS SDK
                          chain: env, AWS_PROFILE / --profile with role_arn, SSO, web identity),
                          for a caller that already is the invoker role; no AssumeRole
  --profile NAME          the profile for --no-assume-role / --use-default-credentials [AWS_PROFILE]
What to send:
  --method M              GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (default GET, or POST with --data)
  --path /P               path below the function URL (default /)
  --query Q               query string, e.g. 'a=1&b=2'; a raw + is a space, %2B is a plus
                          (sent re-encoded as RFC 3986: space %20, plus %2B)
  --data TEXT | @FILE     request body (a file is sent byte for byte; at most 6 MiB)
  -H, --header 'N: v'     request header (repeatable)
  --timeout MS            per attempt, until the headers and then per pause in the body (default 10000)
  --retries N             retries for 5xx, 429 and network errors (default 2); a retried call
                          may run the function twice: --retries 0 when it is not idempotent
  --max-bytes N           read at most N bytes of the body, then stop with exit 3 (default ${DEFAULT_MAX_BODY_BYTES})
  --max-time S            upper bound for the whole run, then exit 5 (default ${DEFAULT_MAX_TIME_SECONDS},
                          plus --repeat x --interval)
Modes:
  --prove                 show the refusals: unsigned -> 403, the invoker user's own key -> 403,
                          signed (assumed role) -> 200 with the caller's assumed-role identity;
                          with --no-assume-role the user-key step is skipped and says so
  --presign S             print a presigned URL for this request, valid S seconds (1-${MAX_PRESIGN_SECONDS},
                          at most the session's remaining life); anyone holding it can call
                          the function until it expires: it is a bearer credential
  --repeat N              make N calls with the cached credentials
  --interval S            seconds between repeated calls (default 0)
  --json                  print one machine-readable result object (body bounded by --max-bytes)
  --verbose               print the steps (identity, role, session expiry, canonical request)
  --debug                 print the stack trace of an unexpected error
  -h, --help              this text

Secrets (secret keys, session tokens) are never printed, in any mode (a --presign URL is the
one thing printed that grants access, and only because you asked for it).

Exit codes: 0 success (2xx; --prove: every check as expected), 2 usage error, 3 HTTP error status
or a body cut at --max-bytes or by a closed stdout, 4 authentication/authorization failure (401/403, AssumeRole refused),
5 network failure or timeout (URL, STS or --max-time), 6 --prove found a call that did not behave
as expected, 1 unexpected error.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * Where the response body goes, as bytes; a returned promise is awaited before the next chunk
   * is read (backpressure). Without it, bodies are decoded as UTF-8 into `stdout`.
   */
  stdoutBytes?: (chunk: Uint8Array) => void | Promise<void>;
  env: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
}

interface Settings {
  url: string;
  region?: string;
  /** Undefined only with --no-assume-role. */
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
  sessionPolicy?: string;
  stsRegion?: string;
  stsTimeoutMs?: number;
  propagationWaitSeconds?: number;
  assumeRole: boolean;
  profile?: string;
  sourceCredentials?: AwsCredentialIdentity;
  sourceLabel: string;
  outputs?: DeploymentOutputs;
  /** The outputs file read, if any. */
  outputsFile?: string;
}

/**
 * `cdktf deploy --outputs-file` writes the file with the default umask (0644 on most systems), so
 * the invoker's secret key is readable by every user of the machine. Said once, with the fix.
 */
function warnIfSecretReadable(io: CliIo, settings: Settings): void {
  if (settings.outputsFile === undefined || settings.outputs?.secretAccessKey === undefined || process.platform === 'win32') return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(settings.outputsFile);
  } catch {
    return;
  }
  const mode = stat.mode;
  if ((mode & 0o077) === 0 || !stat.isFile()) return;
  io.stderr(`warning: ${settings.outputsFile} holds the invoker's secret access key and other users can read it (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${settings.outputsFile}\n`);
}

/**
 * Where a setting came from, as a usage error should name it: the flag when given, else the
 * environment variable, else the outputs file (a bad value there is not a flag the user typed).
 */
function labelOf(flag: string, fromFlag: unknown, envName: string, env: NodeJS.ProcessEnv, outputsFile?: string): string {
  if (fromFlag !== undefined) return flag;
  if (env[envName] !== undefined) return envName;
  return outputsFile !== undefined ? `${flag.slice(2)} (from ${outputsFile})` : flag;
}

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s?(.*)$/;

/** Masks an access key id for display: AKIA…WXYZ. Key ids are not secret, but less is better. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

const OPTIONS = {
  outputs: { type: 'string' },
  'outputs-path': { type: 'string' },
  url: { type: 'string' },
  region: { type: 'string' },
  'role-arn': { type: 'string' },
  'external-id': { type: 'string' },
  'session-name': { type: 'string' },
  duration: { type: 'string' },
  'session-policy': { type: 'string' },
  'sts-region': { type: 'string' },
  'sts-timeout': { type: 'string' },
  'use-default-credentials': { type: 'boolean', default: false },
  'no-assume-role': { type: 'boolean', default: false },
  profile: { type: 'string' },
  'propagation-wait': { type: 'string' },
  method: { type: 'string' },
  path: { type: 'string' },
  query: { type: 'string' },
  data: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  'max-bytes': { type: 'string' },
  'max-time': { type: 'string' },
  prove: { type: 'boolean', default: false },
  presign: { type: 'string' },
  repeat: { type: 'string' },
  interval: { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** parseArgs, with its errors turned into one-line usage errors that name the flag or argument. */
function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: false, strict: true, options: OPTIONS }).values;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const message = (error as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? '(unknown)';
      throw new ClientOptionError(flag, undefined, 'is not an option of this command');
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const argument = /'([^']*)'/.exec(message)?.[1] ?? '';
      throw new ClientOptionError('argument', argument, 'is not expected: every setting is a --flag (e.g. --url URL, --path /P)');
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1] ?? '(option)';
      if (OPTIONS[flag.slice(2) as keyof typeof OPTIONS]?.type === 'boolean') throw new ClientOptionError(flag, undefined, 'is a switch and takes no value');
      const next = argv[argv.indexOf(flag) + 1];
      if (/ambiguous/.test(message) && next !== undefined) throw new ClientOptionError(flag, next, `takes a value that starts with "-" only as ${flag}=${next}`);
      throw new ClientOptionError(flag, undefined, 'needs a value');
    }
    throw error;
  }
}

type Values = ReturnType<typeof parse>;

function integer(option: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new ClientOptionError(option, text, `must be a whole number from ${min} to ${max}`);
  return Number(text);
}

function seconds(option: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) < min || Number(text) > max) throw new ClientOptionError(option, text, `must be a number of seconds from ${min} to ${max}`);
  return Number(text);
}

/**
 * Lambda refuses a request payload over 6 MB (Lambda quotas: "Invocation payload (request and
 * response)", 6 MB for synchronous invocations, which a function URL call is), so a larger
 * --data could only fail at AWS after the upload; reading it is bounded so a device or a FIFO
 * (`--data @/dev/stdin`) cannot exhaust memory.
 */
const MAX_DATA_BYTES = 6 * 1024 * 1024;
/** A session policy is at most 2048 characters (checked by the library); a file far larger is not one. */
const MAX_SESSION_POLICY_FILE_BYTES = 64 * 1024;

/** A file named by a flag, bounded, as bytes: a body is sent exactly as it is on disk (binary included). */
function readFileOption(option: string, file: string, maxBytes: number, limit: string): Buffer {
  let read: ReturnType<typeof readFileAtMost>;
  try {
    read = readFileAtMost(file, maxBytes);
  } catch (error) {
    throw new ClientOptionError(option, file, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  if ('tooLarge' in read) throw new ClientOptionError(option, file, `is larger than ${maxBytes} bytes: ${limit}`);
  return read.bytes;
}

/** `labels` receives, per library option, where this run's value came from (read by `messageOf`). */
function settingsFrom(values: Values, env: NodeJS.ProcessEnv, labels: Map<string, string>): Settings {
  const assumeRole = !values['no-assume-role'];
  if (!assumeRole) {
    for (const flag of ['role-arn', 'external-id', 'session-name', 'duration', 'session-policy', 'use-default-credentials'] as const) {
      if (values[flag] !== undefined && values[flag] !== false) throw new ClientOptionError(`--${flag}`, undefined, 'only applies when the client assumes the role, not with --no-assume-role');
    }
  }
  const outputsFile = values.outputs ?? env.INVOKE_OUTPUTS;
  const explicitUrl = values.url ?? env.INVOKE_URL;
  let outputs: DeploymentOutputs | undefined;
  if (values['outputs-path'] !== undefined && outputsFile === undefined && explicitUrl !== undefined) {
    throw new ClientOptionError('--outputs-path', values['outputs-path'], 'picks a deployment in an outputs file, and none is read when --url is given: add --outputs FILE, or drop --outputs-path');
  }
  if (outputsFile !== undefined || explicitUrl === undefined) {
    const file = outputsFile ?? DEFAULT_OUTPUTS_FILE;
    if (outputsFile === undefined && !fs.existsSync(file)) {
      throw new ClientOptionError('--url', undefined, `is required when there is no ${DEFAULT_OUTPUTS_FILE} here (deploy with --outputs-file ${DEFAULT_OUTPUTS_FILE}, or pass --outputs FILE)`);
    }
    outputs = readDeploymentOutputs(file, values['outputs-path'], { roleRequired: assumeRole });
  }
  const url = explicitUrl ?? outputs!.functionUrl;
  parseFunctionUrl(url, labelOf('--url', values.url, 'INVOKE_URL', env, outputsFile ?? DEFAULT_OUTPUTS_FILE));
  const fileLabel = outputs === undefined ? undefined : outputsFile ?? DEFAULT_OUTPUTS_FILE;
  labels.set('roleArn', labelOf('--role-arn', values['role-arn'], 'INVOKE_ROLE_ARN', env, fileLabel));
  labels.set('region', labelOf('--region', values.region, 'INVOKE_REGION', env, fileLabel));
  labels.set('externalId', labelOf('--external-id', values['external-id'], 'INVOKE_EXTERNAL_ID', env, fileLabel));
  labels.set('sessionName', labelOf('--session-name', values['session-name'], 'INVOKE_SESSION_NAME', env));
  const roleArn = values['role-arn'] ?? env.INVOKE_ROLE_ARN ?? (outputs?.roleArn || undefined);
  if (roleArn === undefined && assumeRole) {
    const unread = outputs === undefined && fs.existsSync(DEFAULT_OUTPUTS_FILE);
    throw new ClientOptionError('--role-arn', undefined, unread
      ? `is required with --url: ./${DEFAULT_OUTPUTS_FILE} is not read when --url is given (pass --outputs ${DEFAULT_OUTPUTS_FILE} to take the role from it), or use --no-assume-role to sign with credentials you already hold`
      : 'is required with --url (or use --outputs FILE, or --no-assume-role to sign with credentials you already hold)');
  }
  const useOutputsKey = assumeRole && !values['use-default-credentials'] && outputs?.accessKeyId !== undefined && outputs.secretAccessKey !== undefined;
  const sessionPolicyFile = values['session-policy'];
  const profile = values.profile ?? env.AWS_PROFILE;
  return {
    url,
    region: values.region ?? env.INVOKE_REGION ?? outputs?.region,
    roleArn,
    externalId: values['external-id'] ?? env.INVOKE_EXTERNAL_ID ?? outputs?.externalId,
    sessionName: values['session-name'] ?? env.INVOKE_SESSION_NAME,
    durationSeconds: integer(labelOf('--duration', values.duration, 'INVOKE_DURATION', env), values.duration ?? env.INVOKE_DURATION, 900, 43200),
    sessionPolicy: sessionPolicyFile === undefined ? undefined : readFileOption('--session-policy', sessionPolicyFile, MAX_SESSION_POLICY_FILE_BYTES, 'a session policy is at most 2048 characters').toString('utf8'),
    stsRegion: values['sts-region'],
    stsTimeoutMs: integer('--sts-timeout', values['sts-timeout'], 1, 120_000),
    propagationWaitSeconds: integer(labelOf('--propagation-wait', values['propagation-wait'], 'INVOKE_PROPAGATION_WAIT', env), values['propagation-wait'] ?? env.INVOKE_PROPAGATION_WAIT, 0, 600),
    assumeRole,
    profile,
    sourceCredentials: useOutputsKey ? { accessKeyId: outputs!.accessKeyId!, secretAccessKey: outputs!.secretAccessKey! } : undefined,
    sourceLabel: !assumeRole
      ? `the credentials you hold (AWS SDK default chain${profile ? `, profile "${profile}"` : ''}), without AssumeRole`
      : useOutputsKey ? `the invoker user's key ${maskKeyId(outputs!.accessKeyId!)} from the outputs (${outputs!.location})` : 'your own identity (AWS SDK default credential chain)',
    outputs,
    outputsFile: outputs === undefined ? undefined : outputsFile ?? DEFAULT_OUTPUTS_FILE,
  };
}

function requestFrom(values: Values): InvokeRequest {
  const headers: [string, string][] = [];
  for (const header of values.header ?? []) {
    const m = HEADER.exec(header);
    if (m === null) {
      // Only what stands before the first colon or space is shown: the rest may be a token
      // ("-H 'Authorization Bearer …'", the colon forgotten).
      const name = /^[^:\s]*/.exec(header)![0];
      throw new ClientOptionError('-H', undefined, `must look like 'Name: value' (got one starting ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)}; its value is not shown)`);
    }
    headers.push([m[1], m[2]]);
  }
  const data = values.data;
  const body = data === undefined ? undefined : data.startsWith('@') ? readFileOption('--data', data.slice(1), MAX_DATA_BYTES, 'Lambda refuses a function URL request payload over 6 MB') : data;
  return { method: values.method, path: values.path, query: values.query, headers, body };
}

function describeEvent(event: CredentialEvent): string {
  switch (event.type) {
    case 'assume-role':
      return `assuming ${event.roleArn} as session "${event.sessionName}" for ${event.durationSeconds} s`;
    case 'assumed':
      return `assumed ${event.assumedRoleArn}; the session expires at ${event.expiration.toISOString()}`;
    case 'retry':
      return event.reason === 'iam-propagation'
        ? `STS said ${event.code}; IAM may still be propagating after a deploy, retrying in ${(event.waitMs / 1000).toFixed(1)} s`
        : `STS said ${event.code}; retrying in ${(event.waitMs / 1000).toFixed(1)} s`;
    case 'refresh-failed':
      return `refreshing the session failed (${event.code}); the current one stays in use until ${event.keptUntil.toISOString()}`;
  }
}

/** The canonical request with the session token replaced: it is a credential. */
function redactCanonical(canonical: string, token: string | undefined): string {
  return token === undefined ? canonical : canonical.split(token).join('<session token redacted>');
}

function exitCodeFor(status: number): number {
  if (status >= 200 && status < 300) return EXIT_CODES.success;
  if (status === 401 || status === 403) return EXIT_CODES.authFailure;
  return EXIT_CODES.httpError;
}

/** Where the signing credentials come from, and how many AssumeRole calls that took. */
interface CallerCredentials extends CredentialSource {
  assumeRoleCalls(): number;
  /** The ARN the function should see as caller, when it can be known. */
  expectedCaller(): Promise<{ arn?: string; how: string }>;
}

/**
 * Runs the CLI. Every failure is an exit code and one message: a usage error is one line (exit
 * 2), and no stack trace is printed unless --debug. The whole run is bounded by --max-time.
 */
export async function runInvokeCli(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  let json = argv.includes('--json');
  let deadline: NodeJS.Timeout | undefined;
  try {
    const values = parse(argv);
    json = values.json;
    if (values.help) {
      io.stdout(`${HELP}\n`);
      return EXIT_CODES.success;
    }
    const repeat = integer('--repeat', values.repeat, 1, 100000) ?? 1;
    const intervalSeconds = seconds('--interval', values.interval, 0, 3600) ?? 0;
    const maxTimeSeconds = seconds('--max-time', values['max-time'], 1, 86400) ?? DEFAULT_MAX_TIME_SECONDS + repeat * intervalSeconds;
    const timedOut = new Promise<number>((resolve) => {
      deadline = setTimeout(() => resolve(reportError(io, new FunctionUrlNetworkError(`gave up after ${maxTimeSeconds} s (--max-time ${maxTimeSeconds}): STS or the function URL did not finish in time`), json, debug)), maxTimeSeconds * 1000);
    });
    return await Promise.race([run(values, io, repeat, intervalSeconds), timedOut]);
  } catch (error) {
    return reportError(io, error, json, debug);
  } finally {
    clearTimeout(deadline);
  }
}

async function run(values: Values, io: CliIo, repeat: number, intervalSeconds: number): Promise<number> {
  const json = values.json;
  // Per run, not per module: runs in one process (a service, the tests) must not name each other's sources.
  const labels = new Map<string, string>();
  try {
    const settings = settingsFrom(values, io.env, labels);
    warnIfSecretReadable(io, settings);
    const request = requestFrom(values);
    const exclusive = (['prove', 'presign', 'repeat'] as const).filter((mode) => values[mode] !== undefined && values[mode] !== false);
    if (exclusive.length > 1) throw new ClientOptionError(`--${exclusive[0]}`, undefined, `cannot be combined with --${exclusive[1]}`);
    const presignSeconds = integer('--presign', values.presign, 1, MAX_PRESIGN_SECONDS);
    // A presigned URL signs only host, method, path, query and body: a header would be silently
    // left out of what the URL's holder sends.
    if (presignSeconds !== undefined && (values.header ?? []).length > 0) {
      throw new ClientOptionError('-H', undefined, 'cannot be combined with --presign: a presigned URL carries no headers (it signs only the method, path, query and body)');
    }
    const verbose = (line: string) => values.verbose && io.stderr(`· ${line}\n`);
    const maxBodyBytes = integer('--max-bytes', values['max-bytes'], 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_BODY_BYTES;
    const stsRegion = settings.stsRegion ?? settings.region ?? parseFunctionUrl(settings.url).region;
    const credentials = callerCredentials(settings, io, stsRegion, verbose, presignSeconds);
    const onSigned = async (signed: HttpRequest, used: AwsCredentialIdentity) => {
      if (!values.verbose) return;
      const details = await describeSignedRequest(signed, used);
      verbose(`signed with ${maskKeyId(used.accessKeyId)}${used.sessionToken ? ' + session token' : ''}; canonical request:\n${redactCanonical(details.canonicalRequest, used.sessionToken).replace(/^/gm, '    ')}`);
    };
    const clientOptions: FunctionUrlClientOptions = { url: settings.url, region: settings.region, timeoutMs: integer('--timeout', values.timeout, 1, 900000), retries: integer('--retries', values.retries, 0, 10), maxBodyBytes, onSigned };
    // Checked before any call, so a bad region is a usage error and not a refusal later.
    const client = new FunctionUrlClient({ ...clientOptions, credentials });
    verbose(`calling ${settings.url}; signing with ${settings.assumeRole ? `a session of ${settings.roleArn}, AssumeRole by ` : ''}${settings.sourceLabel}${settings.externalId && settings.assumeRole ? ', with the external ID' : ''}${settings.sessionPolicy ? ', with a session policy' : ''}`);

    if (values.prove) return await prove(io, settings, credentials, clientOptions, json);
    if (presignSeconds !== undefined) {
      const presigned = await client.presign({ method: request.method, path: request.path, query: request.query, body: request.body, expiresInSeconds: presignSeconds });
      if (json) io.stdout(`${JSON.stringify({ url: presigned.url, method: presigned.method, expiresAt: presigned.expiresAt.toISOString() })}\n`);
      else {
        io.stdout(`${presigned.url}\n`);
        io.stderr(`· ${presigned.method} only, until ${presigned.expiresAt.toISOString()}; anyone holding this URL can make this call until then (it is a bearer credential: do not log or share it)\n`);
      }
      return EXIT_CODES.success;
    }

    const sleep = io.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    let exit: number = EXIT_CODES.success;
    const results: unknown[] = [];
    let calls = 0;
    for (let i = 0; i < repeat; i++) {
      if (i > 0 && intervalSeconds > 0) await sleep(intervalSeconds * 1000);
      calls++;
      if (json) {
        const response = await client.invoke(request);
        results.push(resultObject(response));
        exit = response.truncated && exitCodeFor(response.status) === EXIT_CODES.success ? EXIT_CODES.httpError : exitCodeFor(response.status);
      } else {
        exit = await streamOne(io, client, request, maxBodyBytes);
      }
      if (exit !== EXIT_CODES.success) break;
    }
    if (repeat > 1 && !json) io.stderr(`${calls} call(s); STS AssumeRole was called ${credentials.assumeRoleCalls()} time(s)\n`);
    if (json) io.stdout(`${JSON.stringify(repeat === 1 ? { ...(results[0] as object), assumeRoleCalls: credentials.assumeRoleCalls() } : { results, assumeRoleCalls: credentials.assumeRoleCalls() })}\n`);
    return exit;
  } catch (error) {
    return reportError(io, error, json, values.debug, labels);
  }
}

function callerCredentials(settings: Settings, io: CliIo, stsRegion: string | undefined, verbose: (line: string) => void, presignSeconds: number | undefined): CallerCredentials {
  const stsEndpoint = stsEndpointFromEnv(io.env);
  if (!settings.assumeRole) {
    const provider = heldCredentials({ profile: settings.profile, credentialsFile: io.env.AWS_SHARED_CREDENTIALS_FILE, configFile: io.env.AWS_CONFIG_FILE, stsRegion, stsEndpoint, stsTimeoutMs: settings.stsTimeoutMs });
    return {
      getCredentials: async () => {
        try {
          return await provider();
        } catch (error) {
          throw new CredentialsUnavailableError(`no usable credentials from the AWS SDK's default chain${settings.profile ? ` (profile "${settings.profile}")` : ''}: ${(error as Error).message}`, [
            'With --no-assume-role the client signs with what you already hold: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE or --profile (a profile with role_arn + source_profile, SSO, web identity).',
          ], { cause: error });
        }
      },
      assumeRoleCalls: () => 0,
      expectedCaller: async () => {
        try {
          const identity = await getCallerIdentity(provider, { region: stsRegion ?? 'us-east-1', endpoint: stsEndpoint, timeoutMs: settings.stsTimeoutMs });
          return { arn: identity.arn, how: 'from STS GetCallerIdentity with the same credentials' };
        } catch (error) {
          return { how: `not checked: GetCallerIdentity failed (${(error as Error).message})` };
        }
      },
    };
  }
  // A presigned URL cannot outlive the session that signed it: ask for a session that covers it,
  // up to the role's max session duration (from the outputs; AWS's default for a role is 3600 s).
  const durationSeconds = settings.durationSeconds ?? (presignSeconds !== undefined ? Math.min(settings.outputs?.maxSessionDuration ?? 3600, Math.max(900, presignSeconds + 60)) : undefined);
  const assumed = new AssumeRoleCredentials({
    roleArn: settings.roleArn!,
    sessionName: settings.sessionName,
    durationSeconds,
    externalId: settings.externalId,
    sessionPolicy: settings.sessionPolicy,
    stsRegion,
    // Your own identity through the same chain as --no-assume-role, so its STS calls (a profile
    // with role_arn) get the endpoint and the timeouts too.
    sourceCredentials: settings.sourceCredentials ?? heldCredentials({ profile: settings.profile, credentialsFile: io.env.AWS_SHARED_CREDENTIALS_FILE, configFile: io.env.AWS_CONFIG_FILE, stsRegion, stsEndpoint, stsTimeoutMs: settings.stsTimeoutMs }),
    stsEndpoint,
    stsTimeoutMs: settings.stsTimeoutMs,
    transientRetries: CLI_STS_RETRIES,
    propagationWaitSeconds: settings.propagationWaitSeconds,
    refreshBeforeExpirySeconds: durationSeconds !== undefined && durationSeconds <= 600 ? 60 : undefined,
    onEvent: (event) => {
      if (event.type === 'retry' || event.type === 'refresh-failed') io.stderr(`· ${describeEvent(event)}\n`);
      else verbose(describeEvent(event));
    },
  });
  return {
    getCredentials: (options) => assumed.getCredentials(options),
    assumeRoleCalls: () => assumed.assumeRoleCalls,
    expectedCaller: async () => ({ arn: (await assumed.getCredentials()).assumedRoleArn, how: 'the session AssumeRole returned' }),
  };
}

/**
 * One call with the body streamed to stdout as it arrives, at most `maxBodyBytes` of it. The
 * status line and explanations go to stderr, so stdout is exactly the body.
 */
async function streamOne(io: CliIo, client: FunctionUrlClient, request: InvokeRequest, maxBodyBytes: number): Promise<number> {
  const response = await client.invokeStreaming(request);
  const target = client.target(request);
  io.stderr(`${methodOf(request)} ${client.url.origin}${target.path}${target.rawQuery ? `?${target.rawQuery}` : ''} -> ${response.status} (${response.durationMs.toFixed(0)} ms to the headers, ${response.attempts} attempt${response.attempts === 1 ? '' : 's'})\n`);
  const refused = response.status === 401 || response.status === 403;
  const decoder = new TextDecoder();
  const write = io.stdoutBytes ?? ((chunk: Uint8Array): void => io.stdout(decoder.decode(chunk, { stream: true })));
  /** False when stdout's reader has gone away (EPIPE, or the stream already destroyed by it). */
  const deliver = async (bytes: Uint8Array): Promise<boolean> => {
    try {
      await write(bytes);
      return true;
    } catch (error) {
      if (!['EPIPE', 'ERR_STREAM_DESTROYED'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      return false;
    }
  };
  let written = 0;
  let last = 10;
  let cut = false;
  let readerGone = false;
  // A refusal's body is kept (small, bounded) to explain it; a normal body is never held.
  const kept: Uint8Array[] = [];
  for await (const chunk of response.body) {
    const room = maxBodyBytes - written;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length > 0) {
      if (!(await deliver(part))) {
        readerGone = true;
        break;
      }
      written += part.length;
      last = part[part.length - 1];
      if (refused && written <= 64 * 1024) kept.push(part);
    }
    if (chunk.length > room) {
      cut = true;
      break;
    }
  }
  if (readerGone) {
    // The reader went away (`| head`): stop reading, like a body cut at --max-bytes.
    await response.cancel();
    io.stderr(`error: stdout was closed after ${written} bytes of the body; the rest was not read.\n`);
    return exitCodeFor(response.status) === EXIT_CODES.success ? EXIT_CODES.httpError : exitCodeFor(response.status);
  }
  if (cut) await response.cancel();
  if (!io.stdoutBytes) io.stdout(decoder.decode());
  if (written > 0 && last !== 10) await deliver(new Uint8Array([10]));
  if (refused) {
    const body = Buffer.concat(kept);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const asResponse: InvokeResponse = { status: response.status, headers: response.headers, body, text: body.toString('utf8'), json: parsed, truncated: cut, attempts: response.attempts, durationMs: response.durationMs };
    io.stderr(`${explainRefusal(asResponse, { region: client.region, signed: true, temporary: true }).join('\n')}\n`);
  }
  if (cut) {
    io.stderr(`error: the body was cut after ${written} bytes (--max-bytes ${maxBodyBytes}); the rest was not read. Raise --max-bytes to read more.\n`);
    return exitCodeFor(response.status) === EXIT_CODES.success ? EXIT_CODES.httpError : exitCodeFor(response.status);
  }
  return exitCodeFor(response.status);
}

function resultObject(response: InvokeResponse) {
  return {
    status: response.status,
    headers: response.headers,
    body: response.json ?? response.text,
    ...(response.truncated ? { truncated: true, bodyBytes: response.body.length } : {}),
    timing: { totalMs: Math.round(response.durationMs), attempts: response.attempts },
  };
}

interface ProofStep {
  name: string;
  expected: string;
  status?: number;
  /** Not checked, and why (in `detail`). */
  skipped?: boolean;
  passed: boolean;
  detail: string;
}

async function prove(io: CliIo, settings: Settings, credentials: CallerCredentials, clientOptions: FunctionUrlClientOptions, json: boolean): Promise<number> {
  const steps: ProofStep[] = [];
  const request: InvokeRequest = { method: 'GET', path: '/prove', query: 'step=1' };
  const errorType = (r: InvokeResponse) => r.headers['x-amzn-errortype'] ?? '';

  const unsigned = await new FunctionUrlClient({ ...clientOptions, credentials: undefined, unsigned: true, onSigned: undefined }).invoke(request);
  steps.push({ name: 'unsigned request', expected: '403', status: unsigned.status, passed: unsigned.status === 403, detail: `${unsigned.status} ${errorType(unsigned)}`.trim() });

  const userKey = settings.sourceCredentials ?? (settings.outputs?.accessKeyId && settings.outputs.secretAccessKey ? { accessKeyId: settings.outputs.accessKeyId, secretAccessKey: settings.outputs.secretAccessKey } : undefined);
  if (userKey === undefined) {
    const why = 'the outputs hold no invoker key and secret (deploy with --outputs-file-include-sensitive-outputs)';
    steps.push(settings.assumeRole
      ? { name: "signed with the invoker user's own key", expected: '403', passed: false, detail: `cannot check: ${why}` }
      : { name: "signed with the invoker user's own key", expected: '403', skipped: true, passed: true, detail: `skipped: ${why}` });
  } else {
    const own = await new FunctionUrlClient({ ...clientOptions, credentials: { getCredentials: async () => userKey } }).invoke({ ...request, query: 'step=2' });
    steps.push({ name: "signed with the invoker user's own key", expected: '403', status: own.status, passed: own.status === 403, detail: `${own.status} ${errorType(own)}`.trim() });
  }

  const signed = await new FunctionUrlClient({ ...clientOptions, credentials }).invoke({ ...request, query: 'step=3' });
  const caller = await credentials.expectedCaller();
  const callerArn = (signed.json as { caller?: { userArn?: string } } | undefined)?.caller?.userArn;
  const roleName = settings.roleArn?.split('/').pop();
  const sameRole = roleName === undefined || (callerArn ?? '').includes(`:assumed-role/${roleName}/`);
  const name = settings.assumeRole ? 'signed with the assumed role' : 'signed with the credentials you hold';
  steps.push({
    name,
    expected: caller.arn !== undefined ? `200, caller ${caller.arn}` : `200${roleName ? `, caller a session of ${roleName}` : ''}`,
    status: signed.status,
    passed: signed.status === 200 && (caller.arn !== undefined ? callerArn === caller.arn : true) && sameRole,
    detail: signed.status === 200
      ? `200, the function saw caller ${callerArn ?? '(none)'}${caller.arn === undefined ? ` (expected caller ${caller.how})` : ''}`
      : explainRefusal(signed, { region: signed.headers['x-amzn-region'] ?? new FunctionUrlClient(clientOptions).region, signed: true, temporary: true }).join(' '),
  });

  const passed = steps.every((s) => s.passed);
  const checked = steps.filter((s) => !s.skipped).length;
  if (json) {
    io.stdout(`${JSON.stringify({ passed, steps, assumeRoleCalls: credentials.assumeRoleCalls() })}\n`);
  } else {
    io.stdout(`Proof against ${settings.url}\n`);
    for (const step of steps) io.stdout(`  ${step.skipped ? 'SKIP' : step.passed ? 'PASS' : 'FAIL'}  ${step.name.padEnd(40)} expected ${step.expected}; got ${step.detail}\n`);
    io.stdout(passed ? `All ${checked} checked calls behaved as expected${checked < steps.length ? ` (${steps.length - checked} skipped)` : ''}.\n` : 'At least one call did not behave as expected.\n');
  }
  return passed ? EXIT_CODES.success : EXIT_CODES.proofFailed;
}

/**
 * The library names its options (roleArn, sessionName…); a CLI user typed flags, so a usage error
 * raised by the library is reported under the flag that carried the value.
 */
const FLAG_OF_LIBRARY_OPTION = new Map([
  ['roleArn', '--role-arn'],
  ['sessionName', '--session-name'],
  ['externalId', '--external-id'],
  ['durationSeconds', '--duration'],
  ['sessionPolicy', '--session-policy'],
  ['region', '--region'],
  ['method', '--method'],
  ['path', '--path'],
  ['query', '--query'],
  ['expiresInSeconds', '--presign'],
  ['maxBodyBytes', '--max-bytes'],
  ['timeoutMs', '--timeout'],
  ['stsTimeoutMs', '--sts-timeout'],
  ['retries', '--retries'],
  ['header name', '-H header name'],
]);

function messageOf(error: unknown, labels?: Map<string, string>): string {
  const text = (error as Error)?.message ?? String(error);
  if (!(error instanceof ClientOptionError)) return text;
  const flag = labels?.get(error.option) ?? FLAG_OF_LIBRARY_OPTION.get(error.option);
  return flag !== undefined && text.startsWith(`${error.option} `) ? `${flag}${text.slice(error.option.length)}` : text;
}

function reportError(io: CliIo, error: unknown, json: boolean, debug: boolean, labels?: Map<string, string>): number {
  const exitCode = (error as { exitCode?: number }).exitCode ?? EXIT_CODES.internal;
  const ownHints = (error as { hints?: unknown })?.hints;
  const hints = Array.isArray(ownHints) ? ownHints.filter((h): h is string => typeof h === 'string') : [];
  const text = messageOf(error, labels);
  const message = error instanceof ClientOptionError ? `usage: ${text} (see --help)` : exitCode === EXIT_CODES.internal ? `unexpected: ${text}${debug ? '' : ' (run with --debug for the stack trace)'}` : text;
  if (json) {
    io.stdout(`${JSON.stringify({ error: { type: (error as Error)?.name ?? 'Error', message: text, hints }, exitCode })}\n`);
  } else {
    io.stderr(`error: ${message.replace(/\n/g, ' ')}\n${hints.map((h) => `  - ${h}\n`).join('')}`);
  }
  if (debug) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
  return exitCode;
}

if (require.main === module) {
  // The SDK warns that its 2027 releases will need Node 22; this project targets Node 20 (see README).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.stdout.on('error', () => undefined);
  runInvokeCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    // A pipe to a slow reader buffers every write in memory unless we wait for 'drain'; a reader
    // that went away (`| head`) is an EPIPE for streamOne to handle, not an unhandled 'error' event
    // (a stack trace).
    stdoutBytes: (chunk) =>
      new Promise<void>((resolve, reject) => {
        const flushed = process.stdout.write(chunk, (error) => error && reject(error));
        if (flushed) resolve();
        else process.stdout.once('drain', resolve);
      }),
    env: process.env,
  }).then((code) => {
    // Exit now: a call abandoned at --max-time may still hold a socket open.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  });
}
