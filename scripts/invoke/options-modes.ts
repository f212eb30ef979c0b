import { MAX_PRESIGN_SECONDS } from '../../client/sigv4';
import type { CliOption } from './options-row';
import { seconds, wholeNumber } from './parsers';

/** The rows of the option table in --help's group "Modes": what the run does besides one call: prove, presign, credential_process, repeat, output. */

export const MODE_OPTIONS = {
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
