import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { AssumeRoleError, ClientOptionError, FunctionUrlNetworkError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import { signRequest } from '../client/sigv4';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { type BodyServer, findClosedPort, startBodyServer } from './support/loopback-servers';
import { STATIC_KEY } from './support/static-profile';

/**
 * The sending layer, FunctionUrlClient: against the local stand-in for AWS (real STS through
 * AWS_ENDPOINT_URL_STS, real SigV4 verification and IAM evaluation at the function URL), and
 * against stub fetches and loopback servers for what the stand-in does not play (pauses, large
 * bodies, unreachable hosts).
 */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

let world: SeededWorld;
let closedPort: number;
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
    const response = await client().invoke({
      method: 'POST',
      path: '/orders/42',
      query: 'b=x+y&a=1&a=2',
      body: '{"hello":"world"}',
      headers: { 'content-type': 'application/json' },
    });
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
    [
      'a signed header',
      (url: string, init: RequestInit): [string, RequestInit] => [
        url,
        {
          ...init,
          headers: (init.headers as [string, string][]).map(([n, v]) => [
            n,
            n.toLowerCase() === 'x-amz-date' ? v.replace(/\d\dZ$/, (seconds) => (seconds === '00Z' ? '01Z' : '00Z')) : v,
          ]),
        },
      ],
    ],
  ])('refuses a request whose %s was changed after signing (403)', async (_, change) => {
    const response = await client({ fetch: tamperingFetch(change) }).invoke({
      method: 'POST',
      path: '/orders/42',
      query: 'a=1',
      body: '{"hello":"world"}',
    });
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toMatch(/InvalidSignatureException|AccessDeniedException/);
  });

  it('refuses a wrong secret, a missing session token and a foreign session token', async () => {
    const session = await credentials().getCredentials();
    const wrongSecret = await client({
      credentials: { getCredentials: async () => ({ ...session, secretAccessKey: `${session.secretAccessKey}x` }) },
    }).invoke();
    expect([wrongSecret.status, wrongSecret.headers['x-amzn-errortype']]).toEqual([403, 'InvalidSignatureException']);
    const noToken = await client({
      credentials: { getCredentials: async () => ({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }) },
    }).invoke();
    expect([noToken.status, noToken.headers['x-amzn-errortype']]).toEqual([403, 'UnrecognizedClientException']);
    const other = await credentials({ sessionName: 'other-session' }).getCredentials();
    const foreignToken = await client({
      credentials: { getCredentials: async () => ({ ...session, sessionToken: other.sessionToken }) },
    }).invoke();
    expect(foreignToken.status).toBe(403);
  });

  it('refuses a request signed more than 5 minutes off the server clock, and accepts one within', async () => {
    const session = await credentials().getCredentials();
    const url = new URL(world.urls.echo);
    const send = async (skewMs: number) => {
      const signed = await signRequest(
        { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname },
        session,
        { region: 'us-east-1', service: 'lambda', signingDate: new Date(Date.now() + skewMs) },
      );
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
      const signed = await signRequest(
        { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname },
        session,
        { region: 'us-east-1', service: 'lambda', signingDate: now() },
      );
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
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.invoke({ method: 'POST', body: `call-${i}`, headers: { 'content-type': 'text/plain' } })),
    );
    expect(creds.assumeRoleCalls).toBe(1);
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(responses.map((r) => (r.json as { body: string }).body)).toEqual(Array.from({ length: 100 }, (_, i) => `call-${i}`));
  });

  it('AssumeRole without the external ID is refused, with hints on the trust policy and the external ID', async () => {
    const error = await credentials({ externalId: undefined })
      .getCredentials()
      .catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.stsCode).toBe('AccessDenied');
    expect(error.hints.join(' ')).toMatch(/trust policy.*|external ID/);
  });

  it('a scope-down session policy without InvokeFunction takes the URL away', async () => {
    const onlyUrl = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: '*' }],
    });
    const response = await client({ credentials: credentials({ sessionPolicy: onlyUrl, sessionName: 'narrowed' }) }).invoke();
    expect(response.status).toBe(403);
  });

  it('the session cannot call a function it was not granted', async () => {
    expect((await client({ url: world.urls.other }).invoke()).status).toBe(403);
  });

  it('a network failure is a clear error after the retries', async () => {
    const sleeps: number[] = [];
    const unreachable = new FunctionUrlClient({
      url: `http://127.0.0.1:${closedPort}/lambda-url/x/`,
      region: 'us-east-1',
      unsigned: true,
      retries: 2,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    const error = await unreachable.invoke().catch((e) => e);
    expect(error).toBeInstanceOf(FunctionUrlNetworkError);
    expect(error.code).toBe('network');
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
    const response = await client({
      fetch: flaky,
      retries: 3,
      sleep: async (ms) => {
        slept += ms;
      },
    }).invoke();
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(3);
    expect(dates).toHaveLength(3);
    // Two backoffs, each within its exponential cap (200 ms, then 400 ms).
    expect(slept).toBeLessThanOrEqual(600);
  });
});

