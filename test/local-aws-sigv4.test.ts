import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import * as http from 'node:http';
import type { AwsCredentialIdentity, HttpRequest as HttpRequestLike } from '@smithy/types';
import { AwsV4Signer } from 'aws4fetch';
import { describe, expect, it } from 'vitest';
import { signRequest, toHttpRequest } from '../client/sigv4';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';
import { type SeededWorld, query, rawSend, wireUrl, xmlValue } from './support/local-aws-fixtures';
import { useSeededSession } from './support/seeded-world-hooks';

/**
 * SigV4 as the stand-in verifies it (client/sigv4-verifier.ts, in local-aws/authorization.ts and
 * dispatch.ts): the header form and the query-string (presigned) form as @smithy/signature-v4's
 * presign() produces it, on STS, IAM, Logs and function URLs; the Query API by GET; each
 * service's clock skew and credential scope region; what the signature must cover (the body of a
 * Query request, the operation's X-Amz-Target); and the one reading of a raw `+` in a query shared
 * by the verifier and the handler's event.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

useSeededSession('presigned', (seeded) => {
  ({ world, session } = seeded);
});

const urlOf = (request: HttpRequestLike) => wireUrl(world.local.endpoint, request);

interface Presigning {
  service: 'sts' | 'lambda';
  credentials: AwsCredentialIdentity;
  path?: string;
  rawQuery?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signingDate?: Date;
  expiresIn?: number;
}

/** A URL presigned by the AWS SDK's own signer (what presignUrl() and the SDK presigners build on). */
async function presign(p: Presigning): Promise<{ url: string; request: HttpRequestLike }> {
  const endpoint = new URL(world.local.endpoint);
  const signer = new SignatureV4({
    credentials: p.credentials,
    region: 'us-east-1',
    service: p.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });
  const request = toHttpRequest({
    method: p.method ?? 'GET',
    protocol: 'http:',
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path: p.path ?? '/',
    rawQuery: p.rawQuery,
    headers: p.headers,
    body: p.body,
  });
  const presigned = await signer.presign(request, { signingDate: p.signingDate, expiresIn: p.expiresIn });
  return { url: urlOf(presigned), request: presigned };
}

async function send(url: string, request?: HttpRequestLike, body?: string) {
  const headers = Object.entries(request?.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'host');
  const r = await fetch(url, { method: request?.method ?? 'GET', headers, body });
  return { status: r.status, text: await r.text(), errorType: r.headers.get('x-amzn-errortype') };
}

const callerIdentity = 'Action=GetCallerIdentity&Version=2011-06-15';
const urlPath = (name: string) => new URL(world.urls[name]).pathname;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
const presignCallerIdentity = (signingDate: Date, expiresIn: number) =>
  presign({ service: 'sts', credentials: world.userKey, rawQuery: callerIdentity, signingDate, expiresIn });

