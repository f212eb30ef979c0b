import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Which Node.js runs a function: the major its Runtime names (`nodejs22.x` → 22, `nodejs24.x` →
 * 24), as on Lambda. Found, in order: `LOCAL_AWS_NODE_<major>` (a path to that node binary), the
 * binaries `scripts/install-node-versions.sh` installs from the npm registry's `node` package
 * (`.cache/node/<major>/node_modules/.bin/node` in the checkout), then the stand-in's own Node when
 * its major is the one named. Otherwise the function runs on the stand-in's own Node, and the
 * stand-in says so on stderr, once per major and process; every answer names the Node used
 * (`x-local-aws-node-version`).
 */

export interface RuntimeNode {
  /** The node binary to start. */
  readonly path: string;
  /** Its `process.version`, e.g. v22.23.3. */
  readonly version: string;
  /** True when the Runtime's major was not available and the stand-in's own Node runs it. */
  readonly fallback: boolean;
}

export interface RuntimeNodeOptions {
  /** Where LOCAL_AWS_NODE_<major> is read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The folder holding `<major>/node_modules/.bin/node`. @default .cache/node of the checkout */
  readonly cacheDir?: string;
  /** Where the one note per missing major goes. @default stderr */
  readonly note?: (line: string) => void;
}

export class RuntimeNodes {
  private readonly byMajor = new Map<number, RuntimeNode>();

  constructor(private readonly options: RuntimeNodeOptions = {}) {}

  /** The Node for a `nodejs<major>.x` runtime (decided once per major). */
  for(runtime: string): RuntimeNode {
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    // Not a Node.js runtime: such a function is refused before it runs (HandlerRunner.invoke).
    if (!Number.isInteger(major)) return { path: process.execPath, version: process.version, fallback: true };
    const known = this.byMajor.get(major);
    if (known !== undefined) return known;
    const found = this.find(major);
    this.byMajor.set(major, found);
    return found;
  }

  private find(major: number): RuntimeNode {
    const variable = `LOCAL_AWS_NODE_${major}`;
    const fromEnv = (this.options.env ?? process.env)[variable];
    const cached = path.join(this.options.cacheDir ?? defaultCacheDir(), String(major), 'node_modules', '.bin', 'node');
    const rejected: string[] = [];
    for (const candidate of [fromEnv, cached]) {
      if (candidate === undefined || candidate === '' || !fs.existsSync(candidate)) continue;
      const version = versionOf(candidate);
      if (version !== undefined && majorOf(version) === major) return { path: candidate, version, fallback: false };
      rejected.push(`${candidate} is ${version ?? 'not a working node binary'}`);
    }
    if (majorOf(process.version) === major) return { path: process.execPath, version: process.version, fallback: false };
    const note = this.options.note ?? ((line: string) => noteOnStderrOnce(major, line));
    note(
      `local-aws: no Node.js ${major} for Runtime nodejs${major}.x${rejected.length > 0 ? ` (${rejected.join('; ')})` : ''}: ` +
        `such functions run on the stand-in's own Node.js ${process.version}. Install it with scripts/install-node-versions.sh ${major}, or set ${variable} to a node binary.`,
    );
    return { path: process.execPath, version: process.version, fallback: true };
  }
}

/** Majors already noted on stderr by this process (each stand-in and runner would say it again). */
const notedOnStderr = new Set<number>();
function noteOnStderrOnce(major: number, line: string): void {
  if (notedOnStderr.has(major)) return;
  notedOnStderr.add(major);
  process.stderr.write(`${line}\n`);
}

function versionOf(binary: string): string | undefined {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = run.status === 0 ? run.stdout.trim() : '';
  return /^v\d+\.\d+\.\d+/.test(version) ? version : undefined;
}

function majorOf(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1]);
}

/** `.cache/node` of the checkout: the first folder above this file that holds a package.json. */
function defaultCacheDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, '.cache', 'node');
    if (path.dirname(dir) === dir) return path.join(__dirname, '.cache', 'node');
  }
}
