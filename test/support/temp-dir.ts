import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

/** Every temporary folder a test makes starts with this, so the run's guard can tell ours apart. */
export const TEMP_PREFIX = 'lambda-url-iam-test-';

/**
 * Temporary folders for one test file (or describe block): each call makes a new one, and all of
 * them are removed when the block ends, whether its tests passed or failed. Under `npm test` the
 * OS temp dir is the run's own folder inside the repository (see leftover-guard.ts), so even a
 * crash leaves nothing (no state file, no invoker secret) in the machine's /tmp.
 */
export function useTempDir(prefix: string, base: () => string = os.tmpdir): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(base(), `${TEMP_PREFIX}${prefix}`));
    made.push(dir);
    return dir;
  };
}

/**
 * The run's own folder in the machine's temp dir (the one before the run redirected TMPDIR; the
 * guard removes it and fails the run if anything is left in it): for what must live outside the
 * repository, such as a consumer project (Node resolves packages up every parent folder, so one
 * inside the repository would quietly find the repository's node_modules).
 */
export function osTempDir(): string {
  return process.env.LAMBDA_URL_IAM_OS_TMPDIR ?? os.tmpdir();
}
