import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { AssumeRoleError, FunctionUrlNetworkError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import { signRequest } from '../client/sigv4';
import { SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { runCli } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

const temp = useTempDir('client-e2e-');

/**
 * The client end to end against the local stand-in for AWS: real STS (AWS_ENDPOINT_URL_STS),
 * real SigV4 verification and IAM evaluation at the function URL.
 */

let world: SeededWorld;
let closedPort: number;

/** A loopback port nothing listens on (fetch refuses well-known ones like 9 outright). */
async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);

beforeAll(async () => {
  world = await seedWorld({ now });
  closedPort = await findClosedPort();
});
afterAll(async () => {
  await world.local.close();
});

function credentials(options: Partial<ConstructorParameters<typeof AssumeRoleCredentials>[0]> = {}) {
  return new AssumeRoleCredentials({
    roleArn: world.roleArn,
    externalId: world.externalId,
    sourceCredentials: world.userKey,
    stsEndpoint: world.local.endpoint,
    sessionName: 'e2e',
    propagationWaitSeconds: 0,
    ...options,
  });
}

function client(options: Partial<ConstructorParameters<typeof FunctionUrlClient>[0]> = {}) {
  return new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: credentials(), retries: 0, ...options });
}

/** A fetch that changes the request after it was signed. */
function tamperingFetch(change: (url: string, init: RequestInit) => [string, RequestInit]): typeof fetch {
  return ((url: string, init: RequestInit) => fetch(...change(url, init))) as typeof fetch;
}

