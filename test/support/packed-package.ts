import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from './leftover-guard';

/**
 * The package as a user gets it, for consumer tests: `npm pack` of this repository (once per test
 * run, whichever test file asks first), and scratch projects that install it offline.
 *
 * Offline, from the npm cache: `npm install --offline` needs each dependency's registry document
 * (packument), which `npm ci` never caches, so a plain install fails with ENOTCACHED on a machine
 * with no registry. A lock file needs only the tarballs, looked up by integrity; so a consumer gets
 * a package-lock.json cut from ours: exactly the entries its own dependencies reach, by the same
 * node_modules resolution npm uses. Consumers therefore get the versions this repository tested.
 */

export interface PackedPackage {
  readonly tarball: string;
  /** The file list of the tarball, as `npm pack --json` reports it (package/-relative paths). */
  readonly files: string[];
}

const NPM_QUIET = ['--no-audit', '--no-fund', '--logs-max=0', '--loglevel=error'];

/** `npm pack` of the repository (prepare builds first), shared by all files of one test run. */
export async function packedPackage(): Promise<PackedPackage> {
  const shared = process.env.LAMBDA_URL_IAM_TEST_SHARED;
  if (shared === undefined)
    throw new Error('LAMBDA_URL_IAM_TEST_SHARED is not set: run the tests through vitest (its globalSetup sets it)');
  const packDir = path.join(shared, 'pack');
  const done = path.join(packDir, 'packed.json');
  try {
    // mkdir is atomic: the one file that makes the folder packs, the others wait for its result.
    fs.mkdirSync(packDir);
  } catch {
    return waitFor(done, 240_000);
  }
  try {
    const result = await run('npm', ['pack', '--json', '--pack-destination', packDir, ...NPM_QUIET], PROJECT_ROOT);
    const [report] = JSON.parse(result.slice(result.indexOf('[')));
    const packed: PackedPackage = {
      tarball: path.join(packDir, report.filename),
      files: report.files.map((f: { path: string }) => f.path).sort(),
    };
    fs.writeFileSync(done, JSON.stringify(packed));
    return packed;
  } catch (error) {
    fs.writeFileSync(done, JSON.stringify({ error: (error as Error).message }));
    throw error;
  }
}

async function waitFor(file: string, timeoutMs: number): Promise<PackedPackage> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`npm pack by another test file did not finish within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (result.error !== undefined) throw new Error(`npm pack failed in another test file: ${result.error}`);
  return result;
}

export type PackageSource = { tarball: string } | { linkTo: string };

export interface ConsumerOptions {
  /** How lambda-url-iam is installed: from the packed tarball, or as a `file:` link to a folder. */
  readonly lambdaUrlIam: PackageSource;
  /** The consumer's own dependencies (names from our lock), at the versions our lock holds. */
  readonly dependencies: readonly string[];
}

/**
 * Writes package.json and a package-lock.json into `dir` and runs `npm ci --offline` there.
 * `dir` must be outside this repository: Node looks for packages in every parent folder's
 * node_modules, so a consumer inside the checkout would quietly use ours.
 */
export async function installConsumer(dir: string, options: ConsumerOptions): Promise<void> {
  if (!path.relative(PROJECT_ROOT, dir).startsWith('..')) throw new Error(`a consumer project must be outside the repository, not ${dir}`);
  const ourLock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8'));
  const ourManifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
  const lockPackages: Record<string, any> = ourLock.packages;

  const dependencies: Record<string, string> = {};
  for (const name of options.dependencies) {
    const entry = lockPackages[`node_modules/${name}`];
    if (entry === undefined) throw new Error(`${name} is not in package-lock.json`);
    dependencies[name] = entry.version;
  }
  const packages: Record<string, any> = {};
  const source = options.lambdaUrlIam;
  if ('tarball' in source) {
    const tarball = path.relative(dir, source.tarball);
    dependencies['lambda-url-iam'] = `file:${tarball}`;
    packages['node_modules/lambda-url-iam'] = {
      version: ourManifest.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(source.tarball)).digest('base64')}`,
      license: ourManifest.license,
      dependencies: ourManifest.dependencies,
      peerDependencies: ourManifest.peerDependencies,
      peerDependenciesMeta: ourManifest.peerDependenciesMeta,
      bin: ourManifest.bin,
    };
  } else {
    const target = path.relative(dir, source.linkTo);
    dependencies['lambda-url-iam'] = `file:${target}`;
    packages['node_modules/lambda-url-iam'] = { resolved: target, link: true };
    packages[target] = {
      name: ourManifest.name,
      version: ourManifest.version,
      license: ourManifest.license,
      dependencies: ourManifest.dependencies,
      peerDependencies: ourManifest.peerDependencies,
      peerDependenciesMeta: ourManifest.peerDependenciesMeta,
      bin: ourManifest.bin,
    };
  }

  // Everything the consumer's dependencies and ours reach, resolved as Node would in our tree.
  const wanted = [...options.dependencies, ...('tarball' in source ? Object.keys(ourManifest.dependencies) : [])];
  const reached = new Set<string>();
  const visit = (location: string) => {
    if (reached.has(location)) return;
    reached.add(location);
    const entry = lockPackages[location];
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveIn(lockPackages, location, dep);
      if (found !== undefined) visit(found);
      else if (entry.dependencies?.[dep] !== undefined) throw new Error(`${location} needs ${dep}, which package-lock.json does not hold`);
    }
  };
  for (const name of wanted) visit(`node_modules/${name}`);
  for (const location of [...reached].sort()) {
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lockPackages[location];
    packages[location] = entry;
  }

  const manifest = { name: 'lambda-url-iam-consumer', version: '1.0.0', private: true, dependencies };
  packages[''] = { name: manifest.name, version: manifest.version, dependencies };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  await run('npm', ['ci', '--offline', '--ignore-scripts', ...NPM_QUIET], dir);
}

/** Node's lookup: `<location>/node_modules/<dep>`, then each parent's, up to the top. */
function resolveIn(packages: Record<string, unknown>, location: string, dep: string): string | undefined {
  let base = location;
  for (;;) {
    const candidate = `${base}/node_modules/${dep}`;
    if (packages[candidate] !== undefined) return candidate;
    const parent = base.lastIndexOf('/node_modules/');
    if (parent < 0) break;
    base = base.slice(0, parent);
  }
  return packages[`node_modules/${dep}`] !== undefined ? `node_modules/${dep}` : undefined;
}

/** Runs a command; resolves with its stdout, rejects with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${(stderr || stdout).slice(0, 4000)}`)),
    );
  });
}
