import type { CredentialSource, Credentials } from './credentials';
import { ClientOptionError } from './errors';

/**
 * The one cache every credential source plugs into: give it a function that fetches credentials
 * (an AssumeRole, an AssumeRoleWithWebIdentity, a call to a vending endpoint) and it
 *
 * - fetches once per credential lifetime, and callers that arrive during a fetch share it;
 * - refreshes in the background once the credentials are within `refreshBeforeExpirySeconds` of
 *   expiry, so a long-running caller never waits for, or sees, an expired key;
 * - keeps valid credentials in use when a background refresh fails, and waits 30 s before the next
 *   background attempt (only expired credentials make a caller wait for a fetch);
 * - never caches an answer to a fetch that began before `invalidate()`.
 *
 * Credentials without `expiration` are kept until `invalidate()`.
 */

export type RefreshEvent = { type: 'refresh-failed'; error: unknown; keptUntil: Date };

export interface RefreshingCredentialsOptions {
  /** Refresh in the background once the credentials expire within this many seconds. @default 300 */
  refreshBeforeExpirySeconds?: number;
  onEvent?: (event: RefreshEvent) => void;
  /** For tests: the time in ms. @default Date.now */
  clock?: () => number;
}

export interface RefreshingCredentials<C extends Credentials = Credentials> extends CredentialSource<C> {
  /**
   * Valid credentials: cached, refreshed in the background near expiry, fetched when expired.
   * `validForSeconds` (a presigned URL's lifetime: AWS refuses it once the signing session has
   * expired) also fetches anew when the cached credentials end sooner and fresh ones would not.
   */
  getCredentials(options?: { validForSeconds?: number }): Promise<C>;
  /** Drops the cached credentials (e.g. after the role changed); a fetch under way is not cached. */
  invalidate(): void;
  /** Fetches started (successful or not). */
  readonly fetches: number;
}

export const DEFAULT_REFRESH_BEFORE_EXPIRY_SECONDS = 300;
/** Credentials closer than this to expiry are treated as expired (clock skew, request time). */
const EXPIRY_MARGIN_MS = 15_000;
/** After a failed background refresh, the next one waits this long (expired credentials are fetched at once regardless). */
const BACKGROUND_RETRY_PAUSE_MS = 30_000;

export function refreshingCredentials<C extends Credentials>(
  fetchCredentials: () => Promise<C>,
  options: RefreshingCredentialsOptions = {},
): RefreshingCredentials<C> {
  return new CredentialCache(fetchCredentials, options);
}

interface Cached<C> {
  credentials: C;
  /** How long credentials from this source last from the moment they are asked for (measured on the last fetch). */
  lifetimeMs?: number;
}

class CredentialCache<C extends Credentials> implements RefreshingCredentials<C> {
  fetches = 0;
  private cached?: Cached<C>;
  private inFlight?: Promise<C>;
  private nextBackgroundRefreshAt = 0;
  /** Raised by invalidate(): a fetch begun under an older generation is answered but not cached. */
  private generation = 0;
  private readonly refreshBeforeMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly fetchCredentials: () => Promise<C>,
    private readonly options: RefreshingCredentialsOptions,
  ) {
    const refreshBefore = options.refreshBeforeExpirySeconds ?? DEFAULT_REFRESH_BEFORE_EXPIRY_SECONDS;
    if (!Number.isFinite(refreshBefore) || refreshBefore < 0)
      throw new ClientOptionError('refreshBeforeExpirySeconds', refreshBefore, 'must be a number of seconds, 0 or more');
    this.refreshBeforeMs = refreshBefore * 1000;
    this.clock = options.clock ?? Date.now;
  }

  async getCredentials(options: { validForSeconds?: number } = {}): Promise<C> {
    const now = this.clock();
    const cached = this.cached;
    if (cached === undefined) return this.refresh();
    const expiresAt = cached.credentials.expiration?.getTime();
    if (expiresAt === undefined) return cached.credentials;
    // A lifetime fresh credentials could not cover either is left for the caller to refuse,
    // rather than costing a fetch per call.
    const validForMs = (options.validForSeconds ?? 0) * 1000;
    const neededMs = cached.lifetimeMs !== undefined && validForMs + EXPIRY_MARGIN_MS <= cached.lifetimeMs ? validForMs : 0;
    if (now >= expiresAt - EXPIRY_MARGIN_MS || now + neededMs > expiresAt) return this.refresh();
    if (now >= expiresAt - this.refreshBeforeMs) this.refreshInBackground(cached.credentials);
    return cached.credentials;
  }

  invalidate(): void {
    this.cached = undefined;
    // A fetch already under way was asked for before the change: its answer must not be cached,
    // and the next caller must not join it.
    this.generation++;
    this.inFlight = undefined;
  }

  private refresh(): Promise<C> {
    if (this.inFlight === undefined) {
      const generation = this.generation;
      const startedAt = this.clock();
      this.fetches++;
      const call: Promise<C> = this.fetchCredentials()
        .then((credentials) => {
          const expiresAt = credentials.expiration?.getTime();
          if (generation === this.generation)
            this.cached = { credentials, lifetimeMs: expiresAt === undefined ? undefined : expiresAt - startedAt };
          return credentials;
        })
        .finally(() => {
          if (this.inFlight === call) this.inFlight = undefined;
        });
      this.inFlight = call;
    }
    return this.inFlight;
  }

  private refreshInBackground(current: C): void {
    if (this.inFlight !== undefined || this.clock() < this.nextBackgroundRefreshAt) return;
    this.refresh().catch((error: unknown) => {
      // Without a pause every call in the refresh window would start another fetch at once: a
      // loop would hammer the source (and its throttling) while the current credentials are good.
      this.nextBackgroundRefreshAt = this.clock() + BACKGROUND_RETRY_PAUSE_MS;
      this.options.onEvent?.({ type: 'refresh-failed', error, keptUntil: current.expiration! });
    });
  }
}
