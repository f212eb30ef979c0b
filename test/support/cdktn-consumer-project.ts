import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT } from './framework-targets';

/**
 * A scratch CDK Terrain project that installs this package from the tarball `npm pack` makes,
 * with only cdktn's packages beside it, as a cdktn user would. It lives in the OS temp dir (a dir
 * inside the repo would let Node and tsc find the repo's own node_modules, cdktf included) and
 * `remove()` deletes it. Versions of the consumer's packages are this repo's devDependencies, so
 * the check follows them.
 */
export class CdktnConsumerProject {
  private constructor(readonly dir: string) {}

  static create(): CdktnConsumerProject {
    const project = new CdktnConsumerProject(fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-url-iam-cdktn-consumer-')));
    try {
      project.install();
    } catch (error) {
      project.remove();
      throw error;
    }
    return project;
  }

  private install(): void {
    const pack = run('npm', ['pack', '--silent', '--pack-destination', this.dir], PROJECT);
    const tarball = pack.stdout.trim().split('\n').pop()!;
    const ours = JSON.parse(fs.readFileSync(path.join(PROJECT, 'package.json'), 'utf8'));
    const version = (name: string) => {
      const found = ours.devDependencies?.[name];
      if (typeof found !== 'string') throw new Error(`package.json has no devDependency ${name}; the cdktn consumer check installs the version given there`);
      return found;
    };
    const manifest = {
      name: 'cdktn-consumer',
      version: '1.0.0',
      private: true,
      dependencies: {
        'lambda-url-iam': `file:./${tarball}`,
        cdktn: version('cdktn'),
        '@cdktn/provider-aws': version('@cdktn/provider-aws'),
        constructs: version('constructs'),
        typescript: version('typescript'),
      },
    };
    fs.writeFileSync(path.join(this.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // --prefer-offline: the npm cache already holds these for the repo's own install.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], this.dir);
  }

  write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
    fs.writeFileSync(path.join(this.dir, file), text);
  }

  exists(file: string): boolean {
    return fs.existsSync(path.join(this.dir, file));
  }

  read(file: string): string {
    return fs.readFileSync(path.join(this.dir, file), 'utf8');
  }

  /** Runs a command in the project; returns its exit code and output (never throws on failure). */
  run(command: string, args: string[]): { code: number; output: string } {
    const result = spawnSync(command, args, { cwd: this.dir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    if (result.error !== undefined) throw result.error;
    return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string): { stdout: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}) in ${cwd}:\n${result.stderr || result.stdout}`);
  return { stdout: result.stdout };
}
