import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest as HttpRequestLike, QueryParameterBag } from '@smithy/types';
import { type ParsedAuthorization, RequestSigner, formatAmzDate, headerValue, parseAmzDate, parseAuthorization, sha256Hex } from './sigv4';

/**
 * The SigV4 verifier: checks a received request like AWS does. The local stand-in for AWS uses it;
 * it shares the signer's canonicalization (sigv4.ts), so there is one canonical request in the
 * codebase. Both forms AWS accepts are verified: the `Authorization` header, and the presigned
 * (query-string) form with `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
 * `X-Amz-SignedHeaders`, `X-Amz-Signature` and `X-Amz-Security-Token` in the query.
 */

/** Why a request's signature was not accepted; `code` is AWS's error code for it. */
export interface VerificationFailure {
  ok: false;
  code:
    | 'MissingAuthenticationToken'
    | 'IncompleteSignature'
    | 'InvalidClientTokenId'
    | 'SignatureDoesNotMatch'
    | 'ExpiredToken'
    | 'RequestExpired'
    | 'InvalidSignatureException';
  message: string;
}

export interface VerificationSuccess {
  ok: true;
  accessKeyId: string;
  sessionToken?: string;
  region: string;
  service: string;
  /** True when the signature came in the query string (a presigned URL). */
  presigned: boolean;
  /**
   * False when the signature covers `UNSIGNED-PAYLOAD` (a presigned URL, as botocore builds them):
   * then whoever holds the URL chooses the body, and nothing in it may select what the request does.
   */
  payloadSigned: boolean;
  /** The lower-case names of the headers the signature covers. */
  signedHeaders: string[];
}

export interface KnownKey {
  secretAccessKey: string;
  /** Temporary keys: the token that must accompany them, and when they expire. */
  sessionToken?: string;
  expiresAt?: Date;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SigV4's bound on X-Amz-Expires: a signing key is valid for seven days. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;
const PRESIGNED_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
];

/**
 * How far a request's X-Amz-Date may be from the server's clock. STS allows 15 minutes, every
 * other service 5 (measured against AWS with requests signed off the clock; STS's allowance is
 * also why presigned GetCallerIdentity URLs, e.g. EKS tokens, live 15 minutes: aws/aws-sdk-go#2167).
 */
export function allowedClockSkewMs(service: string): number {
  return (service === 'sts' ? 15 : 5) * 60 * 1000;
}

/** The parts of a signature, from the Authorization header or from a presigned URL's query. */
interface ClaimedSignature {
  authorization: ParsedAuthorization;
  longDate: string;
  sessionToken?: string;
  /** X-Amz-Expires, presigned form only. */
  expiresSeconds?: number;
  /** The payload hash the signer claims (x-amz-content-sha256 as a header, or in the query when presigned). */
  claimedPayloadHash?: string;
  presigned: boolean;
}

type Failure = (code: VerificationFailure['code'], message: string) => VerificationFailure;
const fail: Failure = (code, message) => ({ ok: false, code, message });

/**
 * Checks a received request's SigV4 signature like AWS: a well-formed signature (header or
 * query, never both), signed `host`, X-Amz-Date within the service's clock skew of `now` (a
 * presigned URL: within X-Amz-Expires; STS: within its 15 minutes whatever X-Amz-Expires says),
 * a known key, its session token, its expiry, the body hash and finally the signature itself.
 * `expectedService` (and `expectedRegion` when given) must match the credential scope.
 */
