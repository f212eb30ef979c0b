import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { installConsumer, packedPackage } from './packed-package';

/** What a cdktn user's project depends on besides us, at the versions our lock holds. */
const CDKTN_CONSUMER_DEPENDENCIES = ['cdktn', '@cdktn/provider-aws', 'constructs', 'typescript'];

/**
 * A scratch CDK Terrain project that installs this package from the tarball `npm pack` makes
 * (the run's one pack, shared with the cdktf consumer), with only cdktn's packages beside it, as a
 * cdktn user would; offline, from a lock cut from ours (packed-package.ts says why). `dir` must be
 * outside the repository (a dir inside it would let Node and tsc find the repo's own
 * node_modules, cdktf included): give it one from `useTempDir(prefix, osTempDir)`, which also
 * removes it.
 */
export class CdktnConsumerProject {
  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<CdktnConsumerProject> {
    const packed = await packedPackage();
    await installConsumer(dir, { lambdaUrlIam: { tarball: packed.tarball }, dependencies: CDKTN_CONSUMER_DEPENDENCIES });
    return new CdktnConsumerProject(dir);
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
}
