import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SeededWorld } from './local-aws-fixtures';
import { runInvokeCli } from '../../scripts/invoke/run';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the invoke CLI in this process and collects what it prints. `env` is ALL the environment
 * it sees (not merged with process.env), so a test names every variable the run depends on.
 * `stdoutBytes`, when given, receives the response body as bytes instead of `stdout`.
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdoutBytes?: (chunk: Uint8Array) => void | Promise<void>,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await runInvokeCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdoutBytes, env });
  return { code, stdout, stderr, ms: Date.now() - started };
}

/**
 * A cdktf outputs file (0600: it holds the invoker's secret) for the seeded world's echo URL, as
 * `--outputs` reads it, with `changes` to its outputs; returns its path.
 */
export function writeSeededOutputs(dir: string, world: SeededWorld, changes: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'outputs.json');
  const outputs = {
    function_url: world.urls.echo,
    invoker_role_arn: world.roleArn,
    region: 'us-east-1',
    external_id: world.externalId,
    invoker_access_key_id: world.userKey.accessKeyId,
    invoker_secret_access_key: world.userKey.secretAccessKey,
    ...changes,
  };
  fs.writeFileSync(file, JSON.stringify({ s: { u: outputs } }), { mode: 0o600 });
  return file;
}
