import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest as HttpRequestLike } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, toHttpRequest } from '../client/sigv4';
import { DEFAULT_ADMIN_KEY, LocalAws, startLocalAws } from '../local-aws/server';
import { SeededWorld, callApi, query, seedWorld, xmlValue, wireUrl } from './support/local-aws-fixtures';
import { mapResult } from '../local-aws/function-url-api';
import { HandlerRunner } from '../local-aws/handler-runner';
import { zipFiles } from '../constructs/zip-writer';

const makeTempDir = useTempDir('attack-');
import { useTempDir } from './support/temp-dir';

/**
 * Attacks on the stand-in found in the review of issues 7-10: each test sends what a holder of
 * someone else's signed request, or a client of this account, could send, and proves the
 * stand-in is not more permissive than AWS.
 */

let world: SeededWorld;

beforeAll(async () => {
  world = await seedWorld();
});
afterAll(async () => {
  await world.local.close();
});

const urlOf = (request: HttpRequestLike) => wireUrl(world.local.endpoint, request);

/** Presigned with UNSIGNED-PAYLOAD, as botocore's generate_presigned_url does for every service. */
async function presignUnsigned(service: string, credentials: AwsCredentialIdentity, rawQuery: string, method = 'GET'): Promise<string> {
  const endpoint = new URL(world.local.endpoint);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: true });
  const request = toHttpRequest({ method, protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: '/', rawQuery, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  return urlOf(await signer.presign(request));
}

/** A raw request (fetch refuses a GET with a body; a client need not). */
function rawSend(url: string, method: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a presigned Query-protocol URL whose payload is unsigned', () => {
  it('cannot have its signed Action replaced by a form body: a GetCallerIdentity token is not an AssumeRole', async () => {
    const url = await presignUnsigned('sts', world.userKey, 'Action=GetCallerIdentity&Version=2011-06-15');
    const assume = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(world.roleArn)}&RoleSessionName=stolen&ExternalId=${world.externalId}`;
    const r = await rawSend(url, 'GET', assume);
    expect(r.text).not.toContain('<SecretAccessKey>');
    expect(r.status, r.text).toBe(400);
    // The URL itself still works for what was signed.
    const signed = await rawSend(url, 'GET', '');
    expect(signed.status, signed.text).toBe(200);
    expect(signed.text).toContain('GetCallerIdentityResult');
  });

  it('an admin URL presigned for IAM GetUser cannot create an access key', async () => {
    const url = await presignUnsigned('iam', DEFAULT_ADMIN_KEY, 'Action=GetUser&Version=2010-05-08&UserName=lambda_invoker');
    const r = await rawSend(url, 'GET', 'Action=CreateAccessKey&Version=2010-05-08&UserName=lambda_invoker');
    expect(r.text).not.toContain('<SecretAccessKey>');
    expect(r.status, r.text).toBe(400);
    const post = await presignUnsigned('iam', DEFAULT_ADMIN_KEY, 'Action=GetUser&Version=2010-05-08&UserName=lambda_invoker', 'POST');
    const r2 = await rawSend(post, 'POST', 'Action=CreateAccessKey&Version=2010-05-08&UserName=lambda_invoker');
    expect(r2.text).not.toContain('<SecretAccessKey>');
    expect(r2.status, r2.text).toBe(400);
  });
});

describe('a Logs request whose X-Amz-Target is not signed', () => {
  it('is refused: a captured CreateLogGroup cannot be replayed as DeleteLogGroup', async () => {
    const group = '/attack/target-unsigned';
    const body = JSON.stringify({ logGroupName: group });
    const created = await callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup', 'content-type': 'application/x-amz-json-1.1' }, body });
    expect(created.status, created.text).toBe(200);
    // Signed without the target (as a captured request whose signer left it out), sent with another one.
    const endpoint = new URL(world.local.endpoint);
    const signed = await signRequest({ method: 'POST', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: '/', headers: { 'content-type': 'application/x-amz-json-1.1' }, body }, DEFAULT_ADMIN_KEY, { region: 'us-east-1', service: 'logs' });
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
    const r = await rawSend(world.local.endpoint + '/', 'POST', body, { ...headers, 'x-amz-target': 'Logs_20140328.DeleteLogGroup', 'content-type': 'application/x-amz-json-1.1' });
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('X-Amz-Target');
    expect(world.local.world.state.logGroups[group]).toBeDefined();
  });
});

const ADMIN_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
const listFunctions = (local: { endpoint: string }, credentials: AwsCredentialIdentity) => callApi(local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/' }, credentials);

async function must(response: Promise<{ status: number; text: string }>): Promise<string> {
  const r = await response;
  expect(r.status, r.text).toBe(200);
  return r.text;
}

describe('credentials of a deleted identity never act as a new one with the same name', () => {
  it("a user's GetSessionToken credentials: deleted and recreated with admin rights, the old session is not admin", async () => {
    const local = world.local;
    await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'reborn' }));
    const keyXml = await must(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'reborn' }));
    const key = { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') };
    const tokenXml = await must(query(local, 'sts', { Action: 'GetSessionToken' }, key));
    const temporary = { accessKeyId: xmlValue(tokenXml, 'AccessKeyId'), secretAccessKey: xmlValue(tokenXml, 'SecretAccessKey'), sessionToken: xmlValue(tokenXml, 'SessionToken') };
    expect((await listFunctions(local, temporary)).status).toBe(403);

    await must(query(local, 'iam', { Action: 'DeleteAccessKey', UserName: 'reborn', AccessKeyId: key.accessKeyId }));
    await must(query(local, 'iam', { Action: 'DeleteUser', UserName: 'reborn' }));
    await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'reborn' }));
    await must(query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'reborn', PolicyName: 'Admin', PolicyDocument: ADMIN_POLICY }));
    const r = await listFunctions(local, temporary);
    expect(r.status, r.text).toBe(403);
  });

  it('a role session replayed from the session journal after a crash gets nothing from a role recreated under its name', async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    const snapshotFile = path.join(temp.dir, 'world.json');
    let local = await startLocalAws({ snapshotFile });
    try {
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
      await must(query(local, 'iam', { Action: 'CreateRole', RoleName: 'phoenix', AssumeRolePolicyDocument: trust }));
      const assumed = await must(query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/phoenix', RoleSessionName: 'before' }));
      const session = { accessKeyId: xmlValue(assumed, 'AccessKeyId'), secretAccessKey: xmlValue(assumed, 'SecretAccessKey'), sessionToken: xmlValue(assumed, 'SessionToken') };
      const journal = fs.readFileSync(`${snapshotFile}.sessions`, 'utf8');
      await must(query(local, 'iam', { Action: 'DeleteRole', RoleName: 'phoenix' }));
      await must(query(local, 'iam', { Action: 'CreateRole', RoleName: 'phoenix', AssumeRolePolicyDocument: trust }));
      await must(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'phoenix', PolicyName: 'Admin', PolicyDocument: ADMIN_POLICY }));
      await local.close();
      // A crash between the snapshot's rename and the journal's removal leaves the old lines.
      fs.writeFileSync(`${snapshotFile}.sessions`, journal, { mode: 0o600 });
      local = await startLocalAws({ snapshotFile });
      const r = await listFunctions(local, session);
      expect(r.status, r.text).toBe(403);
    } finally {
      await local.close();
    }
  });
});

/** True while `pid` runs (a zombie waiting to be reaped has ended). */
function running(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** True when `pid` still runs 2 s later (then it is killed: the test leaves nothing behind). */
async function stillRunningAfter2s(pid: number): Promise<boolean> {
  const until = Date.now() + 2000;
  while (running(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const left = running(pid);
  if (left) process.kill(pid, 'SIGKILL');
  return left;
}

const SPAWNER = `import { spawn } from 'node:child_process';
export const handler = async () => { const child = spawn('sleep', ['120'], { stdio: 'ignore' }); child.unref(); return { pid: child.pid }; };`;

describe('processes a handler starts', () => {
  it('end with its environment: none is left running after the stand-in closes', async () => {
    const runner = new HandlerRunner();
    let pid = 0;
    try {
      const outcome = await runner.invoke(
        { name: 'spawner', codeSha256: 'spawner-1', zipBase64: zipFiles({ 'index.mjs': SPAWNER }).toString('base64'), handler: 'index.handler', runtime: 'nodejs20.x', environment: {}, timeoutSeconds: 10, memorySize: 128, arn: 'arn:aws:lambda:us-east-1:123456789012:function:spawner' },
        {},
        'request-1',
      );
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      pid = (outcome as { result: { pid: number } }).result.pid;
      expect(running(pid)).toBe(true);
    } finally {
      await runner.close();
    }
    expect(await stillRunningAfter2s(pid)).toBe(false);
  });

  it('end when the stand-in is gone without closing them (its end of their stdin closes)', async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    fs.writeFileSync(path.join(temp.dir, 'index.mjs'), SPAWNER);
    const runtime = path.join(__dirname, '..', 'dist', 'local-aws', 'handler-process.js');
    const fn = spawn(process.execPath, [runtime], { cwd: temp.dir, env: { LAMBDA_TASK_ROOT: temp.dir, _HANDLER: 'index.handler' }, stdio: ['pipe', 'ignore', 'ignore', 'pipe'], detached: true });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      fn.stdio[3]!.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n')) resolve(text);
      });
      fn.on('exit', () => reject(new Error(`the runtime exited: ${text}`)));
      fn.stdin!.write(`${JSON.stringify({ id: 1, event: {}, context: { deadline: Date.now() + 10_000 } })}\n`);
    });
    const pid = (JSON.parse(line) as { result: { pid: number } }).result.pid;
    expect(running(pid)).toBe(true);
    fn.stdin!.end();
    expect(await stillRunningAfter2s(pid)).toBe(false);
    expect(await stillRunningAfter2s(fn.pid!)).toBe(false);
  });
});

describe("a function URL handler's statusCode", () => {
  it('1xx (an interim answer that would leave the caller waiting for a final one) is a 502, 2xx-5xx pass', () => {
    for (const statusCode of [100, 101, 102, 103, 199]) expect(mapResult({ statusCode, body: 'x' }, 'request').status, String(statusCode)).toBe(502);
    for (const statusCode of [200, 204, 302, 404, 599]) expect(mapResult({ statusCode }, 'request').status).toBe(statusCode);
  });
});

describe('a session token with a long-term key', () => {
  it('is refused as on AWS (InvalidClientTokenId), in the header and in a presigned query', async () => {
    const withToken = { ...world.userKey, sessionToken: 'IQoJb3JpZ2luX2VjEstale' };
    const r = await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, withToken);
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('InvalidClientTokenId');
    const presigned = await rawSend(await presignUnsigned('sts', withToken, 'Action=GetCallerIdentity&Version=2011-06-15'), 'GET', '');
    expect(presigned.status, presigned.text).toBe(403);
    expect((await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, world.userKey)).status).toBe(200);
  });
});

describe('the credential scope region of API calls', () => {
  it('is checked as AWS does: IAM us-east-1, Lambda and Logs the emulated region', async () => {
    const endpoint = new URL(world.local.endpoint);
    const send = async (service: 'iam' | 'lambda' | 'logs', region: string) => {
      const request: { method: string; path: string; headers: Record<string, string>; body: string } = service === 'iam'
        ? { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListUsers&Version=2010-05-08' }
        : service === 'lambda'
          ? { method: 'GET', path: '/2015-03-31/functions/', headers: {}, body: '' }
          : { method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.DescribeLogGroups' }, body: '{}' };
      const signed = await signRequest({ ...request, protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port) }, DEFAULT_ADMIN_KEY, { region, service });
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
      return rawSend(`${world.local.endpoint}${request.path}`, request.method, request.body, headers);
    };
    for (const service of ['iam', 'lambda', 'logs'] as const) {
      expect((await send(service, 'us-east-1')).status, service).toBe(200);
      const r = await send(service, 'eu-west-1');
      expect(r.status, `${service}: ${r.text}`).toBe(403);
      expect(r.text).toContain('scoped to a valid region');
    }
  });
});

describe('a function named by the ARN of another region or account', () => {
  it('is not this account\'s function of the same name (Invoke, GetFunction, DeleteFunction)', async () => {
    const name = Object.keys(world.urls)[0];
    const local = `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
    for (const foreign of [`arn:aws:lambda:eu-west-1:123456789012:function:${name}`, `arn:aws:lambda:us-east-1:999999999999:function:${name}`]) {
      const invoked = await callApi(world.local, 'lambda', { path: `/2015-03-31/functions/${encodeURIComponent(foreign)}/invocations`, body: '{}' });
      expect(invoked.status, invoked.text).toBe(404);
      expect(invoked.text).toContain(foreign);
      const got = await callApi(world.local, 'lambda', { method: 'GET', path: `/2015-03-31/functions/${encodeURIComponent(foreign)}` });
      expect(got.status, got.text).toBe(404);
      const deleted = await callApi(world.local, 'lambda', { method: 'DELETE', path: `/2015-03-31/functions/${encodeURIComponent(foreign)}` });
      expect(deleted.status, deleted.text).toBe(404);
    }
    expect((await callApi(world.local, 'lambda', { path: `/2015-03-31/functions/${encodeURIComponent(local)}/invocations`, body: '{}' })).status).toBe(200);
    expect(world.local.world.state.functions[name]).toBeDefined();
  });
});

