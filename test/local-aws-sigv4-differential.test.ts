import { AwsV4Signer } from 'aws4fetch';
import fc from 'fast-check';
import type { AwsCredentialIdentity } from '@smithy/types';
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthorization, signRequest, toHttpRequest } from '../client/sigv4';
import { verifyRequest } from '../client/sigv4-verifier';
import { type SeededWorld, seededSession } from './support/local-aws-fixtures';

/**
 * Differential test of the stand-in's SigV4 verifier (client/sigv4-verifier.ts) against an
 * independent implementation, aws4fetch (a separate code base from the AWS SDK's signer that the
 * verifier is built on). For generated wire requests (paths and queries with reserved
 * characters, percent-escapes, raw `+`, `%2B`, `%20`, repeated and prototype-named keys, dot
 * segments), signed either by the project's signer or by aws4fetch (header and presigned form),
 * then sent as signed or altered on the way, the verifier accepts exactly when aws4fetch,
 * recomputing the signature from the same wire request, finds the claimed one.
 *
 * Not generated, because aws4fetch departs from AWS's own SDKs there: a path ending in a `.` or
 * `..` segment (aws4fetch resolves it with the WHATWG URL parser, `/a/.` -> `/a/`; botocore's
 * posixpath.normpath and @smithy/signature-v4 give `/a`), `%2E` dot segments (the URL parser
 * resolves them too), and empty query keys (aws4fetch drops `=v`). Malformed percent-encoding is
 * refused by the verifier (aws4fetch would sign the literal text): the fuzz test's ground.
 *
 * Among the generated cases, two a verifier easily gets wrong: a `__proto__` query key (an
 * ordinary key, signed like any other) and an `x-amz-signature` parameter on a header-signed
 * request (every parameter of such a request is signed; see canonicalQueryString).
 */

/** Where the wire requests go: a host (with port), the signing key and the clock. */
interface Target {
  protocol: 'https:' | 'http:';
  host: string;
  credentials: AwsCredentialIdentity;
  now: Date;
}

const OFFLINE: Target = {
  protocol: 'https:',
  host: 'abcdefghij.lambda-url.us-east-1.on.aws',
  credentials: { accessKeyId: 'AKIDEXAMPLEDIFFERENT', secretAccessKey: 'differential/secret+key' },
  now: new Date('2026-03-01T12:00:00Z'),
};
const amzDate = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

const PATH_SEGMENTS = [
  'a',
  'B9',
  '~x-_.',
  '.',
  '..',
  '',
  '%20',
  '%2F',
  '%2B',
  '+',
  '%41',
  '%C3%A9',
  "!$&'()*,;=:@",
  'constructor',
  '__proto__',
  '%25',
  'a%2Fb',
  'end.',
];
// Names a null-prototype map must keep as data, a multibyte character and the unreserved marks.
const PROTOTYPE_AND_UNRESERVED = ['constructor', '__proto__', 'toString', '%C3%A9', '~', '*'];
const QUERY_KEYS = [
  'a',
  'Z',
  '+',
  'a+b',
  '%2B',
  '%20',
  ...PROTOTYPE_AND_UNRESERVED,
  "'",
  '(',
  'x-amz-signature',
  'X-Amz-Signature',
  'X-AMZ-SIGNATURE',
  '%3D',
  ':',
];
const QUERY_TOKENS = [
  'a',
  'Z',
  '',
  '+',
  'a+b',
  '%2B',
  '%20',
  '%2b',
  '%3D',
  '%26',
  ...PROTOTYPE_AND_UNRESERVED,
  '%2A',
  "'",
  '!',
  '(',
  ')',
  '-_.',
  'x=y',
  '%7E',
  ':',
  '/',
  '?',
  '@',
];

const wireRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  segments: fc
    .array(fc.constantFrom(...PATH_SEGMENTS), { maxLength: 5 })
    .filter((s) => s.length === 0 || !['.', '..'].includes(s[s.length - 1])),
  trailingSlash: fc.boolean(),
  query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fc.option(fc.constantFrom(...QUERY_TOKENS), { nil: undefined })), {
    maxLength: 5,
  }),
  body: fc.option(fc.constantFrom('{"n":1}', 'a=b&c=d', 'plain text'), { nil: undefined }),
});

