/**
 * Errors the client raises for things a user can cause or fix. Each carries an exit code for the
 * CLI and, where it helps, the likely causes.
 */

export const EXIT_CODES = {
  success: 0,
  internal: 1,
  usage: 2,
  httpError: 3,
  authFailure: 4,
  network: 5,
  proofFailed: 6,
} as const;

/** A client option with a value that cannot work; names the option, the value and the rule. */
export class ClientOptionError extends TypeError {
  readonly exitCode = EXIT_CODES.usage;
  constructor(readonly option: string, readonly value: unknown, readonly rule: string) {
    // An absent value has nothing to show: "(got undefined)" only adds noise.
    super(value === undefined ? `${option} ${rule}` : `${option} ${rule} (got ${typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value)})`);
    this.name = 'ClientOptionError';
  }
}

/** STS refused or failed AssumeRole; `hints` says where to look. */
export class AssumeRoleError extends Error {
  readonly exitCode: number;
  constructor(readonly code: string, message: string, readonly hints: string[], options?: { cause?: unknown; network?: boolean }) {
    super(`AssumeRole failed (${code}): ${message}`, { cause: options?.cause });
    this.name = 'AssumeRoleError';
    this.exitCode = options?.network ? EXIT_CODES.network : EXIT_CODES.authFailure;
  }
}

/** No signing credentials could be had from the AWS SDK's chain (`--no-assume-role` / `heldCredentials`). */
export class CredentialsUnavailableError extends Error {
  readonly exitCode = EXIT_CODES.authFailure;
  constructor(message: string, readonly hints: string[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsUnavailableError';
  }
}

/** The function URL could not be reached (after retries), or did not answer in time. */
export class FunctionUrlNetworkError extends Error {
  readonly exitCode = EXIT_CODES.network;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionUrlNetworkError';
  }
}
