import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { notRunChecks, notRunSummary } from './not-run';

/**
 * vitest globalSetup: the run's own temp dir, and the check that the run left nothing behind.
 *
 * Before the workers start, TMPDIR (TMP, TEMP) points at `.test-tmp/run-*` inside the repository,
 * so everything that asks the OS for a temp dir (our tests, terraform, the provider, npm) writes
 * there and a crash cannot leave a state file or an invoker secret in the machine's /tmp. When the
 * run ends, the run FAILS if that folder is not empty (a test did not remove what it made), if a
 * file appeared beside the checkout (the old `../.terraform-cli.tfrc`), or if anything is left in
 * the run's own folder in the machine's temp dir (`lambda-url-iam-run-*`, where the consumer
 * projects live, as they must be outside the repository). Only that folder is looked at there:
 * other runs (other worktrees, CI) use the machine's temp dir at the same time, and a scan of it by
 * name would report, and remove, their consumer projects while they install.
 */

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface Snapshot {
  readonly dir: string;
  readonly names: ReadonlySet<string>;
}

export function snapshot(dir: string): Snapshot {
  return { dir, names: new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : []) };
}

/** What is in `dir` now and was not at the snapshot, filtered; as absolute paths. */
export function appearedSince(before: Snapshot, keep: (name: string, full: string) => boolean = () => true): string[] {
  const now = fs.existsSync(before.dir) ? fs.readdirSync(before.dir) : [];
  return now
    .filter((name) => !before.names.has(name))
    .map((name) => path.join(before.dir, name))
    .filter((full) => keep(path.basename(full), full));
}

export interface LeftoverWatch {
  readonly runTempDir: string;
  readonly sharedDir: string;
  /** The run's own folder in the machine's temp dir, for what must live outside the repository. */
  readonly osRunDir: string;
  /** Removes the run's folders and returns what was left behind (empty when the run was clean). */
  finish(): string[];
}

export function watchForLeftovers(projectRoot: string, osTmp: string): LeftoverWatch {
  const base = path.join(projectRoot, '.test-tmp');
  fs.mkdirSync(base, { recursive: true });
  const runTempDir = fs.mkdtempSync(path.join(base, 'run-'));
  // The stand-in runs each function as a user of its own when it runs as root (local-aws/README.md):
  // that user must be able to pass through the temp dir to reach its code (not list it).
  fs.chmodSync(base, 0o711);
  fs.chmodSync(runTempDir, 0o711);
  const sharedDir = `${runTempDir}-shared`;
  fs.mkdirSync(sharedDir);
  const beside = snapshot(path.dirname(projectRoot));
  const osRunDir = fs.mkdtempSync(path.join(osTmp, 'lambda-url-iam-run-'));
  return {
    runTempDir,
    sharedDir,
    osRunDir,
    finish() {
      const leftovers = [
        ...fs.readdirSync(runTempDir).map((name) => path.join(runTempDir, name)),
        // Files only: a folder appearing beside the checkout is another worktree, not us.
        ...appearedSince(beside, (_, full) => !fs.statSync(full).isDirectory()),
        ...fs.readdirSync(osRunDir).map((name) => path.join(osRunDir, name)),
      ];
      fs.rmSync(runTempDir, { recursive: true, force: true });
      fs.rmSync(sharedDir, { recursive: true, force: true });
      fs.rmSync(osRunDir, { recursive: true, force: true });
      if (fs.readdirSync(base).length === 0) fs.rmdirSync(base);
      return leftovers;
    },
  };
}

export default function setup(): () => void {
  const osTmp = os.tmpdir();
  const watch = watchForLeftovers(PROJECT_ROOT, osTmp);
  const saved = {
    TMPDIR: process.env.TMPDIR,
    TMP: process.env.TMP,
    TEMP: process.env.TEMP,
    NODE_DISABLE_COMPILE_CACHE: process.env.NODE_DISABLE_COMPILE_CACHE,
  };
  // Node >= 22.1 keeps a module compile cache in $TMPDIR/node-compile-cache when a program enables
  // it (tsc does): in the run's temp dir that is a file left behind. Node's own switch turns it off.
  process.env.NODE_DISABLE_COMPILE_CACHE = '1';
  process.env.LAMBDA_URL_IAM_OS_TMPDIR = watch.osRunDir;
  process.env.LAMBDA_URL_IAM_TEST_SHARED = watch.sharedDir;
  process.env.TMPDIR = process.env.TMP = process.env.TEMP = watch.runTempDir;
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    // Read before finish() removes the shared folder that holds them.
    const notRun = notRunSummary(notRunChecks(watch.sharedDir));
    if (notRun !== '') process.stdout.write(notRun);
    const leftovers = watch.finish();
    for (const full of leftovers) fs.rmSync(full, { recursive: true, force: true });
    if (leftovers.length > 0) {
      // vitest only logs an error thrown here ("error during close") and still exits 0.
      process.exitCode = 1;
      throw new Error(
        `The test run left ${leftovers.length} file(s) behind (removed now; fix the test that made them):\n  ${leftovers.join('\n  ')}`,
      );
    }
  };
}
