import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/leftover-guard';
import { osTempDir, useTempDir } from './support/temp-dir';

/**
 * The frameworks are optional peers, so a project can install this package without them. Loading
 * an entry then names what is missing and how to install it, instead of Node's bare "Cannot find
 * module" from deep inside the constructs. Each entry is copied outside the repository (where no
 * node_modules up the tree holds cdktf or cdktn) and loaded with plain node.
 */
describe('an entry loaded without its framework installed', () => {
  const temp = useTempDir('framework-check-', osTempDir);

  it.each([
    ['constructs', 'npm install cdktf @cdktf/provider-aws'],
    ['cdktn', 'npm install cdktn @cdktn/provider-aws'],
  ])('dist/%s names the packages and the command, in one error', (entry, command) => {
    const dir = path.join(temp(), entry);
    fs.cpSync(path.join(PROJECT_ROOT, 'dist', entry), dir, { recursive: true });
    const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})`], { cwd: dir, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('MissingFrameworkError');
    expect(result.stderr).toContain(command);
    expect(result.stderr).not.toContain('Cannot find module');
  });
});
