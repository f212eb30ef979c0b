import { DEFAULT_OUTPUTS_FILE, OUTPUT_NAMES } from '../../client/deployment-outputs';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../../client/function-url-client';
import { DEFAULT_PROPAGATION_WAIT_SECONDS, DEFAULT_SESSION_DURATION_SECONDS } from '../../client/assume-role';
import { DEFAULT_STS_TIMEOUT_MS } from '../../client/sts';
import { MAX_PRESIGN_SECONDS } from '../../client/sigv4';
import { type Parser, fileText, headerPair, seconds, textOrFile, wholeNumber } from './parsers';

/**
 * The command line as a table: one row per option. Parsing (node:util parseArgs), --help, the
 * option list in docs/cli.md and the labels that say where a value came from (flag, environment
 * variable or outputs file) are all derived from it. Adding an option is one row here plus the
 * code that uses its value (`sources.value('name')`).
 */

export type HelpGroup = 'Where to call' | 'Who calls' | 'What to send' | 'Modes';
export const HELP_GROUPS: readonly HelpGroup[] = ['Where to call', 'Who calls', 'What to send', 'Modes'];

/** A field of the deployment outputs that can supply an option's value. */
export type OutputField = 'functionUrl' | 'roleArn' | 'region' | 'externalId';

export interface CliOption {
  /** The long flag without its dashes: "role-arn" is --role-arn. */
  readonly flag: string;
  /** A one-letter alias: "H" is -H. */
  readonly short?: string;
  /** `switch` takes no value; `value` takes one; `list` takes one per occurrence (-H a -H b). */
  readonly kind: 'switch' | 'value' | 'list';
  /** The value's name in --help: --role-arn ARN. */
  readonly placeholder?: string;
  /** The environment variable read when the flag is not given. */
  readonly env?: string;
  /** The deployment output read when neither the flag nor the variable gives a value. */
  readonly output?: OutputField;
  /** The library option the value becomes: the library's errors about it are reported under this option. */
  readonly libraryOption?: string;
  /** Applies only when the CLI calls AssumeRole itself: refused with --no-assume-role. */
  readonly assumeRoleOnly?: true;
  /** One of the modes that exclude each other. */
  readonly mode?: true;
  readonly group: HelpGroup;
  /** --help's lines for the option; its environment variable is added to the last. */
  readonly help: readonly string[];
  /** Turns the text into the value (each occurrence, for a list); the text as it is when absent. */
  readonly parse?: Parser<unknown>;
}

export const DEFAULT_MAX_TIME_SECONDS = 120;
/** The CLI retries a failed STS call twice (the library's default is 4): a person is waiting. */
export const CLI_STS_RETRIES = 2;
/**
 * Lambda refuses a request payload over 6 MB (Lambda quotas: "Invocation payload (request and
 * response)", 6 MB for synchronous invocations, which a function URL call is).
 */
const MAX_DATA_BYTES = 6 * 1024 * 1024;
/** A session policy is at most 2048 characters (checked by the library); a file far larger is not one. */
const MAX_SESSION_POLICY_FILE_BYTES = 64 * 1024;

