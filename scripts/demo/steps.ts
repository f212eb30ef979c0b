/** The demo's steps: each timed, its outcome kept for the report. */

export interface DemoStep {
  name: string;
  ms: number;
  ok: boolean;
  note?: string;
  /** The step could not run here (a tool is missing): neither passed nor failed. */
  notRun?: boolean;
}

/** Thrown by a step that cannot run on this machine; the message says why and what to install. */
export class StepNotRun extends Error {}

export type Step = <T>(name: string, run: () => Promise<T>, note?: (value: T) => string) => Promise<T>;

/** A step runner writing "▶ name …" and "done in N s: note" to `out`, recording each step in `steps`. */
export function stepRunner(out: (text: string) => void, steps: DemoStep[]): Step {
  return async (name, run, note) => {
    out(`▶ ${name} …\n`);
    const started = performance.now();
    try {
      const value = await run();
      const ms = performance.now() - started;
      steps.push({ name, ms, ok: true, note: note?.(value) });
      out(`  done in ${(ms / 1000).toFixed(1)} s${note ? `: ${note(value)}` : ''}\n`);
      return value;
    } catch (error) {
      if (error instanceof StepNotRun) {
        steps.push({ name, ms: performance.now() - started, ok: true, notRun: true, note: error.message });
        out(`  NOT RUN: ${error.message}\n`);
        return undefined as never;
      }
      steps.push({ name, ms: performance.now() - started, ok: false, note: (error as Error).message.split('\n')[0] });
      throw error;
    }
  };
}

/** The closing table: each step with its time, what the stand-in answered, and the verdict. */
export function printReport(
  out: (text: string) => void,
  report: { steps: DemoStep[]; requests: number; handlingMs: number; totalMs: number; exitCode: number },
): void {
  out(`\n${'Report'.padEnd(62)}${'time'.padStart(8)}\n`);
  for (const s of report.steps)
    out(
      `  ${s.notRun ? 'NOT RUN' : s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(s.notRun ? 53 : 56)}${(s.ms / 1000).toFixed(1).padStart(7)} s\n`,
    );
  out(
    `  stand-in: ${report.requests} requests answered in ${(report.handlingMs / 1000).toFixed(2)} s in all (terraform and the provider's fixed 5 s wait for a new function are the rest)\n`,
  );
  out(`  total ${(report.totalMs / 1000).toFixed(1)} s: ${report.exitCode === 0 ? 'the whole flow behaved as expected' : 'FAILED'}\n`);
}
