import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AssumeRoleError, ClientOptionError } from './errors';

/**
 * Layer 1 of the client: temporary credentials for the invoker role.
 *
 * One AssumeRole per credential lifetime. Credentials are refreshed in the background once they
 * are within `refreshBeforeExpirySeconds` of expiry (default 5 minutes), so a long-running caller
 * never sees an expired key; callers that arrive during a refresh share it, and a failed refresh
 * keeps the old credentials in use while they are still valid (the next background attempt comes
 * 30 s later, not on every call). Only expired credentials make a
 * caller wait for STS.
 */

export interface TemporaryCredentials extends AwsCredentialIdentity {
  sessionToken: string;
  expiration: Date;
  /** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  assumedRoleArn: string;
}

/** The part of STS this layer needs; the real one wraps @aws-sdk/client-sts, tests inject fakes. */
export interface StsApi {
  assumeRole(
    input: {
      RoleArn: string;
      RoleSessionName: string;
      DurationSeconds: number;
      ExternalId?: string;
      Policy?: string;
    },
    options?: { abortSignal?: AbortSignal },
  ): Promise<{
    Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };
    AssumedRoleUser?: { Arn?: string };
  }>;
}

export type CredentialEvent =
  | { type: 'assume-role'; roleArn: string; sessionName: string; durationSeconds: number }
  | { type: 'assumed'; assumedRoleArn: string; expiration: Date }
  | { type: 'retry'; reason: 'iam-propagation' | 'transient'; code: string; attempt: number; waitMs: number }
  | { type: 'refresh-failed'; code: string; message: string; keptUntil: Date };

export interface AssumeRoleOptions {
  roleArn: string;
  /** `[\w+=,.@-]{2,64}`; shows up in CloudTrail and in the function's caller ARN. @default "lambda-url-invoke-<epoch seconds>" */
  sessionName?: string;
  /** 900 to 43200, and at most the role's max session duration. @default 3600 */
  durationSeconds?: number;
  /** The external ID the role's trust policy requires. @default none */
  externalId?: string;
  /** A scope-down session policy (JSON text, at most 2048 characters): the session gets the intersection. */
  sessionPolicy?: string;
  /** Region of the STS endpoint (regional endpoints). @default AWS_REGION, else us-east-1 */
  stsRegion?: string;
  /**
   * Who calls AssumeRole: the invoker user's key (from the deployment outputs), or your own
   * identity through the AWS SDK's default chain (env, profile, SSO) when undefined.
   */
  sourceCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default a client from @aws-sdk/client-sts, honouring AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL */
  sts?: StsApi;
  /** STS endpoint URL. @default AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else AWS's regional endpoint */
  stsEndpoint?: string;
  /**
   * How long one STS call may take before it is abandoned (and retried like any transient
   * failure): an endpoint that accepts the connection and never answers must not hang the caller.
   * @default 10000
   */
  stsTimeoutMs?: number;
  /** @default 300 */
  refreshBeforeExpirySeconds?: number;
  /** How long AccessDenied / InvalidClientTokenId are retried right after a deploy (IAM is eventually consistent). @default 20 */
  propagationWaitSeconds?: number;
  /** Retries of throttling, 5xx and network errors. @default 4 */
  transientRetries?: number;
  onEvent?: (event: CredentialEvent) => void;
  /** For tests: the time in ms and how to wait. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_STS_TIMEOUT_MS = 10_000;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/([\u0021-\u007e]+\/)*[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** Credentials closer than this to expiry are treated as expired (clock skew, request time). */
const EXPIRY_MARGIN_MS = 15_000;
/** After a failed background refresh, the next one waits this long (an expired session is fetched at once regardless). */
const BACKGROUND_RETRY_PAUSE_MS = 30_000;

/** Checks AssumeRole options like STS would, before any call. */
export function validateAssumeRoleOptions(options: AssumeRoleOptions): void {
  if (typeof options.roleArn !== 'string' || !ROLE_ARN.test(options.roleArn)) {
    throw new ClientOptionError('roleArn', options.roleArn, 'must be an IAM role ARN such as arn:aws:iam::111122223333:role/function_invoker');
  }
  if (options.sessionName !== undefined && !SESSION_NAME.test(options.sessionName)) {
    throw new ClientOptionError('sessionName', options.sessionName, 'must be 2 to 64 characters of letters, digits and + = , . @ _ -');
  }
  const duration = options.durationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 900 || duration > 43200)) {
    throw new ClientOptionError('durationSeconds', duration, 'must be a whole number of seconds from 900 to 43200 (and at most the role’s max session duration)');
  }
  if (options.externalId !== undefined && !EXTERNAL_ID.test(options.externalId)) {
    throw new ClientOptionError('externalId', options.externalId, 'must be 2 to 1224 characters of letters, digits and + = , . @ : / _ -');
  }
  if (options.sessionPolicy !== undefined) {
    if (options.sessionPolicy.length > 2048) {
      throw new ClientOptionError('sessionPolicy', `${options.sessionPolicy.length} characters`, 'must be at most 2048 characters');
    }
    try {
      const parsed = JSON.parse(options.sessionPolicy);
      if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) throw new Error('no Statement');
    } catch (error) {
      throw new ClientOptionError('sessionPolicy', options.sessionPolicy, `must be a JSON IAM policy document with a Statement (${(error as Error).message})`);
    }
  }
  const stsTimeout = options.stsTimeoutMs;
  if (stsTimeout !== undefined && (!Number.isInteger(stsTimeout) || stsTimeout < 1 || stsTimeout > 120_000)) {
    throw new ClientOptionError('stsTimeoutMs', stsTimeout, 'must be a whole number of milliseconds from 1 to 120000');
  }
  const refresh = options.refreshBeforeExpirySeconds;
  if (refresh !== undefined && (!(refresh >= 60) || refresh >= (duration ?? 3600))) {
    throw new ClientOptionError('refreshBeforeExpirySeconds', refresh, `must be at least 60 and less than the session duration (${duration ?? 3600} s)`);
  }
}

