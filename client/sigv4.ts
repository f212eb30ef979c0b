import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4, createScope } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HeaderBag, HttpRequest as HttpRequestLike, QueryParameterBag } from '@smithy/types';

/**
 * SigV4 for Lambda function URLs, on top of @smithy/signature-v4.
 *
 * One class both signs (client) and checks (the local stand-in for AWS) a request, so there is a
 * single canonicalization in the codebase. Rules that matter for function URLs:
 * - `host` is always signed explicitly (it is part of what the URL id and region authorize);
 * - a body is always hashed (never UNSIGNED-PAYLOAD) and `x-amz-content-sha256` is sent with it;
 * - the query is canonicalized strictly: RFC 3986 percent-decoding, a raw `+` is a space (send
 *   `%2B` for a plus), repeated keys are all kept;
 * - the path is signed as it goes on the wire; like every non-S3 service, AWS normalizes `.`, `..`
 *   and `//` and then URI-encodes it again, which smithy does when `uriEscapePath` is true.
 */

export interface SignableRequest {
  method: string;
  protocol?: 'https:' | 'http:';
  hostname: string;
  port?: number;
  /** The path exactly as it is sent in the request line (already percent-encoded by a URL). */
  path: string;
  /** The raw query string as sent, without the leading `?`. */
  rawQuery?: string;
  /** Header pairs; a name that occurs several times is joined with "," in order. */
  headers?: [string, string][] | Record<string, string>;
  body?: string | Uint8Array;
}

export interface SigningOptions {
  region: string;
  service: string;
  signingDate?: Date;
  /** Send and sign `x-amz-content-sha256`. @default true when there is a body */
  signBody?: boolean;
  /** Sign `x-amz-security-token` (false: add it after signing, as some services want). @default true */
  signSessionToken?: boolean;
}

export const LAMBDA_SERVICE = 'lambda';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Splits a raw query string as it came off the wire. Keys live in a null-prototype object, so
 * `?constructor=1` or `?__proto__=x` are ordinary keys. A raw `+` is read as a space (form
 * encoding, as the AWS SDK for JavaScript v3 and Lambda's `queryStringParameters` read it); a
 * literal plus is `%2B`. Throws on malformed percent-encoding.
 */
export function parseQuery(rawQuery: string | undefined): QueryParameterBag {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of parseQueryPairs(rawQuery)) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

/** The decoded key/value pairs of a raw query string, in the order given (same reading as `parseQuery`). */
export function parseQueryPairs(rawQuery: string | undefined): [string, string][] {
  const pairs: [string, string][] = [];
  if (rawQuery === undefined || rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push([decodeQueryComponent(eq === -1 ? part : part.slice(0, eq)), eq === -1 ? '' : decodeQueryComponent(part.slice(eq + 1))]);
  }
  return pairs;
}

/**
 * RFC 3986 percent-encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - . _ ~` is encoded,
 * as UTF-8, with upper-case hex (so a space is `%20`, never `+`, and a plus is `%2B`).
 */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Pairs in the canonical wire form `k=v&k=v` (order kept; the signature sorts, the wire need not). */
export function formatQuery(pairs: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [key, value] of pairs) parts.push(`${encodeRfc3986(key)}=${encodeRfc3986(value)}`);
  return parts.join('&');
}

/**
 * A raw query rewritten to its canonical encoding. The server then reads exactly the bytes that
 * were signed: with a raw `+` on the wire, AWS services differ on whether it is a plus or a space
 * (the SDK for JavaScript v3 and aws4fetch sign a space, botocore a plus), so it is never sent.
 */
export function canonicalWireQuery(rawQuery: string | undefined): string {
  if (rawQuery === undefined || rawQuery === '') return '';
  const parts: string[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    // A bare key stays bare (`?flag`): it signs as `flag=` either way, and the function sees what the caller wrote.
    parts.push(
      eq === -1
        ? encodeRfc3986(decodeQueryComponent(part))
        : `${encodeRfc3986(decodeQueryComponent(part.slice(0, eq)))}=${encodeRfc3986(decodeQueryComponent(part.slice(eq + 1)))}`,
    );
  }
  return parts.join('&');
}

/**
 * A path rewritten segment by segment to its RFC 3986 encoding (`%2F` inside a segment stays
 * `%2F`); throws SignatureFormatError on malformed percent-encoding.
 */
export function canonicalWirePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      try {
        return encodeRfc3986(decodeURIComponent(segment));
      } catch {
        throw new SignatureFormatError(`the path segment ${JSON.stringify(segment)} has malformed percent-encoding`);
      }
    })
    .join('/');
}