describe('DeleteAccessKey without a UserName', () => {
  it("acts on the caller's own keys: a caller without rights learns nothing about whose key an id is, and the admin cannot delete a user's key by id alone", async () => {
    const someone = await must(query(world.local, 'iam', { Action: 'CreateUser', UserName: 'key-owner' }));
    expect(someone).toContain('key-owner');
    const ownerKey = xmlValue(await must(query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'key-owner' })), 'AccessKeyId');
    const probe = async (accessKeyId: string) => query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: accessKeyId }, world.userKey);
    const existing = await probe(ownerKey);
    const missing = await probe('AKIAEXAMPLEMISSING00');
    expect(existing.status).toBe(403);
    expect(existing.text).not.toContain('key-owner');
    expect(existing.text.replace(/<RequestId>[^<]*</, '')).toBe(missing.text.replace(/<RequestId>[^<]*</, ''));
    const byAdmin = await query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: ownerKey });
    expect(byAdmin.status, byAdmin.text).toBe(404);
    expect(world.local.world.state.accessKeys[ownerKey]).toBeDefined();
    await must(query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: ownerKey, UserName: 'key-owner' }));
  });
});

describe('the session journal after a crash', () => {
  it('a line cut short by a crash does not swallow the session appended after the restart', async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    const snapshotFile = path.join(temp.dir, 'world.json');
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
    const assume = async (local: { endpoint: string }) => {
      const xml = await must(query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/journaled', RoleSessionName: 'torn' }));
      return { accessKeyId: xmlValue(xml, 'AccessKeyId'), secretAccessKey: xmlValue(xml, 'SecretAccessKey'), sessionToken: xmlValue(xml, 'SessionToken') };
    };
    let local: LocalAws | undefined;
    const restart = async () => {
      await local?.close();
      local = undefined;
      local = await startLocalAws({ snapshotFile });
      return local;
    };
    try {
      await must(query(await restart(), 'iam', { Action: 'CreateRole', RoleName: 'journaled', AssumeRolePolicyDocument: trust }));
      await assume(local!);
      await local!.close();
      local = undefined;
      fs.appendFileSync(`${snapshotFile}.sessions`, '{"accessKeyId":"ASIATORN');
      const session = await assume(await restart());
      const r = await query(await restart(), 'sts', { Action: 'GetCallerIdentity' }, session);
      expect(r.status, r.text).toBe(200);
    } finally {
      await local?.close();
    }
  });
});

