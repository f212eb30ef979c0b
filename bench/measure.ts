import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Wall time in ms of one `node` process running `script` (with `-e`), whole process. */
export function timeNodeProcess(script: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`benchmark process failed: ${result.stderr.toString()}`);
  return ms;
}

/** A figure measured inside a child process (it prints one number of ms on stdout). */
export function reportedByNodeProcess(script: string, cwd = process.cwd()): number {
  const result = spawnSync(process.execPath, ['-e', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`benchmark process failed: ${result.stderr.toString()}`);
  return Number(result.stdout.toString().trim());
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function repeat(times: number, measure: () => number): number[] {
  return Array.from({ length: times }, measure);
}

export function row(label: string, value: string, note = ''): string {
  return `  ${label.padEnd(52)} ${value.padStart(12)}  ${note}`;
}

/** Wall time in ms of one whole command (npm, npx, a bin), like a user at a shell sees it. */
export function timeCommand(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr?.toString() ?? result.error}`);
  return ms;
}

/** "(goal ≤ x, met)" / "(… NOT met)" for a figure where lower is better. */
export function goal(value: number, limit: number, unit = ''): string {
  return `(goal ≤ ${limit}${unit}, ${value <= limit ? 'met' : 'NOT met'})`;
}

/** Starts `node args` and resolves once its stdout matches `ready` (a line saying where it listens). */
export function startChild(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let seen = '';
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      const match = ready.exec(seen);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${seen}`)));
  });
}

/** Peak resident memory (VmHWM) of a process, in MB; undefined where /proc is not there. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } catch {
    return undefined;
  }
}
