import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';

/**
 * A construct can be added only to a scope of a compatible copy of the `constructs` package: each
 * copy reads its parent's tree from private fields (`node._scopes`, `node._context`), which differ
 * between versions, so a scope of another version fails deep inside (`TypeError:
 * scope.node._scopes is not iterable`). Two copies are loaded when this package is installed as a
 * symlink that keeps its own node_modules (`npm install ../lambda-url-iam`, `npm link`) while the
 * app has its own `constructs`; two copies of the same version work together. Every construct
 * here checks its scope first (constructs' `Construct.isConstruct` recognises a construct of any
 * copy, `instanceof` only of its own) and throws this error when the scope's copy keeps its tree
 * elsewhere, naming both copies and the fix.
 */
export class DuplicateConstructsError extends Error {
  constructor(
    readonly ours: string,
    readonly others: string[],
    scopePath: string,
  ) {
    super(
      `lambda-url-iam: two different copies of the "constructs" package are loaded, and a construct of one cannot be added to a scope of the other. ` +
        `The scope "${scopePath}" was made with ${others.length > 0 ? others.map(describe).join(' or ') : 'another copy'}; ` +
        `lambda-url-iam uses ${describe(ours)}. This happens when lambda-url-iam is installed as a symlink that keeps its own node_modules ` +
        '(npm install ../lambda-url-iam, npm link). Install it as a copy instead (npm install --install-links ../lambda-url-iam, or the packed ' +
        'tarball), or make both resolve one copy of constructs (the same version in both projects, then npm dedupe).',
    );
    this.name = 'DuplicateConstructsError';
  }
}

/** `scope`, when this package's copy of `constructs` can hold children of it; DuplicateConstructsError otherwise. */
export function sameConstructsCopy<T>(scope: T): T {
  if (scope instanceof Construct || !Construct.isConstruct(scope)) return scope;
  const ours = packageDirOf(require.resolve('constructs'));
  const others = [
    ...new Set(
      Object.keys(require.cache)
        .filter((file) => /[\\/]constructs[\\/]lib[\\/]index\.js$/.test(file))
        .map(packageDirOf)
        .filter((dir) => dir !== ours),
    ),
  ];
  // The copy whose Construct made the scope, when it was loaded with require (an ES module app's is not in require.cache).
  const madeBy = others.filter((dir) => {
    const other = (require.cache[path.join(dir, 'lib', 'index.js')]?.exports as { Construct?: unknown } | undefined)?.Construct;
    return typeof other === 'function' && scope instanceof other;
  });
  const theirs = madeBy.length > 0 ? madeBy : others;
  // The same version is the same code; another version works when it keeps the tree where this one
  // reads it (the parent's `node._scopes`, read first when a child is added).
  const sameVersion = theirs.length > 0 && theirs.every((dir) => versionOf(dir) === versionOf(ours));
  if (sameVersion || Array.isArray((scope as unknown as { node: { _scopes?: unknown } }).node._scopes)) return scope;
  let scopePath = '?';
  try {
    scopePath = (scope as Construct).node.path || '(the root)';
  } catch {
    // a scope whose node cannot be read is still named by the copies
  }
  throw new DuplicateConstructsError(ours, theirs, scopePath);
}

/** The package folder of a file in `constructs/lib/`. */
function packageDirOf(file: string): string {
  return path.dirname(path.dirname(file));
}

function versionOf(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function describe(dir: string): string {
  const version = versionOf(dir);
  return version === undefined ? dir : `${dir} (constructs ${version})`;
}
