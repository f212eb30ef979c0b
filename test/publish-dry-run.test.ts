import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/leftover-guard';

/**
 * `npm publish --dry-run` is clean: npm neither corrects nor drops anything in package.json (a bin
 * path it cannot use, a bad field) and warns about nothing but this machine (not logged in, an
 * npm setting of the machine's own).
 */
describe('npm publish --dry-run', () => {
  it('exits 0 and warns about nothing in the package', () => {
    const result = spawnSync('npm', ['publish', '--dry-run', '--ignore-scripts', '--offline'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const machineOnly = [/requires you to be logged in/, /Unknown (user|global|project|env|builtin) config/];
    const warnings = result.stderr
      .split('\n')
      .filter((line) => /^npm (warn|error)/i.test(line) && !machineOnly.some((allowed) => allowed.test(line)));
    expect(warnings).toEqual([]);
    expect(result.stderr).toMatch(/npm notice name:\s+lambda-url-iam/);
  });
});
