import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ClientOptionError } from '../../client/errors';
import { OPTIONS, OPTION_NAMES, type OptionName, optionOf } from './options';

/** What the command line said, per option: true for a switch, the text, or every text of a list. */
export type Flags = ReadonlyMap<OptionName, string | boolean | string[]>;

const PARSE_ARGS_OPTIONS: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
  OPTION_NAMES.map((name) => {
    const option = optionOf(name);
    return [
      option.flag,
      {
        type: option.kind === 'switch' ? 'boolean' : 'string',
        ...(option.short === undefined ? {} : { short: option.short }),
        ...(option.kind === 'list' ? { multiple: true } : {}),
      },
    ];
  }),
);

const NAME_OF_FLAG = new Map<string, OptionName>(OPTION_NAMES.map((name) => [OPTIONS[name].flag, name]));

/** The options on the command line (node:util parseArgs, from the table), its errors turned into usage errors naming the flag. */
export function parseCommandLine(argv: string[]): Flags {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: argv, allowPositionals: false, strict: true, options: PARSE_ARGS_OPTIONS }).values;
  } catch (error) {
    throw usageErrorOf(error, argv);
  }
  const flags = new Map<OptionName, string | boolean | string[]>();
  for (const [flag, value] of Object.entries(values)) {
    const name = NAME_OF_FLAG.get(flag);
    if (name !== undefined && value !== undefined) flags.set(name, value as string | boolean | string[]);
  }
  return flags;
}

function usageErrorOf(error: unknown, argv: string[]): unknown {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? '(unknown)';
    return new ClientOptionError(flag, undefined, 'is not an option of this command');
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new ClientOptionError('argument', argument, 'is not expected: every setting is a --flag (e.g. --url URL, --path /P)');
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1] ?? '(option)';
    const name = NAME_OF_FLAG.get(flag.slice(2));
    if (name !== undefined && optionOf(name).kind === 'switch')
      return new ClientOptionError(flag, undefined, 'is a switch and takes no value');
    const next = argv[argv.indexOf(flag) + 1];
    if (/ambiguous/.test(message) && next !== undefined)
      return new ClientOptionError(flag, next, `takes a value that starts with "-" only as ${flag}=${next}`);
    return new ClientOptionError(flag, undefined, 'needs a value');
  }
  return error;
}