describe('a session tag whose key differs from a role tag only in case', () => {
  it('overrides that role tag (tag keys are case-insensitive): the role tag cannot still grant', async () => {
    const local = world.local;
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] });
    await must(query(local, 'iam', { Action: 'CreateRole', RoleName: 'tagged', AssumeRolePolicyDocument: trust, 'Tags.member.1.Key': 'Team', 'Tags.member.1.Value': 'admin' }));
    const byTeam = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'admin' } } }] });
    await must(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'tagged', PolicyName: 'ByTeam', PolicyDocument: byTeam }));
    const sessionWith = async (tags: Record<string, string>) => {
      const xml = await must(query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/tagged', RoleSessionName: 'tagged', ...tags }));
      return { accessKeyId: xmlValue(xml, 'AccessKeyId'), secretAccessKey: xmlValue(xml, 'SecretAccessKey'), sessionToken: xmlValue(xml, 'SessionToken') };
    };
    expect((await listFunctions(local, await sessionWith({}))).status).toBe(200);
    for (const key of ['Team', 'team', 'TEAM']) {
      const r = await listFunctions(local, await sessionWith({ 'Tags.member.1.Key': key, 'Tags.member.1.Value': 'guest' }));
      expect(r.status, `${key}: ${r.text}`).toBe(403);
    }
  });
});

