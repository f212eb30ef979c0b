import type { Parser } from './parsers';

/** The shape of a row of the CLI's option table (options.ts), and the CLI's own defaults the rows state. */

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
