import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * STS as the credential sources use it: one call per attempt, each bounded by a timeout, and one
 * retry policy (transient failures, and the refusals IAM's eventual consistency causes right after
 * a deploy) for every STS operation a source makes.
 */

/** The part of STS the sources need; the real one wraps @aws-sdk/client-sts, tests inject fakes. */
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

export const DEFAULT_STS_TIMEOUT_MS = 10_000;

/** The region of the STS endpoint: as given, else AWS_REGION, else us-east-1 (the SDK's global default). */
export function stsRegionOf(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return region ?? env.AWS_REGION ?? 'us-east-1';
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
 * The real STS, with one attempt per call: retries are `retryStsCall`'s, so they are the same
 * everywhere. Each call is abandoned after `timeoutMs` (the socket too, through the abort signal).
 */
export function createStsApi(
  region: string,
  sourceCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  endpoint: string | undefined = stsEndpointFromEnv(),
  timeoutMs = DEFAULT_STS_TIMEOUT_MS,
): StsApi & { getCallerIdentity(): Promise<{ Arn?: string; Account?: string }> } {
  const client = new STSClient({
    region,
    credentials: sourceCredentials,
    endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  const label = stsEndpointLabel(region, endpoint);
  return {
    assumeRole: (input, options) =>
      withStsTimeout(label, 'AssumeRole', timeoutMs, (abortSignal) =>
        client.send(new AssumeRoleCommand(input), { abortSignal: anySignal(abortSignal, options?.abortSignal) }),
      ),
    getCallerIdentity: () =>
      withStsTimeout(label, 'GetCallerIdentity', timeoutMs, (abortSignal) =>
        client.send(new GetCallerIdentityCommand({}), { abortSignal }),
      ),
  };
}

/** GetCallerIdentity with the given credentials, bounded like every STS call. */
export async function getCallerIdentity(
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  options: { region?: string; endpoint?: string; timeoutMs?: number },
): Promise<{ arn: string; account: string }> {
  const answer = await createStsApi(stsRegionOf(options.region), credentials, options.endpoint, options.timeoutMs).getCallerIdentity();
  return { arn: answer.Arn ?? '', account: answer.Account ?? '' };
}

/** The error of an STS call that did not answer in time; retried as transient, reported as unreachable. */
export class StsTimeoutError extends Error {
  readonly code = 'TimeoutError';
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`STS at ${endpoint} did not answer ${operation} within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `call` with an abort signal that fires after `timeoutMs`, and settles by then whatever
 * `call` does with the signal (a fake or a custom StsApi may ignore it).
 */
export async function withStsTimeout<T>(
  endpoint: string,
  operation: string,
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
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

export interface StsRetryPolicy {
  /** Retries of throttling, 5xx, network errors and timeouts. */
  transientRetries: number;
  /** How long AccessDenied / InvalidClientTokenId are retried after the first attempt (IAM is eventually consistent). */
  propagationWaitSeconds: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  onRetry?: (retry: { reason: 'iam-propagation' | 'transient'; code: string; attempt: number; waitMs: number }) => void;
}

/** How a failed STS call was tried, for the explanation of its failure. */
export interface StsAttempts {
  waitedSeconds: number;
  /** The first attempt and its transient retries. */
  attempts: number;
}

/**
 * Runs `call` until it succeeds: transient failures are retried with exponential backoff (250 ms,
 * doubling, at most 8 s), and AccessDenied / InvalidClientTokenId for `propagationWaitSeconds`,
 * because a role or key created seconds ago may not have reached STS yet. The last failure is
 * thrown as `explain` turns it.
 */
export async function retryStsCall<T>(
  call: () => Promise<T>,
  policy: StsRetryPolicy,
  explain: (error: unknown, tried: StsAttempts) => Error,
): Promise<T> {
  const started = policy.clock();
  let transientAttempts = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const code = stsErrorCode(error);
      const waitMs = Math.min(8000, 250 * 2 ** (attempt - 1));
      const reason =
        isTransientStsError(error) && transientAttempts < policy.transientRetries
          ? 'transient'
          : isPropagationRefusal(code) && policy.clock() + waitMs - started <= policy.propagationWaitSeconds * 1000
            ? 'iam-propagation'
            : undefined;
      if (reason === undefined) throw explain(error, { waitedSeconds: (policy.clock() - started) / 1000, attempts: transientAttempts + 1 });
      if (reason === 'transient') transientAttempts++;
      policy.onRetry?.({ reason, code, attempt, waitMs });
      await policy.sleep(waitMs);
    }
  }
}

function isPropagationRefusal(code: string): boolean {
  return code === 'AccessDenied' || code === 'InvalidClientTokenId';
}

/** STS's error code of a failed call (the SDK's exception name), or a Node error code. */
export function stsErrorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string; code?: string };
  return e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code ?? 'Error';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'TimeoutError',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isNetworkError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  return NETWORK_CODES.has(e?.code ?? '') || NETWORK_CODES.has(e?.name ?? '') || NETWORK_CODES.has(e?.cause?.code ?? '');
}

/** Throttling, a 5xx, a network failure or a timeout: worth another attempt. */
export function isTransientStsError(error: unknown): boolean {
  const code = stsErrorCode(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return (
    /Throttl|RequestLimitExceeded|TooManyRequests|ServiceUnavailable|InternalFailure|IDPCommunicationError/.test(code) ||
    (status !== undefined && status >= 500) ||
    isNetworkError(error)
  );
}