describe('a client without credentials', () => {
  it('refuses to send: a forgotten option is not quietly an unsigned call', async () => {
    const sent: string[] = [];
    const client = new FunctionUrlClient({
      url: URL_OF_FUNCTION,
      fetch: (async (input: string) => {
        sent.push(input);
        return new Response('x');
      }) as unknown as typeof fetch,
    });
    const call = client.invoke({ path: '/orders' });
    await expect(call).rejects.toBeInstanceOf(ClientOptionError);
    await expect(call).rejects.toMatchObject({ code: 'invalid-option', option: 'credentials' });
    await expect(call).rejects.toThrow(/credentials are required to send a request.*unsigned: true/);
    expect(sent).toEqual([]);
  });

  it('sends unsigned only when asked, and never with credentials as well', async () => {
    const sent: Headers[] = [];
    const fetchStub = (async (_: string, init: RequestInit) => {
      sent.push(new Headers(init.headers));
      return new Response('{}', { status: 403 });
    }) as unknown as typeof fetch;
    const response = await new FunctionUrlClient({ url: URL_OF_FUNCTION, unsigned: true, retries: 0, fetch: fetchStub }).invoke({});
    expect(response.status).toBe(403);
    expect(sent[0].has('authorization')).toBe(false);
    expect(
      () =>
        new FunctionUrlClient({
          url: URL_OF_FUNCTION,
          unsigned: true,
          credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }),
        }),
    ).toThrow(/unsigned cannot be combined with credentials/);
  });
});

/**
 * A fetch whose answer has its whole body ready: the server never pauses. Like Node's fetch, an
 * abort of the request's signal errors the body (and drops what was not read yet).
 */
function fetchWithReadyBody(chunks: string[]): typeof fetch {
  return (async (_url: string, init: RequestInit) => {
    const pending = [...chunks];
    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
        },
        pull(controller) {
          const next = pending.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: 200 });
  }) as unknown as typeof fetch;
}

describe('streaming: the idle timeout measures the server, not the reader', () => {
  it('a reader slower than the timeout (a pipe to a slow consumer, backpressure) still gets the whole body', async () => {
    const client = new FunctionUrlClient({
      url: URL_OF_FUNCTION,
      credentials: { getCredentials: async () => STATIC_KEY },
      timeoutMs: 50,
      retries: 0,
      fetch: fetchWithReadyBody(['first ', 'second ', 'third']),
    });
    const response = await client.invokeStreaming();
    const received: string[] = [];
    for await (const chunk of response.body) {
      received.push(Buffer.from(chunk).toString('utf8'));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(received.join('')).toBe('first second third');
  });

  it('a server that pauses longer than the timeout mid-body is still cut off', async () => {
    const fetchPausing = (async (_url: string, init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first'));
          init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
        },
      });
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({
      url: URL_OF_FUNCTION,
      credentials: { getCredentials: async () => STATIC_KEY },
      timeoutMs: 50,
      retries: 0,
      fetch: fetchPausing,
    });
    const response = await client.invokeStreaming();
    const read = async () => {
      for await (const _ of response.body) void _;
    };
    await expect(read()).rejects.toThrow(/paused for more than its timeout/);
  });
});

describe('bodies: invoke() reads at most maxBodyBytes; invokeStreaming() hands the body out as it comes', () => {
  let server: BodyServer;
  beforeAll(async () => {
    server = await startBodyServer();
  });
  afterAll(() => server.close());

  it('a 3 MiB body: invoke() keeps 100 bytes and says it was truncated; invokeStreaming() yields it all, in chunks', async () => {
    const client = new FunctionUrlClient({ url: server.url, region: 'us-east-1', maxBodyBytes: 100, unsigned: true });
    const bounded = await client.invoke({ query: 'mb=3' });
    expect([bounded.body.length, bounded.truncated]).toEqual([100, true]);
    const streaming = await client.invokeStreaming({ query: 'mb=3' });
    let chunks = 0;
    let total = 0;
    for await (const chunk of streaming.body) {
      chunks++;
      total += chunk.length;
    }
    expect(total).toBe(3 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(1);
  });
});
