import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpRequest } from '@smithy/protocol-http';
import { type SignableRequest, describeSignedRequest, parseAuthorization, signRequest } from '../client/sigv4';
import { verifyRequest } from '../client/sigv4-verifier';

/**
 * The official SigV4 test vectors (../shared/testdata/sigv4-test-suite, from awslabs/aws-c-auth).
 * Every `normalize: true` case (the non-S3 style that Lambda function URLs use), with and without
 * a session token, must come out of our request builder with the vector's canonical request,
 * string to sign and signature. The `normalize: false` cases describe S3 and do not apply.
 */

const SUITE = path.resolve(__dirname, '..', '..', 'shared', 'testdata', 'sigv4-test-suite');

interface VectorContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  normalize: boolean;
  region: string;
  service: string;
  sign_body: boolean;
  timestamp: string;
  omit_session_token?: boolean;
}

/** Parses the raw HTTP request of a vector: request line, headers (with folded lines), body. */
function parseRawRequest(raw: string): SignableRequest {
  const [head, ...bodyParts] = raw.split('\n\n');
  const lines = head.split('\n');
  const requestLine = lines[0];
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' HTTP/'));
  const queryAt = target.indexOf('?');
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (/^\s/.test(line) && headers.length > 0) {
      headers[headers.length - 1][1] += `\n${line}`;
    } else {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  const host = headers.find(([name]) => name.toLowerCase() === 'host')![1].trim();
  const body = bodyParts.join('\n\n');
  return {
    method,
    hostname: host,
    path: queryAt === -1 ? target : target.slice(0, queryAt),
    rawQuery: queryAt === -1 ? undefined : target.slice(queryAt + 1),
    headers,
    body: body === '' ? undefined : body,
  };
}

const read = (name: string, file: string) => fs.readFileSync(path.join(SUITE, name, file), 'utf8');
const cases = fs
  .readdirSync(SUITE)
  .filter((name) => fs.existsSync(path.join(SUITE, name, 'context.json')))
  .map((name) => ({ name, context: JSON.parse(read(name, 'context.json')) as VectorContext }));
const normalized = cases.filter((c) => c.context.normalize);

async function signVector(name: string, context: VectorContext) {
  const credentials = {
    accessKeyId: context.credentials.access_key_id,
    secretAccessKey: context.credentials.secret_access_key,
    sessionToken: context.credentials.token,
  };
  const request = parseRawRequest(read(name, 'request.txt'));
  const signed = await signRequest(request, credentials, {
    region: context.region,
    service: context.service,
    signingDate: new Date(context.timestamp),
    signBody: context.sign_body,
    signSessionToken: !context.omit_session_token,
  });
  return { signed, credentials, request };
}

describe('SigV4 test vectors', () => {
  it('the suite is there, with normalized cases with and without a session token', () => {
    expect(normalized.length).toBeGreaterThanOrEqual(30);
    expect(normalized.some((c) => c.context.credentials.token !== undefined && !c.context.omit_session_token)).toBe(true);
    expect(normalized.some((c) => c.context.omit_session_token)).toBe(true);
    expect(normalized.some((c) => c.context.sign_body)).toBe(true);
  });

  it.each(normalized.map((c) => [c.name, c.context] as const))(
    '%s: canonical request, string to sign and signature',
    async (name, context) => {
      const { signed, credentials } = await signVector(name, context);
      const details = await describeSignedRequest(signed, credentials);
      expect(details.canonicalRequest).toBe(read(name, 'header-canonical-request.txt'));
      expect(details.stringToSign).toBe(read(name, 'header-string-to-sign.txt'));
      expect(parseAuthorization(signed.headers.authorization).signature).toBe(read(name, 'header-signature.txt').trim());
      expect(details.signature).toBe(read(name, 'header-signature.txt').trim());
    },
  );

  it.each(normalized.filter((c) => !c.context.omit_session_token).map((c) => [c.name, c.context] as const))(
    '%s: the verifier accepts the signed request, and refuses it with one header changed',
    async (name, context) => {
      const { signed, credentials } = await signVector(name, context);
      const lookup = (id: string) =>
        id === credentials.accessKeyId
          ? { secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken }
          : undefined;
      const now = new Date(context.timestamp);
      const accepted = await verifyRequest(signed, lookup, { service: context.service, region: context.region, now });
      expect(accepted).toMatchObject({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
      const tampered = new HttpRequest({ ...signed, headers: { ...signed.headers, host: 'example2.amazonaws.com' } });
      expect(await verifyRequest(tampered, lookup, { service: context.service, now })).toMatchObject({
        ok: false,
        code: 'SignatureDoesNotMatch',
      });
    },
  );
});
