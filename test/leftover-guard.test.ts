import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, watchForLeftovers } from './support/leftover-guard';
import { TEMP_PREFIX, osTempDir, useTempDir } from './support/temp-dir';

/**
 * The guard that fails `npm test` when a run leaves files behind (test/support/leftover-guard.ts,
 * vitest's globalSetup), exercised on a throwaway layout so each rule is seen to catch its case.
 */
describe('the leftover guard', () => {
  const temp = useTempDir('guard-');

  it("is active in this run: the temp dir is the run's own folder inside the repository", () => {
    expect(os.tmpdir().startsWith(path.join(PROJECT_ROOT, '.test-tmp', 'run-'))).toBe(true);
    expect(osTempDir().startsWith(PROJECT_ROOT)).toBe(false);
    expect(path.basename(osTempDir())).toMatch(/^lambda-url-iam-run-/);
  });

  it("reports what a run leaves in its temp dir, beside the checkout, or in its own folder in the machine's temp dir", () => {
    const root = temp();
    const project = path.join(root, 'parent', 'checkout');
    const machineTmp = path.join(root, 'machine-tmp');
    fs.mkdirSync(project, { recursive: true });
    fs.mkdirSync(machineTmp);
    const clean = watchForLeftovers(project, machineTmp);
    expect(clean.finish()).toEqual([]);
    expect(fs.existsSync(path.join(project, '.test-tmp'))).toBe(false);

    const watch = watchForLeftovers(project, machineTmp);
    fs.mkdirSync(path.join(watch.runTempDir, 'demo-abc'));
    fs.writeFileSync(path.join(watch.sharedDir, 'package.tgz'), "shared artifacts are the run's own");
    fs.writeFileSync(path.join(root, 'parent', '.terraform-cli.tfrc'), '');
    fs.mkdirSync(path.join(root, 'parent', 'another-worktree'));
    fs.mkdirSync(path.join(watch.osRunDir, `${TEMP_PREFIX}consumer-x`));
    fs.mkdirSync(path.join(machineTmp, 'someone-elses'));
    expect(watch.finish().sort()).toEqual(
      [
        path.join(watch.runTempDir, 'demo-abc'),
        path.join(root, 'parent', '.terraform-cli.tfrc'),
        path.join(watch.osRunDir, `${TEMP_PREFIX}consumer-x`),
      ].sort(),
    );
    expect(fs.existsSync(watch.runTempDir) || fs.existsSync(watch.sharedDir) || fs.existsSync(watch.osRunDir)).toBe(false);
  });

  it("leaves alone what another test run (another worktree, at the same time) makes in the machine's temp dir", () => {
    const root = temp();
    const project = path.join(root, 'checkout');
    const machineTmp = path.join(root, 'machine-tmp');
    fs.mkdirSync(project, { recursive: true });
    fs.mkdirSync(machineTmp);
    const ours = watchForLeftovers(project, machineTmp);
    const theirs = watchForLeftovers(path.join(root, 'other-checkout'), machineTmp);
    // Their consumer project, still being installed when our run ends.
    const theirConsumer = fs.mkdtempSync(path.join(theirs.osRunDir, `${TEMP_PREFIX}consumer-`));
    expect(ours.finish()).toEqual([]);
    expect(fs.existsSync(theirConsumer)).toBe(true);
    expect(theirs.finish()).toEqual([theirConsumer]);
  });
});
