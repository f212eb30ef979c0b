import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest as HttpRequestLike } from '@smithy/types';
import { ParsedAuthorization, RequestSigner, SignatureDetails, formatAmzDate, headerValue, parseAmzDate, parseAuthorization, sha256Hex } from './sigv4';

/**
 * The SigV4 verifier: checks a received request like AWS does. The local stand-in for AWS uses it;
 * it shares the signer's canonicalization (sigv4.ts), so there is one canonical request in the
 * codebase.
 */

/** Why a request's signature was not accepted; `code` is AWS's error code for it. */
export interface VerificationFailure {
  ok: false;
  code: 'MissingAuthenticationToken' | 'IncompleteSignature' | 'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'ExpiredToken' | 'RequestExpired' | 'InvalidSignatureException';
  message: string;
}

export interface VerificationSuccess {
  ok: true;
  accessKeyId: string;
  sessionToken?: string;
  region: string;
  service: string;
}

export interface KnownKey {
  secretAccessKey: string;
  /** Temporary keys: the token that must accompany them, and when they expire. */
  sessionToken?: string;
  expiresAt?: Date;
}

/**
 * Checks a received request's SigV4 signature like AWS: well-formed Authorization, signed `host`,
 * X-Amz-Date within ±5 minutes of `now`, a known key, its session token, its expiry, the body hash
 * and finally the signature itself. `expectedService` (and `expectedRegion` when given) must match
 * the credential scope.
 */
export async function verifyRequest(
  request: HttpRequestLike,
  lookupKey: (accessKeyId: string) => KnownKey | undefined,
  expected: { service: string; region?: string; now?: Date },
): Promise<VerificationSuccess | VerificationFailure> {
  const header = headerValue(request.headers, 'authorization');
  if (header === undefined) return { ok: false, code: 'MissingAuthenticationToken', message: 'Missing Authentication Token' };
  let authorization: ParsedAuthorization;
  try {
    authorization = parseAuthorization(header);
  } catch (error) {
    return { ok: false, code: 'IncompleteSignature', message: (error as Error).message };
  }
  if (!authorization.signedHeaders.includes('host')) return { ok: false, code: 'IncompleteSignature', message: "'Host' must be a signed header." };
  const longDate = headerValue(request.headers, 'x-amz-date');
  if (longDate === undefined || !authorization.signedHeaders.includes('x-amz-date')) {
    return { ok: false, code: 'IncompleteSignature', message: 'X-Amz-Date must be sent and signed.' };
  }
  let signedAt: Date;
  try {
    signedAt = parseAmzDate(longDate);
  } catch (error) {
    return { ok: false, code: 'IncompleteSignature', message: (error as Error).message };
  }
  if (longDate.slice(0, 8) !== authorization.date) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: `Credential should be scoped to a valid date: ${authorization.date} vs ${longDate.slice(0, 8)}.` };
  }
  if (authorization.service !== expected.service) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: `Credential should be scoped to correct service: '${expected.service}'.` };
  }
  if (expected.region !== undefined && authorization.region !== expected.region) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: `Credential should be scoped to a valid region, not '${authorization.region}'.` };
  }
  const now = expected.now ?? new Date();
  if (Math.abs(now.getTime() - signedAt.getTime()) > 5 * 60 * 1000) {
    return { ok: false, code: 'RequestExpired', message: `Signature expired: ${longDate} is now earlier or later than 5 minutes from ${formatAmzDate(now)}.` };
  }
  const key = lookupKey(authorization.accessKeyId);
  if (key === undefined) return { ok: false, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
  const token = headerValue(request.headers, 'x-amz-security-token');
  if (key.sessionToken !== undefined && token !== key.sessionToken) {
    return { ok: false, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' };
  }
  if (key.expiresAt !== undefined && now.getTime() >= key.expiresAt.getTime()) {
    return { ok: false, code: 'ExpiredToken', message: 'The security token included in the request is expired' };
  }
  const claimedHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== sha256Hex(request.body as string | Uint8Array | undefined)) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  let details: SignatureDetails;
  try {
    details = await verifierFor(authorization.accessKeyId, key.secretAccessKey).details(request, authorization, longDate);
  } catch (error) {
    return { ok: false, code: 'IncompleteSignature', message: (error as Error).message };
  }
  const matches = timingSafeEqual(Buffer.from(details.signature, 'hex'), Buffer.from(authorization.signature, 'hex'));
  if (!matches) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, accessKeyId: authorization.accessKeyId, sessionToken: token, region: authorization.region, service: authorization.service };
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

