import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/leftover-guard';

/**
 * The source folders import one way (CONTRIBUTING.md, "One-way imports"): what other stacks and
 * services install (constructs/, client/) depends on nothing of the repository's tools, and the
 * local stand-in is built on the client, never the other way round.
 */
const MAY_IMPORT: Record<string, string[]> = {
  constructs: [],
  client: [],
  stacks: ['constructs'],
  'local-aws': ['client'],
  scripts: ['client', 'constructs', 'stacks', 'local-aws'],
  bench: ['client', 'constructs', 'stacks', 'local-aws', 'scripts', 'test'],
};

/** Every `.ts` file under `dir`, relative to the project root. */
function sourcesUnder(dir: string): string[] {
  const files = fs.readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' });
  return files.filter((file) => file.endsWith('.ts')).map((file) => path.join(dir, file));
}

/** Module specifiers of `import … from`, `export … from`, `import(…)` and `require(…)`. */
function specifiersOf(file: string): string[] {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)(['"])([^'"]+)\1/gm)) found.push(match[2]);
  return found;
}

/** The top-level folder a relative specifier of `file` lands in. */
function folderOf(file: string, specifier: string): string {
  return path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, path.dirname(file), specifier)).split(path.sep)[0];
}

describe('imports between the source folders', () => {
  it.each(Object.entries(MAY_IMPORT))('%s/ imports only from itself and %j', (folder, allowed) => {
    const crossings = sourcesUnder(folder).flatMap((file) =>
      specifiersOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => ({ file, specifier, target: folderOf(file, specifier) }))
        .filter(({ target }) => target !== folder && !allowed.includes(target))
        .map(({ file, specifier }) => `${file}: ${specifier}`),
    );
    expect(crossings).toEqual([]);
  });

  it('the CLI (scripts/invoke*, the package bin) imports only the client and its own files', () => {
    const cli = sourcesUnder('scripts').filter((file) => /^scripts[\\/]invoke(\.ts$|[\\/])/.test(file));
    expect(cli.length).toBeGreaterThan(0);
    const outside = cli.flatMap((file) =>
      specifiersOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => ({
          specifier,
          target: path
            .relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, path.dirname(file), specifier))
            .split(path.sep)
            .join('/'),
        }))
        .filter(({ target }) => !target.startsWith('client/') && !/^scripts\/invoke(\/|$)/.test(target))
        .map(({ specifier }) => `${file}: ${specifier}`),
    );
    expect(outside).toEqual([]);
  });

  it('finds the imports it checks (the demo script uses the stand-in and the demo stack)', () => {
    const demo = specifiersOf(path.join('scripts', 'demo.ts')).map((specifier) => folderOf(path.join('scripts', 'demo.ts'), specifier));
    expect(demo).toEqual(expect.arrayContaining(['local-aws', 'stacks']));
  });

  it('constructs/, stacks/ and scripts/ import provider classes by deep path, never the package root', () => {
    const rootImports = ['constructs', 'stacks', 'scripts'].flatMap((folder) =>
      sourcesUnder(folder).flatMap((file) =>
        specifiersOf(file)
          .filter(
            (specifier) =>
              /^@(cdktf|cdktn)\/provider-aws(\/lib)?\/?$/.test(specifier) || /^@(cdktf|cdktn)\/provider-aws\/(?!lib\/)/.test(specifier),
          )
          .map((specifier) => `${file}: ${specifier}`),
      ),
    );
    expect(rootImports).toEqual([]);
    expect(specifiersOf(path.join('constructs', 'iam-function-url.ts'))).toContain('@cdktf/provider-aws/lib/lambda-function-url');
  });

  it('nothing a package export reaches imports the AGPL simulator (@cloud-copilot/*)', () => {
    const users = ['constructs', 'client'].flatMap((folder) =>
      sourcesUnder(folder).filter((file) => specifiersOf(file).some((specifier) => specifier.startsWith('@cloud-copilot/'))),
    );
    expect(users).toEqual([]);
  });
});