describe('the client against the local stand-in', () => {
  it('assumes the role and calls the URL: 200 with the assumed-role caller, body, path and query as sent', async () => {
    const response = await client().invoke({ method: 'POST', path: '/orders/42', query: 'b=x+y&a=1&a=2', body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      method: 'POST',
      path: '/orders/42',
      // Sent as its canonical encoding: the raw '+' (a space) goes on the wire as %20.
      rawQueryString: 'b=x%20y&a=1&a=2',
      queryStringParameters: { a: '1,2', b: 'x y' },
      body: '{"hello":"world"}',
      caller: { accountId: '123456789012', userArn: 'arn:aws:sts::123456789012:assumed-role/function_invoker/e2e' },
    });
  });

  it.each([
    ['the body', (url: string, init: RequestInit): [string, RequestInit] => [url, { ...init, body: '{"hello":"mallory"}' }]],
    ['the query', (url: string, init: RequestInit): [string, RequestInit] => [url.replace('a=1', 'a=2'), init]],
    ['the path', (url: string, init: RequestInit): [string, RequestInit] => [url.replace('/orders/', '/admin/'), init]],
    ['a signed header', (url: string, init: RequestInit): [string, RequestInit] => [url, { ...init, headers: (init.headers as [string, string][]).map(([n, v]) => [n, n.toLowerCase() === 'x-amz-date' ? v.replace(/\d\dZ$/, (seconds) => (seconds === '00Z' ? '01Z' : '00Z')) : v]) }]],
  ])('refuses a request whose %s was changed after signing (403)', async (_, change) => {
    const response = await client({ fetch: tamperingFetch(change) }).invoke({ method: 'POST', path: '/orders/42', query: 'a=1', body: '{"hello":"world"}' });
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toMatch(/InvalidSignatureException|AccessDeniedException/);
  });

  it('refuses a wrong secret, a missing session token and a foreign session token', async () => {
    const session = await credentials().getCredentials();
    const wrongSecret = await client({ credentials: { getCredentials: async () => ({ ...session, secretAccessKey: `${session.secretAccessKey}x` }) } }).invoke();
    expect([wrongSecret.status, wrongSecret.headers['x-amzn-errortype']]).toEqual([403, 'InvalidSignatureException']);
    const noToken = await client({ credentials: { getCredentials: async () => ({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }) } }).invoke();
    expect([noToken.status, noToken.headers['x-amzn-errortype']]).toEqual([403, 'UnrecognizedClientException']);
    const other = await credentials({ sessionName: 'other-session' }).getCredentials();
    const foreignToken = await client({ credentials: { getCredentials: async () => ({ ...session, sessionToken: other.sessionToken }) } }).invoke();
    expect(foreignToken.status).toBe(403);
  });

  it('refuses a request signed more than 5 minutes off the server clock, and accepts one within', async () => {
    const session = await credentials().getCredentials();
    const url = new URL(world.urls.echo);
    const send = async (skewMs: number) => {
      const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname }, session, { region: 'us-east-1', service: 'lambda', signingDate: new Date(Date.now() + skewMs) });
      return fetch(world.urls.echo, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
    };
    expect((await send(-6 * 60_000)).status).toBe(403);
    expect((await send(6 * 60_000)).status).toBe(403);
    expect((await send(-4 * 60_000)).status).toBe(200);
  });

  it('refuses a signature for the wrong region or service', async () => {
    expect((await client({ region: 'eu-west-1' }).invoke()).status).toBe(403);
    expect((await client({ service: 'execute-api' }).invoke()).status).toBe(403);
  });

  it('expired credentials are refused by the URL, and the client refreshes exactly once before they expire', async () => {
    const session = await credentials({ durationSeconds: 900, refreshBeforeExpirySeconds: 60 }).getCredentials();
    const url = new URL(world.urls.echo);
    clockOffsetMs = 901_000; // the server is 15 minutes later; the request is signed at that time too
    try {
      const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname }, session, { region: 'us-east-1', service: 'lambda', signingDate: now() });
      const stale = await fetch(world.urls.echo, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
      expect([stale.status, stale.headers.get('x-amzn-errortype')]).toEqual([403, 'ExpiredTokenException']);
    } finally {
      clockOffsetMs = 0;
    }
    let fakeNow = Date.now();
    const refreshing = credentials({ durationSeconds: 900, refreshBeforeExpirySeconds: 60, clock: () => fakeNow });
    const c = client({ credentials: refreshing });
    expect((await c.invoke()).status).toBe(200);
    const first = await refreshing.getCredentials();
    fakeNow += 850_000; // inside the refresh window: answered with the old key, refreshed in the background
    const during = await Promise.all(Array.from({ length: 10 }, () => c.invoke()));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refreshing.assumeRoleCalls).toBe(2);
    expect((await refreshing.getCredentials()).accessKeyId).not.toBe(first.accessKeyId);
  });

  it('100 concurrent calls share one AssumeRole, and each gets its own answer', async () => {
    const creds = credentials({ sessionName: 'concurrent' });
    const c = client({ credentials: creds });
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => c.invoke({ method: 'POST', body: `call-${i}`, headers: { 'content-type': 'text/plain' } })));
    expect(creds.assumeRoleCalls).toBe(1);
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(responses.map((r) => (r.json as { body: string }).body)).toEqual(Array.from({ length: 100 }, (_, i) => `call-${i}`));
  });

  it('AssumeRole without the external ID is refused, with hints on the trust policy and the external ID', async () => {
    const error = await credentials({ externalId: undefined }).getCredentials().catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.stsCode).toBe('AccessDenied');
    expect(error.hints.join(' ')).toMatch(/trust policy.*|external ID/);
  });

  it('a scope-down session policy without InvokeFunction takes the URL away', async () => {
    const onlyUrl = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: '*' }] });
    const response = await client({ credentials: credentials({ sessionPolicy: onlyUrl, sessionName: 'narrowed' }) }).invoke();
    expect(response.status).toBe(403);
  });

  it('the session cannot call a function it was not granted', async () => {
    expect((await client({ url: world.urls.other }).invoke()).status).toBe(403);
  });

  it('a network failure is a clear error after the retries', async () => {
    const sleeps: number[] = [];
    const unreachable = new FunctionUrlClient({ url: `http://127.0.0.1:${closedPort}/lambda-url/x/`, region: 'us-east-1', unsigned: true, retries: 2, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    const error = await unreachable.invoke().catch((e) => e);
    expect(error).toBeInstanceOf(FunctionUrlNetworkError);
    expect(error.message).toMatch(/after 3 attempt\(s\): ECONNREFUSED/);
    expect(sleeps).toEqual([100, 200]);
  });

  it('retries 5xx with backoff and re-signs each attempt', async () => {
    const dates: string[] = [];
    let calls = 0;
    const flaky = (async (url: string, init: RequestInit) => {
      dates.push(String((init.headers as [string, string][]).find(([n]) => n === 'x-amz-date')?.[1]));
      calls++;
      return calls < 3 ? new Response('busy', { status: 503 }) : fetch(url, init);
    }) as typeof fetch;
    let slept = 0;
    const response = await client({ fetch: flaky, retries: 3, sleep: async (ms) => void (slept += ms) }).invoke();
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(3);
    expect(dates).toHaveLength(3);
  });
});

