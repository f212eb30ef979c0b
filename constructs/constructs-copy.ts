import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';

/**
 * A construct can be added only to a scope of the same copy of the `constructs` package: each copy
 * keeps its tree in private fields, so a scope of another copy fails deep inside (`TypeError:
 * scope.node._scopes is not iterable`). Two copies are loaded when this package is installed as a
 * symlink that keeps its own node_modules (`npm install ../lambda-url-iam`, `npm link`) while the
 * app has its own `constructs`. Every construct here checks its scope first (constructs'
 * `Construct.isConstruct` recognises a construct of any copy, `instanceof` only of its own) and
 * throws this error, naming both copies and the fix.
 */
export class DuplicateConstructsError extends Error {
  constructor(
    readonly ours: string,
    readonly others: string[],
    scopePath: string,
  ) {
    super(
      `lambda-url-iam: two copies of the "constructs" package are loaded, and a construct of one cannot be added to a scope of the other. ` +
        `The scope "${scopePath}" was made with ${others.length > 0 ? others.map(describe).join(' or ') : 'another copy'}; ` +
        `lambda-url-iam uses ${describe(ours)}. This happens when lambda-url-iam is installed as a symlink that keeps its own node_modules ` +
        '(npm install ../lambda-url-iam, npm link). Install it as a copy instead (npm install --install-links ../lambda-url-iam, or the packed ' +
        'tarball), or make both resolve one copy of constructs (the same version in both projects, then npm dedupe).',
    );
    this.name = 'DuplicateConstructsError';
  }
}

/**
 * `scope`, when this package's copy of `constructs` can add a construct to it: a scope of the same
 * copy, or of another copy whose tree has what this copy reads from a scope (its node's ancestry,
 * `_scopes`, and `addChild`: another install of the same version has them, and works). Another
 * copy without them (an older version) is refused with DuplicateConstructsError.
 */
export function sameConstructsCopy<T>(scope: T): T {
  if (scope instanceof Construct || !Construct.isConstruct(scope) || holdsOurConstructs(scope)) return scope;
  let scopePath = '?';
  try {
    scopePath = (scope as Construct).node.path || '(the root)';
  } catch {
    // a scope whose node cannot be read is still named by the copies
  }
  const ours = packageDirOf(require.resolve('constructs'));
  const others = Object.keys(require.cache)
    .filter((file) => /[\\/]constructs[\\/]lib[\\/]index\.js$/.test(file))
    .map(packageDirOf)
    .filter((dir) => dir !== ours);
  throw new DuplicateConstructsError(ours, [...new Set(others)], scopePath);
}

/** True when a scope of another copy has what this copy's Node reads from its scope. */
function holdsOurConstructs(scope: Construct): boolean {
  try {
    const node = scope.node as unknown as { _scopes?: unknown; addChild?: unknown };
    return Array.isArray(node._scopes) && typeof node.addChild === 'function';
  } catch {
    return false;
  }
}

/** The package folder of a file in `constructs/lib/`. */
function packageDirOf(file: string): string {
  return path.dirname(path.dirname(file));
}

function describe(dir: string): string {
  try {
    const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
    return `${dir} (constructs ${version})`;
  } catch {
    return dir;
  }
}
