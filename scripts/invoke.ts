#!/usr/bin/env node
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { AssumeRoleCredentials, CredentialEvent, stsEndpointFromEnv } from '../client/credentials';
import { DEFAULT_OUTPUTS_FILE, DeploymentOutputs, readDeploymentOutputs } from '../client/deployment-outputs';
import { AssumeRoleError, ClientOptionError, EXIT_CODES, FunctionUrlNetworkError } from '../client/errors';
import { parseFunctionUrl } from '../client/function-url';
import { FunctionUrlClient, InvokeRequest, InvokeResponse, explainRefusal, methodOf } from '../client/function-url-client';
import { describeSignedRequest } from '../client/sigv4';

export const HELP = `Usage: npm run invoke -- [options]

Calls an IAM-protected Lambda function URL: assumes the invoker role with STS, signs the request
with SigV4 (service "lambda") and prints the answer. Settings come from the deployment outputs
(cdktf deploy --outputs-file …), from flags, or from the environment variables in brackets.

Where to call:
  --outputs FILE          deployment outputs file (default ${DEFAULT_OUTPUTS_FILE}) [INVOKE_OUTPUTS]
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
  --propagation-wait S    retry AccessDenied this long right after a deploy, while IAM
                          propagates (default 20; 0 fails at once) [INVOKE_PROPAGATION_WAIT]
  --use-default-credentials
                          assume the role from your own identity (AWS SDK chain: env,
                          profile, SSO) instead of the invoker key in the outputs
What to send:
  --method M              GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (default GET, or POST with --data)
  --path /P               path below the function URL (default /)
  --query Q               raw query string, e.g. 'a=1&b=2'
  --data TEXT | @FILE     request body
  -H 'Name: value'        request header (repeatable)
  --timeout MS            per attempt (default 10000)
  --retries N             retries for 5xx, 429 and network errors (default 2)
Modes:
  --prove                 show the refusals: unsigned -> 403, the invoker user's own key -> 403,
                          assumed role -> 200 with the caller's assumed-role identity
  --repeat N              make N calls with the cached credentials
  --interval S            seconds between repeated calls (default 0)
  --json                  print one machine-readable result object
  --verbose               print the steps (identity, role, session expiry, canonical request)
  -h, --help              this text

Secrets (secret keys, session tokens) are never printed, in any mode.

Exit codes: 0 success (2xx; --prove: all three as expected), 2 usage error, 3 HTTP error status,
4 authentication/authorization failure (403, AssumeRole refused), 5 network failure or timeout,
6 --prove found a call that did not behave as expected, 1 unexpected error.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
}

interface Settings {
  url: string;
  region?: string;
  roleArn: string;
  externalId?: string;
  sessionName?: string;
  durationSeconds?: number;
  sessionPolicy?: string;
  stsRegion?: string;
  propagationWaitSeconds?: number;
  sourceCredentials?: AwsCredentialIdentity;
  sourceLabel: string;
  outputs?: DeploymentOutputs;
}

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s?(.*)$/;

/** Masks an access key id for display: AKIA…WXYZ. Key ids are not secret, but less is better. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
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
      'use-default-credentials': { type: 'boolean', default: false },
      'propagation-wait': { type: 'string' },
      method: { type: 'string' },
      path: { type: 'string' },
      query: { type: 'string' },
      data: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true },
      timeout: { type: 'string' },
      retries: { type: 'string' },
      prove: { type: 'boolean', default: false },
      repeat: { type: 'string' },
      interval: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
}

function integer(option: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new ClientOptionError(option, text, `must be a whole number from ${min} to ${max}`);
  return Number(text);
}

function readFileOption(option: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ClientOptionError(option, file, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
}

function settingsFrom(values: ReturnType<typeof parse>, env: NodeJS.ProcessEnv): Settings {
  const outputsFile = values.outputs ?? env.INVOKE_OUTPUTS;
  const explicitUrl = values.url ?? env.INVOKE_URL;
  let outputs: DeploymentOutputs | undefined;
  if (outputsFile !== undefined || explicitUrl === undefined) {
    const file = outputsFile ?? DEFAULT_OUTPUTS_FILE;
    if (outputsFile === undefined && !fs.existsSync(file)) {
      throw new ClientOptionError('--url', undefined, `is required when there is no ${DEFAULT_OUTPUTS_FILE} here (deploy with --outputs-file ${DEFAULT_OUTPUTS_FILE}, or pass --outputs FILE)`);
    }
    outputs = readDeploymentOutputs(file, values['outputs-path']);
  }
  const url = explicitUrl ?? outputs!.functionUrl;
  parseFunctionUrl(url, '--url');
  const roleArn = values['role-arn'] ?? env.INVOKE_ROLE_ARN ?? outputs?.roleArn;
  if (roleArn === undefined) throw new ClientOptionError('--role-arn', undefined, 'is required without an outputs file that has invoker_role_arn');
  const useOutputsKey = !values['use-default-credentials'] && outputs?.accessKeyId !== undefined && outputs.secretAccessKey !== undefined;
  const sessionPolicyFile = values['session-policy'];
  return {
    url,
    region: values.region ?? env.INVOKE_REGION ?? outputs?.region,
    roleArn,
    externalId: values['external-id'] ?? env.INVOKE_EXTERNAL_ID ?? outputs?.externalId,
    sessionName: values['session-name'] ?? env.INVOKE_SESSION_NAME,
    durationSeconds: integer('--duration', values.duration ?? env.INVOKE_DURATION, 900, 43200),
    sessionPolicy: sessionPolicyFile === undefined ? undefined : readFileOption('--session-policy', sessionPolicyFile),
    stsRegion: values['sts-region'],
    propagationWaitSeconds: integer('--propagation-wait', values['propagation-wait'] ?? env.INVOKE_PROPAGATION_WAIT, 0, 600),
    sourceCredentials: useOutputsKey ? { accessKeyId: outputs!.accessKeyId!, secretAccessKey: outputs!.secretAccessKey! } : undefined,
    sourceLabel: useOutputsKey ? `the invoker user's key ${maskKeyId(outputs!.accessKeyId!)} from the outputs (${outputs!.location})` : 'your own identity (AWS SDK default credential chain)',
    outputs,
  };
}

