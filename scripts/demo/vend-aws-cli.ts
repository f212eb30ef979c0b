import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../project-root';
import { StepNotRun } from './steps';
import { type Checks, type VendOutputs, sessionArn } from './vend-outputs';

/**
 * The real AWS CLI (Debian's awscli v2 at /usr/bin/aws; the `aws` first on PATH may be pyenv's
 * v1) runs `sts get-caller-identity` with a profile whose `credential_process` is this project's
 * CLI: `node dist/scripts/invoke/main.js --credential-process --vendor-url URL --profile invoker`.
 * The config and the invoker's key live in a 0700 folder of the demo's work dir, removed after.
 */

export const AWS_CLI = '/usr/bin/aws';

export interface AwsCliProof {
  outputs: VendOutputs;
  endpoint: string;
  workDir: string;
  region: string;
  checks: Checks;
  /** @default AWS_CLI */
  awsCli?: string;
}

export async function awsCliCredentialProcess(proof: AwsCliProof): Promise<void> {
  const awsCli = proof.awsCli ?? AWS_CLI;
  if (!fs.existsSync(awsCli))
    throw new StepNotRun(`${awsCli} (the AWS CLI v2) is not installed: apt-get install awscli (Debian), or AWS's v2 installer`);
  const cli = path.join(projectRoot(), 'dist', 'scripts', 'invoke', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: build the project first (npx tsc -b)`);
  const dir = fs.mkdtempSync(path.join(proof.workDir, 'aws-cli-'));
  try {
    fs.chmodSync(dir, 0o700);
    const env = writeProfiles(dir, cli, proof);
    const { stdout, stderr } = await run(
      awsCli,
      ['sts', 'get-caller-identity', '--profile', 'vended', '--endpoint-url', proof.endpoint, '--output', 'json'],
      env,
    );
    const arn = parseArn(stdout) ?? `no identity (${stderr.trim().split('\n').pop() ?? ''})`;
    const expected = sessionArn(proof.outputs);
    proof.checks.expect('aws sts get-caller-identity --profile vended', arn === expected, arn);
    proof.checks.throwIfFailed('the AWS CLI did not get the vend role session');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The two files and the only environment the AWS CLI (and through it our CLI) sees. */
function writeProfiles(dir: string, cli: string, proof: AwsCliProof): NodeJS.ProcessEnv {
  const credentialsFile = path.join(dir, 'credentials');
  const configFile = path.join(dir, 'config');
  const { accessKeyId, secretAccessKey } = proof.outputs.invoker;
  fs.writeFileSync(credentialsFile, `[invoker]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`, {
    mode: 0o600,
  });
  const command = [process.execPath, cli, '--credential-process', '--vendor-url', proof.outputs.vendorUrl, '--region', proof.region]
    .map((word) => `"${word}"`)
    .concat(['--profile', 'invoker'])
    .join(' ');
  fs.writeFileSync(configFile, `[profile vended]\nregion = ${proof.region}\ncredential_process = ${command}\n`, { mode: 0o600 });
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function parseArn(stdout: string): string | undefined {
  try {
    const arn: unknown = JSON.parse(stdout).Arn;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    return undefined;
  }
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (_error, stdout, stderr) => resolve({ stdout, stderr }));
  });
}
