import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { readFileAtMost } from './bounded-file';
import { AssumeRoleError, ClientOptionError, WebIdentityTokenError } from './errors';
import type { RefreshEvent } from './refreshing-credentials';
import { type StsAttempts, StsTimeoutError, stsErrorCode, withStsTimeout } from './sts';
import {
  DEFAULT_SESSION_DURATION_SECONDS,
  ROLE_ARN,
  SESSION_NAME,
  SESSION_NAME_RULE,
  type StsSessionAnswer,
  StsSessionCredentials,
  type StsSessionSettings,
  type TemporaryCredentials,
  checkSessionDuration,
  sessionFromAnswer,
  stsFailure,
  stsTimeoutFailure,
  unreachableHint,
} from './sts-session';

/**
 * The web identity source: a CI job's OIDC token (GitHub Actions, GitLab, Kubernetes service
 * accounts) exchanged for a session of the invoker role with STS AssumeRoleWithWebIdentity, an
 * unsigned call: no AWS key exists anywhere. The token file is read again for every fetch, because
 * CI systems rotate it (a Kubernetes projected token every hour, a GitHub token per request); the
 * session is cached and refreshed by `refreshingCredentials` like AssumeRole's. Without options it
 * reads `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_SESSION_NAME`, as the AWS
 * SDKs' web identity provider does.
 */

export type WebIdentityEvent =
  | { type: 'assume-role-with-web-identity'; roleArn: string; sessionName: string; durationSeconds: number }
  | { type: 'assumed'; assumedRoleArn: string; expiration: Date; subject: string }
  | { type: 'retry'; reason: 'iam-propagation' | 'transient'; code: string; attempt: number; waitMs: number }
  | RefreshEvent;

/** The part of STS this source needs (tests inject fakes); the real one wraps @aws-sdk/client-sts. */
export interface WebIdentityStsApi {
  assumeRoleWithWebIdentity(
    input: { RoleArn: string; RoleSessionName: string; WebIdentityToken: string; DurationSeconds: number; Policy?: string },
    options?: { abortSignal?: AbortSignal },
  ): Promise<StsSessionAnswer & { SubjectFromWebIdentityToken?: string }>;
}

export interface WebIdentityOptions extends StsSessionSettings {
  /** @default AWS_ROLE_ARN */
  roleArn?: string;
  /** The file holding the token, read again on every refresh. @default AWS_WEB_IDENTITY_TOKEN_FILE */
  tokenFile?: string;
  /** @default AWS_ROLE_SESSION_NAME, else "lambda-url-invoke-<epoch seconds>" */
  sessionName?: string;
  /** 900 to 43200, and at most the role's max session duration. @default 3600 */
  durationSeconds?: number;
  /** A scope-down session policy (JSON text, at most 2048 characters). */
  sessionPolicy?: string;
  onEvent?: (event: WebIdentityEvent) => void;
  /** @default a client from @aws-sdk/client-sts, without credentials (the call is unsigned) */
  sts?: WebIdentityStsApi;
  /** @default process.env: where AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_REGION and the endpoint variables are read */
  env?: NodeJS.ProcessEnv;
}

/** STS's limit on WebIdentityToken (STS API reference): a larger file is not a token. */
const MAX_TOKEN_CHARACTERS = 20000;

export function webIdentityCredentials(options: WebIdentityOptions = {}): WebIdentityCredentials {
  return new WebIdentityCredentials(options);
}

export class WebIdentityCredentials extends StsSessionCredentials {
  readonly roleArn: string;
  readonly tokenFile: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  private readonly options: WebIdentityOptions;
  private readonly sts: WebIdentityStsApi;

  constructor(options: WebIdentityOptions = {}) {
    const env = options.env ?? process.env;
    super(options, env);
    this.options = options;
    this.roleArn = checked('roleArn', options.roleArn ?? env.AWS_ROLE_ARN, ROLE_ARN, 'must be an IAM role ARN (or set AWS_ROLE_ARN)');
    const tokenFile = options.tokenFile ?? env.AWS_WEB_IDENTITY_TOKEN_FILE;
    if (tokenFile === undefined || tokenFile === '')
      throw new ClientOptionError(
        'tokenFile',
        tokenFile,
        'must name the file holding the web identity token (or set AWS_WEB_IDENTITY_TOKEN_FILE)',
      );
    this.tokenFile = tokenFile;
    this.sessionName = checked(
      'sessionName',
      options.sessionName ?? env.AWS_ROLE_SESSION_NAME ?? `lambda-url-invoke-${Math.floor(this.clock() / 1000)}`,
      SESSION_NAME,
      SESSION_NAME_RULE,
    );
    this.durationSeconds = options.durationSeconds ?? DEFAULT_SESSION_DURATION_SECONDS;
    checkSessionDuration(this.durationSeconds, 'must be a whole number of seconds from 900 to 43200');
    this.sts = options.sts ?? createWebIdentityStsApi(this.stsRegion, this.stsEndpointUrl, this.stsTimeoutMs);
  }

