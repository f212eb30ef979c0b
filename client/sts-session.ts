import type { CredentialSource, Credentials } from './credentials';
import { AssumeRoleError, ClientOptionError } from './errors';
import { type RefreshEvent, type RefreshingCredentials, refreshingCredentials } from './refreshing-credentials';
import {
  DEFAULT_STS_TIMEOUT_MS,
  type StsAttempts,
  type StsTimeoutError,
  isNetworkError,
  isTransientStsError,
  retryStsCall,
  stsEndpointFromEnv,
  stsEndpointLabel,
  stsRegionOf,
} from './sts';

/**
 * What every STS session source shares (AssumeRole, AssumeRoleWithWebIdentity): where STS is, one
 * call per attempt bounded by a timeout, the retry policy, the answer checked into
 * `TemporaryCredentials`, and the session cached and refreshed by `refreshingCredentials`. A
 * source supplies its one call and the explanation of its refusals.
 */

export interface TemporaryCredentials extends Credentials {
  readonly sessionToken: string;
  readonly expiration: Date;
  /** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  readonly assumedRoleArn: string;
}

export type StsOperation = 'AssumeRole' | 'AssumeRoleWithWebIdentity';

export type StsRetryEvent = { type: 'retry'; reason: 'iam-propagation' | 'transient'; code: string; attempt: number; waitMs: number };

/** The options every STS session source takes: where STS is, how long a call may take, retries, refresh. */
export interface StsSessionSettings {
  /** Region of the STS endpoint (regional endpoints). @default AWS_REGION, else us-east-1 */
  stsRegion?: string;
  /** STS endpoint URL. @default AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else AWS's regional endpoint */
  stsEndpoint?: string;
  /**
   * How long one STS call may take before it is abandoned (and retried like any transient
   * failure): an endpoint that accepts the connection and never answers must not hang the caller.
   * @default 10000
   */
  stsTimeoutMs?: number;
  /** At least 60, and less than the session duration. @default 300 */
  refreshBeforeExpirySeconds?: number;
  /** How long AccessDenied / InvalidClientTokenId are retried right after a deploy (IAM is eventually consistent). @default 20 */
  propagationWaitSeconds?: number;
  /** Retries of throttling, 5xx and network errors. @default 4 */
  transientRetries?: number;
  onEvent?: (event: StsRetryEvent | RefreshEvent) => void;
  /** For tests: the time in ms and how to wait. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The session part of an STS answer, as @aws-sdk/client-sts returns it. */
export interface StsSessionAnswer {
  Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };
  AssumedRoleUser?: { Arn?: string };
}

export const DEFAULT_SESSION_DURATION_SECONDS = 3600;
export const DEFAULT_PROPAGATION_WAIT_SECONDS = 20;
export const DEFAULT_STS_TRANSIENT_RETRIES = 4;
/** RoleArn and RoleSessionName as STS accepts them (AWS STS API reference, AssumeRole: Request Parameters). */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/([\u0021-\u007e]+\/)*[\w+=,.@-]{1,64}$/;
export const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
export const SESSION_NAME_RULE = 'must be 2 to 64 characters of letters, digits and + = , . @ _ -';

/** STS's DurationSeconds range (900 to 43200); `rule` is the refusal's wording. */
export function checkSessionDuration(duration: number, rule: string): void {
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) throw new ClientOptionError('durationSeconds', duration, rule);
}

/** A session source around STS: subclasses make the call (`callOnce`) and explain its refusals. */
export abstract class StsSessionCredentials implements CredentialSource<TemporaryCredentials> {
  protected readonly clock: () => number;
  protected readonly stsRegion: string;
  /** The configured STS endpoint URL, if any (else AWS's regional endpoint). */
  protected readonly stsEndpointUrl: string | undefined;
  /** The endpoint a call goes to, for messages. */
  protected readonly stsEndpoint: string;
  protected readonly stsTimeoutMs: number;
  protected calls = 0;
  private readonly cache: RefreshingCredentials<TemporaryCredentials>;

  constructor(
    private readonly settings: StsSessionSettings,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.clock = settings.clock ?? Date.now;
    this.stsTimeoutMs = settings.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS;
    this.stsRegion = stsRegionOf(settings.stsRegion, env);
    this.stsEndpointUrl = settings.stsEndpoint ?? stsEndpointFromEnv(env);
    this.stsEndpoint = stsEndpointLabel(this.stsRegion, this.stsEndpointUrl);
    this.cache = refreshingCredentials(() => this.callWithRetries(), {
      refreshBeforeExpirySeconds: settings.refreshBeforeExpirySeconds,
      onEvent: settings.onEvent,
      clock: this.clock,
    });
  }

  /** See `RefreshingCredentials.getCredentials`. */
  getCredentials(options: { validForSeconds?: number } = {}): Promise<TemporaryCredentials> {
    return this.cache.getCredentials(options);
  }

  /** Drops the cached session (e.g. after the role changed); a call under way is not cached. */
  invalidate(): void {
    this.cache.invalidate();
  }

  /** One call to STS (counted by the caller), its answer checked with `sessionFromAnswer`. */
  protected abstract callOnce(): Promise<TemporaryCredentials>;

  /** The error a failure ends in, after the retries. */
  protected abstract explain(error: unknown, tried: StsAttempts): Error;

  private callWithRetries(): Promise<TemporaryCredentials> {
    const { settings } = this;
    return retryStsCall(
      () => {
        this.calls++;
        return this.callOnce();
      },
      {
        transientRetries: settings.transientRetries ?? DEFAULT_STS_TRANSIENT_RETRIES,
        propagationWaitSeconds: settings.propagationWaitSeconds ?? DEFAULT_PROPAGATION_WAIT_SECONDS,
        clock: this.clock,
        sleep: settings.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        onRetry: (retry) => settings.onEvent?.({ type: 'retry', ...retry }),
      },
      (error, tried) => this.explain(error, tried),
    );
  }
}

/** The session in an STS answer; an answer without all four parts is refused as `InvalidResponse`. */
export function sessionFromAnswer(answer: StsSessionAnswer, operation: StsOperation, hints: readonly string[]): TemporaryCredentials {
  const c = answer.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !(c.Expiration instanceof Date))
    throw new AssumeRoleError('InvalidResponse', 'STS answered without complete credentials', hints, { operation });
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
    assumedRoleArn: answer.AssumedRoleUser?.Arn ?? '',
  };
}

/** A call abandoned after its timeout, on every attempt: STS is unreachable from here. */
export function stsTimeoutFailure(error: StsTimeoutError, tried: StsAttempts, operation: StsOperation, hints: readonly string[]) {
  return new AssumeRoleError('TimeoutError', `${error.message} (${tried.attempts} attempt(s))`, hints, {
    cause: error,
    unreachable: true,
    operation,
  });
}

/** A refusal or failure of STS with its hints; a network failure marks STS unreachable. */
export function stsFailure(error: unknown, code: string, message: string, hints: readonly string[], operation: StsOperation) {
  return new AssumeRoleError(code, message, hints, { cause: error, unreachable: isNetworkError(error), operation });
}

/** `line` when the failure is one of reaching STS (network, throttling, 5xx), else no hint. */
export function unreachableHint(error: unknown, line: string): string[] {
  return isNetworkError(error) || isTransientStsError(error) ? [line] : [];
}
