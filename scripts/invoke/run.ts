import { ClientOptionError, FunctionUrlNetworkError } from '../../client/errors';
import { FunctionUrlClient, type FunctionUrlClientOptions, type InvokeRequest } from '../../client/function-url-client';
import type { InvokeResponse } from '../../client/responses';
import { parseCommandLine } from './command-line';
import { printCredentialProcess } from './credential-process';
import { type CallerCredentials, callerCredentials } from './credentials';
import { EXIT_CODES, type ExitCode, exitCodeOfAnswer, reportError } from './errors';
import { helpText } from './help';
import { DEFAULT_MAX_TIME_SECONDS, OPTION_NAMES, flagOf, optionOf } from './options';
import { prove } from './prove';
import { describeSigning } from './redaction';
import { readSettings, requestOf, warnIfSecretReadable } from './settings';
import { OptionSources } from './sources';
import { type StreamIo, streamOne } from './stream';

export interface CliIo extends StreamIo {
  env: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs the CLI. Every failure is an exit code and one message: a usage error is one line (exit
 * 2), and no stack trace is printed unless --debug. The whole run is bounded by --max-time.
 */
export async function runInvokeCli(argv: string[], io: CliIo): Promise<number> {
  const report = { json: argv.includes('--json'), debug: argv.includes('--debug'), sources: undefined as OptionSources | undefined };
  let deadline: NodeJS.Timeout | undefined;
  try {
    const flags = parseCommandLine(argv);
    report.json = flags.get('json') === true;
    if (flags.get('help') === true) {
      io.stdout(`${helpText()}\n`);
      return EXIT_CODES.success;
    }
    const sources = new OptionSources(flags, io.env);
    report.sources = sources;
    const repeat = sources.value('repeat') ?? 1;
    const intervalSeconds = sources.value('interval') ?? 0;
    const maxTimeSeconds = sources.value('maxTime') ?? DEFAULT_MAX_TIME_SECONDS + repeat * intervalSeconds;
    const timedOut = new Promise<number>((resolve) => {
      deadline = setTimeout(
        () =>
          resolve(
            reportError(
              io,
              new FunctionUrlNetworkError(
                `gave up after ${maxTimeSeconds} s (--max-time ${maxTimeSeconds}): STS or the function URL did not finish in time`,
              ),
              report,
            ),
          ),
        maxTimeSeconds * 1000,
      );
    });
    return await Promise.race([run(sources, io, { repeat, intervalSeconds }), timedOut]);
  } catch (error) {
    return reportError(io, error, report);
  } finally {
    clearTimeout(deadline);
  }
}

interface Calls {
  repeat: number;
  intervalSeconds: number;
}

async function run(sources: OptionSources, io: CliIo, calls: Calls): Promise<ExitCode> {
  if (sources.value('credentialProcess')) return printCredentialProcess(sources, io);
  const settings = readSettings(sources);
  warnIfSecretReadable(io.stderr, settings);
  const request = requestOf(sources);
  const presignSeconds = presignSecondsOf(sources, request);
  const isVerbose = sources.value('verbose') === true;
  const verbose = (line: string) => void (isVerbose && io.stderr(`· ${line}\n`));
  const credentials = callerCredentials(settings, { env: io.env, notice: (line) => io.stderr(`· ${line}\n`), verbose, presignSeconds });
  const clientOptions: FunctionUrlClientOptions = {
    url: settings.url,
    region: settings.region,
    timeoutMs: sources.value('timeout'),
    retries: sources.value('retries'),
    maxBodyBytes: sources.value('maxBytes'),
    onSigned: async (signed, used) => {
      if (isVerbose) verbose(await describeSigning(signed, used));
    },
  };
  // Made before any call, so a bad region or URL is a usage error and not a refusal later.
  const client = new FunctionUrlClient({ ...clientOptions, credentials });
  verbose(`calling ${settings.url}; signing with ${credentials.description}`);
  const json = sources.value('json') === true;
  if (sources.value('prove')) return prove(io, settings, credentials, clientOptions, json);
  if (presignSeconds !== undefined) return presign(io, client, request, presignSeconds, json);
  return invoke(io, { client, request, credentials, json }, calls);
}

/** The --presign lifetime, after the checks that the modes and the request allow one. */
function presignSecondsOf(sources: OptionSources, request: InvokeRequest): number | undefined {
  const modes = OPTION_NAMES.filter((name) => optionOf(name).mode && sources.given(name));
  if (modes.length > 1)
    throw new ClientOptionError(flagOf(optionOf(modes[0])), undefined, `cannot be combined with ${flagOf(optionOf(modes[1]))}`);
  const seconds = sources.value('presign');
  // A presigned URL signs only host, method, path, query and body: a header would be silently
  // left out of what the URL's holder sends.
  if (seconds !== undefined && (request.headers as [string, string][]).length > 0) {
    throw new ClientOptionError(
      '-H',
      undefined,
      'cannot be combined with --presign: a presigned URL carries no headers (it signs only the method, path, query and body)',
    );
  }
  return seconds;
}

async function presign(
  io: CliIo,
  client: FunctionUrlClient,
  request: InvokeRequest,
  expiresInSeconds: number,
  json: boolean,
): Promise<ExitCode> {
  const presigned = await client.presign({
    method: request.method,
    path: request.path,
    query: request.query,
    body: request.body,
    expiresInSeconds,
  });
  if (json) {
    io.stdout(`${JSON.stringify({ url: presigned.url, method: presigned.method, expiresAt: presigned.expiresAt.toISOString() })}\n`);
  } else {
    io.stdout(`${presigned.url}\n`);
    io.stderr(
      `· ${presigned.method} only, until ${presigned.expiresAt.toISOString()}; anyone holding this URL can make this call until then (it is a bearer credential: do not log or share it)\n`,
    );
  }
  return EXIT_CODES.success;
}

interface Invocation {
  client: FunctionUrlClient;
  request: InvokeRequest;
  credentials: CallerCredentials;
  json: boolean;
}

/** The default mode: one call, or --repeat N, the body streamed (or one JSON result object); stops at the first failure. */
async function invoke(io: CliIo, invocation: Invocation, calls: Calls): Promise<ExitCode> {
  const { client, request, credentials, json } = invocation;
  const sleep = io.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  let exit: ExitCode = EXIT_CODES.success;
  const results: object[] = [];
  let made = 0;
  for (let i = 0; i < calls.repeat && exit === EXIT_CODES.success; i++) {
    if (i > 0 && calls.intervalSeconds > 0) await sleep(calls.intervalSeconds * 1000);
    made++;
    if (json) {
      const response = await client.invoke(request);
      results.push(resultObject(response));
      exit = exitCodeOfAnswer(response.status, !response.truncated);
    } else {
      exit = await streamOne(io, client, request);
    }
  }
  const assumeRoleCalls = credentials.assumeRoleCalls();
  if (calls.repeat > 1 && !json) io.stderr(`${made} call(s); STS AssumeRole was called ${assumeRoleCalls} time(s)\n`);
  if (json) io.stdout(`${JSON.stringify(calls.repeat === 1 ? { ...results[0], assumeRoleCalls } : { results, assumeRoleCalls })}\n`);
  return exit;
}

function resultObject(response: InvokeResponse): object {
  return {
    status: response.status,
    headers: response.headers,
    body: response.json ?? response.text,
    ...(response.truncated ? { truncated: true, bodyBytes: response.body.length } : {}),
    timing: { totalMs: Math.round(response.durationMs), attempts: response.attempts },
  };
}
