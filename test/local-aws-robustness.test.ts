import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { FunctionUrlClient } from '../client/function-url-client';
import { describeSignedRequest, signRequest } from '../client/sigv4';
import { SeededWorld, callApi, query, seed, seedWorld, xmlValue } from './support/local-aws-fixtures';
import { startLocalAws } from '../local-aws/server';
import { zipFiles } from '../constructs/zip-writer';

/**
 * Issue 8, defects 1-5, 7 and 8: each case here failed (crash, 5xx, stale or wrong answer) on the
 * stand-in before the fix it names.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

beforeAll(async () => {
  world = await seedWorld();
  session = await new AssumeRoleCredentials({ roleArn: world.roleArn, externalId: world.externalId, sourceCredentials: world.userKey, stsEndpoint: world.local.endpoint, sessionName: 'robust', propagationWaitSeconds: 0 }).getCredentials();
});
afterAll(async () => {
  await world?.local.close();
});

const account = () => world.local.world.accountId;
const urlId = (url: string) => new URL(url).pathname.split('/')[2];
/** An XML element's text with the entities the stand-in escapes turned back. */
const xmlText = (xml: string, tag: string) => xmlValue(xml, tag).replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const alive = async () => (await fetch(`${world.local.endpoint}/_local/health`)).status === 200;

/** Deploys `code` as function `name` with an AuthType NONE URL (admin key); returns the URL. */
async function deployOpen(name: string, code: string, settings: Record<string, unknown> = {}): Promise<string> {
  const created = await callApi(world.local, 'lambda', {
    path: '/2015-03-31/functions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: `arn:aws:iam::${account()}:role/exec`, Handler: 'index.handler', Timeout: 3, Code: { ZipFile: zipFiles({ 'index.mjs': code }).toString('base64') }, ...settings }),
  });
  expect(created.status, created.text).toBe(201);
  const url = await callApi(world.local, 'lambda', { path: `/2021-10-31/functions/${name}/url`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ AuthType: 'NONE' }) });
  expect(url.status, url.text).toBe(201);
  return JSON.parse(url.text).FunctionUrl;
}

/** Sends exactly these bytes of request line and headers (fetch would normalize the path). */
function rawRequest(options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const endpoint = new URL(world.local.endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: endpoint.hostname, port: Number(endpoint.port), method: options.method, path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Signs a function URL request for `signedPath` and returns the headers to send (host included). */
async function signUrlRequest(signedPath: string, rawQuery: string | undefined, credentials: AwsCredentialIdentity, headers: Record<string, string> = {}) {
  const endpoint = new URL(world.local.endpoint);
  const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: signedPath, rawQuery, headers }, credentials, { region: 'us-east-1', service: 'lambda' });
  return signed.headers as Record<string, string>;
}

describe('1. a response header Node refuses is a 502 for that call, never a crash', () => {
  const reflect = `export const handler = async (event) => {
  const q = event.queryStringParameters ?? {};
  if (q.mode === 'name') return { statusCode: 200, headers: { [q.v]: 'x' }, body: 'ok' };
  if (q.mode === 'cookie') return { statusCode: 200, cookies: [q.v], body: 'ok' };
  if (q.mode === 'length') return { statusCode: 200, headers: { 'content-length': '3' }, body: 'longer than three' };
  return { statusCode: 200, headers: { 'x-reflected': q.v }, body: 'ok' };
};`;
  let url = '';
  beforeAll(async () => {
    url = await deployOpen('reflect', reflect);
  });

  it.each([
    ['a non-Latin-1 header value', 'mode=value&v=%E2%9C%93'],
    ['CR/LF in a header value', 'mode=value&v=a%0D%0ASet-Cookie:%20x=1'],
    ['a space in a header name', 'mode=name&v=bad%20name'],
    ['an empty header name', 'mode=name&v='],
    ['CR/LF in a cookie', 'mode=cookie&v=a=1%0D%0Ax-injected:%201'],
  ])('%s', async (_, q) => {
    const r = await fetch(`${url}?${q}`);
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([502, 'InvalidResponse']);
    expect(r.headers.get('x-injected')).toBeNull();
    expect(await alive()).toBe(true);
    expect((await fetch(`${url}?v=fine`)).status).toBe(200);
  });

  it("a handler's own Content-Length does not corrupt the response framing", async () => {
    const r = await fetch(`${url}?mode=length`);
    expect([r.status, await r.text()]).toEqual([200, 'longer than three']);
  });
});

