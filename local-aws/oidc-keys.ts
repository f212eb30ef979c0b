import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { type JSONWebKeySet, createLocalJWKSet } from 'jose';
import { AwsError } from './aws-error';

/**
 * The signing keys of OIDC issuers, fetched as STS does for AssumeRoleWithWebIdentity:
 * `<issuer>/.well-known/openid-configuration`, then its `jwks_uri` (OpenID Connect Discovery 1.0,
 * section 4), each answer bounded in size and time, and cached per issuer with its key IDs. A key
 * ID the cached set lacks triggers one refetch (issuers rotate keys), at most once per
 * REFETCH_AFTER_MS, so a token naming an unknown `kid` cannot make the stand-in hammer the issuer.
 * Whatever goes wrong talking to the issuer is IDPCommunicationError, as on AWS.
 */

export interface IssuerKeysOptions {
  /** Bound on each of the two requests (connect to last byte). @default 5000 */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) to trust besides Node's roots: a local https issuer's self-signed one. */
  trustedCertificates?: readonly string[];
  /** @default Date.now */
  now?: () => number;
}

export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

interface CachedKeys {
  resolve: KeyResolver;
  kids: Set<string>;
  fetchedAt: number;
}

/** The largest discovery document or JWKS read: real ones are a few KB. */
const MAX_DOCUMENT_BYTES = 256 * 1024;
/** Keys are refetched after this long even when every kid is known: rotated-out keys stop verifying. */
const CACHE_TTL_MS = 60 * 60 * 1000;
const REFETCH_AFTER_MS = 30 * 1000;

export class IssuerKeys {
  /** Fetches of discovery + JWKS done, for tests and the benchmark. */
  readonly stats = { fetches: 0 };
  private readonly cache = new Map<string, CachedKeys>();
  private readonly pending = new Map<string, Promise<CachedKeys>>();
  private readonly timeoutMs: number;
  private ca: string[] | undefined;
  private readonly now: () => number;

  constructor(options: IssuerKeysOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    const extra = options.trustedCertificates ?? [];
    this.ca = extra.length === 0 ? undefined : [...tls.rootCertificates, ...extra];
    this.now = options.now ?? Date.now;
  }

  /** Trusts one more CA certificate (PEM) for https issuers, e.g. a local issuer started after the stand-in. */
  trust(certificate: string): void {
    this.ca = [...(this.ca ?? tls.rootCertificates), certificate];
  }

  /** The key set of `issuer`, from the cache unless stale or missing `kid`. */
  async keysFor(issuer: string, kid: string | undefined): Promise<KeyResolver> {
    const cached = this.cache.get(issuer);
    const age = cached === undefined ? Number.POSITIVE_INFINITY : this.now() - cached.fetchedAt;
    const kidMissing = cached !== undefined && kid !== undefined && !cached.kids.has(kid);
    if (cached !== undefined && age < CACHE_TTL_MS && !(kidMissing && age >= REFETCH_AFTER_MS)) return cached.resolve;
    return (await this.fetchOnce(issuer)).resolve;
  }

  /** One fetch per issuer at a time: concurrent calls share it. */
  private fetchOnce(issuer: string): Promise<CachedKeys> {
    let pending = this.pending.get(issuer);
    if (pending === undefined) {
      pending = this.fetchKeys(issuer).finally(() => this.pending.delete(issuer));
      this.pending.set(issuer, pending);
    }
    return pending;
  }

  private async fetchKeys(issuer: string): Promise<CachedKeys> {
    this.stats.fetches++;
    const discovery = await this.getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const jwksUri = typeof discovery.jwks_uri === 'string' ? discovery.jwks_uri : undefined;
    if (jwksUri === undefined || !/^https?:\/\//.test(jwksUri))
      throw communicationError(`the discovery document of ${issuer} names no http(s) jwks_uri`);
    const jwks = await this.getJson(jwksUri);
    if (!Array.isArray(jwks.keys)) throw communicationError(`${jwksUri} is not a JWKS (no "keys" array)`);
    const keySet = jwks as unknown as JSONWebKeySet;
    let resolve: KeyResolver;
    try {
      resolve = createLocalJWKSet(keySet);
    } catch (error) {
      throw communicationError(`${jwksUri} is not a valid JWKS: ${(error as Error).message}`);
    }
    const kids = new Set(keySet.keys.flatMap((key) => (typeof key.kid === 'string' ? [key.kid] : [])));
    const entry = { resolve, kids, fetchedAt: this.now() };
    this.cache.set(issuer, entry);
    return entry;
  }

  /** GETs a JSON object, bounded by MAX_DOCUMENT_BYTES and the timeout; anything else is IDPCommunicationError. */
  private getJson(url: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const client = url.startsWith('https:') ? https : http;
      const request = client.get(url, { timeout: this.timeoutMs, ...(this.ca === undefined ? {} : { ca: this.ca }) }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(communicationError(`${url} answered HTTP ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_DOCUMENT_BYTES) {
            request.destroy();
            reject(communicationError(`${url} answered more than ${MAX_DOCUMENT_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
            resolve(parsed as Record<string, unknown>);
          } catch (error) {
            reject(communicationError(`${url} did not answer a JSON object (${(error as Error).message})`));
          }
        });
        response.on('error', (error) => reject(communicationError(`${url}: ${error.message}`)));
      });
      // The whole exchange is bounded, not only the idle time between two packets.
      const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('close', () => clearTimeout(deadline));
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', (error) => reject(communicationError(`${url}: ${error.message}`)));
    });
  }
}

function communicationError(detail: string): AwsError {
  return new AwsError('IDPCommunicationError', `Couldn't retrieve verification key from your identity provider: ${detail}`, 400);
}