function requestFrom(values: ReturnType<typeof parse>): InvokeRequest {
  const headers: [string, string][] = [];
  for (const header of values.header ?? []) {
    const m = HEADER.exec(header);
    if (m === null) throw new ClientOptionError('-H', header, "must look like 'Name: value'");
    headers.push([m[1], m[2]]);
  }
  const data = values.data;
  const body = data === undefined ? undefined : data.startsWith('@') ? readFileOption('--data', data.slice(1)) : data;
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

function printResponse(io: CliIo, method: string, client: FunctionUrlClient, response: InvokeResponse, request: InvokeRequest) {
  const target = client.target(request);
  io.stdout(`${method} ${client.url.origin}${target.path}${target.rawQuery ? `?${target.rawQuery}` : ''} -> ${response.status} (${response.durationMs.toFixed(0)} ms, ${response.attempts} attempt${response.attempts === 1 ? '' : 's'})\n`);
  io.stdout(response.json !== undefined ? `${JSON.stringify(response.json, null, 2)}\n` : response.text === '' ? '' : `${response.text}\n`);
}

function exitCodeFor(status: number): number {
  if (status >= 200 && status < 300) return EXIT_CODES.success;
  if (status === 401 || status === 403) return EXIT_CODES.authFailure;
  return EXIT_CODES.httpError;
}

export async function runInvokeCli(argv: string[], io: CliIo): Promise<number> {
  let json = false;
  try {
    const values = parse(argv);
    json = values.json;
    if (values.help) {
      io.stdout(`${HELP}\n`);
      return EXIT_CODES.success;
    }
    const settings = settingsFrom(values, io.env);
    const request = requestFrom(values);
    const repeat = integer('--repeat', values.repeat, 1, 100000) ?? 1;
    const intervalSeconds = values.interval === undefined ? 0 : Number(values.interval);
    if (!(intervalSeconds >= 0 && intervalSeconds <= 3600)) throw new ClientOptionError('--interval', values.interval, 'must be a number of seconds from 0 to 3600');
    if (values.prove && values.repeat !== undefined) throw new ClientOptionError('--prove', true, 'cannot be combined with --repeat');
    const verbose = (line: string) => values.verbose && io.stderr(`· ${line}\n`);

    const credentials = new AssumeRoleCredentials({
      roleArn: settings.roleArn,
      sessionName: settings.sessionName,
      durationSeconds: settings.durationSeconds,
      externalId: settings.externalId,
      sessionPolicy: settings.sessionPolicy,
      stsRegion: settings.stsRegion ?? settings.region ?? parseFunctionUrl(settings.url).region,
      sourceCredentials: settings.sourceCredentials,
      stsEndpoint: stsEndpointFromEnv(io.env),
      propagationWaitSeconds: settings.propagationWaitSeconds,
      refreshBeforeExpirySeconds: settings.durationSeconds !== undefined && settings.durationSeconds <= 600 ? 60 : undefined,
      onEvent: (event) => {
        if (event.type === 'retry' || event.type === 'refresh-failed') io.stderr(`· ${describeEvent(event)}\n`);
        else verbose(describeEvent(event));
      },
    });
    const onSigned = async (signed: HttpRequest, used: AwsCredentialIdentity) => {
      if (!values.verbose) return;
      const details = await describeSignedRequest(signed, used);
      verbose(`signed with ${maskKeyId(used.accessKeyId)}${used.sessionToken ? ' + session token' : ''}; canonical request:\n${redactCanonical(details.canonicalRequest, used.sessionToken).replace(/^/gm, '    ')}`);
    };
    const clientOptions = { url: settings.url, region: settings.region, timeoutMs: integer('--timeout', values.timeout, 1, 900000), retries: integer('--retries', values.retries, 0, 10), onSigned };
    verbose(`calling ${settings.url}; AssumeRole by ${settings.sourceLabel}${settings.externalId ? ', with the external ID' : ''}${settings.sessionPolicy ? ', with a session policy' : ''}`);

    if (values.prove) return await prove(io, settings, credentials, clientOptions, json);

    const client = new FunctionUrlClient({ ...clientOptions, credentials });
    const sleep = io.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    let exit: number = EXIT_CODES.success;
    const results: unknown[] = [];
    for (let i = 0; i < repeat; i++) {
      if (i > 0 && intervalSeconds > 0) await sleep(intervalSeconds * 1000);
      const response = await client.invoke(request);
      if (json) results.push(resultObject(response));
      else printResponse(io, methodOf(request), client, response, request);
      if (response.status === 401 || response.status === 403) {
        if (!json) io.stderr(`${explainRefusal(response, { region: client.region, signed: true, temporary: true }).join('\n')}\n`);
      }
      exit = exitCodeFor(response.status);
      if (exit !== EXIT_CODES.success) break;
    }
    if (repeat > 1 && !json) io.stdout(`${results.length || repeat} call(s); STS AssumeRole was called ${credentials.assumeRoleCalls} time(s)\n`);
    if (json) io.stdout(`${JSON.stringify(repeat === 1 ? { ...(results[0] as object), assumeRoleCalls: credentials.assumeRoleCalls } : { results, assumeRoleCalls: credentials.assumeRoleCalls })}\n`);
    return exit;
  } catch (error) {
    return reportError(io, error, json);
  }
}

function resultObject(response: InvokeResponse) {
  return { status: response.status, headers: response.headers, body: response.json ?? response.text, timing: { totalMs: Math.round(response.durationMs), attempts: response.attempts } };
}

interface ProofStep {
  name: string;
  expected: string;
  status?: number;
  passed: boolean;
  detail: string;
}

async function prove(io: CliIo, settings: Settings, credentials: AssumeRoleCredentials, clientOptions: ConstructorParameters<typeof FunctionUrlClient>[0], json: boolean): Promise<number> {
  const steps: ProofStep[] = [];
  const request: InvokeRequest = { method: 'GET', path: '/prove', query: 'step=1' };
  const errorType = (r: InvokeResponse) => r.headers['x-amzn-errortype'] ?? '';

  const unsigned = await new FunctionUrlClient({ ...clientOptions, credentials: undefined, onSigned: undefined }).invoke(request);
  steps.push({ name: 'unsigned request', expected: '403', status: unsigned.status, passed: unsigned.status === 403, detail: `${unsigned.status} ${errorType(unsigned)}`.trim() });

  const userKey = settings.sourceCredentials ?? (settings.outputs?.accessKeyId && settings.outputs.secretAccessKey ? { accessKeyId: settings.outputs.accessKeyId, secretAccessKey: settings.outputs.secretAccessKey } : undefined);
  if (userKey === undefined) {
    steps.push({ name: "signed with the invoker user's own key", expected: '403', passed: false, detail: 'cannot check: the outputs hold no invoker key and secret (deploy with --outputs-file-include-sensitive-outputs)' });
  } else {
    const own = await new FunctionUrlClient({ ...clientOptions, credentials: { getCredentials: async () => userKey } }).invoke({ ...request, query: 'step=2' });
    steps.push({ name: "signed with the invoker user's own key", expected: '403', status: own.status, passed: own.status === 403, detail: `${own.status} ${errorType(own)}`.trim() });
  }

  const signed = await new FunctionUrlClient({ ...clientOptions, credentials }).invoke({ ...request, query: 'step=3' });
  const session = await credentials.getCredentials();
  const callerArn = (signed.json as { caller?: { userArn?: string } } | undefined)?.caller?.userArn;
  steps.push({
    name: 'signed with the assumed role',
    expected: `200, caller ${session.assumedRoleArn}`,
    status: signed.status,
    passed: signed.status === 200 && callerArn === session.assumedRoleArn,
    detail: signed.status === 200 ? `200, the function saw caller ${callerArn ?? '(none)'}` : explainRefusal(signed, { region: clientOptions.region ?? '', signed: true, temporary: true }).join(' '),
  });

  const passed = steps.every((s) => s.passed);
  if (json) {
    io.stdout(`${JSON.stringify({ passed, steps, assumeRoleCalls: credentials.assumeRoleCalls })}\n`);
  } else {
    io.stdout(`Proof against ${settings.url}\n`);
    for (const step of steps) io.stdout(`  ${step.passed ? 'PASS' : 'FAIL'}  ${step.name.padEnd(40)} expected ${step.expected}; got ${step.detail}\n`);
    io.stdout(passed ? 'All three calls behaved as expected.\n' : 'At least one call did not behave as expected.\n');
  }
  return passed ? EXIT_CODES.success : EXIT_CODES.proofFailed;
}

function reportError(io: CliIo, error: unknown, json: boolean): number {
  const exitCode = (error as { exitCode?: number }).exitCode ?? EXIT_CODES.internal;
  const hints = error instanceof AssumeRoleError ? error.hints : [];
  const message = error instanceof ClientOptionError ? `usage: ${error.message}\n(see --help)` : (error as Error).message ?? String(error);
  if (json) {
    io.stdout(`${JSON.stringify({ error: { type: (error as Error).name, message: (error as Error).message, hints }, exitCode })}\n`);
  } else {
    io.stderr(`error: ${message}\n${hints.map((h) => `  - ${h}\n`).join('')}`);
    if (exitCode === EXIT_CODES.internal && !(error instanceof FunctionUrlNetworkError)) io.stderr(`${(error as Error).stack ?? ''}\n`);
  }
  return exitCode;
}

if (require.main === module) {
  // The SDK warns that its 2027 releases will need Node 22; this project targets Node 20 (see README).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runInvokeCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
