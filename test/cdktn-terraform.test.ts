import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliConfigText, findProviderMirror, mirrorCandidates, runTerraform, terraform, terraformPlatform } from '../scripts/terraform-cli';
import { loadTarget, synthScenario } from './support/framework-targets';
import { reportNotRun } from './support/not-run';
import { useTempDir } from './support/temp-dir';

/**
 * The cdktn entry's stack checked by the real terraform and the hashicorp/aws 6.x provider that
 * @cdktn/provider-aws pins, offline (closed loopback endpoint, dummy credentials, skip_* flags),
 * like test/terraform.test.ts does for the cdktf entry on 5.100.0.
 *
 * The provider comes from a local filesystem mirror, or else from the registry. Where neither can
 * give it, the check is reported as NOT RUN in the run's summary, with terraform's reason and what
 * to install (test/support/not-run.ts), and the run stays green: a newcomer's `npm test` on a
 * machine without it must not fail for a provider this repository cannot ship.
 * LAMBDA_URL_IAM_REQUIRE_AWS6=1 makes its absence a failure, for machines that can have it.
 */

const REQUIRE_VARIABLE = 'LAMBDA_URL_IAM_REQUIRE_AWS6';
/** Declares the provider unavailable without asking the registry, with the reason given. */
const UNAVAILABLE_VARIABLE = 'LAMBDA_URL_IAM_AWS6_PROVIDER_UNAVAILABLE';
const cdktn = loadTarget('cdktn');
const VERSION = cdktn.providerVersion;
const mirror = findProviderMirror(process.env, VERSION);
const declaredUnavailable = process.env[UNAVAILABLE_VARIABLE]?.trim() || undefined;
const required = process.env[REQUIRE_VARIABLE] === '1';
const CLOSED_PORT_ENDPOINT = 'http://127.0.0.1:9';
const CHECK = `terraform validate and plan of the cdktn entry on hashicorp/aws ${VERSION}`;

function installHint(): string {
  const platform = terraformPlatform();
  return [
    `put terraform-provider-aws_${VERSION}_${platform}.zip (https://releases.hashicorp.com/terraform-provider-aws/${VERSION}/) unpacked into`,
    `  <mirror>/registry.terraform.io/hashicorp/aws/${VERSION}/${platform}/   (a mirror searched: ${mirrorCandidates().join(', ')}; or a dir named by TF_PROVIDER_MIRROR),`,
    `or run \`terraform providers mirror <mirror>\` on a machine with registry access and copy the result here, or give this machine access to registry.terraform.io.`,
  ].join('\n');
}

/** Fails the run when the provider is required, else records the check as not run. */
function providerUnavailable(reason: string): string {
  if (required)
    throw new Error(
      `${CHECK}: hashicorp/aws ${VERSION} could not be installed and ${REQUIRE_VARIABLE}=1 requires it.\nWhy: ${reason}\nTo install it: ${installHint()}`,
    );
  reportNotRun({ check: CHECK, reason, install: installHint(), requireVariable: REQUIRE_VARIABLE });
  return reason;
}

describe(CHECK, { timeout: 180_000 }, () => {
  const temp = useTempDir('cdktn-tf-plan-');
  let dir: string;
  let env: NodeJS.ProcessEnv;
  /** Why the provider could not be had, when it could not. */
  let notRun: string | undefined;

  beforeAll(async () => {
    if (mirror === undefined && declaredUnavailable !== undefined) {
      notRun = providerUnavailable(`${UNAVAILABLE_VARIABLE} says "${declaredUnavailable}"`);
      return;
    }
    const work = temp();
    const stack = synthScenario(cdktn, {
      outdir: path.join(work, 'cdktf.out'),
      provider: {
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: 'true',
        skipRegionValidation: true,
        endpoints: [{ iam: CLOSED_PORT_ENDPOINT, sts: CLOSED_PORT_ENDPOINT, lambda: CLOSED_PORT_ENDPOINT }],
      },
    });
    dir = stack.dir;
    // Our own CLI config: the mirror when there is one, else the registry (an empty config).
    const cliConfig = path.join(work, 'terraform.tfrc');
    fs.writeFileSync(cliConfig, mirror === undefined ? '' : cliConfigText(mirror));
    env = {
      ...process.env,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_CLI_CONFIG_FILE: cliConfig,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const init = await runTerraform(['init', '-input=false', '-no-color'], { cwd: dir, env });
    if (init.code !== 0) {
      const said = (init.stderr || init.stdout)
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('To see which'));
      notRun = providerUnavailable(`no local mirror holds it, and terraform init could not fetch it: ${said.slice(0, 4).join(' ')}`);
    }
  }, 180_000);

  it(`installs hashicorp/aws ${VERSION}`, (context) => {
    if (notRun !== undefined) context.skip(`NOT RUN: ${notRun}`);
    const lock = fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toMatch(
      new RegExp(`provider "registry\\.terraform\\.io/hashicorp/aws" \\{\\s*version\\s*=\\s*"${VERSION.replace(/\./g, '\\.')}"`),
    );
  });

  it('validates with no errors and no warnings', async (context) => {
    if (notRun !== undefined) context.skip(`NOT RUN: ${notRun}`);
    const report = JSON.parse((await terraform(['validate', '-json', '-no-color'], { cwd: dir, env })).stdout);
    expect(report.diagnostics).toEqual([]);
    expect(report).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  });

  it('plans every resource as a create, the cross-account InvokeFunction permissions with invoked_via_function_url', async (context) => {
    if (notRun !== undefined) context.skip(`NOT RUN: ${notRun}`);
    await terraform(['plan', '-input=false', '-no-color', '-lock=false', '-out=scenario.tfplan'], { cwd: dir, env });
    const shown = JSON.parse((await terraform(['show', '-json', 'scenario.tfplan'], { cwd: dir, env })).stdout);
    expect(shown.resource_changes).toHaveLength(23);
    expect(shown.resource_changes.every((c: any) => c.change.actions.join(',') === 'create')).toBe(true);
    const permissions = shown.resource_changes.filter((c: any) => c.type === 'aws_lambda_permission').map((c: any) => c.change.after);
    expect(permissions.map((p: any) => [p.action, p.function_url_auth_type ?? null, p.invoked_via_function_url ?? null]).sort()).toEqual([
      ['lambda:InvokeFunction', null, true],
      ['lambda:InvokeFunction', null, true],
      ['lambda:InvokeFunctionUrl', 'AWS_IAM', null],
      ['lambda:InvokeFunctionUrl', 'AWS_IAM', null],
    ]);
  });
});