describe('Logs: another account\'s group ARN and malformed tags', () => {
  const logs = (operation: string, input: unknown) =>
    callApi(world.local, 'logs', { headers: { 'x-amz-target': `Logs_20140328.${operation}`, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(input) });

  it('a group ARN of another account or region is not this account\'s group of the same name', async () => {
    expect((await logs('CreateLogGroup', { logGroupName: '/attack/foreign' })).status).toBe(200);
    for (const arn of ['arn:aws:logs:us-east-1:999999999999:log-group:/attack/foreign', 'arn:aws:logs:eu-west-1:123456789012:log-group:/attack/foreign:*']) {
      const r = await logs('TagResource', { resourceArn: arn, tags: { owner: 'someone-else' } });
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain('ResourceNotFoundException');
    }
    expect(world.local.world.state.logGroups['/attack/foreign'].tags.owner).toBeUndefined();
    const own = await logs('TagResource', { resourceArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/attack/foreign:*', tags: { owner: 'me' } });
    expect(own.status, own.text).toBe(200);
  });

  it('tags that are not a map of strings are a 400 and store nothing', async () => {
    for (const tags of [{ nested: { a: 1 } }, ['a'], 'text', null, { n: 1 }]) {
      const created = await logs('CreateLogGroup', { logGroupName: '/attack/bad-tags', tags });
      expect(created.status, JSON.stringify(tags)).toBe(400);
      const tagged = await logs('TagResource', { resourceArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/attack/foreign', tags });
      expect(tagged.status, JSON.stringify(tags)).toBe(400);
    }
    expect(world.local.world.state.logGroups['/attack/bad-tags']).toBeUndefined();
    expect(Object.keys(world.local.world.state.logGroups['/attack/foreign'].tags)).toEqual(['owner']);
  });
});

describe('CreateFunction environment variables', () => {
  it('are refused as Lambda refuses them (reserved keys, bad names, non-strings, over 4 KB); nothing is created', async () => {
    const create = (name: string, Environment: unknown) =>
      callApi(world.local, 'lambda', {
        path: '/2015-03-31/functions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/exec', Handler: 'index.handler', Environment, Code: { ZipFile: zipFiles({ 'index.mjs': 'export const handler = async () => 1;' }).toString('base64') } }),
      });
    const refused: [unknown, RegExp][] = [
      [{ Variables: { AWS_ACCESS_KEY_ID: 'AKIAFAKE' } }, /reserved keys.*AWS_ACCESS_KEY_ID/],
      [{ Variables: { AWS_REGION: 'eu-west-1' } }, /reserved keys.*AWS_REGION/],
      [{ Variables: { 'NOT-A-NAME': 'x' } }, /regular expression pattern/],
      [{ Variables: { _PRIVATE: 'x' } }, /regular expression pattern/],
      [{ Variables: { COUNT: 3 } }, /must be a string/],
      [{ Variables: 'A=1' }, /map of names/],
      [{ Variables: { BIG: 'x'.repeat(4100) } }, /4KB/],
    ];
    for (const [environment, message] of refused) {
      const r = await create('env-check', environment);
      expect(r.status, `${JSON.stringify(environment).slice(0, 60)}: ${r.text}`).toBe(400);
      expect(r.text).toMatch(message);
      expect(world.local.world.state.functions['env-check']).toBeUndefined();
    }
    const ok = await create('env-check', { Variables: { GREETING: 'hi', NODE_OPTIONS: '--enable-source-maps' } });
    expect(ok.status, ok.text).toBe(201);
    await callApi(world.local, 'lambda', { method: 'DELETE', path: '/2015-03-31/functions/env-check' });
  });
});

describe('a stand-in that cannot listen', () => {
  it('throws and leaves nothing in the temp dir (the handlers\' code directory is removed)', async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    const tmpdir = process.env.TMPDIR;
    try {
      process.env.TMPDIR = temp.dir;
      await expect(startLocalAws({ port: world.local.port })).rejects.toThrow(/EADDRINUSE/);
      expect(fs.readdirSync(temp.dir)).toEqual([]);
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
  });
});

/** A role any principal of the account may assume, with one inline policy: a session of it. */
async function sessionOfNewRole(roleName: string, policyName: string, policyDocument: string, sessionName: string): Promise<AwsCredentialIdentity> {
  const local = world.local;
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
  await must(query(local, 'iam', { Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await must(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: roleName, PolicyName: policyName, PolicyDocument: policyDocument }));
  const xml = await must(query(local, 'sts', { Action: 'AssumeRole', RoleArn: `arn:aws:iam::123456789012:role/${roleName}`, RoleSessionName: sessionName }));
  return { accessKeyId: xmlValue(xml, 'AccessKeyId'), secretAccessKey: xmlValue(xml, 'SecretAccessKey'), sessionToken: xmlValue(xml, 'SessionToken') };
}

describe("an IAM user's own tags", () => {
  it('are aws:PrincipalTag/<key> in its requests: a Deny on a tag the user carries applies', async () => {
    const local = world.local;
    await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'contractor', 'Tags.member.1.Key': 'Team', 'Tags.member.1.Value': 'contractor' }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' },
        { Effect: 'Deny', Action: 'lambda:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'contractor' } } },
      ],
    });
    await must(query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'contractor', PolicyName: 'NotContractors', PolicyDocument: policy }));
    const keyXml = await must(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'contractor' }));
    const key = { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') };
    const r = await listFunctions(local, key);
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('explicit deny');
  });
});