/**
 * SigV4's canonical query string: every parameter, keys and values RFC 3986-encoded, sorted by key
 * then value; only the presigned form leaves out its own `X-Amz-Signature` (botocore signs a
 * header-signed request's `x-amz-signature=…` like any other key, and AWS verifies it so).
 * Computed here rather than by @smithy/signature-v4 5.x, which collects it in a plain object (a
 * key `__proto__` is dropped and the canonical query reads `[object Object]`) and drops every key
 * equal to x-amz-signature in any case. Found by test/local-aws-sigv4-differential.test.ts.
 */
export function canonicalQueryString(query: QueryParameterBag | undefined, presigned = false): string {
  const pairs: [string, string][] = [];
  for (const key of Object.keys(query ?? {})) {
    if (presigned && key === 'X-Amz-Signature') continue;
    const value = query![key];
    for (const item of Array.isArray(value) ? value : [value ?? '']) pairs.push([encodeRfc3986(key), encodeRfc3986(item)]);
  }
  pairs.sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function decodeQueryComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new SignatureFormatError(`the query component ${JSON.stringify(text)} has malformed percent-encoding`);
  }
}

/** Header pairs as one bag (null prototype): a name sent several times is joined with "," in order. */
export function headerBag(headers: SignableRequest['headers']): HeaderBag {
  const bag: HeaderBag = Object.create(null);
  const pairs = headers === undefined ? [] : Array.isArray(headers) ? headers : Object.entries(headers);
  const original = new Map<string, string>();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    const key = original.get(lower) ?? name;
    original.set(lower, key);
    bag[key] = bag[key] === undefined ? value : `${bag[key]},${value}`;
  }
  return bag;
}

export function toHttpRequest(request: SignableRequest): HttpRequest {
  const headers = headerBag(request.headers);
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) {
    headers.host = request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`;
  }
  return new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: request.protocol ?? 'https:',
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    query: parseQuery(request.rawQuery),
    headers,
    body: request.body,
  });
}

export function sha256Hex(body: string | Uint8Array | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_SHA256;
  return createHash('sha256').update(body).digest('hex');
}

/** A request whose Authorization header is not a well-formed SigV4 header. */
export class SignatureFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureFormatError';
  }
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=…, Signature=…`. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const match = /^AWS4-HMAC-SHA256 (.+)$/.exec(header.trim());
  if (match === null) throw new SignatureFormatError('the Authorization header does not start with AWS4-HMAC-SHA256');
  const fields = new Map<string, string>();
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1])) {
    throw new SignatureFormatError('the Authorization header has no valid Credential=<key>/<date>/<region>/<service>/aws4_request');
  }
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature') ?? '';
  if (!signedHeaders || !/^[0-9a-f]{64}$/.test(signature)) {
    throw new SignatureFormatError('the Authorization header lacks SignedHeaders or a 64-hex-digit Signature');
  }
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

/** The canonical request, string to sign and signature of a request, for display and checks. */
export interface SignatureDetails {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/**
 * SignatureV4 with one addition: the canonical request etc. of a signed request (to show what was signed,
 * the test vectors and the verifier in sigv4-verifier.ts).
 */
export class RequestSigner extends SignatureV4 {
  constructor(credentials: AwsCredentialIdentity, options: { region: string; service: string; applyChecksum?: boolean }) {
    super({
      credentials,
      region: options.region,
      service: options.service,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
      applyChecksum: options.applyChecksum ?? false,
    });
  }

  /** Smithy's canonical request with the canonical query replaced by `canonicalQueryString`'s. */
  protected override createCanonicalRequest(request: HttpRequest, canonicalHeaders: HeaderBag, payloadHash: string): string {
    return this.canonicalRequest(request, canonicalHeaders, payloadHash, false);
  }

  private canonicalRequest(request: HttpRequest, canonicalHeaders: HeaderBag, payloadHash: string, presigned: boolean): string {
    // Smithy's method and path lines (its path normalization is AWS's for non-S3 services).
    const lines = super
      .createCanonicalRequest(
        Object.assign(Object.create(Object.getPrototypeOf(request)), request, { query: {} }),
        canonicalHeaders,
        payloadHash,
      )
      .split('\n');
    lines[2] = canonicalQueryString(request.query, presigned);
    return lines.join('\n');
  }

