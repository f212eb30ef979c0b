import { type CliOption, HELP_GROUPS, OPTION_NAMES, optionOf } from './options';

/** --help, written from the option table; docs/cli.md holds the same option list (a test keeps them equal). */

const USAGE = `Usage: lambda-url-invoke [options]        (in a checkout of lambda-url-iam: npm run invoke -- [options])

Calls an IAM-protected Lambda function URL: assumes the invoker role with STS (or uses the
credentials you already hold), signs the request with SigV4 (service "lambda") and streams the
answer's body to stdout (status line and notes go to stderr). Settings come from the deployment
outputs (cdktf deploy --outputs-file …), from flags, or from the environment variables in brackets.`;

const SECRETS = `Secrets (secret keys, session tokens) are never printed, in any mode (a --presign URL is the
one thing printed that grants access, and only because you asked for it).`;

const EXIT_CODES_TEXT = `Exit codes: 0 success (2xx; --prove: every check as expected), 2 usage error, 3 HTTP error status,
a body cut at --max-bytes or by a closed stdout, or a vendor that failed, 4 authentication/authorization
failure (401/403; AssumeRole, AssumeRoleWithWebIdentity or the vendor refused; no credentials or an
unreadable token file), 5 network failure or timeout (URL, STS or --max-time), 6 --prove found a call
that did not behave as expected, 1 unexpected error.`;

/** Where the help text of an option starts: two spaces, the flags, padding. */
const TEXT_COLUMN = 26;

export function helpText(): string {
  return `${USAGE}\n\n${optionsHelp()}\n\n${SECRETS}\n\n${EXIT_CODES_TEXT}`;
}

/** Every option of the table, by group, as --help lists them. */
export function optionsHelp(): string {
  const lines: string[] = [];
  for (const group of HELP_GROUPS) {
    lines.push(`${group}:`);
    for (const name of OPTION_NAMES) {
      const option = optionOf(name);
      if (option.group === group) lines.push(...optionLines(option));
    }
  }
  return lines.join('\n');
}

/** "-H, --header 'N: v'" or "--role-arn ARN": an option as --help names it. */
export function synopsisOf(option: CliOption): string {
  const long = `--${option.flag}${option.placeholder === undefined ? '' : ` ${option.placeholder}`}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

function optionLines(option: CliOption): string[] {
  const synopsis = `  ${synopsisOf(option)}`;
  const text = option.help.map((line, i) => (i === option.help.length - 1 && option.env !== undefined ? `${line} [${option.env}]` : line));
  const indent = ' '.repeat(TEXT_COLUMN);
  // A synopsis that leaves no room for two spaces before the text gets a line of its own.
  const first = synopsis.length <= TEXT_COLUMN - 2 ? [`${synopsis.padEnd(TEXT_COLUMN)}${text[0]}`] : [synopsis, `${indent}${text[0]}`];
  return [...first, ...text.slice(1).map((line) => `${indent}${line}`)];
}
