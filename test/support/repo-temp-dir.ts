import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A temporary directory inside the repository (git-ignored `.test-tmp/`), never in the OS temp
 * dir: tests write nothing outside the repo. Remove it in `afterAll`/`finally`, pass or fail.
 */
export function repoTempDir(prefix: string): { dir: string; remove(): void } {
  const root = path.resolve(__dirname, '..', '..', '.test-tmp');
  fs.mkdirSync(root, { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, `${prefix}-`));
  return {
    dir,
    remove: () => {
      fs.rmSync(dir, { recursive: true, force: true });
      // The last one out removes the shared parent (it fails harmlessly while others still use it).
      try {
        fs.rmdirSync(root);
      } catch {
        /* still in use by another test file */
      }
    },
  };
}