describe('2. a decision computed before a change is never stored after it', () => {
  it('a revocation during an in-flight evaluation is not undone by its late result', async () => {
    const authorizer = world.local.authorizer;
    const state = world.local.world.state;
    const principal = authorizer.principalFor(session.accessKeyId);
    const userPrincipal = authorizer.principalFor(world.userKey.accessKeyId);
    const echoArn = `arn:aws:lambda:us-east-1:${account()}:function:echo`;
    const decideUrl = () => authorizer.decide(principal, 'lambda:InvokeFunctionUrl', echoArn, { 'lambda:FunctionUrlAuthType': 'AWS_IAM' });
    const role = state.roles.function_invoker;
    const attached = role.attachedPolicies.map((arn) => world.local.world.policy(arn));
    // A change no decision depends on: a fresh generation, nothing cached for this request.
    world.local.world.updateRole(role, { maxSessionDuration: role.maxSessionDuration });
    try {
      // The first call's simulation is in flight when the policy is detached; a third call by
      // another principal then starts the new generation's cache.
      const first = decideUrl();
      for (const policy of attached) world.local.world.detachRolePolicy(role, policy.arn);
      const third = authorizer.decide(userPrincipal, 'iam:GetUser', `arn:aws:iam::${account()}:user/lambda_invoker`);
      expect(await first).toBe('Allowed'); // asked before the change: answered as before it
      await third;
      expect(await decideUrl()).toBe('ImplicitlyDenied');
    } finally {
      for (const policy of attached) world.local.world.attachRolePolicy(role, policy);
    }
    expect(await decideUrl()).toBe('Allowed');
  });
});

