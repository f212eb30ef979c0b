import * as http from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { FunctionUrlClient } from '../client/function-url-client';
import { describeSignedRequest, signRequest } from '../client/sigv4';
import { mapResult } from '../local-aws/function-url-api';
import { type SeededWorld, deployFunction } from './support/local-aws-fixtures';
import { useSeededSession } from './support/seeded-world-hooks';

/**
 * Function URLs (local-aws/function-url-api.ts): the payload format 2.0 event a handler gets, how
 * its result is mapped (and refused when Node could not send it), and routing on the path the
 * signature covers.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

useSeededSession('stand-in', (seeded) => {
  ({ world, session } = seeded);
});

const account = () => world.local.world.accountId;
const urlId = (url: string) => new URL(url).pathname.split('/')[2];
const alive = async () => (await fetch(`${world.local.endpoint}/_local/health`)).status === 200;

/** Sends exactly these bytes of request line and headers (fetch would normalize the path). */
function rawRequest(options: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const endpoint = new URL(world.local.endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: endpoint.hostname, port: Number(endpoint.port), method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Signs a function URL request for `signedPath` and returns the headers to send (host included). */
async function signUrlRequest(
  signedPath: string,
  rawQuery: string | undefined,
  credentials: AwsCredentialIdentity,
  headers: Record<string, string> = {},
) {
  const endpoint = new URL(world.local.endpoint);
  const signed = await signRequest(
    { method: 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: signedPath, rawQuery, headers },
    credentials,
    { region: 'us-east-1', service: 'lambda' },
  );
  return signed.headers as Record<string, string>;
}

describe('the handler execution contract', () => {
  const contract = (request: Parameters<FunctionUrlClient['invoke']>[0] = {}) =>
    new FunctionUrlClient({
      url: world.urls.contract,
      region: 'us-east-1',
      credentials: { getCredentials: async () => session },
      retries: 0,
    }).invoke(request);

  it('passes the payload format 2.0 event with the IAM caller', async () => {
    const r = await contract({
      method: 'PUT',
      path: '/a/b%20c',
      query: 'x=1&x=2&y',
      headers: { 'content-type': 'application/json', cookie: 'k=v; k2=v2', 'x-trace': 't1' },
      body: '{"n":1}',
    });
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
        authorizer: {
          iam: {
            accountId: account(),
            userArn: `arn:aws:sts::${account()}:assumed-role/function_invoker/stand-in`,
            accessKey: session.accessKeyId,
            callerId: expect.stringMatching(/:stand-in$/),
          },
        },
      },
    });
    expect(event.headers['x-trace']).toBe('t1');
    expect(event.headers.host).toMatch(/\.lambda-url\.us-east-1\.on\.aws$/);
    expect(event.requestContext.domainName).toBe(event.headers.host);
  });

  it('base64-encodes a binary request body', async () => {
    const event = (
      await contract({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 2, 255]) })
    ).json as Record<string, any>;
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
    expect(env.json).toMatchObject({
      greeting: 'hi',
      fn: 'contract',
      remaining: true,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
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
    const sessions = await Promise.all(
      ['a', 'b'].map(
        (name) =>
          new AssumeRoleCredentials({
            roleArn: world.roleArn,
            externalId: world.externalId,
            sourceCredentials: world.userKey,
            stsEndpoint: world.local.endpoint,
            sessionName: `caller-${name}`,
            propagationWaitSeconds: 0,
          }),
      ),
    );
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const creds = sessions[i % 2];
        const r = await new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: creds, retries: 0 }).invoke({
          method: 'POST',
          body: `payload-${i}`,
          headers: { 'content-type': 'text/plain' },
        });
        return { i, status: r.status, body: (r.json as any).body, caller: (r.json as any).caller.userArn as string };
      }),
    );
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).toBe(`payload-${r.i}`);
      expect(r.caller.endsWith(`/caller-${r.i % 2 === 0 ? 'a' : 'b'}`)).toBe(true);
    }
  });
});

describe('a response header Node refuses is a 502 for that call, never a crash', () => {
  const reflect = `export const handler = async (event) => {
  const q = event.queryStringParameters ?? {};
  if (q.mode === 'name') return { statusCode: 200, headers: { [q.v]: 'x' }, body: 'ok' };
  if (q.mode === 'cookie') return { statusCode: 200, cookies: [q.v], body: 'ok' };
  if (q.mode === 'length') return { statusCode: 200, headers: { 'content-length': '3' }, body: 'longer than three' };
  return { statusCode: 200, headers: { 'x-reflected': q.v }, body: 'ok' };
};`;
  let url = '';
  beforeAll(async () => {
    url = await deployFunction(world.local, 'reflect', reflect);
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

describe("a function URL handler's statusCode", () => {
  it('1xx (an interim answer that would leave the caller waiting for a final one) is a 502, 2xx-5xx pass', () => {
    for (const statusCode of [100, 101, 102, 103, 199])
      expect(mapResult({ statusCode, body: 'x' }, 'request').status, String(statusCode)).toBe(502);
    for (const statusCode of [200, 204, 302, 404, 599]) expect(mapResult({ statusCode }, 'request').status).toBe(statusCode);
  });
});

describe('a function URL request is routed on the path its signature covers', () => {
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

describe('object-prototype names in the query and the headers are ordinary names', () => {
  it('a query key signed by an independent signer (smithy with a plain query object) is accepted and passed on', async () => {
    const endpoint = new URL(world.local.endpoint);
    const signer = new SignatureV4({
      credentials: session,
      region: 'us-east-1',
      service: 'lambda',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
    });
    const path = `/lambda-url/${urlId(world.urls.contract)}/`;
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'http:',
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path,
      query: { constructor: '1', toString: '2' },
      headers: { host: endpoint.host },
    });
    const signed = await signer.sign(request);
    const r = await rawRequest({ method: 'GET', path: `${path}?constructor=1&toString=2`, headers: signed.headers });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).queryStringParameters).toEqual({ constructor: '1', toString: '2' });
  });

  it('a query key named __proto__ is in the canonical query as botocore and AWS put it, and reaches the handler', async () => {
    const endpoint = new URL(world.local.endpoint);
    const signed = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: endpoint.hostname, path: '/', rawQuery: '__proto__=x&constructor=1&b=2&b=1' },
      session,
      { region: 'us-east-1', service: 'lambda' },
    );
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
    const headers = await signUrlRequest(path, undefined, session, { __proto__: 'p', constructor: 'c' } as unknown as Record<
      string,
      string
    >);
    const r = await rawRequest({ method: 'GET', path, headers: { ...headers, ['__proto__']: 'p', constructor: 'c' } });
    expect(r.status, r.text).toBe(200);
  });
});
