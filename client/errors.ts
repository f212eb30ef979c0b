/**
 * Errors the client raises for things a user can cause or fix. Each carries a `code` a program can
 * branch on, the offending option as data where there is one, and `hints` (likely causes) that name
 * library options in backticks (`externalId`) and deployment outputs by their names
 * (`external_id`), so a command-line program can show its own flag in place of an option name.
 */

export type ClientErrorCode =
  /** An option has a value that cannot work: `option`, `value` and `rule` say which, what and why. */
  | 'invalid-option'
  /** STS answered AssumeRole with a refusal, or with an error that retrying did not cure. */
  | 'assume-role-failed'
  /** The web identity token file could not be read (missing, empty, unreadable or too large). */
  | 'web-identity-token-unreadable'
  /** STS could not be reached, or did not answer in time, after the retries. */
  | 'sts-unreachable'
  /** A credential source (the AWS SDK's chain, a provider function) had no credentials to give. */
  | 'credentials-unavailable'
  /** The function URL could not be reached, did not answer in time, or its answer broke off. */
  | 'network'
  /** A credential vendor refused the caller (403: not entitled, or IAM refused the call) or the request (400). */
  | 'vend-refused'
  /** A credential vendor failed (5xx after the retries), or answered something that is not credentials. */
  | 'vend-failed';

/** What every error in this file has; `isClientError` tells them from other errors. */
export interface ClientError extends Error {
  readonly code: ClientErrorCode;
  readonly hints: readonly string[];
}

export function isClientError(error: unknown): error is ClientError {
  return (
    error instanceof ClientOptionError ||
    error instanceof AssumeRoleError ||
    error instanceof CredentialsUnavailableError ||
    error instanceof WebIdentityTokenError ||
    error instanceof FunctionUrlNetworkError ||
    error instanceof VendedCredentialsError
  );
}

/**
 * "<subject> <rule> (got <value>)": one sentence naming what is wrong, the value and what is allowed.
 * An absent value has nothing to show ("(got undefined)" only adds noise); a long one is cut.
 */
export function describeOptionProblem(subject: string, value: unknown, rule: string): string {
  if (value === undefined) return `${subject} ${rule}`;
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  return `${subject} ${rule} (got ${shown})`;
}

/** What the errors below share: a name, a message, the hints and the cause; each adds its code and data. */
abstract class HintedClientError extends Error implements ClientError {
  abstract readonly code: ClientErrorCode;
  constructor(
    name: string,
    message: string,
    readonly hints: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = name;
  }
}

/**
 * An option with a value that cannot work; a TypeError, as aws4fetch's constructor checks are.
 * `option` is the option's name (`roleArn`, `headers`, `outputsFile`); `about` narrows it to a part
 * of the option when the rule is about that part ("header name", "header X-Name").
 */
export class ClientOptionError extends TypeError implements ClientError {
  readonly code = 'invalid-option';
  readonly hints: readonly string[] = [];
  readonly about?: string;
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly rule: string,
    options: { about?: string } = {},
  ) {
    super(describeOptionProblem(options.about ?? option, value, rule));
    this.name = 'ClientOptionError';
    this.about = options.about;
  }
}

/**
 * STS refused or failed AssumeRole (or AssumeRoleWithWebIdentity: `operation`); `stsCode` is STS's
 * own error code, `hints` says where to look.
 */
export class AssumeRoleError extends HintedClientError {
  readonly code: 'assume-role-failed' | 'sts-unreachable';
  readonly operation: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  constructor(
    readonly stsCode: string,
    message: string,
    hints: readonly string[],
    options: { cause?: unknown; unreachable?: boolean; operation?: 'AssumeRole' | 'AssumeRoleWithWebIdentity' } = {},
  ) {
    super('AssumeRoleError', `${options.operation ?? 'AssumeRole'} failed (${stsCode}): ${message}`, hints, { cause: options.cause });
    this.operation = options.operation ?? 'AssumeRole';
    this.code = options.unreachable === true ? 'sts-unreachable' : 'assume-role-failed';
  }
}

/** A credential source had nothing to sign with (e.g. the AWS SDK's chain found no credentials). */
export class CredentialsUnavailableError extends HintedClientError {
  readonly code = 'credentials-unavailable';
  constructor(message: string, hints: readonly string[], options?: { cause?: unknown }) {
    super('CredentialsUnavailableError', message, hints, options);
  }
}

/** The web identity token file could not be read; `tokenFile` is the path (the token itself is never shown). */
export class WebIdentityTokenError extends HintedClientError {
  readonly code = 'web-identity-token-unreadable';
  constructor(
    readonly tokenFile: string,
    message: string,
    hints: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('WebIdentityTokenError', message, hints, options);
  }
}

/** The function URL could not be reached (after retries), did not answer in time, or broke off. */
export class FunctionUrlNetworkError extends HintedClientError {
  readonly code = 'network';
  constructor(message: string, options?: { cause?: unknown }) {
    super('FunctionUrlNetworkError', message, [], options);
  }
}

/**
 * A credential vendor did not hand out credentials. `status` is its HTTP status; `vendorError` and
 * `reason` are what the vendor said (`NotEntitled`, `InvalidRequest`, …) when it said anything.
 */
export class VendedCredentialsError extends HintedClientError {
  constructor(
    readonly code: 'vend-refused' | 'vend-failed',
    message: string,
    hints: readonly string[],
    readonly details: { status?: number; vendorError?: string; reason?: string } = {},
  ) {
    super('VendedCredentialsError', message, hints);
  }
}