type Wire = { method: string; rawPath: string; rawQuery: string; headers: [string, string][]; body?: string };

/** Alterations a proxy, a client library or an attacker might make after signing. */
const ALTERATIONS: Record<string, (wire: Wire) => Wire> = {
  none: (w) => w,
  plusToSpace: (w) => ({ ...w, rawQuery: w.rawQuery.replace('+', '%20') }),
  spaceToPlus: (w) => ({ ...w, rawQuery: w.rawQuery.replace('%20', '+') }),
  encodedPlusToRaw: (w) => ({ ...w, rawQuery: w.rawQuery.replace(/%2B/i, '+') }),
  lowerCaseEscape: (w) => ({
    ...w,
    rawQuery: w.rawQuery.replace(/%[0-9A-F]{2}/, (e) => e.toLowerCase()),
    rawPath: w.rawPath.replace(/%[0-9A-F]{2}/, (e) => e.toLowerCase()),
  }),
  unreservedEscaped: (w) => ({ ...w, rawPath: w.rawPath.replace('a', '%61'), rawQuery: w.rawQuery.replace('a', '%61') }),
  reorderedQuery: (w) => ({ ...w, rawQuery: w.rawQuery.split('&').reverse().join('&') }),
  extraParameter: (w) => ({ ...w, rawQuery: w.rawQuery === '' ? 'x=1' : `${w.rawQuery}&x=1` }),
  droppedParameter: (w) => ({ ...w, rawQuery: w.rawQuery.split('&').slice(1).join('&') }),
  emptyValueDropped: (w) => ({ ...w, rawQuery: w.rawQuery.replace(/=(&|$)/, '$1') }),
  doubledSlash: (w) => ({ ...w, rawPath: w.rawPath.replace('/', '//') }),
  trailingSlashAdded: (w) => ({ ...w, rawPath: w.rawPath.endsWith('/') ? w.rawPath : `${w.rawPath}/` }),
  dotSegmentAdded: (w) => ({ ...w, rawPath: `/.${w.rawPath}` }),
  // A GET goes without the body (Node's parser answers 400 to a GET with a chunked body).
  methodChanged: (w) => ({ ...w, method: w.method === 'GET' ? 'DELETE' : 'GET', body: undefined }),
};

function buildWire(r: {
  method: string;
  segments: string[];
  trailingSlash: boolean;
  query: [string, string | undefined][];
  body?: string;
}): Wire {
  const rawPath = `/${r.segments.join('/')}${r.trailingSlash && r.segments.length > 0 ? '/' : ''}`;
  const rawQuery = r.query.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&');
  return { method: r.method, rawPath, rawQuery, headers: [], body: r.method === 'GET' ? undefined : r.body };
}

/** Our verifier's verdict on a wire request, built as the stand-in builds it (server.ts, function-url-api.ts). */
async function ourVerdict(wire: Wire, target = OFFLINE): Promise<boolean> {
  const { credentials } = target;
  const request = toHttpRequest({
    method: wire.method,
    protocol: target.protocol,
    hostname: target.host,
    path: wire.rawPath,
    rawQuery: wire.rawQuery,
    headers: wire.headers,
    body: wire.body,
  });
  const result = await verifyRequest(
    request,
    (id) => (id === credentials.accessKeyId ? { secretAccessKey: credentials.secretAccessKey } : undefined),
    { service: 'lambda', region: 'us-east-1', now: target.now },
  );
  return result.ok;
}

/**
 * aws4fetch's verdict: recompute the signature of the same wire request from the headers the
 * signature names (or, presigned, from the query with X-Amz-Signature left out) and compare.
 */
