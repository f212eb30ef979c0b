import { OUTPUT_NAMES } from '../../client/deployment-outputs';
import type { CliOption } from './options-row';
import { MODE_OPTIONS } from './options-modes';
import { WHAT_TO_SEND_OPTIONS } from './options-what';
import { WHERE_TO_CALL_OPTIONS } from './options-where';
import { WHO_CALLS_OPTIONS } from './options-who';
import type { Parser } from './parsers';

export { CLI_STS_RETRIES, type CliOption, DEFAULT_MAX_TIME_SECONDS, HELP_GROUPS, type HelpGroup, type OutputField } from './options-row';

/**
 * The command line as a table: one row per option. Parsing (node:util parseArgs), --help, the
 * option list in docs/cli.md and the labels that say where a value came from (flag, environment
 * variable or outputs file) are all derived from it. The rows live by --help group in
 * options-where.ts, options-who.ts, options-what.ts and options-modes.ts; adding an option is one
 * row there plus the code that uses its value (`sources.value('name')`).
 */

/** The whole table, its groups in --help's order (a group's rows keep their order). */
export const OPTIONS = {
  ...WHERE_TO_CALL_OPTIONS,
  ...WHO_CALLS_OPTIONS,
  ...WHAT_TO_SEND_OPTIONS,
  ...MODE_OPTIONS,
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
