import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest as HttpRequestLike } from '@smithy/types';
import { AwsV4Signer } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, toHttpRequest } from '../client/sigv4';
import { SeededWorld, query, seedWorld, xmlValue, wireUrl } from './support/local-aws-fixtures';

/**
 * Query-string (presigned) SigV4 as @smithy/signature-v4's presign() produces it, on STS and on
 * function URLs; the Query API by GET; STS's 15 minutes of clock skew (others 5); and the one
 * reading of a raw `+` in a query shared by the verifier and the handler's event.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

beforeAll(async () => {
  world = await seedWorld();
  const r = await query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'presigned', ExternalId: world.externalId }, world.userKey);
  session = { accessKeyId: xmlValue(r.text, 'AccessKeyId'), secretAccessKey: xmlValue(r.text, 'SecretAccessKey'), sessionToken: xmlValue(r.text, 'SessionToken') };
});
afterAll(async () => {
  await world.local.close();
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
  const signer = new SignatureV4({ credentials: p.credentials, region: 'us-east-1', service: p.service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: true });
  const request = toHttpRequest({ method: p.method ?? 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: p.path ?? '/', rawQuery: p.rawQuery, headers: p.headers, body: p.body });
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

describe('presigned (query-string) SigV4', () => {
  it('STS GetCallerIdentity presigned for a user and for a session (X-Amz-Security-Token in the query)', async () => {
    for (const [credentials, arn] of [
      [world.userKey, `arn:aws:iam::123456789012:user/lambda_invoker`],
      [() => session, 'arn:aws:sts::123456789012:assumed-role/function_invoker/presigned'],
    ] as const) {
      const { url } = await presign({ service: 'sts', credentials: typeof credentials === 'function' ? credentials() : credentials, rawQuery: callerIdentity });
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
    const post = await presign({ service: 'lambda', credentials: session, method: 'POST', path: urlPath('echo'), headers: { 'content-type': 'application/json' }, body });
    expect((await send(post.url, post.request, body)).status).toBe(200);
    expect((await send(post.url, post.request, '{"n":2}')).status).toBe(403);
    const unsigned = await presign({ service: 'lambda', credentials: session, method: 'POST', path: urlPath('echo'), headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body });
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
    for (const tampered of [url.replace('a=1', 'a=2'), `${url}&b=2`, url.replace('a=1&', ''), url.replace(/X-Amz-SignedHeaders=host/, 'X-Amz-SignedHeaders=host%3Bx-extra')]) {
      const r = await send(tampered);
      expect(r.status, tampered).toBe(403);
    }
  });

  it('expiry: a function URL honours X-Amz-Expires; STS ignores it and accepts 15 minutes either way', async () => {
    const fresh = await presign({ service: 'lambda', credentials: session, path: urlPath('echo'), signingDate: minutesAgo(3), expiresIn: 600 });
    expect((await send(fresh.url)).status).toBe(200);
    const expired = await presign({ service: 'lambda', credentials: session, path: urlPath('echo'), signingDate: minutesAgo(3), expiresIn: 60 });
    const r = await send(expired.url);
    expect([r.status, r.errorType]).toEqual([403, 'InvalidSignatureException']);
    expect(JSON.parse(r.text).Message).toMatch(/expired/);
    const future = await presign({ service: 'lambda', credentials: session, path: urlPath('echo'), signingDate: new Date(Date.now() + 6 * 60_000), expiresIn: 3600 });
    expect((await send(future.url)).status).toBe(403);

    const stsShort = await presign({ service: 'sts', credentials: world.userKey, rawQuery: callerIdentity, signingDate: minutesAgo(10), expiresIn: 60 });
    expect((await send(stsShort.url)).status).toBe(200);
    const stsOld = await presign({ service: 'sts', credentials: world.userKey, rawQuery: callerIdentity, signingDate: minutesAgo(16), expiresIn: 3600 });
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
    const headerSigned = await signRequest({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: world.local.port, path: '/' }, world.userKey, { region: 'us-east-1', service: 'sts' });
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
    const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, rawQuery: 'a=1' }, session, { region: 'us-east-1', service: 'lambda' });
    const headers = Object.entries(signed.headers).filter(([n]) => n !== 'host');
    expect((await fetch(`${world.urls.echo}?a=1`, { headers })).status).toBe(200);
    for (const smuggled of ['a=1&x-amz-signature=zz', 'a=1&X-Amz-Signature=zz', 'a=1&X-AMZ-SIGNATURE=zz']) {
      expect((await fetch(`${world.urls.echo}?${smuggled}`, { headers })).status, smuggled).toBe(403);
    }
    const proto = await new AwsV4Signer({ method: 'GET', url: `${world.urls.echo}?__proto__=1`, ...session, service: 'lambda', region: 'us-east-1' }).sign();
    const r = await fetch(proto.url, { headers: proto.headers });
    expect(r.status).toBe(200);
    expect(Object.getOwnPropertyDescriptor(JSON.parse(await r.text()).queryStringParameters, '__proto__')?.value).toBe('1');
  });
});

describe('the Query API by GET, and clock skew by service', () => {
  const getSigned = async (service: 'sts' | 'iam', rawQuery: string, signingDate?: Date) => {
    const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: world.local.port, path: '/', rawQuery }, world.userKey, { region: 'us-east-1', service, signingDate });
    const r = await fetch(`${world.local.endpoint}/?${rawQuery}`, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
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
    const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname }, session, { region: 'us-east-1', service: 'lambda', signingDate: minutesAgo(10) });
    const r = await fetch(world.urls.echo, { headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') });
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
  });
});

describe("a raw '+' in a query is a space for the verifier and for the handler alike; '%2B' is a plus", () => {
  const call = async (rawQuery: string, signedAs: string) => {
    const url = new URL(world.urls.echo);
    const signed = await signRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, rawQuery: signedAs }, session, { region: 'us-east-1', service: 'lambda' });
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
