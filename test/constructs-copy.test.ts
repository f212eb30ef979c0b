import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Construct } from 'constructs';
import { DuplicateConstructsError, InvokerUser } from '../constructs';
import { sameConstructsCopy } from '../constructs/constructs-copy';
import { InvalidPropError } from '../constructs/prop-validation';
import { PROJECT_ROOT } from './support/leftover-guard';
import { useTempDir } from './support/temp-dir';

/**
 * A second copy of the `constructs` package (what a symlinked install of this package with its own
 * node_modules gives an app that has its own): another install of the same version holds this
 * package's constructs; one that cannot (an older version) is refused by each of the constructs
 * with an error naming both copies and the fix, instead of constructs' own `TypeError:
 * scope.node._scopes is not iterable`.
 */
describe('a scope made with another copy of constructs', () => {
  const temp = useTempDir('constructs-copy-');

  /** A second install of constructs; `older` makes it one whose Node keeps its ancestry under another name, as older versions do. */
  const installCopy = (older: boolean) => {
    const copy = path.join(temp(), 'node_modules', 'constructs');
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', 'constructs'), copy, { recursive: true });
    if (older) {
      const construct = path.join(copy, 'lib', 'construct.js');
      fs.writeFileSync(construct, fs.readFileSync(construct, 'utf8').replaceAll('_scopes', '_ancestry'));
      const manifest = path.join(copy, 'package.json');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/"version": "[^"]+"/, '"version": "10.0.0"'));
    }
    return copy;
  };

  it('of the same version (another install of it) holds the constructs, as a symlinked install needs', () => {
    const other = require(installCopy(false)) as typeof import('constructs');
    const foreignStack = new other.Construct(new other.Construct(undefined as never, ''), 'stack');
    expect(sameConstructsCopy(foreignStack)).toBe(foreignStack);
    expect(new Construct(foreignStack, 'Child').node.path).toBe('stack/Child');
    // The constructs get past the scope check to their own validation.
    expect(() => new InvokerUser(foreignStack, 'User', { role: {} as never })).toThrow(InvalidPropError);
  });

  it('that cannot hold them (an older version) is refused at construction, naming both copies, their versions and the fix', () => {
    const copy = installCopy(true);
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
    expect(message).toContain('The scope "stack" was made with ');
    expect(message).toContain(`${copy} (constructs 10.0.0)`);
    const ours = path.join(PROJECT_ROOT, 'node_modules', 'constructs');
    expect(message).toContain(`lambda-url-iam uses ${ours} (constructs ${version(ours)})`);
    expect(message).toContain('npm install --install-links ../lambda-url-iam');
    expect(message).not.toContain('_scopes');
  });
});