describe('presigned (query-string) SigV4', () => {
  it('STS GetCallerIdentity presigned for a user and for a session (X-Amz-Security-Token in the query)', async () => {
    for (const [credentials, arn] of [
      [world.userKey, `arn:aws:iam::123456789012:user/lambda_invoker`],
      [() => session, 'arn:aws:sts::123456789012:assumed-role/function_invoker/presigned'],
    ] as const) {
      const { url } = await presign({
        service: 'sts',
        credentials: typeof credentials === 'function' ? credentials() : credentials,
        rawQuery: callerIdentity,
      });
      const r = await send(url);
      expect(r.status, r.text).toBe(200);
      expect(xmlValue(r.text, 'Arn')).toBe(arn);
    }
    expect((await presign({ service: 'sts', credentials: session, rawQuery: callerIdentity })).url).toContain('X-Amz-Security-Token=');
  });

  it('a function URL presigned for the session: GET, and a POST whose body was hashed or declared UNSIGNED-PAYLOAD', async () => {
    const get = await presign({ service: 'lambda', credentials: session, path: urlPath('echo'), rawQuery: 'greeting=hi' });
    const r = await send(get.url);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).queryStringParameters.greeting).toBe('hi');

    const body = '{"n":1}';
    const post = await presign({
      service: 'lambda',
      credentials: session,
      method: 'POST',
      path: urlPath('echo'),
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect((await send(post.url, post.request, body)).status).toBe(200);
    expect((await send(post.url, post.request, '{"n":2}')).status).toBe(403);
    const unsigned = await presign({
      service: 'lambda',
      credentials: session,
      method: 'POST',
      path: urlPath('echo'),
      headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body,
    });
    // presign() drops the header and signs UNSIGNED-PAYLOAD: the URL does not say which hash was signed.
    expect(unsigned.url).not.toContain('Sha256');
    expect((await send(unsigned.url, unsigned.request, '{"any":"body"}')).status).toBe(200);
  });

  it('IAM still decides: the user key presigned for the URL is 403, the session for a URL it may not call is 403', async () => {
    expect((await send((await presign({ service: 'lambda', credentials: world.userKey, path: urlPath('echo') })).url)).status).toBe(403);
    expect((await send((await presign({ service: 'lambda', credentials: session, path: urlPath('other') })).url)).status).toBe(403);
  });

  it('a changed, added or removed query parameter breaks the signature; X-Amz-Signature itself is not signed', async () => {
    const { url } = await presign({ service: 'lambda', credentials: session, path: urlPath('echo'), rawQuery: 'a=1' });
    expect((await send(url)).status).toBe(200);
    for (const tampered of [
      url.replace('a=1', 'a=2'),
      `${url}&b=2`,
      url.replace('a=1&', ''),
      url.replace(/X-Amz-SignedHeaders=host/, 'X-Amz-SignedHeaders=host%3Bx-extra'),
    ]) {
      const r = await send(tampered);
      expect(r.status, tampered).toBe(403);
    }
  });

  it('expiry: a function URL honours X-Amz-Expires; STS ignores it and accepts 15 minutes either way', async () => {
    const fresh = await presign({
      service: 'lambda',
      credentials: session,
      path: urlPath('echo'),
      signingDate: minutesAgo(3),
      expiresIn: 600,
    });
    expect((await send(fresh.url)).status).toBe(200);
    const expired = await presign({
      service: 'lambda',
      credentials: session,
      path: urlPath('echo'),
      signingDate: minutesAgo(3),
      expiresIn: 60,
    });
    const r = await send(expired.url);
    expect([r.status, r.errorType]).toEqual([403, 'InvalidSignatureException']);
    expect(JSON.parse(r.text).Message).toMatch(/expired/);
    const future = await presign({
      service: 'lambda',
      credentials: session,
      path: urlPath('echo'),
      signingDate: new Date(Date.now() + 6 * 60_000),
      expiresIn: 3600,
    });
    expect((await send(future.url)).status).toBe(403);

    const stsShort = await presignCallerIdentity(minutesAgo(10), 60);
    expect((await send(stsShort.url)).status).toBe(200);
    const stsOld = await presignCallerIdentity(minutesAgo(16), 3600);
    const old = await send(stsOld.url);
    expect([old.status, xmlValue(old.text, 'Code')]).toEqual([403, 'RequestExpired']);
  });

  it('X-Amz-Expires must be 1..604800, and one request carries one signature, not a header and a query one', async () => {
    const { url } = await presign({ service: 'sts', credentials: world.userKey, rawQuery: callerIdentity });
    for (const expires of ['0', '604801', 'abc', '-5']) {
      const r = await send(url.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${expires}`));
      expect([r.status, xmlValue(r.text, 'Code')], expires).toEqual([400, 'IncompleteSignature']);
      expect(xmlValue(r.text, 'Message')).toMatch(/X-Amz-Expires/);
    }
    const headerSigned = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: world.local.port, path: '/' },
      world.userKey,
      { region: 'us-east-1', service: 'sts' },
    );
    const both = await fetch(url, { headers: Object.entries(headerSigned.headers).filter(([n]) => n !== 'host') });
    expect(both.status).toBe(400);
    expect(await both.text()).toMatch(/Only one auth mechanism/);
    const missing = await send(url.replace(/&?X-Amz-Credential=[^&]+/, ''));
    expect([missing.status, xmlValue(missing.text, 'Message')]).toEqual([400, expect.stringMatching(/X-Amz-Credential/)]);
  });
});

describe('every query parameter of a header-signed request is signed', () => {
  it("an x-amz-signature parameter appended to a header-signed request is refused; aws4fetch's ?__proto__=1 is accepted", async () => {
    const url = new URL(world.urls.echo);
    const signed = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, rawQuery: 'a=1' },
      session,
      { region: 'us-east-1', service: 'lambda' },
    );
    const headers = Object.entries(signed.headers).filter(([n]) => n !== 'host');
    expect((await fetch(`${world.urls.echo}?a=1`, { headers })).status).toBe(200);
    for (const smuggled of ['a=1&x-amz-signature=zz', 'a=1&X-Amz-Signature=zz', 'a=1&X-AMZ-SIGNATURE=zz']) {
      expect((await fetch(`${world.urls.echo}?${smuggled}`, { headers })).status, smuggled).toBe(403);
    }
    const proto = await new AwsV4Signer({
      method: 'GET',
      url: `${world.urls.echo}?__proto__=1`,
      ...session,
      service: 'lambda',
      region: 'us-east-1',
    }).sign();
    const r = await fetch(proto.url, { headers: proto.headers });
    expect(r.status).toBe(200);
    expect(Object.getOwnPropertyDescriptor(JSON.parse(await r.text()).queryStringParameters, '__proto__')?.value).toBe('1');
  });
});

describe('the Query API by GET, and clock skew by service', () => {
  const getSigned = async (service: 'sts' | 'iam', rawQuery: string, signingDate?: Date) => {
    const signed = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: world.local.port, path: '/', rawQuery },
      world.userKey,
      { region: 'us-east-1', service, signingDate },
    );
    const r = await fetch(`${world.local.endpoint}/?${rawQuery}`, {
      headers: Object.entries(signed.headers).filter(([n]) => n !== 'host'),
    });
    return { status: r.status, text: await r.text() };
  };

  it('GET /?Action=GetCallerIdentity&Version=2011-06-15 answers like the POST form', async () => {
    const r = await getSigned('sts', callerIdentity);
    expect(r.status, r.text).toBe(200);
    expect(xmlValue(r.text, 'Arn')).toBe('arn:aws:iam::123456789012:user/lambda_invoker');
  });

  it('STS accepts a request signed 10 minutes ago (15 minutes of skew); IAM and function URLs refuse it (5 minutes)', async () => {
    expect((await getSigned('sts', callerIdentity, minutesAgo(10))).status).toBe(200);
    expect((await getSigned('sts', callerIdentity, minutesAgo(14))).status).toBe(200);
    const late = await getSigned('sts', callerIdentity, minutesAgo(16));
    expect([late.status, xmlValue(late.text, 'Code')]).toEqual([403, 'RequestExpired']);
    const iam = await getSigned('iam', 'Action=GetUser&Version=2010-05-08', minutesAgo(10));
    expect([iam.status, xmlValue(iam.text, 'Code')]).toEqual([403, 'RequestExpired']);
    const url = new URL(world.urls.echo);
    const signed = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname },
      session,
      { region: 'us-east-1', service: 'lambda', signingDate: minutesAgo(10) },
    );
    const r = await fetch(world.urls.echo, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
  });
});

describe("a raw '+' in a query is a space for the verifier and for the handler alike; '%2B' is a plus", () => {
  const call = async (rawQuery: string, signedAs: string) => {
    const url = new URL(world.urls.echo);
    const signed = await signRequest(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, rawQuery: signedAs },
      session,
      { region: 'us-east-1', service: 'lambda' },
    );
    const r = await fetch(`${world.urls.echo}?${rawQuery}`, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
    return { status: r.status, event: r.status === 200 ? JSON.parse(await r.text()) : undefined };
  };

  it('raw + signed as a space is accepted and the handler sees a space; %2B signed as a plus gives a plus', async () => {
    const spaced = await call('q=a+b', 'q=a%20b');
    expect(spaced.status).toBe(200);
    expect(spaced.event.queryStringParameters.q).toBe('a b');
    expect(spaced.event.rawQueryString).toBe('q=a+b');
    const plus = await call('q=a%2Bb', 'q=a%2Bb');
    expect(plus.status).toBe(200);
    expect(plus.event.queryStringParameters.q).toBe('a+b');
  });

  it('raw + signed as a literal plus is refused: no request is read one way by the verifier and another by the handler', async () => {
    expect((await call('q=a+b', 'q=a%2Bb')).status).toBe(403);
    expect((await call('q=a%2Bb', 'q=a%20b')).status).toBe(403);
  });
});

/** Presigned with UNSIGNED-PAYLOAD, as botocore's generate_presigned_url does for every service. */
async function presignUnsigned(service: string, credentials: AwsCredentialIdentity, rawQuery: string, method = 'GET'): Promise<string> {
  const endpoint = new URL(world.local.endpoint);
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: true });
  const request = toHttpRequest({
    method,
    protocol: 'http:',
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path: '/',
    rawQuery,
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  return urlOf(await signer.presign(request));
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

describe('header-signed requests', () => {
  it('a header sent twice is signed and verified as one, joined with ","', async () => {
    const url = new URL(world.local.endpoint);
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const headers: [string, string][] = [
      ['content-type', 'application/x-www-form-urlencoded'],
      ['x-amz-meta-tag', 'a'],
      ['x-amz-meta-tag', 'b'],
    ];
    const signed = await signRequest(
      { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body },
      world.userKey,
      { region: 'us-east-1', service: 'sts' },
    );
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
    const old = await signRequest(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      },
      world.userKey,
      { region: 'us-east-1', service: 'sts', signingDate: new Date(Date.now() - 16 * 60_000) },
    );
    const r = await fetch(`${world.local.endpoint}/`, {
      method: 'POST',
      body,
      headers: Object.entries(old.headers).filter(([n]) => n !== 'host'),
    });
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/RequestExpired/);
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
      const request: { method: string; path: string; headers: Record<string, string>; body: string } =
        service === 'iam'
          ? {
              method: 'POST',
              path: '/',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'Action=ListUsers&Version=2010-05-08',
            }
          : service === 'lambda'
            ? { method: 'GET', path: '/2015-03-31/functions/', headers: {}, body: '' }
            : {
                method: 'POST',
                path: '/',
                headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.DescribeLogGroups' },
                body: '{}',
              };
      const signed = await signRequest(
        { ...request, protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port) },
        DEFAULT_ADMIN_KEY,
        { region, service },
      );
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