describe('the invoke CLI against the local stand-in', () => {
  let outputsFile: string;
  beforeAll(() => {
    outputsFile = path.join(temp(), 'outputs.json');
    fs.writeFileSync(outputsFile, JSON.stringify({
      'lambda-url-iam-demo': { ProtectedUrl: {
        function_url: world.urls.echo, invoker_role_arn: world.roleArn, region: 'us-east-1', external_id: world.externalId,
        invoker_access_key_id: world.userKey.accessKeyId, invoker_secret_access_key: world.userKey.secretAccessKey, max_session_duration: 3600,
      } },
    }));
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { AWS_ENDPOINT_URL_STS: world.local.endpoint, ...env });

  it('--prove passes: unsigned 403, user key 403, assumed role 200 with the caller', async () => {
    const result = await cli(['--outputs', outputsFile, '--prove']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/PASS\s+unsigned request/);
    expect(result.stdout).toMatch(/PASS\s+signed with the invoker user's own key/);
    expect(result.stdout).toMatch(/PASS\s+signed with the assumed role .*assumed-role\/function_invoker\//);
  });

  it('--prove fails (exit 6) when the deployment lets the user key in', async () => {
    const file = outputsFile.replace('outputs.json', 'open.json');
    const open = JSON.parse(fs.readFileSync(outputsFile, 'utf8'));
    open['lambda-url-iam-demo'].ProtectedUrl.function_url = world.urls.other; // the session may not call it
    fs.writeFileSync(file, JSON.stringify(open));
    const result = await cli(['--outputs', file, '--prove']);
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/FAIL\s+signed with the assumed role/);
  });

  it('--repeat calls STS once; --json prints one result object', async () => {
    const repeated = await cli(['--outputs', outputsFile, '--repeat', '5']);
    expect(repeated.code).toBe(0);
    expect(repeated.stderr).toContain('5 call(s); STS AssumeRole was called 1 time(s)');
    expect(repeated.stdout.trim().split('\n').map((line) => JSON.parse(line).caller.userArn)).toHaveLength(5);
    const json = await cli(['--outputs', outputsFile, '--json', '--data', 'ping', '-H', 'content-type: text/plain', '--path', '/x']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ status: 200, body: { body: 'ping', path: '/x' }, assumeRoleCalls: 1, timing: { attempts: 1 } });
  });

  it('distinct exit codes: 4 for a refusal, 2 for usage errors, 5 for a network failure', async () => {
    expect((await cli(['--outputs', outputsFile, '--url', world.urls.other])).code).toBe(4);
    expect((await cli(['--outputs', outputsFile, '--duration', '60'])).code).toBe(2);
    expect((await cli(['--url', 'not a url', '--role-arn', world.roleArn])).code).toBe(2);
    expect((await cli(['--outputs', '/nonexistent/outputs.json'])).code).toBe(2);
    expect((await cli(['--outputs', outputsFile, '-H', 'no-colon'])).code).toBe(2);
    const network = await cli(['--outputs', outputsFile, '--url', `http://127.0.0.1:${closedPort}/lambda-url/x/`, '--retries', '0']);
    expect(network.code).toBe(5);
    expect(network.stderr).toMatch(/ECONNREFUSED/);
    const denied = await cli(['--outputs', outputsFile, '--external-id', 'wrong-id', '--propagation-wait', '0']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/external ID/);
  });

  it('never prints a secret or a session token, in any mode', async () => {
    const tokens: string[] = [];
    const runs = [
      await cli(['--outputs', outputsFile, '--verbose', '--data', 'x']),
      await cli(['--outputs', outputsFile, '--verbose', '--json']),
      await cli(['--outputs', outputsFile, '--prove', '--verbose']),
      await cli(['--outputs', outputsFile, '--prove', '--json']),
      await cli(['--outputs', outputsFile, '--repeat', '2', '--verbose']),
      await cli(['--outputs', outputsFile, '--url', world.urls.other, '--verbose']),
      await cli(['--outputs', outputsFile, '--external-id', 'wrong-id', '--json', '--propagation-wait', '0']),
    ];
    for (const [, session] of Object.entries(world.local.world.state.sessions)) tokens.push(session.sessionToken, session.secretAccessKey);
    expect(tokens.length).toBeGreaterThan(4);
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).toContain('canonical request');
    expect(everything).toContain('<session token redacted>');
    for (const secret of [world.userKey.secretAccessKey, ...tokens]) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(world.userKey.accessKeyId);
  });

  it('--help documents every option and the exit codes', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const option of ['--outputs', '--url', '--role-arn', '--external-id', '--session-name', '--duration', '--session-policy', '--region', '--method', '--data', '-H', '--query', '--prove', '--repeat', '--interval', '--json', '--verbose']) {
      expect(help.stdout).toContain(option);
    }
    expect(help.stdout).toMatch(/Exit codes/);
  });
});
