import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { ClientOptionError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import {
  canonicalQueryString,
  canonicalWirePath,
  canonicalWireQuery,
  describeSignedRequest,
  parseQuery,
  signRequest,
} from '../client/sigv4';
import { verifyRequest } from '../client/sigv4-verifier';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

/**
 * What goes on the wire is what is signed: prototype-named keys are ordinary data, and path and
 * query are sent in their canonical RFC 3986 encoding (a raw `+` never reaches the wire).
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SIGNING = { region: 'us-east-1', service: 'lambda', signingDate: new Date('2015-08-30T12:36:00Z') };

let world: SeededWorld;
beforeAll(async () => {
  world = await seedWorld();
});
afterAll(async () => {
  await world.local.close();
});

function sessionClient() {
  const credentials = new AssumeRoleCredentials({
    roleArn: world.roleArn,
    externalId: world.externalId,
    sourceCredentials: world.userKey,
    stsEndpoint: world.local.endpoint,
    sessionName: 'canonical',
    propagationWaitSeconds: 0,
  });
  return new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials, retries: 0 });
}

describe('prototype-named query keys and headers are ordinary data', () => {
  const temp = useTempDir('canonical-');

  it('signs ?constructor=1&__proto__=x&toString=a&hasOwnProperty=b as botocore does', async () => {
    const signed = await signRequest(
      {
        method: 'GET',
        hostname: 'example.com',
        path: '/',
        rawQuery: 'constructor=1&__proto__=x&toString=a&hasOwnProperty=b&a%20b=c%2Bd',
        headers: [
          ['constructor', 'x'],
          ['__proto__', 'y'],
          ['toString', 'z'],
        ],
      },
      CREDENTIALS,
      SIGNING,
    );
    // Computed by botocore's SigV4Auth.canonical_request (python3-botocore) for the same wire request.
    expect((await describeSignedRequest(signed, CREDENTIALS)).canonicalRequest).toBe(
      [
        'GET',
        '/',
        '__proto__=x&a%20b=c%2Bd&constructor=1&hasOwnProperty=b&toString=a',
        '__proto__:y',
        'constructor:x',
        'host:example.com',
        'tostring:z',
        'x-amz-date:20150830T123600Z',
        '',
        '__proto__;constructor;host;tostring;x-amz-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
  });

  it('a header-signed request signs query keys named x-amz-signature like any other, as botocore does', async () => {
    const signed = await signRequest(
      { method: 'GET', hostname: 'example.com', path: '/', rawQuery: 'x-amz-signature=abc&X-Amz-Signature=def&a=1', headers: [] },
      CREDENTIALS,
      SIGNING,
    );
    // botocore's SigV4Auth.canonical_request for the same wire request (python3-botocore 1.43).
    expect((await describeSignedRequest(signed, CREDENTIALS)).canonicalRequest.split('\n')[2]).toBe(
      'X-Amz-Signature=def&a=1&x-amz-signature=abc',
    );
    const lookup = (id: string) => (id === CREDENTIALS.accessKeyId ? { secretAccessKey: CREDENTIALS.secretAccessKey } : undefined);
    expect(await verifyRequest(signed, lookup, { service: 'lambda', region: 'us-east-1', now: SIGNING.signingDate })).toMatchObject({
      ok: true,
    });
  });

  it('the canonical query keeps a __proto__ key that a plain object would drop, and sorts repeated values', () => {
    const query = parseQuery('__proto__=2&__proto__=1&valueOf=v');
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(canonicalQueryString(query)).toBe('__proto__=1&__proto__=2&valueOf=v');
  });

  it('the stand-in accepts a signed call with prototype-named query keys and headers', async () => {
    const response = await sessionClient().invoke({
      query: 'constructor=1&__proto__=x&toString=a',
      headers: [
        ['constructor', 'x'],
        ['tostring', 'z'],
      ],
    });
    expect(response.status).toBe(200);
  });

  it('the stand-in accepts a signed call with a query key named x-amz-signature (the client signs it, as AWS expects)', async () => {
    const response = await sessionClient().invoke({ query: 'x-amz-signature=abc&a=1' });
    expect(response.status).toBe(200);
  });

  it('a header named __proto__ is refused before sending (fetch would drop it after signing)', async () => {
    const error = await sessionClient()
      .invoke({ headers: [['__proto__', 'y']] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientOptionError);
    expect((error as Error).message).toMatch(/header name .*fetch drops/);
  });

  it('the CLI sends headers named constructor, toString and hasOwnProperty as ordinary headers', async () => {
    const outputs = writeSeededOutputs(temp(), world);
    const { code, stdout, stderr } = await runCli(
      ['--outputs', outputs, '--propagation-wait', '0', '-H', 'constructor: x', '-H', 'toString: z', '-H', 'hasOwnProperty: w'],
      { AWS_ENDPOINT_URL_STS: world.local.endpoint },
    );
    expect(stderr).not.toMatch(/Headers\.append|function Object/);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).caller.userArn).toMatch(/assumed-role\/function_invoker\//);
  });
});

describe('a raw +, a space and %2B: one reading, sent canonically', () => {
  // [what the caller writes, what goes on the wire, what the function reads for key "a"]
  const matrix: [string, string, string][] = [
    ['a=b+c', 'a=b%20c', 'b c'],
    ['a=b%2Bc', 'a=b%2Bc', 'b+c'],
    ['a=b%2bc', 'a=b%2Bc', 'b+c'],
    ['a=b%20c', 'a=b%20c', 'b c'],
    ['a=b c', 'a=b%20c', 'b c'],
    ['a=%7e!', 'a=~%21', '~!'],
    ['a=é', 'a=%C3%A9', 'é'],
    ['a=x=y', 'a=x%3Dy', 'x=y'],
  ];

  it.each(matrix)('%s goes on the wire as %s', (written, wire) => {
    expect(canonicalWireQuery(written)).toBe(wire);
  });

  it.each(matrix)('%s: the stand-in accepts the signature and the function reads a=%j', async (written, wire, value) => {
    const response = await sessionClient().invoke({ query: written });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ rawQueryString: wire, queryStringParameters: { a: value } });
  });

  it('a key written with + is a key with a space; a bare key stays bare', () => {
    expect(canonicalWireQuery('a+b=1&flag&&c=')).toBe('a%20b=1&flag&c=');
  });

  it('the query of the function URL itself is re-encoded too', () => {
    const client = new FunctionUrlClient({
      url: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/?tenant=a+b',
      region: 'us-east-1',
    });
    expect(client.target({ query: 'x=%2B' })).toEqual({ path: '/', rawQuery: 'tenant=a%20b&x=%2B' });
  });

  it('a malformed %-escape in the query or path is a usage error naming it', () => {
    const client = new FunctionUrlClient({
      url: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/',
      region: 'us-east-1',
    });
    expect(() => client.target({ query: 'a=%zz' })).toThrow(ClientOptionError);
    expect(() => client.target({ query: 'a=%zz' })).toThrow(/query .*"%zz"/);
    expect(() => client.target({ path: '/bad%zzpath' })).toThrow(/path .*malformed/);
  });
});

describe('the path is sent in its canonical encoding', () => {
  it.each([
    ['/a b', '/a%20b'],
    ["/it's(1)!", '/it%27s%281%29%21'],
    ['/%7euser', '/~user'],
    ['/a%2fb/c', '/a%2Fb/c'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/x+y', '/x%2By'],
  ])('%s -> %s', (written, wire) => {
    const client = new FunctionUrlClient({
      url: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/',
      region: 'us-east-1',
    });
    expect(client.target({ path: written }).path).toBe(wire);
    expect(canonicalWirePath(wire)).toBe(wire);
  });

  it('the stand-in accepts a signed call to an encoded path, and the function sees it as sent', async () => {
    const response = await sessionClient().invoke({ path: "/it's a (test)/x+y" });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ path: '/it%27s%20a%20%28test%29/x%2By' });
  });
});
