import * as fs from 'node:fs';
import Module = require('node:module');
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The runtime inside one function's process (a Lambda execution environment): loads
 * `$LAMBDA_TASK_ROOT/<module>` once, reads one invocation per line on stdin, writes one result per
 * line on fd 3 (and `{"id":n,"started":true}` when it takes a call, so the stand-in knows which
 * calls a dying process had not begun). It imports nothing but Node's built-ins, because
 * HandlerRunner copies this file next to the unpacked code: it must run where nothing else of the
 * stand-in is readable.
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

/**
 * Node looks a package up in the node_modules of every folder above the importing file, past the
 * code root (where this file is copied) into the temp dir above it, which every user may write in:
 * another function could put a package there for this one to load. Lambda's lookup never leaves
 * the environment's own folders (/var/task, /opt, /var/runtime), so for the function's own files
 * a package is looked up in the code root's folders only (its code's node_modules, then the SDK's
 * links in the code root's): in require's search paths, and in import's through a resolve hook
 * (in-thread where Node has registerHooks, else a loader thread; Node < 20.6 has neither).
 */
function confineModuleResolution(codeRoot: string): void {
  const inside = (file: string) => file.startsWith(`${codeRoot}${path.sep}`);
  const internals = Module as unknown as {
    _nodeModulePaths(from: string): string[];
    registerHooks?: (hooks: { resolve: (specifier: string, context: ResolveContext, next: NextResolve) => unknown }) => void;
    register?: (url: string) => void;
  };
  const nodeModulePaths = internals._nodeModulePaths;
  internals._nodeModulePaths = (from: string) => {
    const paths = nodeModulePaths(from);
    return inside(from) ? paths.filter(inside) : paths;
  };
  if (internals.registerHooks !== undefined) {
    const deps = { fs, path, isBuiltin: Module.isBuiltin, fileURLToPath };
    internals.registerHooks({
      resolve: (specifier, context, next) => {
        const missing = packageOutsideCodeRoot(deps, codeRoot, specifier, context.parentURL);
        // These hooks also see require(): its error is Node's for require.
        const code = context.conditions?.includes('require') ? 'MODULE_NOT_FOUND' : 'ERR_MODULE_NOT_FOUND';
        if (missing !== undefined) throw Object.assign(new Error(missing), { code });
        return next(specifier, context);
      },
    });
    return;
  }
  const hook = `import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
const check = ${packageOutsideCodeRoot.toString()};
export async function resolve(specifier, context, next) {
  const missing = check({ fs, path, isBuiltin, fileURLToPath }, ${JSON.stringify(codeRoot)}, specifier, context.parentURL);
  if (missing !== undefined) throw Object.assign(new Error(missing), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}`;
  internals.register?.(`data:text/javascript,${encodeURIComponent(hook)}`);
}

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
}
type NextResolve = (specifier: string, context: ResolveContext) => unknown;

/**
 * Why a bare `specifier` imported by a file inside `root` is not found (no node_modules from that
 * file's folder up to `root` holds its package), or undefined when it is left to Node. Self-contained
 * (its modules are passed in): its source is also the loader thread's hook.
 */
function packageOutsideCodeRoot(
  deps: { fs: typeof fs; path: typeof path; isBuiltin: (specifier: string) => boolean; fileURLToPath: (url: string) => string },
  root: string,
  specifier: string,
  parentURL: string | undefined,
): string | undefined {
  if (parentURL === undefined || !parentURL.startsWith('file:')) return undefined;
  const parent = deps.fileURLToPath(parentURL);
  const inside = (file: string) => file.startsWith(root + deps.path.sep);
  if (!inside(parent) || !/^[^./#]/.test(specifier) || specifier.includes(':') || deps.isBuiltin(specifier)) return undefined;
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  for (let dir = deps.path.dirname(parent); inside(dir) || dir === root; dir = deps.path.dirname(dir))
    if (deps.fs.existsSync(deps.path.join(dir, 'node_modules', name))) return undefined;
  return `Cannot find package '${name}' imported from ${parent}`;
}

confineModuleResolution(__dirname);
const ready = loadHandler();
ready.catch(() => undefined); // reported per invocation below

function reply(message: Record<string, unknown>): void {
  results.write(`${JSON.stringify(message)}\n`);
}

/** The calls this process has begun and not answered. */
const inFlight = new Set<number>();
let crashing = false;

/**
 * An uncaught exception or an unhandled rejection ends the runtime, as on Lambda (its Node.js
 * runtime interface client reports `Runtime.UnhandledPromiseRejection`, or the exception, and
 * exits): the calls it was running fail with that error, an answer already given stands, and
 * calls it had not begun run in a fresh process. The results written so far are flushed first.
 */
function crash(errorType: string, errorMessage: string): void {
  if (crashing) return;
  crashing = true;
  for (const id of inFlight) reply({ id, ok: false, errorType, errorMessage });
  results.write('', () => endGroup());
  setTimeout(endGroup, 2000); // a result pipe that broke never calls back
}

process.on('unhandledRejection', (reason) => crash('Runtime.UnhandledPromiseRejection', String(reason)));
process.on('uncaughtException', (error) => crash(error?.name ?? 'Error', error?.message ?? String(error)));

/** Ends this process and what it started (its group: the stand-in starts it as a group leader). */
function endGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(129);
  }
}

async function run(line: string): Promise<void> {
  if (crashing) return; // not begun: the stand-in sends it to a fresh process
  const message = JSON.parse(line) as { id: number; event: unknown; context: Record<string, unknown> };
  inFlight.add(message.id);
  results.write(`{"id":${message.id},"started":true}\n`);
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
  } finally {
    inFlight.delete(message.id);
  }
}

createInterface({ input: process.stdin })
  .on('line', (line) => void run(line))
  // stdin closes when the stand-in is gone (even killed): end this process and what it started,
  // or they would run on without it.
  .on('close', endGroup);
