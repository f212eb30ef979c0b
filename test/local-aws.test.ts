import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsCredentialIdentity } from '@smithy/types';
import { AssumeRoleCredentials } from '../client/credentials';
import { FunctionUrlClient } from '../client/function-url-client';
import { signRequest } from '../client/sigv4';
import { startLocalAws } from '../local-aws/server';
import { SeededWorld, callApi, query, seedWorld, xmlValue } from './support/local-aws-fixtures';
import { zipFiles } from '../constructs/zip-writer';
import { useTempDir } from './support/temp-dir';

const temp = useTempDir('local-aws-');

let world: SeededWorld;
let session: Awaited<ReturnType<AssumeRoleCredentials['getCredentials']>>;

beforeAll(async () => {
  world = await seedWorld();
  session = await new AssumeRoleCredentials({ roleArn: world.roleArn, externalId: world.externalId, sourceCredentials: world.userKey, stsEndpoint: world.local.endpoint, sessionName: 'stand-in', propagationWaitSeconds: 0 }).getCredentials();
});
afterAll(async () => {
  await world.local.close();
});

const account = () => world.local.world.accountId;
const lambdaGet = (path: string, creds: AwsCredentialIdentity = session) => callApi(world.local, 'lambda', { method: 'GET', path }, creds);

describe('IAM enforcement through the wire', () => {
  it("the invoker user's key may assume the role and nothing else", async () => {
    const denied = [
      await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'lambda_invoker' }, world.userKey),
      await query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, world.userKey),
      await query(world.local, 'iam', { Action: 'PutUserPolicy', UserName: 'lambda_invoker', PolicyName: 'x', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }, world.userKey),
      await query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: '{}' }, world.userKey),
    ];
    for (const r of denied) {
      expect(r.status).toBe(403);
      expect(xmlValue(r.text, 'Code')).toBe('AccessDenied');
    }
    expect(xmlValue(denied[0].text, 'Message')).toContain(`User: arn:aws:iam::${account()}:user/lambda_invoker is not authorized to perform: iam:CreateAccessKey`);
    for (const path of ['/2015-03-31/functions/echo', '/2021-10-31/functions/echo/url']) {
      const r = await lambdaGet(path, world.userKey);
      expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'AccessDeniedException']);
    }
    const logs = await callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' }, world.userKey);
    expect(JSON.parse(logs.text).__type).toBe('AccessDeniedException');
    const userUrl = await new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: { getCredentials: async () => world.userKey } }).invoke();
    expect(userUrl.status).toBe(403);
  });

  it("the role's session may call its URL and nothing else", async () => {
    for (const path of ['/2015-03-31/functions/echo', '/2015-03-31/functions/echo/policy']) {
      expect((await lambdaGet(path)).status).toBe(403);
    }
    const deleteFn = await callApi(world.local, 'lambda', { method: 'DELETE', path: '/2015-03-31/functions/echo' }, session);
    expect(deleteFn.status).toBe(403);
    expect((await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'lambda_invoker' }, session)).status).toBe(403);
    expect((await query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'chain', ExternalId: world.externalId }, session)).status).toBe(403);
    expect(Object.keys(world.local.world.state.functions)).toContain('echo');
  });

  it('GetCallerIdentity answers for the user and for the session', async () => {
    const user = await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, world.userKey);
    expect(xmlValue(user.text, 'Arn')).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    const s = await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, session);
    expect(xmlValue(s.text, 'Arn')).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/stand-in`);
    expect(xmlValue(s.text, 'UserId')).toMatch(/^AROA[A-Z2-7]+:stand-in$/);
  });

  it('the IAM decisions are cached without changing them, and the cache is dropped when the world changes', async () => {
    const stats = world.local.authorizer.stats;
    const c = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: { getCredentials: async () => session } });
    await c.invoke();
    const before = { ...stats };
    await c.invoke();
    expect(stats.simulations).toBe(before.simulations);
    expect(stats.cacheHits).toBe(before.cacheHits + 2);
    await query(world.local, 'iam', { Action: 'CreateUser', UserName: 'cache-buster' });
    await c.invoke();
    expect(stats.simulations).toBe(before.simulations + 2);
  });
});

describe('global condition keys', () => {
  it('a trust policy conditioned on aws:PrincipalArn lets only that principal in', async () => {
    const allowAssume = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] });
    const keys: Record<string, { accessKeyId: string; secretAccessKey: string }> = {};
    for (const name of ['pa-chosen', 'pa-other']) {
      await query(world.local, 'iam', { Action: 'CreateUser', UserName: name });
      await query(world.local, 'iam', { Action: 'PutUserPolicy', UserName: name, PolicyName: 'AssumeAny', PolicyDocument: allowAssume });
      const key = await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: name });
      keys[name] = { accessKeyId: xmlValue(key.text, 'AccessKeyId'), secretAccessKey: xmlValue(key.text, 'SecretAccessKey') };
    }
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account()}:root` }, Action: 'sts:AssumeRole', Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${account()}:user/pa-chosen` } } }] };
    expect((await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'pa-role', AssumeRolePolicyDocument: JSON.stringify(trust) })).status).toBe(200);
    const assume = (name: string) => query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${account()}:role/pa-role`, RoleSessionName: name }, keys[name]);
    expect((await assume('pa-chosen')).status).toBe(200);
    const other = await assume('pa-other');
    expect([other.status, xmlValue(other.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });
});