export const OPTIONS = {
  outputs: {
    flag: 'outputs',
    kind: 'value',
    placeholder: 'FILE',
    env: 'INVOKE_OUTPUTS',
    libraryOption: 'outputsFile',
    group: 'Where to call',
    help: [`deployment outputs file (default ./${DEFAULT_OUTPUTS_FILE}, read only`, 'when --url is not given)'],
  },
  outputsPath: {
    flag: 'outputs-path',
    kind: 'value',
    placeholder: 'P',
    libraryOption: 'outputsPath',
    group: 'Where to call',
    help: ['which deployment in the file, e.g. lambda-url-iam-demo.ProtectedUrl'],
  },
  url: {
    flag: 'url',
    kind: 'value',
    placeholder: 'URL',
    env: 'INVOKE_URL',
    output: 'functionUrl',
    libraryOption: 'url',
    group: 'Where to call',
    help: ['function URL'],
  },
  region: {
    flag: 'region',
    kind: 'value',
    placeholder: 'R',
    env: 'INVOKE_REGION',
    output: 'region',
    libraryOption: 'region',
    group: 'Where to call',
    help: ['signing region (default: from the outputs or the URL host)'],
  },
  roleArn: {
    flag: 'role-arn',
    kind: 'value',
    placeholder: 'ARN',
    env: 'INVOKE_ROLE_ARN',
    output: 'roleArn',
    libraryOption: 'roleArn',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['role to assume'],
  },
  externalId: {
    flag: 'external-id',
    kind: 'value',
    placeholder: 'ID',
    env: 'INVOKE_EXTERNAL_ID',
    output: 'externalId',
    libraryOption: 'externalId',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['sts:ExternalId the role requires'],
  },
  sessionName: {
    flag: 'session-name',
    kind: 'value',
    placeholder: 'NAME',
    env: 'INVOKE_SESSION_NAME',
    libraryOption: 'sessionName',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['2-64 of [A-Za-z0-9+=,.@_-] (default lambda-url-invoke-<time>)'],
  },
  duration: {
    flag: 'duration',
    kind: 'value',
    placeholder: 'S',
    env: 'INVOKE_DURATION',
    libraryOption: 'durationSeconds',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: [`session length, 900-43200 s (default ${DEFAULT_SESSION_DURATION_SECONDS})`],
    parse: wholeNumber(900, 43200),
  },
  sessionPolicy: {
    flag: 'session-policy',
    kind: 'value',
    placeholder: 'FILE',
    libraryOption: 'sessionPolicy',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['scope-down session policy (JSON, at most 2048 characters)'],
    parse: fileText(MAX_SESSION_POLICY_FILE_BYTES, 'a session policy is at most 2048 characters'),
  },
  stsRegion: {
    flag: 'sts-region',
    kind: 'value',
    placeholder: 'R',
    libraryOption: 'stsRegion',
    group: 'Who calls',
    help: ['region of the STS endpoint (default: the signing region)'],
  },
  stsTimeout: {
    flag: 'sts-timeout',
    kind: 'value',
    placeholder: 'MS',
    libraryOption: 'stsTimeoutMs',
    group: 'Who calls',
    help: [`per STS call, then retried (${CLI_STS_RETRIES} retries) and exit 5 (default ${DEFAULT_STS_TIMEOUT_MS})`],
    parse: wholeNumber(1, 120_000),
  },
  propagationWait: {
    flag: 'propagation-wait',
    kind: 'value',
    placeholder: 'S',
    env: 'INVOKE_PROPAGATION_WAIT',
    libraryOption: 'propagationWaitSeconds',
    group: 'Who calls',
    help: [
      'retry AccessDenied this long right after a deploy, while IAM',
      `propagates (default ${DEFAULT_PROPAGATION_WAIT_SECONDS}; 0 fails at once)`,
    ],
    parse: wholeNumber(0, 600),
  },
  webIdentityTokenFile: {
    flag: 'web-identity-token-file',
    kind: 'value',
    placeholder: 'FILE',
    env: 'INVOKE_WEB_IDENTITY_TOKEN_FILE',
    libraryOption: 'tokenFile',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: [
      "assume the role with this OIDC token (a CI job's, e.g. GitHub Actions)",
      'by AssumeRoleWithWebIdentity: no AWS key at all; read again on every refresh',
    ],
  },
  useDefaultCredentials: {
    flag: 'use-default-credentials',
    kind: 'switch',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['assume the role from your own identity (AWS SDK chain: env,', 'profile, SSO) instead of the invoker key in the outputs'],
  },
  noAssumeRole: {
    flag: 'no-assume-role',
    kind: 'switch',
    group: 'Who calls',
    help: [
      'sign with the credentials you already hold, as they are (AWS SDK',
      'chain: env, AWS_PROFILE / --profile with role_arn, SSO, web identity),',
      'for a caller that already is the invoker role; no AssumeRole',
    ],
  },
  profile: {
    flag: 'profile',
    kind: 'value',
    placeholder: 'NAME',
    env: 'AWS_PROFILE',
    libraryOption: 'profile',
    group: 'Who calls',
    help: ['the profile for --no-assume-role / --use-default-credentials'],
  },
  vendorUrl: {
    flag: 'vendor-url',
    kind: 'value',
    placeholder: 'URL',
    env: 'INVOKE_VENDOR_URL',
    libraryOption: 'vendorUrl',
    group: 'Who calls',
    help: [
      'sign with credentials from this credential vendor, which is called',
      'with the credentials you hold (AWS SDK chain, --profile); no AssumeRole',
    ],
  },
  method: {
    flag: 'method',
    kind: 'value',
    placeholder: 'M',
    libraryOption: 'method',
    group: 'What to send',
    help: ['GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (default GET, or POST with --data)'],
  },
  path: {
    flag: 'path',
    kind: 'value',
    placeholder: '/P',
    libraryOption: 'path',
    group: 'What to send',
    help: ['path below the function URL (default /)'],
  },
  query: {
    flag: 'query',
    kind: 'value',
    placeholder: 'Q',
    libraryOption: 'query',
    group: 'What to send',
    help: ["query string, e.g. 'a=1&b=2'; a raw + is a space, %2B is a plus", '(sent re-encoded as RFC 3986: space %20, plus %2B)'],
  },
  data: {
    flag: 'data',
    kind: 'value',
    placeholder: 'TEXT | @FILE',
    libraryOption: 'body',
    group: 'What to send',
    help: ['request body (a file is sent byte for byte; at most 6 MiB)'],
    parse: textOrFile(MAX_DATA_BYTES, 'Lambda refuses a function URL request payload over 6 MB'),
  },
  header: {
    flag: 'header',
    short: 'H',
    kind: 'list',
    placeholder: "'N: v'",
    libraryOption: 'headers',
    group: 'What to send',
    help: ['request header (repeatable)'],
    parse: headerPair,
  },
  timeout: {
    flag: 'timeout',
    kind: 'value',
    placeholder: 'MS',
    libraryOption: 'timeoutMs',
    group: 'What to send',
    help: [`per attempt, until the headers and then per pause in the body (default ${DEFAULT_TIMEOUT_MS})`],
    parse: wholeNumber(1, 900_000),
  },
  retries: {
    flag: 'retries',
    kind: 'value',
    placeholder: 'N',
    libraryOption: 'retries',
    group: 'What to send',
    help: [
      `retries for 5xx, 429 and network errors (default ${DEFAULT_RETRIES}); a retried call`,
      'may run the function twice: --retries 0 when it is not idempotent',
    ],
    parse: wholeNumber(0, 10),
  },
  maxBytes: {
    flag: 'max-bytes',
    kind: 'value',
    placeholder: 'N',
    libraryOption: 'maxBodyBytes',
    group: 'What to send',
    help: [`read at most N bytes of the body, then stop with exit 3 (default ${DEFAULT_MAX_BODY_BYTES})`],
    parse: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  },
  maxTime: {
    flag: 'max-time',
    kind: 'value',
    placeholder: 'S',
    group: 'What to send',
    help: [`upper bound for the whole run, then exit 5 (default ${DEFAULT_MAX_TIME_SECONDS},`, 'plus --repeat x --interval)'],
    parse: seconds(1, 86400),
  },
  prove: {
    flag: 'prove',
    kind: 'switch',
    mode: true,
    group: 'Modes',
    help: [
      "show the refusals: unsigned -> 403, the invoker user's own key -> 403,",
      "signed (assumed role) -> 200 with the caller's assumed-role identity;",
      'with --no-assume-role or --web-identity-token-file the user-key step',
      'is skipped and says so',
    ],
  },
  presign: {
    flag: 'presign',
    kind: 'value',
    placeholder: 'S',
    libraryOption: 'expiresInSeconds',
    mode: true,
    group: 'Modes',
    help: [
      `print a presigned URL for this request, valid S seconds (1-${MAX_PRESIGN_SECONDS},`,
      "at most the session's remaining life); anyone holding it can call",
      'the function until it expires: it is a bearer credential',
    ],
    parse: wholeNumber(1, MAX_PRESIGN_SECONDS),
  },
  credentialProcess: {
    flag: 'credential-process',
    kind: 'switch',
    mode: true,
    group: 'Modes',
    help: [
      'print the --vendor-url credentials as credential_process JSON and',
      'nothing else (for credential_process = ... in ~/.aws/config)',
    ],
  },
  repeat: {
    flag: 'repeat',
    kind: 'value',
    placeholder: 'N',
    mode: true,
    group: 'Modes',
    help: ['make N calls with the cached credentials'],
    parse: wholeNumber(1, 100_000),
  },
  interval: {
    flag: 'interval',
    kind: 'value',
    placeholder: 'S',
    group: 'Modes',
    help: ['seconds between repeated calls (default 0)'],
    parse: seconds(0, 3600),
  },
  json: { flag: 'json', kind: 'switch', group: 'Modes', help: ['print one machine-readable result object (body bounded by --max-bytes)'] },
  verbose: {
    flag: 'verbose',
    kind: 'switch',
    group: 'Modes',
    help: ['print the steps (identity, role, session expiry, canonical request)'],
  },
  debug: { flag: 'debug', kind: 'switch', group: 'Modes', help: ['print the stack trace of an unexpected error'] },
  help: { flag: 'help', short: 'h', kind: 'switch', group: 'Modes', help: ['this text'] },
} as const satisfies Record<string, CliOption>;

export type OptionName = keyof typeof OPTIONS;

/** The value an option has once parsed: true for a switch, the parser's result, one per occurrence for a list. */
export type OptionValue<K extends OptionName> = (typeof OPTIONS)[K] extends { kind: 'switch' }
  ? boolean
  : (typeof OPTIONS)[K] extends { kind: 'list'; parse: Parser<infer T> }
    ? T[]
    : (typeof OPTIONS)[K] extends { parse: Parser<infer T> }
      ? T
      : string;

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

export function optionOf(name: OptionName): CliOption {
  return OPTIONS[name];
}

/** The flag as --help shows it and as messages name it: -H for an option with a one-letter alias, else --flag. */
export function flagOf(option: CliOption): string {
  return option.short === undefined ? `--${option.flag}` : `-${option.short}`;
}

/** The option whose value becomes the library option `libraryOption`. */
export function optionOfLibraryOption(libraryOption: string): OptionName | undefined {
  return OPTION_NAMES.find((name) => optionOf(name).libraryOption === libraryOption);
}

/** The name of the deployment output that can supply the option, as the outputs file spells it. */
export function outputNameOf(option: CliOption): string | undefined {
  return option.output === undefined ? undefined : OUTPUT_NAMES[option.output];
}