describe('3. object-prototype names are ordinary names', () => {
  const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

  it('a query key signed by an independent signer (smithy with a plain query object) is accepted and passed on', async () => {
    const endpoint = new URL(world.local.endpoint);
    const signer = new SignatureV4({ credentials: session, region: 'us-east-1', service: 'lambda', sha256: Hash.bind(null, 'sha256'), uriEscapePath: true });
    const path = `/lambda-url/${urlId(world.urls.contract)}/`;
    const request = new HttpRequest({ method: 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path, query: { constructor: '1', toString: '2' }, headers: { host: endpoint.host } });
    const signed = await signer.sign(request);
    const r = await rawRequest({ method: 'GET', path: `${path}?constructor=1&toString=2`, headers: signed.headers });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).queryStringParameters).toEqual({ constructor: '1', toString: '2' });
  });

  it('a query key named __proto__ is in the canonical query as botocore and AWS put it, and reaches the handler', async () => {
    const endpoint = new URL(world.local.endpoint);
    const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: endpoint.hostname, path: '/', rawQuery: '__proto__=x&constructor=1&b=2&b=1' }, session, { region: 'us-east-1', service: 'lambda' });
    // SigV4: keys sorted by code point after encoding, a repeated key's values sorted.
    expect((await describeSignedRequest(signed, session)).canonicalRequest.split('\n')[2]).toBe('__proto__=x&b=1&b=2&constructor=1');
    const path = `/lambda-url/${urlId(world.urls.contract)}/`;
    const headers = await signUrlRequest(path, '__proto__=x', session);
    const r = await rawRequest({ method: 'GET', path: `${path}?__proto__=x`, headers });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).queryStringParameters).toEqual(JSON.parse('{"__proto__":"x"}'));
  });

  it('an unsigned &__proto__=x appended to a signed request is refused', async () => {
    const path = `/lambda-url/${urlId(world.urls.contract)}/`;
    const headers = await signUrlRequest(path, 'a=1', session);
    expect((await rawRequest({ method: 'GET', path: `${path}?a=1`, headers })).status).toBe(200);
    for (const extra of ['__proto__=x', 'constructor=x', '__proto__[admin]=1']) {
      const r = await rawRequest({ method: 'GET', path: `${path}?a=1&${extra}`, headers });
      expect([r.status, r.headers['x-amzn-errortype']], extra).toEqual([403, 'InvalidSignatureException']);
    }
  });

  it('header names such as __proto__ and constructor are signed, verified and passed to the handler', async () => {
    const path = `/lambda-url/${urlId(world.urls.contract)}/`;
    const headers = await signUrlRequest(path, undefined, session, { __proto__: 'p', constructor: 'c' } as unknown as Record<string, string>);
    const r = await rawRequest({ method: 'GET', path, headers: { ...headers, ['__proto__']: 'p', constructor: 'c' } });
    expect(r.status, r.text).toBe(200);
  });

  it.each(NAMES)('IAM entity operations on a missing user or role named %s answer NoSuchEntity, not 500', async (name) => {
    const cases: Record<string, string>[] = [
      { Action: 'GetUser', UserName: name },
      { Action: 'DeleteUser', UserName: name },
      { Action: 'PutUserPolicy', UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) },
      { Action: 'GetUserPolicy', UserName: 'lambda_invoker', PolicyName: name },
      { Action: 'GetRole', RoleName: name },
      { Action: 'GetPolicy', PolicyArn: name },
      { Action: 'DeleteAccessKey', AccessKeyId: name },
    ];
    for (const params of cases) {
      const r = await query(world.local, 'iam', params);
      expect([r.status, xmlValue(r.text, 'Code')], JSON.stringify(params)).toEqual([404, 'NoSuchEntity']);
    }
  });

  it('AttachRolePolicy PolicyArn=constructor is refused and the role can still be deleted', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect((await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'proto-role', AssumeRolePolicyDocument: trust })).status).toBe(200);
    for (const arn of NAMES) {
      const r = await query(world.local, 'iam', { Action: 'AttachRolePolicy', RoleName: 'proto-role', PolicyArn: arn });
      expect([r.status, xmlValue(r.text, 'Code')], arn).toEqual([404, 'NoSuchEntity']);
    }
    expect((await query(world.local, 'iam', { Action: 'DeleteRole', RoleName: 'proto-role' })).status).toBe(200);
  });

  it('CreateFunction named constructor is created, not "already exists"', async () => {
    await deployOpen('constructor', 'export const handler = async () => ({ statusCode: 200, body: "ctor" });');
    const fn = await callApi(world.local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/constructor' });
    expect(fn.status).toBe(200);
  });

  it('log group tags named __proto__ and constructor are stored and listed as data', async () => {
    const name = '/proto/tags';
    const logs = (operation: string, input: unknown) => callApi(world.local, 'logs', { headers: { 'x-amz-target': `Logs_20140328.${operation}`, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(input) });
    expect((await logs('CreateLogGroup', { logGroupName: name })).status).toBe(200);
    const arn = `arn:aws:logs:us-east-1:${account()}:log-group:${name}`;
    const tagged = await logs('TagResource', { resourceArn: arn, tags: JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') });
    expect(tagged.status, tagged.text).toBe(200);
    const listed = await logs('ListTagsForResource', { resourceArn: arn });
    expect(JSON.parse(listed.text).tags).toEqual(JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'));
    expect((await logs('UntagResource', { resourceArn: arn, tagKeys: ['__proto__', 'constructor', 'toString'] })).status).toBe(200);
    expect(JSON.parse((await logs('ListTagsForResource', { resourceArn: arn })).text).tags).toEqual({});
  });

  it('a user named __proto__ survives a snapshot round trip', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-snapshot-'));
    try {
      const file = path.join(dir, 'world.json');
      const first = await startLocalAws({ snapshotFile: file });
      try {
        for (const name of NAMES) expect((await query(first, 'iam', { Action: 'CreateUser', UserName: name })).status).toBe(200);
      } finally {
        await first.close();
      }
      const second = await startLocalAws({ snapshotFile: file });
      try {
        for (const name of NAMES) {
          const r = await query(second, 'iam', { Action: 'GetUser', UserName: name });
          expect([r.status, r.status === 200 ? xmlValue(r.text, 'UserName') : r.text], name).toEqual([200, name]);
        }
        expect(Object.getPrototypeOf(second.world.state.users)).toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('4. a function URL request is routed on the path its signature covers', () => {
  it('signed for A, sent as /lambda-url/<B>/../<A>/x: A runs, or nothing does', async () => {
    const a = urlId(world.urls.contract);
    const b = urlId(world.urls.echo);
    const sentPath = `/lambda-url/${b}/../${a}/x`;
    const headers = await signUrlRequest(sentPath, undefined, session);
    const r = await rawRequest({ method: 'GET', path: sentPath, headers });
    expect(r.status, r.text).toBe(200);
    const event = JSON.parse(r.text);
    expect([event.requestContext.apiId, event.rawPath]).toEqual([a, '/x']);
  });
});

describe('5. malformed input is a 4xx, never a 5xx', () => {
  it.each([
    ['a malformed percent-encoding in a function name', 'GET', '/2015-03-31/functions/%E0%A4%A/configuration', undefined],
    ['a truncated escape in a function name', 'GET', '/2015-03-31/functions/echo%2/configuration', undefined],
    ['a malformed percent-encoding in a statement id', 'DELETE', '/2015-03-31/functions/echo/policy/%ZZ', undefined],
    ['a malformed percent-encoding in a tags ARN', 'GET', '/2017-03-31/tags/%E0%A4%A', undefined],
  ])('%s', async (_, method, path, body) => {
    const r = await callApi(world.local, 'lambda', { method, path, body });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
  });

  it.each(['null', '42', '[]', '"text"'])('a Logs body of %s', async (body) => {
    const r = await callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup', 'content-type': 'application/x-amz-json-1.1' }, body });
    expect([r.status, JSON.parse(r.text).__type]).toEqual([400, 'SerializationException']);
  });

  it('UntagResource with tagKeys that is not a list', async () => {
    const r = await callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.UntagResource', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ resourceArn: `arn:aws:logs:us-east-1:${account()}:log-group:/proto/tags`, tagKeys: 5 }) });
    expect(r.status).toBeLessThan(500);
  });
});

describe('7. sizes bounded and rights checked before parsing; AWS validation of numbers', () => {
  it("a 24 MB trust policy from the invoker's key is refused before it is read", async () => {
    const huge = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Sid: 'x'.repeat(24 * 1024 * 1024) }] });
    const started = performance.now();
    const r = await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'huge', AssumeRolePolicyDocument: huge }, world.userKey);
    expect(r.status).toBe(413);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(world.local.world.state.roles.huge).toBeUndefined();
  });

  it('a caller without iam:CreateRole gets AccessDenied before its document is parsed', async () => {
    const r = await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'sneaky', AssumeRolePolicyDocument: '{"not": "a policy"' }, world.userKey);
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([403, 'AccessDenied']);
    const policy = await query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: 'sneaky', PolicyDocument: '{' }, world.userKey);
    expect([policy.status, xmlValue(policy.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });

  it('a policy document over 131072 characters is a ValidationError, before it is parsed', async () => {
    const long = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Sid: 'x'.repeat(140_000) }] });
    const r = await query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: 'long', PolicyDocument: long });
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toMatch(/less than or equal to 131072/);
  });

  it.each([
    ['abc', /Value 'abc' at 'maxSessionDuration'.*whole number/],
    ['999999', /Value '999999' at 'maxSessionDuration'.*less than or equal to 43200/],
    ['3599', /Value '3599' at 'maxSessionDuration'.*greater than or equal to 3600/],
    ['1e4', /Value '1e4' at 'maxSessionDuration'/],
    ['3600.5', /Value '3600.5' at 'maxSessionDuration'/],
  ])('UpdateRole MaxSessionDuration=%s is refused and the role keeps its value', async (value, message) => {
    const r = await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: value });
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toMatch(message);
    expect(world.local.world.state.roles.exec.maxSessionDuration).toBe(3600);
  });

  it('UpdateRole with a valid MaxSessionDuration stores the number', async () => {
    expect((await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: '7200' })).status).toBe(200);
    expect(world.local.world.state.roles.exec.maxSessionDuration).toBe(7200);
    expect((await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: '3600' })).status).toBe(200);
  });

  it.each(['1e3', '0x400', ' 1000', '1000.0', '-900'])('AssumeRole DurationSeconds=%j is a ValidationError', async (value) => {
    const r = await query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'numbers', ExternalId: world.externalId, DurationSeconds: value }, world.userKey);
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toContain(`at 'durationSeconds'`);
  });
});

