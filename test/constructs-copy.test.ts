import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuplicateConstructsError, InvokerUser } from '../constructs';
import { PROJECT_ROOT } from './support/leftover-guard';
import { useTempDir } from './support/temp-dir';

/**
 * A second copy of the `constructs` package (what a symlinked install of this package with its own
 * node_modules gives an app that has its own) cannot hold this package's constructs: each of the
 * constructs refuses such a scope with an error naming both copies and the fix, instead of
 * constructs' own `TypeError: scope.node._scopes is not iterable`.
 */
describe('a scope made with another copy of constructs', () => {
  const temp = useTempDir('constructs-copy-');
  const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const ours = path.join(PROJECT_ROOT, 'node_modules', 'constructs');

  /**
   * A second copy of this checkout's constructs, declaring `asVersion`, loaded with require; with
   * `olderInternals` its tree lives in a field of another name, as in older versions (10.4).
   */
  function secondCopy(asVersion: string, olderInternals = false) {
    const copy = path.join(temp(), 'node_modules', 'constructs');
    fs.cpSync(ours, copy, { recursive: true });
    if (olderInternals) {
      const file = path.join(copy, 'lib', 'construct.js');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('_scopes', '_scopeChain'));
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')) as { version: string };
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...manifest, version: asVersion }));
    const other = require(copy) as typeof import('constructs');
    const root = new other.Construct(undefined as never, '');
    return { copy, stack: new other.Construct(root, 'stack') };
  }

  it('that keeps its tree elsewhere is refused at construction, naming both copies, their versions and the fix', () => {
    const { copy, stack } = secondCopy('10.4.2', true);
    let thrown: unknown;
    try {
      new InvokerUser(stack, 'User', { role: {} as never });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DuplicateConstructsError);
    const message = (thrown as Error).message;
    expect(message).toContain(`The scope "stack" was made with ${copy} (constructs 10.4.2)`);
    expect(message).toContain(`lambda-url-iam uses ${ours} (constructs ${version(ours)})`);
    expect(message).toContain('npm install --install-links ../lambda-url-iam');
    expect(message).not.toContain('_scopes');
  });

  it.each([
    ['the same version', () => secondCopy(version(ours))],
    ['another version with the same internals', () => secondCopy('10.7.0')],
  ])('of %s is accepted (such copies work together)', (_, make) => {
    const { stack } = make();
    // Past the scope check: the props are what is refused next.
    expect(() => new InvokerUser(stack, 'User', { role: {} as never })).toThrow(/InvokerUser.*role/s);
  });
});
