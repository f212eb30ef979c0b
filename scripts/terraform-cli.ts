import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Running the real `terraform` against the synthesized stack, with or without a registry.
 *
 * Where the hashicorp/aws provider is available in a local filesystem mirror, we write our own
 * CLI config (`provider_installation { filesystem_mirror … }`) so init never goes online; where no
 * mirror is found, Terraform's default (the registry) applies, so the same code works anywhere.
 */

export const AWS_PROVIDER_VERSION = '5.100.0';
const PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/aws';

/** Directories searched for `registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/`. */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    env.TF_PROVIDER_MIRROR,
    '/opt/tf-plugins',
    path.join(os.homedir(), '.terraform.d', 'plugins'),
    path.join(os.homedir(), '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ].filter((dir): dir is string => typeof dir === 'string' && dir !== '');
}

export function terraformPlatform(): string {
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386' }[process.arch as string] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/** The first mirror that holds the provider version for this platform, or undefined. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env, version = AWS_PROVIDER_VERSION): string | undefined {
  return mirrorCandidates(env).find((dir) => fs.existsSync(path.join(dir, PROVIDER_ADDRESS, version, terraformPlatform())));
}

export function cliConfigText(mirror: string): string {
  return [
    '# Written by lambda-url-iam: install hashicorp/aws from the local mirror, everything else from the registry.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(PROVIDER_ADDRESS)}]`,
    '  }',
    '  direct {',
    `    exclude = [${JSON.stringify(PROVIDER_ADDRESS)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Environment for terraform/cdktf: TF_CLI_CONFIG_FILE names our config (written into `configDir`,
 * the caller's own work folder) when a mirror exists. A TF_CLI_CONFIG_FILE that points at a
 * missing file is dropped (Terraform would only warn about it).
 */
export function terraformEnv(configDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const mirror = findProviderMirror(base);
  if (mirror !== undefined) {
    const configPath = path.join(configDir, '.terraform-cli.tfrc');
    const text = cliConfigText(mirror);
    if (!fs.existsSync(configPath) || fs.readFileSync(configPath, 'utf8') !== text) fs.writeFileSync(configPath, text);
    env.TF_CLI_CONFIG_FILE = configPath;
  } else if (env.TF_CLI_CONFIG_FILE !== undefined && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) {
    delete env.TF_CLI_CONFIG_FILE;
  }
  return env;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export class TerraformMissingError extends Error {
  constructor() {
    super(
      'terraform was not found on PATH. Install Terraform >= 1.10 (e.g. 1.11.4) from https://developer.hashicorp.com/terraform/install, then run the tests again.',
    );
    this.name = 'TerraformMissingError';
  }
}

/** Runs terraform with args in cwd; resolves with its output whatever the exit code. */
export function runTerraform(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new TerraformMissingError() : error));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Runs terraform and throws with its output when it fails. */
export async function terraform(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  const result = await runTerraform(args, options);
  if (result.code !== 0) {
    throw new Error(`terraform ${args.join(' ')} failed (exit ${result.code}) in ${options.cwd}:\n${result.stderr || result.stdout}`);
  }
  return result;
}

/**
 * The outputs file `cdktf deploy --outputs-file … --outputs-file-include-sensitive-outputs` writes,
 * built from `terraform output -json` and the construct-id mapping in cdk.tf.json, so the same
 * client reads it whichever tool deployed.
 */
export function cdktfOutputsFile(
  stackJson: { '//'?: { outputs?: unknown } },
  terraformOutputs: Record<string, { value: unknown }>,
): unknown {
  const map = (node: unknown): unknown => {
    if (typeof node === 'string') return terraformOutputs[node]?.value;
    if (typeof node !== 'object' || node === null) return undefined;
    return Object.fromEntries(
      Object.entries(node)
        .map(([key, child]) => [key, map(child)])
        .filter(([, value]) => value !== undefined),
    );
  };
  return map(stackJson['//']?.outputs ?? {});
}

/**
 * `terraform init` in a stack directory unless it is already initialised for the same
 * `terraform` block (required providers, backend) and the same CLI config: init is ~0.75 s of
 * reading the mirror and the lock file for nothing when neither changed. Returns whether it ran.
 */
export async function initIfNeeded(stackDir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const stackJson = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const cliConfig =
    env.TF_CLI_CONFIG_FILE !== undefined && fs.existsSync(env.TF_CLI_CONFIG_FILE) ? fs.readFileSync(env.TF_CLI_CONFIG_FILE, 'utf8') : '';
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([stackJson.terraform ?? {}, cliConfig]))
    .digest('hex');
  const marker = path.join(stackDir, '.terraform', 'lambda-url-iam-init.sha256');
  const current =
    fs.existsSync(path.join(stackDir, '.terraform.lock.hcl')) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === fingerprint;
  if (current) return false;
  // -reconfigure: take the backend as the stack now says (a changed state path is not a migration).
  await terraform(['init', '-input=false', '-no-color', '-reconfigure'], { cwd: stackDir, env });
  fs.writeFileSync(marker, fingerprint);
  return true;
}

/** The parts of a Terraform state file (format version 4) the demo reads. */
export interface TerraformState {
  outputs: Record<string, { value: unknown; sensitive?: boolean }>;
  resources: { mode: string; type: string; name: string; instances: unknown[] }[];
}

/**
 * Reads a local state file: the outputs and what is still deployed, without starting terraform
 * and the ~700 MB provider again (`terraform output -json` and `state list` cost ~0.75 s each).
 * A missing file is an empty state.
 */
export function readStateFile(file: string): TerraformState {
  if (!fs.existsSync(file)) return { outputs: {}, resources: [] };
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (state.version !== 4)
    throw new Error(`${file}: state format version ${state.version}; this reader knows version 4 (Terraform >= 0.12)`);
  return { outputs: state.outputs ?? {}, resources: state.resources ?? [] };
}

/** Addresses of the resources a state still holds an instance of. */
export function deployedResources(state: TerraformState): string[] {
  return state.resources.filter((r) => r.mode === 'managed' && r.instances.length > 0).map((r) => `${r.type}.${r.name}`);
}