export async function verifyRequest(
  request: HttpRequestLike,
  lookupKey: (accessKeyId: string) => KnownKey | undefined,
  expected: { service: string; region?: string; now?: Date },
): Promise<VerificationSuccess | VerificationFailure> {
  const claimed = claimedSignature(request);
  if ('ok' in claimed) return claimed;
  const { authorization, longDate } = claimed;
  const signedAt = signingTimeInScope(claimed, expected);
  if (!(signedAt instanceof Date)) return signedAt;
  const now = expected.now ?? new Date();
  const timeFailure = checkTime(claimed, signedAt, now, expected.service);
  if (timeFailure !== undefined) return timeFailure;
  const key = lookupKey(authorization.accessKeyId);
  if (key === undefined) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const token = claimed.sessionToken;
  // A long-term key (AKIA…) with any session token is refused as well: AWS answers that with
  // InvalidClientTokenId (the classic stale AWS_SESSION_TOKEN next to new long-term keys).
  if (token !== key.sessionToken) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (key.expiresAt !== undefined && now.getTime() >= key.expiresAt.getTime())
    return fail('ExpiredToken', 'The security token included in the request is expired');
  const bodyHash = sha256Hex(request.body as string | Uint8Array | undefined);
  const claimedHash = claimed.claimedPayloadHash;
  if (claimedHash !== undefined && claimedHash !== bodyHash && !(claimed.presigned && claimedHash === UNSIGNED_PAYLOAD)) {
    return fail('SignatureDoesNotMatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  // A presigned URL is signed before its body exists: the signer hashed the body it was given, or
  // declared UNSIGNED-PAYLOAD; both are accepted, as AWS does for query authentication.
  const payloadHashes = claimedHash !== undefined ? [claimedHash] : claimed.presigned ? [bodyHash, UNSIGNED_PAYLOAD] : [bodyHash];
  const signer = verifierFor(authorization.accessKeyId, key.secretAccessKey);
  let matchedHash: string | undefined;
  try {
    for (const payloadHash of payloadHashes) {
      const { signature } = await signer.details(request, authorization, longDate, { payloadHash, presigned: claimed.presigned });
      if (timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(authorization.signature, 'hex'))) matchedHash ??= payloadHash;
    }
  } catch (error) {
    return fail('IncompleteSignature', (error as Error).message);
  }
  if (matchedHash === undefined) {
    const hint = claimed.presigned ? await otherMethodHint(signer, request, authorization, longDate, payloadHashes) : '';
    return fail(
      'SignatureDoesNotMatch',
      `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.${hint}`,
    );
  }
  return {
    ok: true,
    accessKeyId: authorization.accessKeyId,
    sessionToken: token,
    region: authorization.region,
    service: authorization.service,
    presigned: claimed.presigned,
    payloadSigned: matchedHash !== UNSIGNED_PAYLOAD,
    signedHeaders: authorization.signedHeaders,
  };
}

/**
 * The time the request says it was signed (X-Amz-Date), once its scope checks out: `host` (and,
 * in a header, X-Amz-Date) signed, a valid X-Amz-Date on the scope's day, the expected service and
 * region.
 */
function signingTimeInScope(claimed: ClaimedSignature, expected: { service: string; region?: string }): Date | VerificationFailure {
  const { authorization, longDate } = claimed;
  if (!authorization.signedHeaders.includes('host')) return fail('IncompleteSignature', "'Host' must be a signed header.");
  if (!claimed.presigned && !authorization.signedHeaders.includes('x-amz-date'))
    return fail('IncompleteSignature', 'X-Amz-Date must be sent and signed.');
  let signedAt: Date;
  try {
    signedAt = parseAmzDate(longDate);
  } catch (error) {
    return fail('IncompleteSignature', (error as Error).message);
  }
  if (longDate.slice(0, 8) !== authorization.date) {
    return fail('SignatureDoesNotMatch', `Credential should be scoped to a valid date: ${authorization.date} vs ${longDate.slice(0, 8)}.`);
  }
  if (authorization.service !== expected.service)
    return fail('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${expected.service}'.`);
  if (expected.region !== undefined && authorization.region !== expected.region) {
    return fail('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${authorization.region}'.`);
  }
  return signedAt;
}

/**
 * A presigned URL signs its HTTP method. botocore's `generate_presigned_url` signs the operation's
 * own method unless given `HttpMethod`: POST for the Query protocol (STS, IAM), so a GET of its
 * GetCallerIdentity URL fails on AWS as here. When the signature matches the other method, the
 * failure says so (AWS's own message does not).
 */
async function otherMethodHint(
  signer: RequestSigner,
  request: HttpRequestLike,
  authorization: ParsedAuthorization,
  longDate: string,
  payloadHashes: string[],
): Promise<string> {
  const other = request.method.toUpperCase() === 'GET' ? 'POST' : request.method.toUpperCase() === 'POST' ? 'GET' : undefined;
  if (other === undefined) return '';
  for (const payloadHash of payloadHashes) {
    const { signature } = await signer.details({ ...request, method: other }, authorization, longDate, { payloadHash, presigned: true });
    if (timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(authorization.signature, 'hex')))
      return ` This URL was presigned for ${other} and sent as ${request.method.toUpperCase()}: the method is part of the signature, so AWS refuses it too. Send it as ${other}, or presign it for ${request.method.toUpperCase()} (botocore: generate_presigned_url(..., HttpMethod='${request.method.toUpperCase()}')).`;
  }
  return '';
}

/**
 * The time rule. Header form: X-Amz-Date within the service's skew. Presigned form: not signed in
 * the future (beyond the skew) and used within X-Amz-Expires of X-Amz-Date; except STS, which
 * ignores X-Amz-Expires and accepts a presigned request for its 15 minutes of skew either way
 * (aws/aws-sdk-go#2167, kubernetes-sigs/aws-iam-authenticator#160).
 */
