import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The checkout's root: the nearest folder above `from` whose package.json is ours. The same file
 * runs from source (scripts/, under vitest) and compiled (dist/scripts/), one level apart, so no
 * fixed `..` count is right for both.
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'lambda-url-iam') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no lambda-url-iam package.json above ${from}`);
  }
}
