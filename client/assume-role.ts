import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AssumeRoleError, ClientOptionError, CredentialsUnavailableError } from './errors';
import type { RefreshEvent } from './refreshing-credentials';
import { type StsApi, type StsAttempts, StsTimeoutError, createStsApi, stsErrorCode, withStsTimeout } from './sts';
import {
  DEFAULT_SESSION_DURATION_SECONDS,
  ROLE_ARN,
  SESSION_NAME,
  SESSION_NAME_RULE,
  StsSessionCredentials,
  type StsSessionSettings,
  type TemporaryCredentials,
  checkSessionDuration,
  sessionFromAnswer,
  stsFailure,
  stsTimeoutFailure,
  unreachableHint,
} from './sts-session';

export {
  DEFAULT_PROPAGATION_WAIT_SECONDS,
  DEFAULT_SESSION_DURATION_SECONDS,
  DEFAULT_STS_TRANSIENT_RETRIES,
  type TemporaryCredentials,
} from './sts-session';

/**
 * The AssumeRole source: temporary credentials for the invoker role, one AssumeRole per session
 * (cached and refreshed by `refreshingCredentials`). Options are checked as STS would check them,
 * before any call; a failure is explained (trust policy, external ID, the source key, the role's
 * max session duration).
 */

export type CredentialEvent =
  | { type: 'assume-role'; roleArn: string; sessionName: string; durationSeconds: number }
  | { type: 'assumed'; assumedRoleArn: string; expiration: Date }
  | { type: 'retry'; reason: 'iam-propagation' | 'transient'; code: string; attempt: number; waitMs: number }
  | RefreshEvent;

export interface AssumeRoleOptions extends StsSessionSettings {
  roleArn: string;
  /** `[\w+=,.@-]{2,64}`; shows up in CloudTrail and in the function's caller ARN. @default "lambda-url-invoke-<epoch seconds>" */
  sessionName?: string;
  /** 900 to 43200, and at most the role's max session duration. @default 3600 */
  durationSeconds?: number;
  /** The external ID the role's trust policy requires. @default none */
  externalId?: string;
  /** A scope-down session policy (JSON text, at most 2048 characters): the session gets the intersection. */
  sessionPolicy?: string;
  /**
   * Who calls AssumeRole: the invoker user's key (from the deployment outputs), or your own
   * identity through the AWS SDK's default chain (env, profile, SSO) when undefined.
   */
  sourceCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default a client from @aws-sdk/client-sts, honouring AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL */
  sts?: StsApi;
  onEvent?: (event: CredentialEvent) => void;
}

const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Checks AssumeRole options like STS would (AWS STS API reference, AssumeRole), before any call. */
export function validateAssumeRoleOptions(options: AssumeRoleOptions): void {
  if (typeof options.roleArn !== 'string' || !ROLE_ARN.test(options.roleArn)) {
    throw new ClientOptionError(
      'roleArn',
      options.roleArn,
      'must be an IAM role ARN such as arn:aws:iam::111122223333:role/function_invoker',
    );
  }
  if (options.sessionName !== undefined && !SESSION_NAME.test(options.sessionName)) {
    throw new ClientOptionError('sessionName', options.sessionName, SESSION_NAME_RULE);
  }
  const duration = options.durationSeconds ?? DEFAULT_SESSION_DURATION_SECONDS;
  checkSessionDuration(duration, 'must be a whole number of seconds from 900 to 43200 (and at most the role’s max session duration)');
  if (options.externalId !== undefined && !EXTERNAL_ID.test(options.externalId)) {
    throw new ClientOptionError('externalId', options.externalId, 'must be 2 to 1224 characters of letters, digits and + = , . @ : / _ -');
  }
  if (options.sessionPolicy !== undefined) validateSessionPolicy(options.sessionPolicy);
  const stsTimeout = options.stsTimeoutMs;
  if (stsTimeout !== undefined && (!Number.isInteger(stsTimeout) || stsTimeout < 1 || stsTimeout > 120_000)) {
    throw new ClientOptionError('stsTimeoutMs', stsTimeout, 'must be a whole number of milliseconds from 1 to 120000');
  }
  const refresh = options.refreshBeforeExpirySeconds;
  if (refresh !== undefined && (!(refresh >= 60) || refresh >= duration)) {
    throw new ClientOptionError(
      'refreshBeforeExpirySeconds',
      refresh,
      `must be at least 60 and less than the session duration (${duration} s)`,
    );
  }
}

/** A session policy is a JSON policy document of at most 2048 characters (AWS STS API reference, AssumeRole: Policy). */
function validateSessionPolicy(policy: string): void {
  if (policy.length > 2048) throw new ClientOptionError('sessionPolicy', `${policy.length} characters`, 'must be at most 2048 characters');
  try {
    const parsed = JSON.parse(policy);
    if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) throw new Error('no Statement');
  } catch (error) {
    throw new ClientOptionError(
      'sessionPolicy',
      policy,
      `must be a JSON IAM policy document with a Statement (${(error as Error).message})`,
    );
  }
}

/** The same as `new AssumeRoleCredentials(options)`. */
export function assumeRoleCredentials(options: AssumeRoleOptions): AssumeRoleCredentials {
  return new AssumeRoleCredentials(options);
}

