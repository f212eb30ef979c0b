import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import { describeSignedRequest, headerBag, parseAuthorization, sha256Hex, signRequest, toHttpRequest } from '../client/sigv4';
import { verifyRequest } from '../client/sigv4-verifier';

/**
 * Differential signing over generated requests: paths, queries (prototype-named keys, `+`, `%`,
 * unicode, repeated and empty keys and values) and headers. The request the client puts on the
 * wire (`FunctionUrlClient.target`) is signed by the project and, independently, by the AWS SDK
 * v3's stock `SignatureV4` and by aws4fetch:
 * - the project's signature (so its canonical request) equals the SDK's for the same wire request;
 * - aws4fetch's signed request is accepted by the project's verifier.
 * Bounded: a fixed number of runs each, well under a second.
 */

const ORIGIN = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session+token/=',
};
const DATE = new Date('2026-01-02T03:04:05Z');
const RUNS = 200;
const client = new FunctionUrlClient({ url: `${ORIGIN}/`, region: 'us-east-1' });

const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
// Whole code points (an emoji is two UTF-16 units; a lone half cannot be UTF-8-encoded at all).
const CHARS = [..."aZ09 +%~!*'()=&/._-", 'é', '€', '😀', '\u00a0'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 8 }).map((chars) => chars.join(''));
const queryKey = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), text);

/** One query component written the way a caller might: form-encoded, RFC 3986, or raw where harmless. */
const written = (value: string, style: number): string => {
  if (style === 0) return encodeURIComponent(value).replace(/%20/g, '+');
  if (style === 1) return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encodeURIComponent(value).replace(/%2[01]/gi, (c) => (c.toUpperCase() === '%20' ? '+' : '!'));
};

const requestArbitrary = fc.record({
  segments: fc.array(
    text.filter((s) => s !== '.' && s !== '..'),
    { maxLength: 4 },
  ),
  query: fc.array(fc.tuple(queryKey, text, fc.integer({ min: 0, max: 2 })), { maxLength: 6 }),
  headers: fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'x-custom', 'content-type'), fc.stringMatching(/^x-[a-z0-9-]{1,10}$/)),
      fc.stringMatching(/^[ -~]{0,12}$/),
    ),
    { maxLength: 4 },
  ),
  body: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});

type Generated = typeof requestArbitrary extends fc.Arbitrary<infer T> ? T : never;

function wireOf(generated: Generated) {
  const path = `/${generated.segments.map((s) => encodeURIComponent(s)).join('/')}`;
  const query = generated.query.map(([key, value, style]) => `${written(key, style)}=${written(value, style)}`).join('&');
  return client.target({ path, query });
}

/** The wire query read back the way the SDK's query parser reads it (no `+` can be on the wire). */
function sdkQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of rawQuery.split('&').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1));
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

describe('differential signing', () => {
  it('the wire form is canonical: no raw +, no lower-case escapes, and stable when re-encoded', () => {
    fc.assert(
      fc.property(requestArbitrary, (generated) => {
        const wire = wireOf(generated);
        expect(wire.rawQuery).not.toMatch(/\+|%[0-9a-f]?[a-f]/);
        expect(client.target({ path: wire.path, query: wire.rawQuery })).toEqual(wire);
      }),
      { numRuns: RUNS },
    );
  });

  it('the project signs every wire request exactly as the AWS SDK v3 SignatureV4 does', async () => {
    const sdk = new SignatureV4({
      credentials: CREDENTIALS,
      region: 'us-east-1',
      service: 'lambda',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
      applyChecksum: false,
    });
    await fc.assert(
      fc.asyncProperty(requestArbitrary, async (generated) => {
        const wire = wireOf(generated);
        const headers: [string, string][] = generated.headers.map(([n, v]) => [n, v]);
        const ours = await signRequest(
          { method: 'POST', hostname: new URL(ORIGIN).hostname, path: wire.path, rawQuery: wire.rawQuery, headers, body: generated.body },
          CREDENTIALS,
          { region: 'us-east-1', service: 'lambda', signingDate: DATE },
        );
        // The SDK gets the same wire request: the headers as they arrive (x-amz-content-sha256 was sent).
        const sentHeaders = Object.fromEntries(Object.entries(headerBag(headers)));
        if (ours.headers['x-amz-content-sha256'] !== undefined) sentHeaders['x-amz-content-sha256'] = sha256Hex(generated.body);
        sentHeaders.host = new URL(ORIGIN).hostname;
        const theirs = await sdk.sign(
          new HttpRequest({
            method: 'POST',
            protocol: 'https:',
            hostname: new URL(ORIGIN).hostname,
            path: wire.path,
            query: sdkQuery(wire.rawQuery),
            headers: sentHeaders,
            body: generated.body,
          }),
          { signingDate: DATE },
        );
        const oursAuth = parseAuthorization(ours.headers.authorization);
        const theirsAuth = parseAuthorization(theirs.headers.authorization);
        if (oursAuth.signature !== theirsAuth.signature) {
          // Show what differs: the canonical request the project computed for this input.
          expect((await describeSignedRequest(ours, CREDENTIALS)).canonicalRequest).toBe('(the SDK signed differently)');
        }
        expect(oursAuth).toEqual(theirsAuth);
      }),
      { numRuns: RUNS },
    );
  });

  it("aws4fetch's signature for every wire request is accepted by the project's verifier, and a changed query is refused", async () => {
    const lookup = (id: string) =>
      id === CREDENTIALS.accessKeyId ? { secretAccessKey: CREDENTIALS.secretAccessKey, sessionToken: CREDENTIALS.sessionToken } : undefined;
    // aws4fetch leaves out empty query keys, collapses `//`, and does not trim a repeated header
    // joined by fetch's Headers (`a: ` twice is ", "): requests AWS itself reads otherwise.
    const arbitrary = requestArbitrary.filter(
      (g) =>
        g.query.every(([key]) => key !== '') &&
        g.segments.slice(0, -1).every((s) => s !== '') &&
        new Set(g.headers.map(([n]) => n.toLowerCase())).size === g.headers.length,
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (generated) => {
        const wire = wireOf(generated);
        const url = `${ORIGIN}${wire.path}${wire.rawQuery === '' ? '' : `?${wire.rawQuery}`}`;
        const signed = await new AwsV4Signer({
          url,
          method: 'POST',
          headers: generated.headers,
          body: generated.body,
          ...CREDENTIALS,
          service: 'lambda',
          region: 'us-east-1',
          datetime: '20260102T030405Z',
        }).sign();
        const received = (rawQuery: string) =>
          toHttpRequest({
            method: 'POST',
            hostname: signed.url.hostname,
            path: signed.url.pathname,
            rawQuery,
            headers: [...signed.headers],
            body: generated.body,
          });
        const verdict = await verifyRequest(received(wire.rawQuery), lookup, { service: 'lambda', region: 'us-east-1', now: DATE });
        expect(verdict).toMatchObject({ ok: true });
        const tampered = await verifyRequest(received(`${wire.rawQuery}${wire.rawQuery === '' ? '' : '&'}extra=1`), lookup, {
          service: 'lambda',
          region: 'us-east-1',
          now: DATE,
        });
        expect(tampered).toMatchObject({ ok: false });
      }),
      { numRuns: RUNS },
    );
  });
});