describe('8. the snapshot holds secrets: owner-only on disk', () => {
  it('world.json is 0600 and a directory it creates is 0700, also when an old 0644 snapshot is reopened', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshot-mode-'));
    try {
      const file = path.join(root, 'state', 'world.json');
      const local = await startLocalAws({ snapshotFile: file });
      try {
        await query(local, 'iam', { Action: 'CreateUser', UserName: 'secretive' });
        await query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'secretive' });
      } finally {
        await local.close();
      }
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
      fs.chmodSync(file, 0o644);
      const again = await startLocalAws({ snapshotFile: file });
      await again.close();
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['world.json']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('9. AssumeRole stays cheap as sessions pile up', () => {
  it('a new session neither rewrites the snapshot nor drops cached decisions; expired ones are dropped; a restart still knows it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessions-'));
    try {
      const file = path.join(root, 'world.json');
      const local = await startLocalAws({ snapshotFile: file });
      let seeded: Awaited<ReturnType<typeof seed>>;
      let credentials: AwsCredentialIdentity;
      try {
        seeded = await seed(local);
        const stale = { accessKeyId: 'ASIASTALESESSION0000', secretAccessKey: 's', sessionToken: 't', expiration: new Date(Date.now() - 2 * 3600_000).toISOString(), roleArn: seeded.roleArn, roleName: 'function_invoker', roleId: 'AROAX', sessionName: 'stale', assumedRoleArn: 'arn' };
        local.world.state.sessions[stale.accessKeyId] = stale;
        const assume = (name: string) => query(local, 'sts', { Action: 'AssumeRole', RoleArn: seeded.roleArn, RoleSessionName: name, ExternalId: seeded.externalId }, seeded.userKey);
        const first = await assume('first');
        credentials = { accessKeyId: xmlValue(first.text, 'AccessKeyId'), secretAccessKey: xmlValue(first.text, 'SecretAccessKey'), sessionToken: xmlValue(first.text, 'SessionToken') };
        expect(local.world.state.sessions[stale.accessKeyId]).toBeUndefined();
        const client = new FunctionUrlClient({ url: seeded.urls.echo, region: 'us-east-1', credentials: { getCredentials: async () => credentials }, retries: 0 });
        expect((await client.invoke()).status).toBe(200);
        const snapshot = fs.statSync(file);
        const simulations = local.authorizer.stats.simulations;
        for (let i = 0; i < 20; i++) expect((await assume(`more-${i}`)).status).toBe(200);
        expect((await client.invoke()).status).toBe(200);
        expect(local.authorizer.stats.simulations).toBe(simulations);
        const after = fs.statSync(file);
        expect([after.ino, after.mtimeMs, after.size]).toEqual([snapshot.ino, snapshot.mtimeMs, snapshot.size]);
        expect(fs.statSync(`${file}.sessions`).mode & 0o777).toBe(0o600);
      } finally {
        await local.close();
      }
      const restarted = await startLocalAws({ snapshotFile: file });
      try {
        const who = await query(restarted, 'sts', { Action: 'GetCallerIdentity' }, credentials);
        expect(xmlValue(who.text, 'Arn')).toMatch(/assumed-role\/function_invoker\/first$/);
        expect(Object.keys(restarted.world.state.sessions)).toHaveLength(21);
        // A full write folds the journal into the snapshot.
        await query(restarted, 'iam', { Action: 'CreateUser', UserName: 'folds' });
        expect(fs.existsSync(`${file}.sessions`)).toBe(false);
        expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).sessions)).toHaveLength(21);
      } finally {
        await restarted.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
