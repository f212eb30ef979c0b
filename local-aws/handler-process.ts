import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/**
 * The runtime inside one function's process (a Lambda execution environment): loads
 * `$LAMBDA_TASK_ROOT/<module>` once, reads one invocation per line on stdin, writes one result per
 * line on fd 3. It imports nothing but Node's built-ins, because HandlerRunner copies this file
 * next to the unpacked code: it must run where nothing else of the stand-in is readable.
 */

/** Lambda's limit on a synchronous response payload (its error message names this number). */
const MAX_RESPONSE_BYTES = 6291556;

const results = fs.createWriteStream('', { fd: 3 });

// TypeScript's CommonJS output would turn import() into require(), which cannot load .mjs
// handlers; this keeps a real dynamic import.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const handlerName = process.env._HANDLER ?? 'index.handler';

async function loadHandler(): Promise<(event: unknown, context: unknown) => unknown> {
  const dot = handlerName.lastIndexOf('.');
  const moduleName = handlerName.slice(0, dot);
  const exportName = handlerName.slice(dot + 1);
  const base = path.join(taskRoot, moduleName);
  const file = ['.mjs', '.js', '.cjs'].map((ext) => `${base}${ext}`).find((candidate) => fs.existsSync(candidate));
  if (file === undefined) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  const loaded = await importModule(pathToFileURL(file).href);
  const fallback = loaded.default as Record<string, unknown> | undefined;
  const fn = loaded[exportName] ?? fallback?.[exportName];
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn as (event: unknown, context: unknown) => unknown;
}

const ready = loadHandler();
ready.catch(() => undefined); // reported per invocation below

function reply(message: Record<string, unknown>): void {
  results.write(`${JSON.stringify(message)}\n`);
}

async function run(line: string): Promise<void> {
  const message = JSON.parse(line) as { id: number; event: unknown; context: Record<string, unknown> };
  try {
    const fn = await ready;
    const deadline = message.context.deadline as number;
    const context = { ...message.context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    const result = await fn(message.event, context);
    const payload = JSON.stringify(result) ?? 'null';
    if (Buffer.byteLength(payload) > MAX_RESPONSE_BYTES) {
      reply({
        id: message.id,
        ok: false,
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
      return;
    }
    results.write(`{"id":${message.id},"ok":true,"result":${payload}}\n`);
  } catch (error) {
    const e = error as Error;
    reply({ id: message.id, ok: false, errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) });
  }
}

createInterface({ input: process.stdin })
  .on('line', (line) => void run(line))
  // stdin closes when the stand-in is gone (even killed): end this process and what it started
  // (its group: the stand-in starts it as a group leader), or they would run on without it.
  .on('close', () => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(0);
    }
  });
