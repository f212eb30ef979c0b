import { type ClientErrorCode, ClientOptionError, describeOptionProblem, isClientError } from '../../client/errors';
import { flagOf, optionOf, optionOfLibraryOption } from './options';
import type { OptionSources } from './sources';

/** The CLI's exit codes (docs/cli.md lists them). */
export const EXIT_CODES = {
  success: 0,
  internal: 1,
  usage: 2,
  httpError: 3,
  authFailure: 4,
  network: 5,
  proofFailed: 6,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Every code the library can raise has its exit code (a new code does not compile until it has one). */
const EXIT_CODE_OF: Record<ClientErrorCode, ExitCode> = {
  'invalid-option': EXIT_CODES.usage,
  'assume-role-failed': EXIT_CODES.authFailure,
  'credentials-unavailable': EXIT_CODES.authFailure,
  'web-identity-token-unreadable': EXIT_CODES.authFailure,
  'sts-unreachable': EXIT_CODES.network,
  network: EXIT_CODES.network,
  'vend-refused': EXIT_CODES.authFailure,
  'vend-failed': EXIT_CODES.httpError,
};

export function exitCodeOf(error: unknown): ExitCode {
  return isClientError(error) ? EXIT_CODE_OF[error.code] : EXIT_CODES.internal;
}

/**
 * The exit code of an HTTP answer: 0 for 2xx, 4 for a refusal (401/403), else 3; and 3 for a 2xx
 * whose body was not read whole (cut at --max-bytes, or stdout closed by its reader).
 */
export function exitCodeOfAnswer(status: number, bodyComplete = true): ExitCode {
  if (status === 401 || status === 403) return EXIT_CODES.authFailure;
  return status >= 200 && status < 300 && bodyComplete ? EXIT_CODES.success : EXIT_CODES.httpError;
}

/** The library names its options in backticks (`stsTimeoutMs`); the CLI user typed flags. */
function withFlags(text: string): string {
  return text.replace(/`(\w+)`/g, (quoted, libraryOption: string) => {
    const name = optionOfLibraryOption(libraryOption);
    return name === undefined ? quoted : flagOf(optionOf(name));
  });
}

/** A usage error, named by where its value came from (a flag, a variable, the outputs file). */
function usageMessage(error: ClientOptionError, sources: OptionSources | undefined): string {
  const label = sources?.labelOfLibraryOption(error.option) ?? error.option;
  const subject = label === error.option ? (error.about ?? error.option) : error.about === undefined ? label : `${label} ${error.about}`;
  return describeOptionProblem(subject, error.value, withFlags(error.rule));
}

export interface ReportContext {
  json: boolean;
  debug: boolean;
  /** Where this run's values came from, to name the source of a bad one. */
  sources?: OptionSources;
}

/** Reports the error (one line and its hints, or one JSON object) and returns the exit code. */
export function reportError(
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
  error: unknown,
  context: ReportContext,
): ExitCode {
  const exitCode = exitCodeOf(error);
  const hints = isClientError(error) ? error.hints.map(withFlags) : [];
  const text =
    error instanceof ClientOptionError ? usageMessage(error, context.sources) : withFlags((error as Error)?.message ?? String(error));
  if (context.json) {
    const code = isClientError(error) ? error.code : undefined;
    io.stdout(`${JSON.stringify({ error: { type: (error as Error)?.name ?? 'Error', code, message: text, hints }, exitCode })}\n`);
  } else {
    const message =
      error instanceof ClientOptionError
        ? `usage: ${text} (see --help)`
        : exitCode === EXIT_CODES.internal
          ? `unexpected: ${text}${context.debug ? '' : ' (run with --debug for the stack trace)'}`
          : text;
    io.stderr(`error: ${message.replace(/\n/g, ' ')}\n${hints.map((h) => `  - ${h}\n`).join('')}`);
  }
  if (context.debug) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
  return exitCode;
}
