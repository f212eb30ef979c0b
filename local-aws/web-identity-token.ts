import { type JWTPayload, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { AwsError } from './aws-error';
import { issuerHostAndPath, oidcProviderArn } from './oidc-provider-api';
import type { IssuerKeys, KeyResolver } from './oidc-keys';
import type { World } from './world';
import type { OidcProvider } from './world-state';

/**
 * Checking a web identity token as STS does before the trust policy is read (STS API reference,
 * AssumeRoleWithWebIdentity; IAM User Guide, "Create an OpenID Connect (OIDC) identity provider"):
 * the `iss` claim names an IAM OIDC provider of the account, the signature verifies with a key of
 * that issuer's JWKS under an algorithm AWS accepts (RS256/384/512, ES256/384/512: never `none`
 * nor HMAC, whose "key" would be public), `aud` is one of the provider's client IDs, and the token
 * is within its `nbf`/`iat`/`exp` window. The signature and claims are checked by `jose`, not here.
 */

export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
/**
 * Clock skew allowed on `exp`, `nbf` and `iat`. AWS does not publish its figure; 5 minutes is the
 * skew STS allows signed requests (SigV4) and what issuers' guidance assumes.
 */
export const CLOCK_TOLERANCE_SECONDS = 300;

export interface VerifiedToken {
  provider: OidcProvider;
  /** The URL without its scheme: the ARN's tail, and the prefix of the condition keys (`<it>:sub`). */
  hostAndPath: string;
  claims: JWTPayload;
  subject: string;
  /** The client ID the token was accepted for (one of its `aud`s). */
  audience: string;
}

const invalid = (message: string) => new AwsError('InvalidIdentityToken', message, 400);

export async function verifyWebIdentityToken(token: string, world: World, keys: IssuerKeys, now: Date): Promise<VerifiedToken> {
  const { header, unverified } = decodeUnverified(token);
  if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(header.alg))
    throw invalid(
      `The token's signing algorithm ${JSON.stringify(header.alg)} is not accepted: use one of ${ACCEPTED_ALGORITHMS.join(', ')}.`,
    );
  const issuer = unverified.iss;
  if (typeof issuer !== 'string') throw invalid('The token has no iss claim.');
  const provider = providerFor(world, issuer);
  const resolve = await keys.keysFor(provider.url, header.kid);
  const claims = await verifiedClaims(token, issuer, resolve, now);
  if (typeof claims.iat === 'number' && claims.iat > now.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS)
    throw invalid(`The token was issued in the future (iat ${claims.iat}).`);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new AwsError('IDPRejectedClaim', 'The token has no sub claim.', 403);
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  const audience = audiences.find((aud) => provider.clientIds.includes(aud));
  if (audience === undefined) throw invalid('Incorrect token audience');
  return { provider, hostAndPath: issuerHostAndPath(provider.url), claims, subject: claims.sub, audience };
}

/**
 * The token's claims once its signature verified with `resolve` (the issuer's current key set) and
 * its `iss`/`exp`/`nbf` hold at `now`. A token whose signature already verified with the same key
 * set is not verified again (the same bytes under the same keys give the same answer; a refetched
 * JWKS is a new key set, so a removed key stops verifying), but its times are checked every call.
 */
async function verifiedClaims(token: string, issuer: string, resolve: KeyResolver, now: Date): Promise<JWTPayload> {
  let verified = verifiedTokens.get(resolve);
  if (verified === undefined) {
    verified = new Map();
    verifiedTokens.set(resolve, verified);
  }
  const cached = verified.get(token);
  if (cached !== undefined) {
    checkTimes(cached, now);
    return cached;
  }
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, resolve, {
      issuer,
      algorithms: ACCEPTED_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    }));
  } catch (error) {
    throw verificationError(error);
  }
  if (verified.size >= 1000) verified.clear();
  verified.set(token, claims);
  return claims;
}

const verifiedTokens = new WeakMap<KeyResolver, Map<string, JWTPayload>>();

/** `exp` and `nbf` at `now`, with the tolerance, as jwtVerify checks them. */
function checkTimes(claims: JWTPayload, now: Date): void {
  const seconds = Math.floor(now.getTime() / 1000);
  if (typeof claims.exp === 'number' && claims.exp <= seconds - CLOCK_TOLERANCE_SECONDS)
    throw new AwsError('ExpiredTokenException', 'Token expired: "exp" claim timestamp check failed', 400);
  if (typeof claims.nbf === 'number' && claims.nbf > seconds + CLOCK_TOLERANCE_SECONDS)
    throw invalid('The web identity token is invalid: "nbf" claim timestamp check failed');
}

function decodeUnverified(token: string): { header: ReturnType<typeof decodeProtectedHeader>; unverified: JWTPayload } {
  try {
    return { header: decodeProtectedHeader(token), unverified: decodeJwt(token) };
  } catch {
    throw invalid('The web identity token is not a signed JWT (three base64url parts: header, claims, signature).');
  }
}

/** The provider whose URL is exactly the token's issuer (scheme included): IAM finds it by the `iss` claim. */
function providerFor(world: World, issuer: string): OidcProvider {
  let hostAndPath: string;
  try {
    hostAndPath = issuerHostAndPath(issuer);
  } catch {
    throw invalid(`No OpenIDConnect provider found in your account for ${issuer}`);
  }
  const provider = world.state.oidcProviders[oidcProviderArn(world, hostAndPath)];
  if (provider === undefined || provider.url !== issuer.replace(/\/$/, ''))
    throw invalid(`No OpenIDConnect provider found in your account for ${issuer}`);
  return provider;
}

/** jose's refusal as STS's: an expired token is ExpiredTokenException, every other failure InvalidIdentityToken. */
function verificationError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  if (error instanceof errors.JWTExpired) return new AwsError('ExpiredTokenException', `Token expired: ${error.message}`, 400);
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("The token's key ID is not among the issuer's keys (JWKS).");
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('The token signature is invalid.');
  if (error instanceof errors.JOSEError) return invalid(`The web identity token is invalid: ${error.message}`);
  throw error;
}