async function independentVerdict(wire: Wire, target = OFFLINE): Promise<boolean> {
  const url = new URL(`${target.protocol}//${target.host}${wire.rawPath}${wire.rawQuery === '' ? '' : `?${wire.rawQuery}`}`);
  const headers = new Map(wire.headers.map(([n, v]) => [n.toLowerCase(), v]));
  const authorization = headers.get('authorization');
  let claimed: string | null;
  let signedHeaders: string[];
  let datetime: string | null;
  const presigned = authorization === undefined;
  if (presigned) {
    claimed = url.searchParams.get('X-Amz-Signature');
    signedHeaders = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
    datetime = url.searchParams.get('X-Amz-Date');
    url.searchParams.delete('X-Amz-Signature');
  } else {
    const parsed = parseAuthorization(authorization);
    claimed = parsed.signature;
    signedHeaders = parsed.signedHeaders;
    datetime = headers.get('x-amz-date') ?? null;
  }
  if (claimed === null || datetime === null) return false;
  const toSign: Record<string, string> = {};
  for (const name of signedHeaders) if (name !== 'host' && headers.has(name)) toSign[name] = headers.get(name)!;
  // The session token, if any, is one of the signed headers (or query parameters) already.
  const { accessKeyId, secretAccessKey } = target.credentials;
  const signer = new AwsV4Signer({
    method: wire.method,
    url: url.toString(),
    headers: toSign,
    body: wire.body,
    accessKeyId,
    secretAccessKey,
    service: 'lambda',
    region: 'us-east-1',
    datetime,
    signQuery: presigned,
    allHeaders: true,
  });
  // aws4fetch signs the headers it is given; a claimed list it does not reproduce cannot match.
  if (signer.signedHeaders !== signedHeaders.join(';')) return false;
  return (await signer.signature()) === claimed;
}

async function signedByProject(wire: Wire, target = OFFLINE): Promise<Wire> {
  const signed = await signRequest(
    { method: wire.method, protocol: target.protocol, hostname: target.host, path: wire.rawPath, rawQuery: wire.rawQuery, body: wire.body },
    target.credentials,
    { region: 'us-east-1', service: 'lambda', signingDate: target.now },
  );
  return { ...wire, headers: Object.entries(signed.headers).filter(([n]) => n !== 'host') };
}

async function signedByAws4fetch(wire: Wire, presigned: boolean, target = OFFLINE): Promise<Wire> {
  const query = presigned ? (wire.rawQuery === '' ? 'X-Amz-Expires=300' : `${wire.rawQuery}&X-Amz-Expires=300`) : wire.rawQuery;
  const url = `${target.protocol}//${target.host}${wire.rawPath}${query === '' ? '' : `?${query}`}`;
  const signer = new AwsV4Signer({
    method: wire.method,
    url,
    body: wire.body,
    ...target.credentials,
    service: 'lambda',
    region: 'us-east-1',
    datetime: amzDate(target.now),
    signQuery: presigned,
  });
  const signed = await signer.sign();
  if (!presigned) return { ...wire, headers: [...signed.headers.entries()] };
  // The presigned parameters go on the wire the way aws4fetch's URL serializes them.
  const added = [...signed.url.searchParams].filter(([k]) => k.startsWith('X-Amz-')).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return { ...wire, rawQuery: [wire.rawQuery, ...added].filter(Boolean).join('&') };
}

const RUNS = 250;

