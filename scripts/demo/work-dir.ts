import * as fs from 'node:fs';
import * as path from 'node:path';
import { terraform } from '../terraform-cli';

/** The demo's work folder: what a run starts from, how its state files are kept, and destroy. */

/**
 * A new stand-in starts empty: last run's state, outputs and world mean nothing to it. The folder
 * holds the state (the invoker secret) and the stand-in's snapshot (live session secrets): owner-only.
 */
export function prepareWorkDir(work: string, statePath: string, outputsFile: string): void {
  for (const file of [statePath, `${statePath}.backup`, outputsFile, path.join(work, 'world.json')]) fs.rmSync(file, { force: true });
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  fs.chmodSync(work, 0o700);
}

/** Terraform writes its state files 0644: narrowed after each run. */
export function narrowState(statePath: string): void {
  for (const file of [statePath, `${statePath}.backup`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
}

/**
 * -refresh=false: the state is what this run just applied to a stand-in nobody else touches, so
 * reading all 11 resources back first would only cost another provider start (~4 s).
 */
export function destroy(stackDir: string, env: NodeJS.ProcessEnv) {
  return terraform(['destroy', '-auto-approve', '-input=false', '-no-color', '-refresh=false'], { cwd: stackDir, env });
}
