import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProviderMirror } from '../scripts/terraform-cli';
import { loadTarget } from './support/framework-targets';
import { PROJECT_ROOT } from './support/leftover-guard';

/**
 * The README's test command as a newcomer runs it: no variable set, and (on most machines) no
 * hashicorp/aws 6.x provider and no registry. The one check that needs that provider must then be
 * reported as not run, in the summary, with its reason and what to install, and the run must pass;
 * LAMBDA_URL_IAM_REQUIRE_AWS6=1 turns the same absence into a failure.
 */

const VERSION = loadTarget('cdktn').providerVersion;
const providerHere = findProviderMirror(process.env, VERSION) !== undefined;

/** vitest on the one file, as `npm test` would run it, with a newcomer's environment. */
function runCheck(extra: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = Object.create(null);
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('LAMBDA_URL_IAM_') && !key.startsWith('VITEST')) env[key] = value;
  // The registry is out of reach (a closed loopback port as the proxy), whatever this machine's network.
  Object.assign(env, { HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', NO_COLOR: '1', ...extra });
  const vitest = path.join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', 'test/cdktn-terraform.test.ts'], {
    cwd: PROJECT_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('npm test on a machine without the hashicorp/aws 6.x provider', () => {
  it.runIf(!providerHere)('passes, and its summary names the check not run, why, and what to install', () => {
    const { status, output } = runCheck({});
    expect(status, output).toBe(0);
    expect(output).toContain(`NOT RUN: terraform validate and plan of the cdktn entry on hashicorp/aws ${VERSION}`);
    expect(output).toMatch(/why: no local mirror holds it, and terraform init could not fetch it/);
    expect(output).toContain(`terraform-provider-aws_${VERSION}_`);
    expect(output).toContain('LAMBDA_URL_IAM_REQUIRE_AWS6=1 makes its absence a failure');
  });

  it.runIf(!providerHere)('fails with LAMBDA_URL_IAM_REQUIRE_AWS6=1, naming what to install', () => {
    const { status, output } = runCheck({ LAMBDA_URL_IAM_REQUIRE_AWS6: '1' });
    expect(status, output).not.toBe(0);
    expect(output).toContain('LAMBDA_URL_IAM_REQUIRE_AWS6=1 requires it');
    expect(output).toContain(`terraform-provider-aws_${VERSION}_`);
  });

  it.runIf(providerHere)('runs the check where the provider is in a local mirror', () => {
    const { status, output } = runCheck({ LAMBDA_URL_IAM_REQUIRE_AWS6: '1' });
    expect(status, output).toBe(0);
    expect(output).not.toContain('NOT RUN');
  });
});