/** Endpoint for STS per the AWS SDK's standard variables (service-specific first). */
export function stsEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined;
}

/** The STS endpoint a call goes to, for messages: the configured one, else AWS's regional endpoint. */
export function stsEndpointLabel(region: string, endpoint: string | undefined): string {
  return endpoint ?? `https://sts.${region}.amazonaws.com`;
}

/**
 * The real STS, with one attempt per call: retries are this layer's, so they are the same
 * everywhere. Each call is abandoned after `timeoutMs` (the socket too, through the abort signal).
 */
export function createStsApi(
  region: string,
  sourceCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  endpoint: string | undefined = stsEndpointFromEnv(),
  timeoutMs = DEFAULT_STS_TIMEOUT_MS,
): StsApi & { getCallerIdentity(): Promise<{ Arn?: string; Account?: string }> } {
  const client = new STSClient({ region, credentials: sourceCredentials, endpoint, maxAttempts: 1, requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs } });
  const label = stsEndpointLabel(region, endpoint);
  return {
    assumeRole: (input, options) => withTimeout(label, 'AssumeRole', timeoutMs, (abortSignal) => client.send(new AssumeRoleCommand(input), { abortSignal: anySignal(abortSignal, options?.abortSignal) })),
    getCallerIdentity: () => withTimeout(label, 'GetCallerIdentity', timeoutMs, (abortSignal) => client.send(new GetCallerIdentityCommand({}), { abortSignal })),
  };
}