/** AssumeRole as a credential source: `refreshingCredentials` around one AssumeRole (with its retries). */
export class AssumeRoleCredentials extends StsSessionCredentials {
  readonly sessionName: string;
  readonly durationSeconds: number;
  private readonly options: AssumeRoleOptions;
  private readonly sts: StsApi;

  constructor(options: AssumeRoleOptions) {
    validateAssumeRoleOptions(options);
    super(options);
    this.options = options;
    this.sessionName = options.sessionName ?? `lambda-url-invoke-${Math.floor(this.clock() / 1000)}`;
    this.durationSeconds = options.durationSeconds ?? DEFAULT_SESSION_DURATION_SECONDS;
    this.sts = options.sts ?? createStsApi(this.stsRegion, options.sourceCredentials, this.stsEndpointUrl, this.stsTimeoutMs);
  }

  /** AssumeRole calls made (successful or not, retries included), for tests and the benchmark. */
  get assumeRoleCalls(): number {
    return this.calls;
  }

  protected async callOnce(): Promise<TemporaryCredentials> {
    const { roleArn, externalId, sessionPolicy, onEvent } = this.options;
    onEvent?.({ type: 'assume-role', roleArn, sessionName: this.sessionName, durationSeconds: this.durationSeconds });
    // Bounded here as well as in createStsApi, so an injected StsApi cannot hang the caller either.
    const answer = await withStsTimeout(this.stsEndpoint, 'AssumeRole', this.stsTimeoutMs, (abortSignal) =>
      this.sts.assumeRole(
        {
          RoleArn: roleArn,
          RoleSessionName: this.sessionName,
          DurationSeconds: this.durationSeconds,
          ExternalId: externalId,
          Policy: sessionPolicy,
        },
        { abortSignal },
      ),
    );
    const credentials = sessionFromAnswer(answer, 'AssumeRole', [
      'Check that the STS endpoint is STS (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, or `stsEndpoint`).',
    ]);
    onEvent?.({ type: 'assumed', assumedRoleArn: credentials.assumedRoleArn, expiration: credentials.expiration });
    return credentials;
  }

  protected explain(error: unknown, tried: StsAttempts): AssumeRoleError {
    return explainAssumeRoleFailure(
      error,
      { ...this.options, durationSeconds: this.durationSeconds, stsEndpoint: this.stsEndpoint },
      tried,
    );
  }
}

/** The likely causes of each refusal, per STS's error codes (AWS STS API reference, AssumeRole: Errors). */
function explainAssumeRoleFailure(
  error: unknown,
  options: AssumeRoleOptions & { durationSeconds: number; stsEndpoint: string },
  tried: StsAttempts,
): AssumeRoleError {
  if (error instanceof AssumeRoleError) return error;
  if (error instanceof StsTimeoutError) {
    return stsTimeoutFailure(error, tried, 'AssumeRole', [
      `Check that ${error.endpoint} is reachable from here (proxy, firewall, VPC endpoint), and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL if set; \`stsTimeoutMs\` sets the limit per call.`,
    ]);
  }
  const code = error instanceof CredentialsUnavailableError ? 'CredentialsProviderError' : stsErrorCode(error);
  const message = (error as Error)?.message ?? String(error);
  const waited =
    tried.waitedSeconds >= 1
      ? ` (still refused after retrying for ${Math.round(tried.waitedSeconds)} s: IAM changes take a few seconds to reach STS after a deploy)`
      : '';
  const hints = (...lines: string[]) =>
    new AssumeRoleError(
      code,
      `${message}${code === 'AccessDenied' || code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch' ? waited : ''}`,
      lines,
      { cause: error },
    );
  switch (code) {
    case 'AccessDenied':
      return hints(
        `The role's trust policy must name the caller (the invoker user, or a principal in trustedPrincipals) for ${options.roleArn}.`,
        options.externalId === undefined
          ? 'If the role requires an external ID, pass it (`externalId`, the external_id output).'
          : 'The external ID must be exactly the one in the trust policy (the external_id output).',
        "The caller's own policy must allow sts:AssumeRole on that role ARN.",
        'With a session policy: it must be valid and at most 2048 characters.',
      );
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
      return hints(
        'The source access key is unknown, inactive or was rotated: read the current invoker_access_key_id / secret from the deployment outputs.',
        'A key created seconds ago may not be usable yet (IAM propagation).',
      );
    case 'ExpiredToken':
      return hints('The source credentials (your own session) have expired: log in again (e.g. aws sso login).');
    case 'ValidationError':
      return hints(
        `DurationSeconds (${options.durationSeconds}) must not exceed the role's max session duration (the max_session_duration output).`,
      );
    case 'MalformedPolicyDocument':
    case 'PackedPolicyTooLarge':
      return hints('The session policy must be a valid IAM policy; AWS packs it and may refuse it even under 2048 characters.');
    case 'CredentialsProviderError':
      return hints('No source credentials: give the deployment outputs (invoker key), or configure the AWS SDK (AWS_PROFILE, env, SSO).');
    default:
      return stsFailure(
        error,
        code,
        message,
        unreachableHint(error, `Could not reach STS at ${options.stsEndpoint}; check the network and AWS_ENDPOINT_URL_STS.`),
        'AssumeRole',
      );
  }
}