  /** AssumeRoleWithWebIdentity calls made (retries included). */
  get assumeCalls(): number {
    return this.calls;
  }

  protected async callOnce(): Promise<TemporaryCredentials> {
    // Read for every call: the CI system may have rotated it since the last one.
    const token = readToken(this.tokenFile);
    this.options.onEvent?.({
      type: 'assume-role-with-web-identity',
      roleArn: this.roleArn,
      sessionName: this.sessionName,
      durationSeconds: this.durationSeconds,
    });
    const answer = await withStsTimeout(this.stsEndpoint, 'AssumeRoleWithWebIdentity', this.stsTimeoutMs, (abortSignal) =>
      this.sts.assumeRoleWithWebIdentity(
        {
          RoleArn: this.roleArn,
          RoleSessionName: this.sessionName,
          WebIdentityToken: token,
          DurationSeconds: this.durationSeconds,
          Policy: this.options.sessionPolicy,
        },
        { abortSignal },
      ),
    );
    const credentials = sessionFromAnswer(answer, 'AssumeRoleWithWebIdentity', []);
    this.options.onEvent?.({
      type: 'assumed',
      assumedRoleArn: credentials.assumedRoleArn,
      expiration: credentials.expiration,
      subject: answer.SubjectFromWebIdentityToken ?? '',
    });
    return credentials;
  }

  protected explain(error: unknown, tried: StsAttempts): Error {
    return explainWebIdentityFailure(error, this, tried);
  }
}

function checked(option: string, value: string | undefined, pattern: RegExp, rule: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new ClientOptionError(option, value, rule);
  return value;
}

/** The token, trimmed (files often end with a newline); the token itself never appears in an error. */
function readToken(file: string): string {
  let read: ReturnType<typeof readFileAtMost>;
  try {
    read = readFileAtMost(file, MAX_TOKEN_CHARACTERS * 4);
  } catch (error) {
    throw new WebIdentityTokenError(file, `cannot read the web identity token file ${file}: ${(error as Error).message}`, [
      'The CI system writes it (e.g. `tokenFile`, AWS_WEB_IDENTITY_TOKEN_FILE): check that the job requests an OIDC token.',
    ]);
  }
  const token = 'bytes' in read ? read.bytes.toString('utf8').trim() : '';
  if ('tooLarge' in read || token.length > MAX_TOKEN_CHARACTERS)
    throw new WebIdentityTokenError(
      file,
      `the web identity token file ${file} is larger than ${MAX_TOKEN_CHARACTERS} characters: not a token`,
      [],
    );
  if (token.length < 4) throw new WebIdentityTokenError(file, `the web identity token file ${file} is empty`, []);
  return token;
}

/** The real STS for an unsigned call: no credentials are looked up or sent. */
export function createWebIdentityStsApi(region: string, endpoint: string | undefined, timeoutMs: number): WebIdentityStsApi {
  const client = new STSClient({
    region,
    endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  return { assumeRoleWithWebIdentity: (input, options) => client.send(new AssumeRoleWithWebIdentityCommand(input), options) };
}

/** STS's refusals of a web identity, with where to look (STS API reference, AssumeRoleWithWebIdentity: Errors). */
function explainWebIdentityFailure(error: unknown, source: WebIdentityCredentials, tried: StsAttempts): Error {
  if (error instanceof AssumeRoleError || error instanceof WebIdentityTokenError) return error;
  const operation = 'AssumeRoleWithWebIdentity';
  if (error instanceof StsTimeoutError) return stsTimeoutFailure(error, tried, operation, []);
  const code = stsErrorCode(error);
  const message = (error as Error)?.message ?? String(error);
  const hints: Record<string, string[]> = {
    AccessDenied: [
      `The role's trust policy must allow sts:AssumeRoleWithWebIdentity for this token's issuer, audience and subject (${source.roleArn}).`,
      "A trust policy names the subject exactly or with StringLike wildcards: check the token's sub (repository, branch, environment).",
    ],
    InvalidIdentityToken: [
      "The token's issuer must be an IAM OIDC provider of the account, its audience one of the provider's client IDs, and its signature valid.",
    ],
    ExpiredTokenException: [
      'The token has expired: CI tokens live minutes; request a fresh one (the file is read again on every refresh).',
    ],
    IDPCommunicationError: ["STS could not fetch the issuer's keys (its discovery document or JWKS): retry, or check the issuer."],
    IDPRejectedClaim: ['The identity provider rejected a claim of the token.'],
    ValidationError: [`DurationSeconds (${source.durationSeconds}) must not exceed the role's max session duration.`],
  };
  return stsFailure(
    error,
    code,
    message,
    (Object.hasOwn(hints, code) ? hints[code] : undefined) ?? unreachableHint(error, 'Could not reach STS; check AWS_ENDPOINT_URL_STS.'),
    operation,
  );
}