describe('revoking older sessions (the IAM console\'s AWSRevokeOlderSessions policy)', () => {
  it('a Deny with DateLessThan on aws:TokenIssueTime ends the sessions issued before that time', async () => {
    const local = world.local;
    const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' }] });
    const session = await sessionOfNewRole('revocable', 'List', allow, 'older');
    expect((await listFunctions(local, session)).status).toBe(200);
    const revokeBefore = (time: string) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': time } } }] });
    await must(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'revocable', PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: revokeBefore(new Date(Date.now() + 60_000).toISOString()) }));
    const revoked = await listFunctions(local, session);
    expect(revoked.status, revoked.text).toBe(403);
    await must(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'revocable', PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: revokeBefore('2000-01-01T00:00:00Z') }));
    expect((await listFunctions(local, session)).status).toBe(200);
  });
});

describe('aws:MultiFactorAuthPresent', () => {
  it('is false for temporary credentials (no MFA is emulated) and absent for long-term keys, as on AWS', async () => {
    const local = world.local;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } },
      ],
    });
    const session = await sessionOfNewRole('mfa-only', 'NoMfaNoAccess', policy, 'no-mfa');
    const r = await listFunctions(local, session);
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('explicit deny');
    // A long-term key carries no such key: the same Deny does not apply to a user.
    await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'long-term' }));
    await must(query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'long-term', PolicyName: 'NoMfaNoAccess', PolicyDocument: policy }));
    const keyXml = await must(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'long-term' }));
    expect((await listFunctions(local, { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') })).status).toBe(200);
  });
});

describe('a time-limited policy (aws:CurrentTime)', () => {
  it('applies: a Deny after a date in the past refuses, an Allow until that date no longer allows', async () => {
    const local = world.local;
    await must(query(local, 'iam', { Action: 'CreateUser', UserName: 'expired-contractor' }));
    const keyXml = await must(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'expired-contractor' }));
    const key = { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') };
    const put = (statement: Record<string, unknown>[]) =>
      must(query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'expired-contractor', PolicyName: 'Timed', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statement }) }));
    const allowList = { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' };
    await put([allowList, { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }]);
    expect((await listFunctions(local, key)).status).toBe(403);
    await put([{ ...allowList, Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }]);
    expect((await listFunctions(local, key)).status).toBe(403);
    await put([{ ...allowList, Condition: { DateLessThan: { 'aws:EpochTime': String(Math.floor(Date.now() / 1000) + 3600) } } }]);
    expect((await listFunctions(local, key)).status).toBe(200);
  });
});
