import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ExecutionCredentials, FunctionIdentity } from './execution-role';
import { type FunctionDirectories, prepareFunctionDirectories } from './function-directories';
import { handlerEnvironment, linkSdkPackages } from './handler-environment';
import { readResultMessages } from './handler-results';
import { FunctionUsers, type IsolationOptions, prepareCodeRoot, refuseOrWarn } from './handler-isolation';
import { type RuntimeNode, type RuntimeNodeOptions, RuntimeNodes } from './runtime-node';

/**
 * Runs deployed Node.js handlers, each function in its own process (a Lambda execution
 * environment): the zip is unpacked once per code version into that function's directory, the
 * process starts with a clean environment (Lambda's variables and the function's own, nothing of
 * the stand-in's), its own TMPDIR, a V8 heap capped at the function's MemorySize, and stays warm
 * between invocations. When the stand-in runs as root, every function also runs as its own
 * unprivileged user, so it can neither read the stand-in's /proc entries or other functions' code,
 * nor signal the stand-in. A timeout, an exit, a resident size over MemorySize or an oversized
 * result ends that process only; the next call starts a fresh one.
 * Unlike Lambda, one warm process may run several events concurrently; handlers here are async.
 */

export interface FunctionCode {
  name: string;
  codeSha256: string;
  zipBase64: string;
  handler: string;
  runtime: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  arn: string;
  /** The execution role's ARN: its session's credentials are the process's. */
  role?: string;
}

export type InvocationOutcome =
  | { ok: true; result: unknown; durationMs: number }
  | { ok: false; kind: 'error'; errorType: string; errorMessage: string; durationMs: number }
  | { ok: false; kind: 'timeout'; durationMs: number };

type Settle = (message: { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string }) => void;

/** One invocation on its way: the line sent to the runtime, and whether the runtime has begun it. */
interface Call {
  id: number;
  code: FunctionCode;
  line: string;
  settle: Settle;
  /** The process it was sent to (a fresh one when the first ended before beginning it). */
  warm?: WarmProcess;
  started: boolean;
  /** A call is sent to a fresh process once at most: a runtime that dies before reading is an error. */
  resent: boolean;
}

interface WarmProcess {
  key: string;
  /** The key without the credentials: what a renewal leaves unchanged. */
  configuration: string;
  child: ChildProcess;
  pending: Map<number, Call>;
  /** Why the stand-in ended it (set before the kill), reported to the calls it was running. */
  endedBecause?: { errorType: string; errorMessage: string };
  memoryWatch?: NodeJS.Timeout;
  codeDir: string;
  /** Replaced by a process with fresh credentials: ended once its calls in flight are answered. */
  retired?: boolean;
}

/** How often the resident size of a process with calls in flight is read. */
const MEMORY_WATCH_MS = 50;

const RUNTIME_FILE = (() => {
  const js = path.join(__dirname, 'handler-process.js');
  return fs.existsSync(js) ? js : path.join(__dirname, '..', 'dist', 'local-aws', 'handler-process.js');
})();

export interface HandlerRunnerOptions extends IsolationOptions {
  /** Where each Runtime's Node.js is found (runtime-node.ts). */
  readonly nodes?: RuntimeNodeOptions;
  /** Where functions get their execution role's credentials. */
  sessions?: { credentialsFor(fn: FunctionIdentity): ExecutionCredentials | undefined };
  /** The stand-in's endpoint that functions' SDK calls go to, read at each process start (it is known only once the server listens). */
  endpoint?: () => string;
}

export class HandlerRunner {
  private readonly processes = new Map<string, WarmProcess>();
  /** Processes replaced by fresh credentials that still answer calls in flight. */
  private readonly retiredProcesses = new Set<WarmProcess>();
  private readonly codeRoot: string;
  private readonly runtimeFile: string;
  private readonly users = new FunctionUsers();
  /** True when functions run as users of their own (handler-isolation.ts says when they cannot). */
  separateUsers: boolean;
  private nextId = 1;
  private readonly nodes: RuntimeNodes;
  private closing = false;