/** The error of an STS call that did not answer in time; retried as transient, reported as a network failure. */
export class StsTimeoutError extends Error {
  readonly code = 'TimeoutError';
  constructor(readonly endpoint: string, readonly operation: string, readonly timeoutMs: number) {
    super(`STS at ${endpoint} did not answer ${operation} within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `call` with an abort signal that fires after `timeoutMs`, and settles by then whatever
 * `call` does with the signal (a fake or a custom StsApi may ignore it).
 */
async function withTimeout<T>(endpoint: string, operation: string, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StsTimeoutError(endpoint, operation, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function anySignal(first: AbortSignal, second: AbortSignal | undefined): AbortSignal {
  return second === undefined ? first : AbortSignal.any([first, second]);
}

/** GetCallerIdentity with the given credentials, bounded like every STS call. */
export async function getCallerIdentity(
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  options: { region: string; endpoint?: string; timeoutMs?: number },
): Promise<{ arn: string; account: string }> {
  const answer = await createStsApi(options.region, credentials, options.endpoint, options.timeoutMs).getCallerIdentity();
  return { arn: answer.Arn ?? '', account: answer.Account ?? '' };
}

export interface HeldCredentialsOptions {
  /** A named profile (may itself assume a role: role_arn + source_profile, SSO, …). @default AWS_PROFILE, else the default chain */
  profile?: string;
  /** @default AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials */
  credentialsFile?: string;
  /** @default AWS_CONFIG_FILE, else ~/.aws/config */
  configFile?: string;
  /** Region of the STS calls a profile with role_arn or web identity makes. */
  stsRegion?: string;
  /** Endpoint of those STS calls. @default AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else AWS's */
  stsEndpoint?: string;
  /** Per STS call the chain makes (connection and idle socket). @default 10000 */
  stsTimeoutMs?: number;
}

/**
 * The credentials the caller already holds, to sign with as they are (no AssumeRole of our own):
 * the AWS SDK's default chain (env, SSO, profile with role_arn/source_profile, web identity,
 * container and instance roles), which caches and refreshes them itself. For a caller that is
 * already in the invoker role: a role cannot assume itself unless its trust policy says so.
 */
export function heldCredentials(options: HeldCredentialsOptions = {}): AwsCredentialIdentityProvider {
  return fromNodeProviderChain({
    profile: options.profile,
    filepath: options.credentialsFile,
    configFilepath: options.configFile,
    // Passed to the SDK's own STS client (nested-clients spreads it into STSClient's config).
    clientConfig: {
      ...(options.stsRegion === undefined ? {} : { region: options.stsRegion }),
      ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
      requestHandler: { connectionTimeout: options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS, requestTimeout: options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS },
    },
  });
}

export class AssumeRoleCredentials {
  /** AssumeRole calls made (successful or not), for tests and the benchmark. */
  assumeRoleCalls = 0;
  private cached?: TemporaryCredentials;
  private inFlight?: Promise<TemporaryCredentials>;
  private nextBackgroundRefreshAt = 0;
  private generation = 0;
  private readonly sts: StsApi;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly sessionName: string;
  readonly durationSeconds: number;
  private readonly stsTimeoutMs: number;
  private readonly stsRegion: string;

  constructor(private readonly options: AssumeRoleOptions) {
    validateAssumeRoleOptions(options);
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.sessionName = options.sessionName ?? `lambda-url-invoke-${Math.floor(this.clock() / 1000)}`;
    this.durationSeconds = options.durationSeconds ?? 3600;
    this.stsTimeoutMs = options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS;
    this.stsRegion = options.stsRegion ?? process.env.AWS_REGION ?? 'us-east-1';
    this.sts = options.sts ?? createStsApi(this.stsRegion, options.sourceCredentials, options.stsEndpoint ?? stsEndpointFromEnv(), this.stsTimeoutMs);
  }

  /**
   * Valid credentials: cached, refreshed in the background near expiry, fetched when expired.
   * `validForSeconds` (a presigned URL's lifetime: AWS refuses it once the signing session has
   * expired) also fetches a new session when the cached one ends sooner and a new one would not.
   */
  async getCredentials(options: { validForSeconds?: number } = {}): Promise<TemporaryCredentials> {
    const now = this.clock();
    const cached = this.cached;
    // A lifetime a fresh session could not cover either (it lasts durationSeconds from its issue)
    // is left for the caller to refuse, rather than costing an AssumeRole per call.
    const validForMs = (options.validForSeconds ?? 0) * 1000;
    const neededMs = validForMs + EXPIRY_MARGIN_MS <= this.durationSeconds * 1000 ? validForMs : 0;
    if (cached !== undefined && now < cached.expiration.getTime() - EXPIRY_MARGIN_MS && now + neededMs <= cached.expiration.getTime()) {
      const refreshAt = cached.expiration.getTime() - (this.options.refreshBeforeExpirySeconds ?? 300) * 1000;
      if (now >= refreshAt) this.refreshInBackground(cached);
      return cached;
    }
    return this.refresh();
  }

  /** Drops the cached credentials (e.g. after the role changed). */
  invalidate(): void {
    this.cached = undefined;
    // A call already under way was asked for before the change: its answer must not be cached,
    // and the next caller must not join it.
    this.generation++;
    this.inFlight = undefined;
  }

  private refresh(): Promise<TemporaryCredentials> {
    if (this.inFlight === undefined) {
      const generation = this.generation;
      const call: Promise<TemporaryCredentials> = this.assumeWithRetries()
        .then((credentials) => {
          if (generation === this.generation) this.cached = credentials;
          return credentials;
        })
        .finally(() => {
          if (this.inFlight === call) this.inFlight = undefined;
        });
      this.inFlight = call;
    }
    return this.inFlight;
  }

  private refreshInBackground(current: TemporaryCredentials): void {
    if (this.inFlight !== undefined || this.clock() < this.nextBackgroundRefreshAt) return;
    this.refresh().catch((error: unknown) => {
      // Without a pause every call in the refresh window would start another AssumeRole at once:
      // a loop hammers STS (and its throttling) while the current session is still good.
      this.nextBackgroundRefreshAt = this.clock() + BACKGROUND_RETRY_PAUSE_MS;
      const code = error instanceof AssumeRoleError ? error.code : 'Error';
      this.options.onEvent?.({ type: 'refresh-failed', code, message: (error as Error).message, keptUntil: current.expiration });
    });
  }

  private async assumeWithRetries(): Promise<TemporaryCredentials> {
    const started = this.clock();
    const propagationMs = (this.options.propagationWaitSeconds ?? 20) * 1000;
    const transientRetries = this.options.transientRetries ?? 4;
    let transientAttempts = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.assumeOnce();
      } catch (error) {
        const code = errorCode(error);
        const waitMs = Math.min(8000, 250 * 2 ** (attempt - 1));
        if (isTransient(error) && transientAttempts < transientRetries) {
          transientAttempts++;
          this.options.onEvent?.({ type: 'retry', reason: 'transient', code, attempt, waitMs });
          await this.sleep(waitMs);
          continue;
        }
        if ((code === 'AccessDenied' || code === 'InvalidClientTokenId') && this.clock() + waitMs - started <= propagationMs) {
          this.options.onEvent?.({ type: 'retry', reason: 'iam-propagation', code, attempt, waitMs });
          await this.sleep(waitMs);
          continue;
        }
        throw explainAssumeRoleFailure(error, this.options, (this.clock() - started) / 1000, transientAttempts + 1);
      }
    }
  }

  private async assumeOnce(): Promise<TemporaryCredentials> {
    this.assumeRoleCalls++;
    this.options.onEvent?.({ type: 'assume-role', roleArn: this.options.roleArn, sessionName: this.sessionName, durationSeconds: this.durationSeconds });
    const endpoint = stsEndpointLabel(this.stsRegion, this.options.stsEndpoint ?? stsEndpointFromEnv());
    // Bounded here as well as in createStsApi, so an injected StsApi cannot hang the caller either.
    const answer = await withTimeout(endpoint, 'AssumeRole', this.stsTimeoutMs, (abortSignal) =>
      this.sts.assumeRole(
        {
          RoleArn: this.options.roleArn,
          RoleSessionName: this.sessionName,
          DurationSeconds: this.durationSeconds,
          ExternalId: this.options.externalId,
          Policy: this.options.sessionPolicy,
        },
        { abortSignal },
      ),
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !(c.Expiration instanceof Date)) {
      throw new AssumeRoleError('InvalidResponse', 'STS answered without complete credentials', ['Check that the STS endpoint is STS (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL).']);
    }
    const credentials: TemporaryCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      assumedRoleArn: answer.AssumedRoleUser?.Arn ?? '',
    };
    this.options.onEvent?.({ type: 'assumed', assumedRoleArn: credentials.assumedRoleArn, expiration: credentials.expiration });
    return credentials;
  }
}

function errorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string; code?: string };
  return e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code ?? 'Error';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'TimeoutError', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function isNetworkError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  return NETWORK_CODES.has(e?.code ?? '') || NETWORK_CODES.has(e?.name ?? '') || NETWORK_CODES.has(e?.cause?.code ?? '');
}

function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return /Throttl|RequestLimitExceeded|TooManyRequests|ServiceUnavailable|InternalFailure|IDPCommunicationError/.test(code) || (status !== undefined && status >= 500) || isNetworkError(error);
}

function explainAssumeRoleFailure(error: unknown, options: AssumeRoleOptions, waitedSeconds: number, attempts: number): AssumeRoleError {
  const endpoint = options.stsEndpoint ?? stsEndpointFromEnv();
  if (error instanceof AssumeRoleError) return error;
  if (error instanceof StsTimeoutError) {
    return new AssumeRoleError('TimeoutError', `${error.message} (${attempts} attempt(s))`, [
      `Check that ${error.endpoint} is reachable from here (proxy, firewall, VPC endpoint), and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL if set; --sts-timeout sets the limit per call.`,
    ], { cause: error, network: true });
  }
  const code = errorCode(error);
  const message = (error as Error)?.message ?? String(error);
  const waited = waitedSeconds >= 1 ? ` (still refused after retrying for ${Math.round(waitedSeconds)} s: IAM changes take a few seconds to reach STS after a deploy)` : '';
  switch (code) {
    case 'AccessDenied':
      return new AssumeRoleError(code, `${message}${waited}`, [
        `The role's trust policy must name the caller (the invoker user, or a principal in trustedPrincipals) for ${options.roleArn}.`,
        options.externalId === undefined
          ? 'If the role requires an external ID, pass it (--external-id / the external_id output).'
          : 'The external ID must be exactly the one in the trust policy (the external_id output).',
        "The caller's own policy must allow sts:AssumeRole on that role ARN.",
        'With a session policy: it must be valid and at most 2048 characters.',
      ], { cause: error });
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
      return new AssumeRoleError(code, `${message}${waited}`, [
        'The source access key is unknown, inactive or was rotated: read the current invoker_access_key_id / secret from the deployment outputs.',
        'A key created seconds ago may not be usable yet (IAM propagation).',
      ], { cause: error });
    case 'ExpiredToken':
      return new AssumeRoleError(code, message, ['The source credentials (your own session) have expired: log in again (e.g. aws sso login).'], { cause: error });
    case 'ValidationError':
      return new AssumeRoleError(code, message, [`DurationSeconds (${options.durationSeconds ?? 3600}) must not exceed the role's max session duration (the max_session_duration output).`], { cause: error });
    case 'MalformedPolicyDocument':
    case 'PackedPolicyTooLarge':
      return new AssumeRoleError(code, message, ['The session policy must be a valid IAM policy; AWS packs it and may refuse it even under 2048 characters.'], { cause: error });
    case 'CredentialsProviderError':
      return new AssumeRoleError(code, message, ['No source credentials: give the deployment outputs (invoker key), or configure the AWS SDK (AWS_PROFILE, env, SSO).'], { cause: error });
    default:
      return new AssumeRoleError(code, message, isNetworkError(error) || isTransient(error) ? [`Could not reach STS${endpoint ? ` at ${endpoint}` : ''}; check the network and AWS_ENDPOINT_URL_STS.`] : [], {
        cause: error,
        network: isNetworkError(error),
      });
  }
}