  /**
   * Recomputes canonical request, string to sign and signature of `request` from the headers its
   * Authorization names, with this signer's secret. The payload hash is the request's
   * x-amz-content-sha256 or its body's unless given (a verifier tries the ones AWS accepts);
   * `presigned` leaves the query's own X-Amz-Signature out.
   */
  async details(
    request: HttpRequestLike,
    authorization: ParsedAuthorization,
    longDate: string,
    options: { payloadHash?: string; presigned?: boolean } = {},
  ): Promise<SignatureDetails> {
    const canonicalHeaders: HeaderBag = Object.create(null);
    const byLowerName = new Map(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
    for (const name of authorization.signedHeaders) {
      const value = byLowerName.get(name);
      if (value === undefined) throw new SignatureFormatError(`the signed header "${name}" is not in the request`);
      canonicalHeaders[name] = value.trim().replace(/\s+/g, ' ');
    }
    const payloadHash =
      options.payloadHash ?? byLowerName.get('x-amz-content-sha256') ?? sha256Hex(request.body as string | Uint8Array | undefined);
    const canonicalRequest = this.canonicalRequest(request as HttpRequest, canonicalHeaders, payloadHash, options.presigned ?? false);
    const scope = createScope(authorization.date, authorization.region, authorization.service);
    const stringToSign = await this.createStringToSign(longDate, scope, canonicalRequest, 'AWS4-HMAC-SHA256');
    const signature = await this.sign(stringToSign, {
      signingDate: parseAmzDate(longDate),
      signingRegion: authorization.region,
      signingService: authorization.service,
    });
    return { canonicalRequest, stringToSign, signature };
  }
}

/**
 * Signers are reused per credentials object (a cached session is one object until it is
 * refreshed), so a hot loop does not rebuild one per request.
 */
const signers = new WeakMap<AwsCredentialIdentity, Map<string, RequestSigner>>();

function signerFor(
  credentials: AwsCredentialIdentity,
  region: string,
  service: string,
  applyChecksum: boolean,
  withToken: boolean,
): RequestSigner {
  let byOptions = signers.get(credentials);
  if (byOptions === undefined) {
    byOptions = new Map();
    signers.set(credentials, byOptions);
  }
  const key = `${region}|${service}|${applyChecksum}|${withToken}`;
  let signer = byOptions.get(key);
  if (signer === undefined) {
    const identity = withToken ? credentials : { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
    signer = new RequestSigner(identity, { region, service, applyChecksum });
    byOptions.set(key, signer);
  }
  return signer;
}

/** Signs `request` for `options.service` (default: Lambda) with `credentials`. */
export async function signRequest(
  request: SignableRequest,
  credentials: AwsCredentialIdentity,
  options: SigningOptions,
): Promise<HttpRequestLike> {
  const hasBody = request.body !== undefined && request.body.length > 0;
  const signBody = options.signBody ?? hasBody;
  const signSessionToken = options.signSessionToken ?? true;
  const signer = signerFor(credentials, options.region, options.service, signBody, signSessionToken);
  const signed = await signer.sign(toHttpRequest(request), { signingDate: options.signingDate });
  if (!signSessionToken && credentials.sessionToken !== undefined) signed.headers['x-amz-security-token'] = credentials.sessionToken;
  return signed;
}

/** SigV4's limit for query-string authentication (X-Amz-Expires). */
export const MAX_PRESIGN_SECONDS = 604_800;

/**
 * Query-string authentication: the signature and the X-Amz-* fields (and the session token) go in
 * the query, only `host` is signed, and the payload hash is that of `request.body` (none: the
 * empty body), so whoever holds the URL can send exactly that request until it expires.
 */
export async function presignRequest(
  request: SignableRequest,
  credentials: AwsCredentialIdentity,
  options: SigningOptions & { expiresInSeconds: number },
): Promise<HttpRequestLike> {
  const signer = signerFor(credentials, options.region, options.service, false, true);
  return signer.presign(toHttpRequest({ ...request, headers: undefined }), {
    expiresIn: options.expiresInSeconds,
    signingDate: options.signingDate,
  });
}

/** The query of a presigned request as it goes on the wire: canonical order and encoding, the signature last. */
export function presignedQuery(query: QueryParameterBag): string {
  const signature = query['X-Amz-Signature'];
  return `${canonicalQueryString(query, true)}&X-Amz-Signature=${typeof signature === 'string' ? signature : ''}`;
}

/** The canonical request etc. of a request signed by `signRequest` (never includes secrets). */
export async function describeSignedRequest(signed: HttpRequestLike, credentials: AwsCredentialIdentity): Promise<SignatureDetails> {
  const authorization = parseAuthorization(headerValue(signed.headers, 'authorization') ?? '');
  const longDate = headerValue(signed.headers, 'x-amz-date') ?? '';
  const signer = new RequestSigner(credentials, { region: authorization.region, service: authorization.service });
  return signer.details(signed, authorization, longDate);
}

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export function parseAmzDate(longDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(longDate);
  if (m === null) throw new SignatureFormatError(`X-Amz-Date ${JSON.stringify(longDate)} is not of the form YYYYMMDDTHHMMSSZ`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
