import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../../client/function-url-client';
import { type CliOption, DEFAULT_MAX_TIME_SECONDS } from './options-row';
import { headerPair, seconds, textOrFile, wholeNumber } from './parsers';

/** The rows of the option table in --help's group "What to send": the request: method, path, query, body, headers, and the limits on sending it. */

/**
 * Lambda refuses a request payload over 6 MB (Lambda quotas: "Invocation payload (request and
 * response)", 6 MB for synchronous invocations, which a function URL call is).
 */
const MAX_DATA_BYTES = 6 * 1024 * 1024;

export const WHAT_TO_SEND_OPTIONS = {
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
} as const satisfies Record<string, CliOption>;
