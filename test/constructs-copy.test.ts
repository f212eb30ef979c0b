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

  it('is refused at construction, naming both copies, their versions and the fix', () => {
    const copy = path.join(temp(), 'node_modules', 'constructs');
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', 'constructs'), copy, { recursive: true });
    const other = require(copy) as typeof import('constructs');
    const foreignRoot = new other.Construct(undefined as never, '');
    const foreignStack = new other.Construct(foreignRoot, 'stack');

    let thrown: unknown;
    try {
      new InvokerUser(foreignStack, 'User', { role: {} as never });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DuplicateConstructsError);
    const message = (thrown as Error).message;
    const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(message).toContain(`The scope "stack" was made with ${copy} (constructs ${version(copy)})`);
    const ours = path.join(PROJECT_ROOT, 'node_modules', 'constructs');
    expect(message).toContain(`lambda-url-iam uses ${ours} (constructs ${version(ours)})`);
    expect(message).toContain('npm install --install-links ../lambda-url-iam');
    expect(message).not.toContain('_scopes');
  });
});
