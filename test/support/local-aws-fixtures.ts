import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AwsCredentialIdentity, HttpRequest as HttpRequestLike } from '@smithy/types';
import { FunctionUrlClient } from '../../client/function-url-client';
import { formatQuery, signRequest } from '../../client/sigv4';
import { DEFAULT_ADMIN_KEY, type LocalAws, type LocalAwsOptions, startLocalAws } from '../../local-aws/server';
import { zipFiles } from '../../constructs/zip-writer';

/**
 * Fixtures for tests and the benchmark (compiled with the project for bench/): signed calls to a stand-in's wire APIs, and a world with
 * the constructs' design created through them (what `terraform apply` would create, in a second
 * rather than fifteen).
 */

/** Anything with the stand-in's endpoint: a LocalAws in this process, or one in another. */
export interface StandIn {
  endpoint: string;
}

/** Calls the stand-in's wire APIs signed with any key, the way an SDK would. */
export async function callApi(
  local: StandIn,
  service: 'iam' | 'sts' | 'lambda' | 'logs',
  request: { method?: string; path?: string; rawQuery?: string; headers?: Record<string, string>; body?: string },
  credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY,
): Promise<{ status: number; text: string; headers: Headers }> {
  const url = new URL(local.endpoint);
  const method = request.method ?? 'POST';
  const signed = await signRequest(
    {
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: request.path ?? '/',
      rawQuery: request.rawQuery,
      headers: request.headers,
      body: request.body,
    },
    credentials,
    { region: 'us-east-1', service },
  );
  const headers = Object.entries(signed.headers).filter(([n]) => n.toLowerCase() !== 'host');
  const response = await fetch(`${local.endpoint}${request.path ?? '/'}${request.rawQuery ? `?${request.rawQuery}` : ''}`, {
    method,
    headers,
    body: request.body,
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

export function query(local: StandIn, service: 'iam' | 'sts', params: Record<string, string>, credentials?: AwsCredentialIdentity) {
  return callApi(
    local,
    service,
    {
      body: new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    },
    credentials,
  );
}

/** Calls a CloudWatch Logs operation (JSON 1.1) with `input` as its body. */
export function logs(local: StandIn, operation: string, input: unknown, credentials?: AwsCredentialIdentity) {
  return callApi(
    local,
    'logs',
    {
      headers: { 'x-amz-target': `Logs_20140328.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(input),
    },
    credentials,
  );
}

/** The credentials in an STS answer (AssumeRole, GetSessionToken) or a CreateAccessKey answer. */
export function credentialsIn(xml: string): AwsCredentialIdentity {
  const sessionToken = /<SessionToken>/.test(xml) ? { sessionToken: xmlValue(xml, 'SessionToken') } : {};
  return { accessKeyId: xmlValue(xml, 'AccessKeyId'), secretAccessKey: xmlValue(xml, 'SecretAccessKey'), ...sessionToken };
}

/** Creates a user (admin key), with an inline policy when one is given, and an access key for it. */
export async function userWithKey(
  local: StandIn,
  userName: string,
  policy?: unknown,
  tags: Record<string, string> = {},
): Promise<AwsCredentialIdentity> {
  const tagParameters = Object.fromEntries(
    Object.entries(tags).flatMap(([key, value], i) => [
      [`Tags.member.${i + 1}.Key`, key],
      [`Tags.member.${i + 1}.Value`, value],
    ]),
  );
  await mustSucceed(query(local, 'iam', { Action: 'CreateUser', UserName: userName, ...tagParameters }));
  if (policy !== undefined)
    await mustSucceed(
      query(local, 'iam', { Action: 'PutUserPolicy', UserName: userName, PolicyName: 'Policy', PolicyDocument: JSON.stringify(policy) }),
    );
  return credentialsIn(await mustSucceed(query(local, 'iam', { Action: 'CreateAccessKey', UserName: userName })));
}

/** The answer's text; throws with the status and text unless the status is `expected`. */
export async function mustSucceed(response: Promise<{ status: number; text: string }>, expected = 200): Promise<string> {
  const r = await response;
  if (r.status !== expected) throw new Error(`expected ${expected}, got ${r.status}: ${r.text}`);
  return r.text;
}

/** The configuration of an AWS SDK v3 client that calls the stand-in once per command (no retries). */
export function sdkConfig(local: StandIn, credentials: AwsCredentialIdentity) {
  return { endpoint: local.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
}

/** The HTTP status and error name an AWS SDK v3 client reports for a command (`403 AccessDeniedException`), or 'ok'. */
export async function sdkOutcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.$metadata?.httpStatusCode} ${e.name}`;
  }
}

/**
 * Sends a request with node:http, a form body by default (fetch refuses a GET with a body; a client
 * need not), from `localAddress` when given (the caller's aws:SourceIp).
 */
export function rawSend(
  url: string,
  method: string,
  body: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        localAddress,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An XML element's text with the entities the stand-in escapes turned back. */
export function xmlText(xml: string, tag: string): string {
  return xmlValue(xml, tag)
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function xmlValue(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (m === null) throw new Error(`no <${tag}> in ${xml.slice(0, 300)}`);
  return m[1];
}

export const HANDLERS = {
  echo: fs.readFileSync(path.join(handlerDir(), 'index.mjs'), 'utf8'),
  contract: `
export const handler = async (event, context) => {
  const mode = event.queryStringParameters?.mode ?? 'event';
  if (mode === 'throw') throw new Error('boom');
  if (mode === 'sleep') { await new Promise((r) => setTimeout(r, 5000)); return { statusCode: 200 }; }
  if (mode === 'bare') return { hello: 'world', n: 1 };
  if (mode === 'teapot') return { statusCode: 418, headers: { 'x-custom': 'yes', 'content-type': 'text/plain' }, body: 'short and stout', cookies: ['a=1; Path=/', 'b=2'] };
  if (mode === 'binary') return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true };
  if (mode === 'env') return { statusCode: 200, body: JSON.stringify({ greeting: process.env.GREETING, fn: process.env.AWS_LAMBDA_FUNCTION_NAME, remaining: context.getRemainingTimeInMillis() > 0, requestId: context.awsRequestId }) };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
};`,
};

function handlerDir(): string {
  // From source (test/support) or compiled for the benchmark (dist/test/support): both two levels down.
  const candidates = [
    path.resolve(__dirname, '..', '..', 'stacks', 'handler'),
    path.resolve(__dirname, '..', '..', '..', 'stacks', 'handler'),
  ];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.mjs')))!;
}

export interface SeededWorld {
  local: LocalAws;
  userKey: AwsCredentialIdentity;
  roleArn: string;
  urls: Record<string, string>;
  externalId: string;
}

/**
 * A stand-in with the constructs' design created through its wire APIs (admin key): the invoker
 * user with a key and an AssumeRole-only policy, the role trusting only that user (with an
 * external ID), the two-statement invoke policy on the "echo" function, and a "contract" function
 * (for the handler contract) whose URL the role may also call, and an "other" one it may not.
 */
export async function seedWorld(options: Pick<LocalAwsOptions, 'now' | 'snapshotFile'> = {}): Promise<SeededWorld> {
  const local = await startLocalAws(options);
  return { local, ...(await seed(local, local.world.accountId)) };
}

/** One signed call (no retries) to the seeded function URL `name` with `credentials`. */
export function invokeSeededUrl(world: SeededWorld, name: string, credentials: AwsCredentialIdentity) {
  return new FunctionUrlClient({
    url: world.urls[name],
    region: 'us-east-1',
    credentials: { getCredentials: async () => credentials },
    retries: 0,
  }).invoke();
}

export interface SeededSession {
  world: SeededWorld;
  /** A session of the seeded role, assumed by the invoker user with the external ID (what the client gets). */
  session: AwsCredentialIdentity;
}

/** A seeded world (see seedWorld) and a session of its role named `sessionName`. */
export async function seededSession(
  sessionName: string,
  options: Pick<LocalAwsOptions, 'now' | 'snapshotFile'> = {},
): Promise<SeededSession> {
  const world = await seedWorld(options);
  const xml = await mustSucceed(
    query(
      world.local,
      'sts',
      { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: sessionName, ExternalId: world.externalId },
      world.userKey,
    ),
  );
  return { world, session: credentialsIn(xml) };
}

/**
 * CreateFunction through the wire API, its answer unchecked: function `name` with a handler that
 * returns 1 (Node.js 20, role `exec` of the default account), signed with the admin key unless
 * `credentials` are given; `settings` overrides or adds CreateFunction fields.
 */
export function createFunctionCall(
  local: StandIn,
  name: string,
  settings: Record<string, unknown> = {},
  credentials?: AwsCredentialIdentity,
) {
  const fn = {
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Role: 'arn:aws:iam::123456789012:role/exec',
    Handler: 'index.handler',
    Code: { ZipFile: zipFiles({ 'index.mjs': 'export const handler = async () => 1;' }).toString('base64') },
    ...settings,
  };
  return callApi(
    local,
    'lambda',
    { path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fn) },
    credentials,
  );
}

/**
 * Deploys `code` as `index.mjs` of function `name` (Node.js 20, role `exec` of the default
 * account, 3 s) with a function URL, signed with the admin key unless `credentials` are given;
 * `settings` overrides or adds CreateFunction fields. Returns the URL.
 */
export async function deployFunction(
  local: StandIn,
  name: string,
  code: string,
  options: { settings?: Record<string, unknown>; authType?: 'NONE' | 'AWS_IAM'; credentials?: AwsCredentialIdentity } = {},
): Promise<string> {
  const json = { 'content-type': 'application/json' };
  const settings = { Timeout: 3, Code: { ZipFile: zipFiles({ 'index.mjs': code }).toString('base64') }, ...options.settings };
  await mustSucceed(createFunctionCall(local, name, settings, options.credentials), 201);
  const url = await mustSucceed(
    callApi(
      local,
      'lambda',
      { path: `/2021-10-31/functions/${name}/url`, headers: json, body: JSON.stringify({ AuthType: options.authType ?? 'NONE' }) },
      options.credentials,
    ),
    201,
  );
  return JSON.parse(url).FunctionUrl;
}

/**
 * Creates, through the wire APIs, the invoker user (key + AssumeRole-only policy), the role
 * trusting only that user with an external ID, the two-statement invoke policy for "echo" and
 * "contract", an "other" function the role may not call, and an "open" one with an AuthType NONE
 * URL (the unauthenticated baseline of the benchmark).
 */
export async function seed(local: StandIn, account = '123456789012'): Promise<Omit<SeededWorld, 'local'>> {
  const externalId = 'partner-4711';
  const must = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${r.text}`);
    return r.text;
  };
  await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'lambda_invoker' }));
  const keyXml = await must(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'lambda_invoker' }));
  const userKey = { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') };
  const roleArn = `arn:aws:iam::${account}:role/function_invoker`;
  await must(
    query(local, 'iam', {
      Action: 'PutUserPolicy',
      UserName: 'lambda_invoker',
      PolicyName: 'AssumeOnly',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }],
      }),
    }),
  );
  await must(
    query(local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'function_invoker',
      MaxSessionDuration: '3600',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:user/lambda_invoker` },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': externalId } },
          },
        ],
      }),
    }),
  );
  await must(
    query(local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'exec',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  const urls: Record<string, string> = {};
  for (const [name, code] of [
    ['echo', HANDLERS.echo],
    ['contract', HANDLERS.contract],
    ['other', HANDLERS.echo],
    ['open', HANDLERS.echo],
  ] as const) {
    await must(
      callApi(local, 'lambda', {
        path: '/2015-03-31/functions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Role: `arn:aws:iam::${account}:role/exec`,
          Handler: 'index.handler',
          Timeout: name === 'contract' ? 1 : 3,
          Environment: { Variables: { GREETING: 'hi' } },
          Code: { ZipFile: zipFiles({ 'index.mjs': code }).toString('base64') },
        }),
      }),
    );
    const urlAnswer = JSON.parse(
      await must(
        callApi(local, 'lambda', {
          path: `/2021-10-31/functions/${name}/url`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ AuthType: name === 'open' ? 'NONE' : 'AWS_IAM' }),
        }),
      ),
    );
    urls[name] = urlAnswer.FunctionUrl;
  }
  const fn = (name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`;
  const statements = ['echo', 'contract'].flatMap((name) => [
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunctionUrl',
      Resource: fn(name),
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    },
    {
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: fn(name),
      Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    },
  ]);
  const policyXml = await must(
    query(local, 'iam', {
      Action: 'CreatePolicy',
      PolicyName: 'InvokeSingleLambdaPolicy',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
  await must(query(local, 'iam', { Action: 'AttachRolePolicy', RoleName: 'function_invoker', PolicyArn: xmlValue(policyXml, 'Arn') }));
  return { userKey, roleArn, urls, externalId };
}

/**
 * The URL a signed or presigned request goes to on the stand-in: its path, and its query in the
 * canonical RFC 3986 encoding (repeated keys kept), so what is sent is what was signed.
 */
export function wireUrl(endpoint: string, request: HttpRequestLike): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([key, v as string]);
  }
  const query = formatQuery(pairs);
  return `${endpoint}${request.path}${query === '' ? '' : `?${query}`}`;
}