describe('the SigV4 verifier agrees with aws4fetch on every generated wire request', () => {
  for (const [signerName, sign] of [
    ['the project signer (header)', (w: Wire) => signedByProject(w)],
    ['aws4fetch (header)', (w: Wire) => signedByAws4fetch(w, false)],
    ['aws4fetch (presigned)', (w: Wire) => signedByAws4fetch(w, true)],
  ] as const) {
    it(`signed by ${signerName}, sent as signed or altered`, async () => {
      const seen = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(wireRequest, fc.constantFrom(...Object.keys(ALTERATIONS)), async (generated, alteration) => {
          const wire = ALTERATIONS[alteration](await sign(buildWire(generated)));
          const ours = await ourVerdict(wire);
          const theirs = await independentVerdict(wire);
          seen[ours ? 'accepted' : 'refused']++;
          expect(ours, `${wire.method} ${wire.rawPath}?${wire.rawQuery} (${alteration})`).toBe(theirs);
        }),
        { numRuns: RUNS, seed: 20260301 + signerName.length },
      );
      // Both verdicts occur: the property is not vacuous on either side.
      expect(seen.accepted).toBeGreaterThan(RUNS / 10);
      expect(seen.refused).toBeGreaterThan(RUNS / 10);
    });
  }

  // The project's signer (client/sigv4.ts, on @smithy/signature-v4) still mis-serializes a
  // `__proto__` key and leaves out any x-amz-signature key when it signs: its requests with those
  // keys are refused by both verifiers (the altered-request properties above cover them). Handed
  // to the signer's owner; until then they are left out of this property.
  const signableByProject = (generated: { query: [string, string | undefined][] }) =>
    generated.query.every(([key]) => key !== '__proto__' && key.toLowerCase() !== 'x-amz-signature');

  it('every unaltered request signed by either implementation is accepted by both', async () => {
    await fc.assert(
      fc.asyncProperty(wireRequest, fc.boolean(), async (generated, byProject) => {
        fc.pre(!byProject || signableByProject(generated));
        const wire = byProject ? await signedByProject(buildWire(generated)) : await signedByAws4fetch(buildWire(generated), false);
        expect(await ourVerdict(wire)).toBe(true);
        expect(await independentVerdict(wire)).toBe(true);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe("through the stand-in's HTTP server, a function URL answers 200 exactly when aws4fetch accepts the signature", () => {
  let world: SeededWorld;
  let target: Target;
  let prefix: string;

  beforeAll(async () => {
    let credentials: AwsCredentialIdentity;
    ({ world, session: credentials } = await seededSession('differential'));
    target = { protocol: 'http:', host: `127.0.0.1:${world.local.port}`, credentials, now: new Date() };
    prefix = new URL(world.urls.echo).pathname.replace(/\/$/, '');
  });
  afterAll(async () => {
    await world.local.close();
  });

  /** Sends the wire request byte for byte (no client-side URL normalization) and returns the status. */
  const send = (wire: Wire) =>
    new Promise<number>((resolve, reject) => {
      const headers: [string, string][] = wire.headers.filter(([name]) => name.toLowerCase() !== 'host');
      const request = http.request({
        host: '127.0.0.1',
        port: world.local.port,
        method: wire.method,
        path: `${wire.rawPath}${wire.rawQuery === '' ? '' : `?${wire.rawQuery}`}`,
        headers: [['host', target.host], ...headers].flat(),
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end(wire.body);
    });

  it('for generated paths under the URL and queries, header-signed or presigned, sent as signed or altered', async () => {
    // Dot segments are left out here: they would route the request away from the URL's prefix.
    const underUrl = wireRequest.filter((r) => r.segments.every((segment) => segment !== '.' && segment !== '..'));
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        underUrl,
        fc.constantFrom('project', 'aws4fetch', 'presigned'),
        fc.constantFrom(...Object.keys(ALTERATIONS).filter((a) => a !== 'dotSegmentAdded')),
        async (generated, signer, alteration) => {
          target.now = new Date();
          const wire = buildWire(generated);
          const routed = { ...wire, rawPath: `${prefix}${wire.rawPath}` };
          const signed =
            signer === 'project' ? await signedByProject(routed, target) : await signedByAws4fetch(routed, signer === 'presigned', target);
          const sent = ALTERATIONS[alteration](signed);
          // An alteration of the path that leaves the URL's prefix is routing, not signing.
          fc.pre(sent.rawPath.startsWith(`${prefix}/`) || sent.rawPath === prefix);
          const status = await send(sent);
          statuses.add(status);
          // A failure names the request, with the session token left out of the message.
          const shown = sent.rawQuery.replace(/(X-Amz-Security-Token=)[^&]*/i, '$1…');
          expect(status === 200, `${sent.method} ${sent.rawPath}?${shown} (${signer}, ${alteration}) -> ${status}`).toBe(
            await independentVerdict(sent, target),
          );
        },
      ),
      { numRuns: 120, seed: 4242 },
    );
    expect([...statuses].sort()).toEqual([200, 403]);
  });
});