  constructor(private readonly options: HandlerRunnerOptions = {}) {
    this.nodes = new RuntimeNodes(options.nodes);
    const root = prepareCodeRoot(options);
    this.codeRoot = root.dir;
    this.separateUsers = root.separateUsers;
    this.runtimeFile = path.join(this.codeRoot, 'runtime.js');
    fs.copyFileSync(RUNTIME_FILE, this.runtimeFile);
    fs.chmodSync(this.runtimeFile, 0o644);
    linkSdkPackages(this.codeRoot);
  }

  async invoke(code: FunctionCode, event: unknown, requestId: string): Promise<InvocationOutcome> {
    if (!/^nodejs\d+\.x$/.test(code.runtime)) {
      return {
        ok: false,
        kind: 'error',
        errorType: 'Runtime.Unsupported',
        errorMessage: `The local stand-in runs Node.js handlers only, not ${code.runtime}`,
        durationMs: 0,
      };
    }
    const started = performance.now();
    const id = this.nextId++;
    const deadline = Date.now() + code.timeoutSeconds * 1000;
    const context = {
      awsRequestId: requestId,
      functionName: code.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: code.arn,
      memoryLimitInMB: String(code.memorySize),
      deadline,
    };
    return new Promise<InvocationOutcome>((resolve) => {
      const call: Call = {
        id,
        code,
        line: `${JSON.stringify({ id, event, context })}\n`,
        settle: () => undefined,
        started: false,
        resent: false,
      };
      const timer = setTimeout(() => {
        const warm = call.warm;
        warm?.pending.delete(id);
        if (warm !== undefined)
          this.end(code.name, warm, {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${code.timeoutSeconds.toFixed(2)} seconds`,
          });
        resolve({ ok: false, kind: 'timeout', durationMs: performance.now() - started });
      }, code.timeoutSeconds * 1000);
      call.settle = (message) => {
        clearTimeout(timer);
        const durationMs = performance.now() - started;
        // A process retired at a credential renewal ends when its last call is answered.
        const warm = call.warm;
        if (warm?.retired === true && warm.pending.size === 0) killProcessGroup(warm.child);
        resolve(
          message.ok
            ? { ok: true, result: message.result, durationMs }
            : { ok: false, kind: 'error', errorType: message.errorType, errorMessage: message.errorMessage, durationMs },
        );
      };
      this.send(call);
    });
  }

  /** The Node.js that runs functions of this Runtime (`nodejs22.x` → Node 22 when available). */
  nodeFor(runtime: string): RuntimeNode {
    return this.nodes.for(runtime);
  }

  /** Sends a call to its function's warm process (started now if there is none). */
  private send(call: Call): void {
    let warm: WarmProcess;
    try {
      warm = this.warmProcess(call.code);
    } catch (error) {
      call.settle({ ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: (error as Error).message });
      return;
    }
    call.warm = warm;
    call.started = false;
    warm.pending.set(call.id, call);
    this.watchMemory(call.code, warm);
    (warm.child.stdin as Writable).write(call.line);
  }

  private warmProcess(code: FunctionCode): WarmProcess {
    const credentials =
      code.role === undefined
        ? undefined
        : this.options.sessions?.credentialsFor({ name: code.name, arn: code.arn, role: code.role, timeoutSeconds: code.timeoutSeconds });
    const configuration = `${code.codeSha256}|${code.handler}|${code.runtime}|${code.memorySize}|${JSON.stringify(code.environment)}`;
    const key = `${configuration}|${credentials?.accessKeyId ?? ''}`;
    const existing = this.processes.get(code.name);
    if (existing !== undefined && existing.key === key) return existing;
    if (existing !== undefined) {
      // Only the credentials changed: the calls in flight finish with the old ones.
      if (existing.configuration === configuration) this.retire(code.name, existing);
      else this.end(code.name, existing, { errorType: 'Runtime.ExitError', errorMessage: 'The function was updated' });
    }

    const { uid, codeDir, tmpDir } = this.functionDirectories(code);
    const env = handlerEnvironment({ ...code, codeDir, tmpDir, credentials, endpoint: this.options.endpoint?.() });
    const child = this.spawnRuntime(code, uid, codeDir, env);
    const warm: WarmProcess = { key, configuration, child, pending: new Map(), codeDir };
    child.stdin!.on('error', () => undefined); // a process that died mid-write is reported by 'exit'
    child.on('error', (error) => this.fail(code.name, warm, { errorType: 'Runtime.ExitError', errorMessage: error.message }));
    child.on('exit', (exitCode, signal) => {
      const why =
        warm.endedBecause ??
        (signal === 'SIGABRT' || exitCode === 134
          ? { errorType: 'Runtime.OutOfMemory', errorMessage: 'Runtime exited with error: signal: aborted (JavaScript heap out of memory)' }
          : {
              errorType: 'Runtime.ExitError',
              errorMessage: `Runtime exited with error: ${signal === null ? `exit status ${exitCode}` : `signal: ${signal}`}`,
            });
      this.fail(code.name, warm, why);
    });
    this.readResults(code.name, warm, child.stdio[3] as Readable);
    this.processes.set(code.name, warm);
    return warm;
  }

  /**
   * The function's directory `fn-<uid>` (0700, its user's when it has one): its code unpacked once
   * per code version, and its TMPDIR.
   */
  private functionDirectories(code: FunctionCode): FunctionDirectories {
    return prepareFunctionDirectories(this.codeRoot, this.users.uidOf(code.name), this.uidFor(code.name), code);
  }

  /** Starts the runtime on the Node of the function's Runtime, as the function's user when it has one. */
  private spawnRuntime(code: FunctionCode, uid: number | undefined, codeDir: string, env: NodeJS.ProcessEnv): ChildProcess {
    const start = (as: number | undefined) =>
      spawn(this.nodeFor(code.runtime).path, [`--max-old-space-size=${code.memorySize}`, this.runtimeFile], {
        cwd: codeDir,
        env,
        // stdout/stderr are the function's logs (not emulated); fd 3 carries the results.
        stdio: ['pipe', 'ignore', 'ignore', 'pipe'],
        // A process group of its own: what the handler spawns is ended with it (killProcessGroup).
        detached: true,
        ...(as === undefined ? {} : { uid: as, gid: as }),
      });
    try {
      return start(uid);
    } catch (error) {
      // Node throws EPERM at once when root may not switch users (checked at start; this is a
      // capability lost since): refused with requireIsolation, else said and run as the stand-in's user.
      if (uid === undefined || (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      refuseOrWarn('setuid failed with EPERM when starting a function (no CAP_SETUID/CAP_SETGID)', this.options);
      this.separateUsers = false;
      return start(undefined);
    }
  }

  private uidFor(name: string): number | undefined {
    const uid = this.users.uidOf(name);
    return this.separateUsers ? uid : undefined;
  }

  /** The runtime's messages on fd 3 (handler-results.ts): a call begun, or its result. */
  private readResults(name: string, warm: WarmProcess, results: Readable): void {
    readResultMessages(
      results,
      (message) => {
        const call = warm.pending.get(message.id);
        if (call === undefined) return;
        if (message.started === true) {
          call.started = true;
          return;
        }
        warm.pending.delete(message.id);
        call.settle(
          message.ok === true
            ? { ok: true, result: message.result ?? null }
            : { ok: false, errorType: String(message.errorType ?? 'Error'), errorMessage: String(message.errorMessage ?? '') },
        );
      },
      () =>
        this.end(name, warm, {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
        }),
    );
  }

  /**
   * Lambda ends an environment whose memory use passes MemorySize. The V8 heap cap catches
   * JavaScript objects; buffers live outside it, so the resident size is read while calls run.
   */
  private watchMemory(code: FunctionCode, warm: WarmProcess): void {
    if (warm.memoryWatch !== undefined || warm.child.pid === undefined) return;
    const limit = code.memorySize * 1024 * 1024;
    const statm = `/proc/${warm.child.pid}/statm`;
    warm.memoryWatch = setInterval(() => {
      if (warm.pending.size === 0) {
        clearInterval(warm.memoryWatch);
        warm.memoryWatch = undefined;
        return;
      }
      let resident: number;
      try {
        resident = Number(fs.readFileSync(statm, 'utf8').split(' ')[1]) * 4096;
      } catch {
        return; // exited; 'exit' reports it
      }
      if (resident > limit)
        this.end(code.name, warm, {
          errorType: 'Runtime.OutOfMemory',
          errorMessage: `Runtime exited with error: signal: killed (memory used exceeded MemorySize ${code.memorySize} MB)`,
        });
    }, MEMORY_WATCH_MS);
    warm.memoryWatch.unref();
  }

  /**
   * Takes a process out of service when its credentials are renewed: the next call starts a fresh
   * one, and this one ends once the calls it is running are answered (each within its timeout).
   */
  private retire(name: string, warm: WarmProcess): void {
    if (this.processes.get(name) === warm) this.processes.delete(name);
    warm.retired = true;
    this.retiredProcesses.add(warm);
    warm.child.once('exit', () => this.retiredProcesses.delete(warm));
    if (warm.pending.size === 0) killProcessGroup(warm.child);
  }

  /** Ends a process for `why`; its calls in flight fail with it now, not at their timeout. */
  private end(name: string, warm: WarmProcess, why: { errorType: string; errorMessage: string }): void {
    warm.endedBecause ??= why;
    killProcessGroup(warm.child);
    this.fail(name, warm, why);
  }

  /**
   * A process is gone: the calls it had begun fail with `why`. When it ended on its own (an exit,
   * a crash after an answer), a call it had not begun goes to a fresh process, as Lambda gives the
   * next invocation a new runtime; when the stand-in ended it, every call fails.
   */
  private fail(name: string, warm: WarmProcess, why: { errorType: string; errorMessage: string }): void {
    if (this.processes.get(name) === warm) this.processes.delete(name);
    if (warm.memoryWatch !== undefined) clearInterval(warm.memoryWatch);
    const pending = [...warm.pending.values()];
    warm.pending.clear();
    for (const call of pending) {
      if (!call.started && !call.resent && warm.endedBecause === undefined && !this.closing) {
        call.resent = true;
        this.send(call);
      } else call.settle({ ok: false, ...why });
    }
  }

  /** Forgets a function's process and files (after its deletion or a code update). */
  discard(name: string): void {
    const warm = this.processes.get(name);
    if (warm !== undefined) this.end(name, warm, { errorType: 'Runtime.ExitError', errorMessage: 'The function was deleted' });
    const uid = this.users.given(name);
    if (uid !== undefined) fs.rmSync(path.join(this.codeRoot, `fn-${uid}`), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.closing = true;
    const exits = [...this.processes.values(), ...this.retiredProcesses].map(
      (warm) =>
        new Promise<void>((resolve) => {
          if (warm.child.exitCode !== null || warm.child.signalCode !== null) return resolve();
          warm.child.once('exit', () => resolve());
          killProcessGroup(warm.child);
        }),
    );
    await Promise.all(exits);
    this.processes.clear();
    this.users.release();
    fs.rmSync(this.codeRoot, { recursive: true, force: true });
  }
}

/**
 * Kills a function's process and every process it started that stayed in its group (a handler's
 * `spawn('sleep', …)` would otherwise outlive the call and the stand-in). One that leaves the group
 * (setsid, `detached: true`) is not reached: see local-aws/README.md.
 */
function killProcessGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  child.kill('SIGKILL');
}
