import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs inside a worker thread: loads the function's handler module once (a warm "container") and
 * answers invocation messages. Errors are reported like Lambda's (errorType, errorMessage).
 */

interface WorkerInput {
  codeDir: string;
  handler: string;
  environment: Record<string, string>;
}

// TypeScript's CommonJS output would turn import() into require(), which cannot load .mjs
// handlers; this keeps a real dynamic import.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, any>>;

const { codeDir, handler, environment } = workerData as WorkerInput;
Object.assign(process.env, environment);
const dot = handler.lastIndexOf('.');
const moduleName = handler.slice(0, dot);
const exportName = handler.slice(dot + 1);

async function loadHandler(): Promise<(event: unknown, context: unknown) => unknown> {
  const base = path.join(codeDir, moduleName);
  const candidates = ['.mjs', '.js', '.cjs'].map((ext) => `${base}${ext}`);
  const fs = require('node:fs') as typeof import('node:fs');
  const file = candidates.find((candidate) => fs.existsSync(candidate));
  if (file === undefined) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  const loaded = await importModule(pathToFileURL(file).href);
  const fn = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof fn !== 'function') throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn;
}

const ready = loadHandler();
ready.catch(() => undefined); // reported per invocation below

parentPort!.on('message', async (message: { id: number; event: unknown; context: Record<string, unknown> }) => {
  try {
    const fn = await ready;
    const context = { ...message.context, getRemainingTimeInMillis: () => Math.max(0, (message.context.deadline as number) - Date.now()) };
    const result = await fn(message.event, context);
    parentPort!.postMessage({ id: message.id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ id: message.id, ok: false, errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) });
  }
});