describe('STS AssumeRole rules', () => {
  const assume = (params: Record<string, string>) => query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'rules', ExternalId: world.externalId, ...params }, world.userKey);
  it.each([
    [{ DurationSeconds: '7200' }, 400, 'ValidationError', /MaxSessionDuration/],
    [{ DurationSeconds: '600' }, 400, 'ValidationError', /greater than or equal to 900/],
    [{ RoleSessionName: 'has space' }, 400, 'ValidationError', /roleSessionName/],
    [{ RoleSessionName: 'x' }, 400, 'ValidationError', /between 2 and 64/],
    [{ Policy: 'x'.repeat(2049) }, 400, 'ValidationError', /2048/],
    [{ Policy: '{not json' }, 400, 'MalformedPolicyDocument', /JSON/],
    [{ ExternalId: 'wrong-id' }, 403, 'AccessDenied', /sts:AssumeRole/],
    [{ RoleArn: `arn:aws:iam::123456789012:role/no_such_role` }, 403, 'AccessDenied', /no_such_role/],
  ])('%j -> %i %s', async (params, status, code, message) => {
    const r = await assume(params);
    expect(r.status).toBe(status);
    expect(xmlValue(r.text, 'Code')).toBe(code);
    expect(xmlValue(r.text, 'Message')).toMatch(message);
  });

  it('issues ASIA credentials with an expiry and the assumed-role user', async () => {
    const r = await assume({ DurationSeconds: '900' });
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'AccessKeyId')).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const expiration = new Date(xmlValue(r.text, 'Expiration')).getTime();
    expect(Math.abs(expiration - (Date.now() + 900_000))).toBeLessThan(5000);
    expect(xmlValue(r.text, 'Arn')).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/rules`);
  });
});

describe('the handler execution contract', () => {
  const contract = (request: Parameters<FunctionUrlClient['invoke']>[0] = {}) =>
    new FunctionUrlClient({ url: world.urls.contract, region: 'us-east-1', credentials: { getCredentials: async () => session }, retries: 0 }).invoke(request);

  it('passes the payload format 2.0 event with the IAM caller', async () => {
    const r = await contract({ method: 'PUT', path: '/a/b%20c', query: 'x=1&x=2&y', headers: { 'content-type': 'application/json', cookie: 'k=v; k2=v2', 'x-trace': 't1' }, body: '{"n":1}' });
    const event = r.json as Record<string, any>;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/a/b%20c',
      rawQueryString: 'x=1&x=2&y',
      cookies: ['k=v', 'k2=v2'],
      queryStringParameters: { x: '1,2', y: '' },
      body: '{"n":1}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'PUT', path: '/a/b%20c', protocol: 'HTTP/1.1' },
        routeKey: '$default',
        stage: '$default',
        authorizer: { iam: { accountId: account(), userArn: `arn:aws:sts::${account()}:assumed-role/function_invoker/stand-in`, accessKey: session.accessKeyId, callerId: expect.stringMatching(/:stand-in$/) } },
      },
    });
    expect(event.headers['x-trace']).toBe('t1');
    expect(event.headers.host).toMatch(/\.lambda-url\.us-east-1\.on\.aws$/);
    expect(event.requestContext.domainName).toBe(event.headers.host);
  });

  it('base64-encodes a binary request body', async () => {
    const event = (await contract({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 2, 255]) })).json as Record<string, any>;
    expect(event).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64') });
  });

  it('maps statusCode, headers, cookies and body; a bare value becomes JSON; base64 bodies are decoded', async () => {
    const teapot = await contract({ query: 'mode=teapot' });
    expect(teapot.status).toBe(418);
    expect(teapot.headers['x-custom']).toBe('yes');
    expect(teapot.text).toBe('short and stout');
    expect(teapot.headers['set-cookie']).toBe('a=1; Path=/, b=2');
    const bare = await contract({ query: 'mode=bare' });
    expect([bare.status, bare.headers['content-type'], bare.json]).toEqual([200, 'application/json', { hello: 'world', n: 1 }]);
    const binary = await contract({ query: 'mode=binary' });
    expect([...binary.body]).toEqual([0, 1, 2, 255]);
  });

  it('gives the handler its environment variables and a context', async () => {
    const env = await contract({ query: 'mode=env' });
    expect(env.json).toMatchObject({ greeting: 'hi', fn: 'contract', remaining: true, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("a handler that throws, or runs past its timeout, gives Lambda's 502", async () => {
    const thrown = await contract({ query: 'mode=throw' });
    expect([thrown.status, thrown.headers['x-amzn-errortype']]).toEqual([502, 'Unhandled']);
    const started = Date.now();
    const slow = await contract({ query: 'mode=sleep' });
    expect([slow.status, slow.headers['x-amzn-errortype']]).toEqual([502, 'Sandbox.Timedout']);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await contract({ query: 'mode=bare' })).status).toBe(200);
  });

  it('refuses a payload over 6 MB with 413', async () => {
    const r = await contract({ method: 'POST', body: 'x'.repeat(6 * 1024 * 1024 + 1), headers: { 'content-type': 'text/plain' } });
    expect([r.status, r.headers['x-amzn-errortype']]).toEqual([413, 'RequestEntityTooLargeException']);
  });

  it('200 concurrent signed invocations: nothing lost, nothing mixed up between callers', async () => {
    const sessions = await Promise.all(['a', 'b'].map((name) => new AssumeRoleCredentials({ roleArn: world.roleArn, externalId: world.externalId, sourceCredentials: world.userKey, stsEndpoint: world.local.endpoint, sessionName: `caller-${name}`, propagationWaitSeconds: 0 })));
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const creds = sessions[i % 2];
      const r = await new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: creds, retries: 0 }).invoke({ method: 'POST', body: `payload-${i}`, headers: { 'content-type': 'text/plain' } });
      return { i, status: r.status, body: (r.json as any).body, caller: (r.json as any).caller.userArn as string };
    }));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toBe(`payload-${r.i}`);
      expect(r.caller.endsWith(`/caller-${r.i % 2 === 0 ? 'a' : 'b'}`)).toBe(true);
    }
  });
});

describe('bad input gets AWS errors and the server stays up', () => {
  it.each([
    ['an IAM call without Action', () => callApi(world.local, 'iam', { body: 'Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, /MissingAction/],
    ['an unknown IAM action', () => query(world.local, 'iam', { Action: 'CreateGroupOfDoom' }), 400, /InvalidAction/],
    ['an IAM call with a JSON content type', () => callApi(world.local, 'iam', { body: '{"Action":"GetUser"}', headers: { 'content-type': 'application/json' } }), 400, /InvalidParameterValue/],
    ['malformed JSON to Lambda', () => callApi(world.local, 'lambda', { path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: '{"FunctionName":' }), 400, /SerializationException/],
    ['an unknown Lambda route', () => callApi(world.local, 'lambda', { method: 'GET', path: '/2099-01-01/gizmos' }), 400, /UnknownOperationException/],
    ['malformed JSON to Logs', () => callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup' }, body: '{{' }), 400, /SerializationException/],
    ['an unknown Logs operation', () => callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.Explode' }, body: '{}' }), 400, /UnknownOperationException/],
    ['an unsigned API call', () => fetch(`${world.local.endpoint}/`, { method: 'POST', body: 'Action=ListUsers&Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then(async (r) => ({ status: r.status, text: await r.text() })), 403, /MissingAuthenticationToken/],
    ['a wrong secret', () => query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, { accessKeyId: world.userKey.accessKeyId, secretAccessKey: 'wrong' }), 403, /SignatureDoesNotMatch/],
    ['an unknown access key', () => query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }), 403, /InvalidClientTokenId/],
  ])('%s', async (_, send, status, code) => {
    const r: { status: number; text: string; headers?: Headers } = await send();
    expect(r.status).toBe(status);
    // Query and JSON 1.1 protocols name the error in the body; Lambda's REST protocol in x-amzn-errortype.
    expect(`${r.text} ${r.headers?.get('x-amzn-errortype') ?? ''}`).toMatch(code);
    const health = await fetch(`${world.local.endpoint}/_local/health`);
    expect(health.status).toBe(200);
  });

  it('a header sent twice is signed and verified as one, joined with ","', async () => {
    const url = new URL(world.local.endpoint);
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const headers: [string, string][] = [['content-type', 'application/x-www-form-urlencoded'], ['x-amz-meta-tag', 'a'], ['x-amz-meta-tag', 'b']];
    const signed = await signRequest({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body }, world.userKey, { region: 'us-east-1', service: 'sts' });
    expect(signed.headers.authorization).toContain('x-amz-meta-tag');
    // fetch would merge the two lines into one "a, b"; node:http sends them as two header lines
    // (with raw headers it adds no Host of its own, so the signed one goes along).
    const wire = [...Object.entries(signed.headers).filter(([n]) => n !== 'x-amz-meta-tag'), ...headers.slice(1)].flat();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: Number(url.port), method: 'POST', path: '/', headers: wire }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
  });

  it("a request replayed outside STS's 15-minute window is refused", async () => {
    const url = new URL(world.local.endpoint);
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const old = await signRequest({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, world.userKey, { region: 'us-east-1', service: 'sts', signingDate: new Date(Date.now() - 16 * 60_000) });
    const r = await fetch(`${world.local.endpoint}/`, { method: 'POST', body, headers: Object.entries(old.headers).filter(([n]) => n !== 'host') });
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/RequestExpired/);
  });

  it('a failed create leaves nothing behind', async () => {
    const badTrust = await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'half', AssumeRolePolicyDocument: '{"Statement":[{"Effect":"Maybe"}]}' });
    expect(xmlValue(badTrust.text, 'Code')).toBe('MalformedPolicyDocument');
    expect(world.local.world.state.roles.half).toBeUndefined();
    const badZip = await callApi(world.local, 'lambda', { path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FunctionName: 'broken', Runtime: 'nodejs20.x', Role: `arn:aws:iam::${account()}:role/exec`, Handler: 'index.handler', Code: { ZipFile: Buffer.from('not a zip').toString('base64') } }) });
    expect([badZip.status, badZip.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterValueException']);
    expect(world.local.world.state.functions.broken).toBeUndefined();
    const noRole = await callApi(world.local, 'lambda', { path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FunctionName: 'orphan', Runtime: 'nodejs20.x', Role: `arn:aws:iam::${account()}:role/none`, Handler: 'index.handler', Code: { ZipFile: zipFiles({ 'index.mjs': '' }).toString('base64') } }) });
    expect(JSON.parse(noRole.text).message).toMatch(/cannot be assumed/);
    expect(world.local.world.state.functions.orphan).toBeUndefined();
  });

  it('answers conflicts like AWS: duplicates, and deleting what is still in use', async () => {
    const dup = await query(world.local, 'iam', { Action: 'CreateUser', UserName: 'LAMBDA_INVOKER' });
    expect([dup.status, xmlValue(dup.text, 'Code')]).toEqual([409, 'EntityAlreadyExists']);
    const userWithKey = await query(world.local, 'iam', { Action: 'DeleteUser', UserName: 'lambda_invoker' });
    expect([userWithKey.status, xmlValue(userWithKey.text, 'Code')]).toEqual([409, 'DeleteConflict']);
    const roleWithPolicy = await query(world.local, 'iam', { Action: 'DeleteRole', RoleName: 'function_invoker' });
    expect(xmlValue(roleWithPolicy.text, 'Code')).toBe('DeleteConflict');
    const missing = await query(world.local, 'iam', { Action: 'GetRole', RoleName: 'nope' });
    expect([missing.status, xmlValue(missing.text, 'Code')]).toEqual([404, 'NoSuchEntity']);
    const urlAgain = await callApi(world.local, 'lambda', { path: '/2021-10-31/functions/echo/url', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ AuthType: 'AWS_IAM' }) });
    expect([urlAgain.status, urlAgain.headers.get('x-amzn-errortype')]).toEqual([409, 'ResourceConflictException']);
  });
});

describe('snapshots', () => {
  it('a second process sees the world the first one left in the snapshot file', async () => {
    const file = path.join(temp(), 'world.json');
    const first = await startLocalAws({ snapshotFile: file });
    await query(first, 'iam', { Action: 'CreateUser', UserName: 'persisted' });
    const key = await query(first, 'iam', { Action: 'CreateAccessKey', UserName: 'persisted' });
    await first.close();
    const second = await startLocalAws({ snapshotFile: file });
    try {
      const credentials = { accessKeyId: xmlValue(key.text, 'AccessKeyId'), secretAccessKey: xmlValue(key.text, 'SecretAccessKey') };
      const who = await query(second, 'sts', { Action: 'GetCallerIdentity' }, credentials);
      expect(xmlValue(who.text, 'Arn')).toBe('arn:aws:iam::123456789012:user/persisted');
    } finally {
      await second.close();
    }
  });
});
