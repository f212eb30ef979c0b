import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readZip } from './zip-archive';

/**
 * Runs deployed Node.js handlers: the zip is unpacked once per code version into a temp
 * directory and loaded in a worker thread that stays warm between invocations, like a Lambda
 * execution environment. A timeout terminates the worker (the next call starts a fresh one).
 * Unlike Lambda, one warm worker may run several events concurrently; handlers here are async.
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
}

export type InvocationOutcome =
  | { ok: true; result: unknown; durationMs: number }
  | { ok: false; kind: 'error'; errorType: string; errorMessage: string; durationMs: number }
  | { ok: false; kind: 'timeout'; durationMs: number };

interface WarmWorker {
  key: string;
  worker: Worker;
  pending: Map<number, (message: any) => void>;
}

const WORKER_FILE = (() => {
  const js = path.join(__dirname, 'handler-worker.js');
  return fs.existsSync(js) ? js : path.join(__dirname, '..', 'dist', 'local-aws', 'handler-worker.js');
})();

export class HandlerRunner {
  private readonly workers = new Map<string, WarmWorker>();
  private readonly codeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'local-aws-code-'));
  private nextId = 1;

  async invoke(code: FunctionCode, event: unknown, requestId: string): Promise<InvocationOutcome> {
    if (!/^nodejs\d+\.x$/.test(code.runtime)) {
      return { ok: false, kind: 'error', errorType: 'Runtime.Unsupported', errorMessage: `The local stand-in runs Node.js handlers only, not ${code.runtime}`, durationMs: 0 };
    }
    const warm = this.warmWorker(code);
    const id = this.nextId++;
    const started = performance.now();
    const deadline = Date.now() + code.timeoutSeconds * 1000;
    return new Promise<InvocationOutcome>((resolve) => {
      const timer = setTimeout(() => {
        warm.pending.delete(id);
        this.retire(code.name, warm);
        resolve({ ok: false, kind: 'timeout', durationMs: performance.now() - started });
      }, code.timeoutSeconds * 1000);
      warm.pending.set(id, (message) => {
        clearTimeout(timer);
        const durationMs = performance.now() - started;
        resolve(message.ok ? { ok: true, result: message.result, durationMs } : { ok: false, kind: 'error', errorType: message.errorType, errorMessage: message.errorMessage, durationMs });
      });
      warm.worker.postMessage({
        id,
        event,
        context: { awsRequestId: requestId, functionName: code.name, functionVersion: '$LATEST', invokedFunctionArn: code.arn, memoryLimitInMB: String(code.memorySize), deadline },
      });
    });
  }

  private warmWorker(code: FunctionCode): WarmWorker {
    const key = `${code.codeSha256}|${code.handler}|${JSON.stringify(code.environment)}`;
    const existing = this.workers.get(code.name);
    if (existing !== undefined && existing.key === key) return existing;
    if (existing !== undefined) this.retire(code.name, existing);
    const codeDir = path.join(this.codeRoot, code.codeSha256.replace(/[^A-Za-z0-9]/g, '_'));
    if (!fs.existsSync(codeDir)) {
      const files = readZip(Buffer.from(code.zipBase64, 'base64'));
      for (const [name, data] of files) {
        const target = path.resolve(codeDir, name);
        if (!target.startsWith(codeDir + path.sep)) continue; // no zip-slip
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, data);
      }
    }
    const environment = { AWS_LAMBDA_FUNCTION_NAME: code.name, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(code.memorySize), AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', ...code.environment };
    const worker = new Worker(WORKER_FILE, { workerData: { codeDir, handler: code.handler, environment }, env: { ...environment }, stdout: false, stderr: false });
    const warm: WarmWorker = { key, worker, pending: new Map() };
    worker.on('message', (message: { id: number }) => {
      const settle = warm.pending.get(message.id);
      warm.pending.delete(message.id);
      settle?.(message);
    });
    worker.on('error', (error) => {
      for (const settle of warm.pending.values()) settle({ ok: false, errorType: 'Runtime.ExitError', errorMessage: error.message });
      warm.pending.clear();
      if (this.workers.get(code.name) === warm) this.workers.delete(code.name);
    });
    worker.unref();
    this.workers.set(code.name, warm);
    return warm;
  }

  private retire(name: string, warm: WarmWorker): void {
    if (this.workers.get(name) === warm) this.workers.delete(name);
    void warm.worker.terminate();
  }

  /** Forgets a function's worker (after its deletion or a code update). */
  discard(name: string): void {
    const warm = this.workers.get(name);
    if (warm !== undefined) this.retire(name, warm);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.worker.terminate()));
    this.workers.clear();
    fs.rmSync(this.codeRoot, { recursive: true, force: true });
  }
}