function checkTime(claimed: ClaimedSignature, signedAt: Date, now: Date, service: string): VerificationFailure | undefined {
  const skew = allowedClockSkewMs(service);
  const age = now.getTime() - signedAt.getTime();
  if (!claimed.presigned || service === 'sts') {
    if (Math.abs(age) > skew) {
      return fail(
        'RequestExpired',
        `Signature expired: ${claimed.longDate} is now earlier or later than ${skew / 60_000} minutes from ${formatAmzDate(now)}.`,
      );
    }
    return undefined;
  }
  if (-age > skew)
    return fail(
      'RequestExpired',
      `Request is not yet valid: ${claimed.longDate} is later than ${skew / 60_000} minutes from ${formatAmzDate(now)}.`,
    );
  if (age > (claimed.expiresSeconds ?? 0) * 1000)
    return fail(
      'RequestExpired',
      `Request has expired: signed at ${claimed.longDate}, valid for ${claimed.expiresSeconds} seconds, now ${formatAmzDate(now)}.`,
    );
  return undefined;
}

/** The signature a request claims, from its Authorization header or its query; a failure when malformed or both are given. */
function claimedSignature(request: HttpRequestLike): ClaimedSignature | VerificationFailure {
  const header = headerValue(request.headers, 'authorization');
  const query: QueryParameterBag = request.query ?? Object.create(null);
  const algorithm = query['X-Amz-Algorithm'];
  if (header !== undefined && algorithm !== undefined) {
    return fail(
      'IncompleteSignature',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
    );
  }
  if (header !== undefined) {
    let authorization: ParsedAuthorization;
    try {
      authorization = parseAuthorization(header);
    } catch (error) {
      return fail('IncompleteSignature', (error as Error).message);
    }
    const longDate = headerValue(request.headers, 'x-amz-date');
    if (longDate === undefined) return fail('IncompleteSignature', 'X-Amz-Date must be sent and signed.');
    return {
      authorization,
      longDate,
      sessionToken: headerValue(request.headers, 'x-amz-security-token'),
      claimedPayloadHash: headerValue(request.headers, 'x-amz-content-sha256'),
      presigned: false,
    };
  }
  if (algorithm === undefined) return fail('MissingAuthenticationToken', 'Missing Authentication Token');
  return presignedSignature(request, query);
}

function presignedSignature(request: HttpRequestLike, query: QueryParameterBag): ClaimedSignature | VerificationFailure {
  const params: Record<string, string | undefined> = Object.create(null);
  for (const name of PRESIGNED_PARAMS) {
    const value = query[name];
    if (Array.isArray(value))
      return fail('IncompleteSignature', `The query parameter ${name} is given ${value.length} times; it must be given once.`);
    params[name] = value ?? undefined;
  }
  if (params['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256')
    return fail(
      'IncompleteSignature',
      `X-Amz-Algorithm ${JSON.stringify(params['X-Amz-Algorithm'])} is not supported: only AWS4-HMAC-SHA256.`,
    );
  const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter(
    (name) => params[name] === undefined || params[name] === '',
  );
  if (missing.length > 0)
    return fail(
      'IncompleteSignature',
      `AWS query-string parameters must include ${missing.join(', ')}. Re-examine the query-string parameters.`,
    );
  const expires = params['X-Amz-Expires']!;
  const expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_SECONDS)) {
    return fail(
      'IncompleteSignature',
      `X-Amz-Expires ${JSON.stringify(expires)} must be an integer from 1 to ${MAX_PRESIGNED_SECONDS} (seven days).`,
    );
  }
  let authorization: ParsedAuthorization;
  try {
    // The same fields as the header form, so one parser checks the scope and the signature's shape.
    authorization = parseAuthorization(
      `AWS4-HMAC-SHA256 Credential=${params['X-Amz-Credential']}, SignedHeaders=${params['X-Amz-SignedHeaders']}, Signature=${params['X-Amz-Signature']}`,
    );
  } catch (error) {
    return fail('IncompleteSignature', (error as Error).message.replace('the Authorization header', 'the presigned query'));
  }
  return {
    authorization,
    longDate: params['X-Amz-Date']!,
    sessionToken: params['X-Amz-Security-Token'],
    expiresSeconds,
    claimedPayloadHash: headerValue(request.headers, 'x-amz-content-sha256') ?? params['X-Amz-Content-Sha256'],
    presigned: true,
  };
}

/** Verifying signers by key id + secret (bounded): region and service come from each request's scope. */
const verifiers = new Map<string, RequestSigner>();

function verifierFor(accessKeyId: string, secretAccessKey: string): RequestSigner {
  const cacheKey = `${accessKeyId}\u0000${secretAccessKey}`;
  let signer = verifiers.get(cacheKey);
  if (signer === undefined) {
    if (verifiers.size >= 256) verifiers.clear();
    signer = new RequestSigner({ accessKeyId, secretAccessKey }, { region: 'us-east-1', service: 'lambda' });
    verifiers.set(cacheKey, signer);
  }
  return signer;
}
