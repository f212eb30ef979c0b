import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Checks that could not run on this machine, reported in the run's summary (never a silent skip).
 * A test records one with `reportNotRun`; the globalSetup (leftover-guard.ts) prints every record
 * after vitest's own summary, with the reason and what to install.
 */

export interface NotRunCheck {
  /** What was not checked. */
  check: string;
  /** Why not, in the words of the tool that failed. */
  reason: string;
  /** What to install or set so it runs. */
  install: string;
  /** The variable that turns the absence into a failure. */
  requireVariable?: string;
}

const FOLDER = 'not-run';

/** Records a check as not run, in the run's shared folder (set by the globalSetup). */
export function reportNotRun(record: NotRunCheck): void {
  const shared = process.env.LAMBDA_URL_IAM_TEST_SHARED;
  if (shared === undefined)
    throw new Error('LAMBDA_URL_IAM_TEST_SHARED is not set: run the tests through vitest (its globalSetup sets it)');
  const dir = path.join(shared, FOLDER);
  fs.mkdirSync(dir, { recursive: true });
  const name = record.check.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 100);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(record));
}

/** The records of a run, read from its shared folder. */
export function notRunChecks(sharedDir: string): NotRunCheck[] {
  const dir = path.join(sharedDir, FOLDER);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as NotRunCheck);
}

/** The summary block: one paragraph per check, indented, so it stands out after vitest's summary. */
export function notRunSummary(checks: NotRunCheck[]): string {
  if (checks.length === 0) return '';
  const blocks = checks.map((c) =>
    [
      `  NOT RUN: ${c.check}`,
      `    why: ${c.reason.replace(/\s+/g, ' ').trim()}`,
      ...c.install.split('\n').map((line, i) => `    ${i === 0 ? 'to run it: ' : '           '}${line}`),
      ...(c.requireVariable ? [`    ${c.requireVariable}=1 makes its absence a failure (for machines that can have it).`] : []),
    ].join('\n'),
  );
  return `\n${checks.length} check(s) could not run on this machine (reported, not failed):\n${blocks.join('\n\n')}\n`;
}
