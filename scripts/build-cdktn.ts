import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './project-root';

/**
 * Emits the CDK Terrain (cdktn) entry of the constructs, `dist/cdktn/`, from the cdktf build in
 * `dist/constructs/`.
 *
 * The constructs are written once, against cdktf. CDK Terrain is the same framework under new
 * package names (its v0.22 upgrade guide: `cdktf` -> `cdktn`, `@cdktf/provider-aws` ->
 * `@cdktn/provider-aws`, same module layout), so the cdktn entry is the compiled cdktf entry with
 * its module specifiers renamed, in the JavaScript and in the declarations. `tsconfig.cdktn.json`
 * type-checks the same sources against cdktn's and @cdktn/provider-aws's own types before this
 * runs (see `npm run build`), so a deep import that does not exist there fails the build.
 *
 * Usage: node dist/scripts/build-cdktn.js [fromDir] [toDir]
 * Exit codes: 0 written; 1 the input is missing or a specifier could not be renamed (nothing is
 * written: the new tree is built beside the old one and swapped in at the end).
 */

const CDKTF_SPECIFIER = /(["'])(cdktf|@cdktf\/provider-aws\/lib\/[a-z0-9-]+)\1/g;
/** Anything of cdktf's that would survive the renaming: the root of the provider, other @cdktf packages. */
const LEFTOVER_CDKTF = /["'](cdktf(\/[^"']*)?|@cdktf\/[^"']*)["']/;

export class UnrenamableSpecifierError extends Error {
  constructor(
    readonly file: string,
    readonly specifier: string,
  ) {
    super(
      `${file}: ${specifier} has no cdktn counterpart this build knows (only "cdktf" and "@cdktf/provider-aws/lib/<resource>" are renamed; the constructs must import providers by deep path)`,
    );
    this.name = 'UnrenamableSpecifierError';
  }
}

/** Renames cdktf module specifiers to their cdktn counterparts in compiled JS or a .d.ts. */
export function renameForCdktn(text: string, file = '<text>'): string {
  const renamed = text.replace(CDKTF_SPECIFIER, (_, quote: string, specifier: string) => {
    const cdktn = specifier === 'cdktf' ? 'cdktn' : specifier.replace(/^@cdktf\//, '@cdktn/');
    return `${quote}${cdktn}${quote}`;
  });
  const leftover = LEFTOVER_CDKTF.exec(renamed);
  if (leftover !== null) throw new UnrenamableSpecifierError(file, leftover[0]);
  return renamed;
}

const EMITTED = /\.(js|d\.ts|js\.map)$/;

/** Writes `toDir` from `fromDir` in one step; returns the files written (relative names). */
export function emitCdktnEntry(fromDir: string, toDir: string): string[] {
  if (!fs.existsSync(path.join(fromDir, 'index.js'))) {
    throw new Error(`${fromDir}/index.js is missing: compile the constructs first (npm run build)`);
  }
  const files = (fs.readdirSync(fromDir, { recursive: true }) as string[]).filter((file) => EMITTED.test(file)).sort();
  const staging = `${toDir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    for (const file of files) {
      const text = fs.readFileSync(path.join(fromDir, file), 'utf8');
      // Source maps point at ../../constructs/*.ts, which is right from dist/cdktn too.
      const output = file.endsWith('.map') ? text : renameForCdktn(text, path.join(fromDir, file));
      fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
      fs.writeFileSync(path.join(staging, file), output);
    }
    fs.rmSync(toDir, { recursive: true, force: true });
    fs.renameSync(staging, toDir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return files;
}

function main(argv: string[]): number {
  const root = projectRoot();
  const fromDir = path.resolve(argv[0] ?? path.join(root, 'dist', 'constructs'));
  const toDir = path.resolve(argv[1] ?? path.join(root, 'dist', 'cdktn'));
  try {
    const files = emitCdktnEntry(fromDir, toDir);
    if (process.env.npm_config_loglevel !== 'silent')
      console.log(`cdktn entry: ${files.length} files in ${path.relative(process.cwd(), toDir) || '.'}`);
    return 0;
  } catch (error) {
    console.error(`build-cdktn: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
