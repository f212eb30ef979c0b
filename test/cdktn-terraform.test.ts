import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliConfigText, findProviderMirror, mirrorCandidates, runTerraform, terraform, terraformPlatform } from '../scripts/terraform-cli';
import { loadTarget, synthScenario } from './support/framework-targets';
import { useTempDir } from './support/temp-dir';

/**
 * The cdktn entry's stack checked by the real terraform and the hashicorp/aws 6.x provider that
 * @cdktn/provider-aws pins, offline (closed loopback endpoint, dummy credentials, skip_* flags),
 * like test/terraform.test.ts does for the cdktf entry on 5.100.0.
 *
 * The provider comes from a local filesystem mirror, or else from the registry. Where neither
 * works the check FAILS naming what to install. The one way not to run it is to declare the
 * provider unavailable: LAMBDA_URL_IAM_AWS6_PROVIDER_UNAVAILABLE=<why> (set by .ci/run on a CI
 * machine that has no 6.x binary and no registry). The check is then reported as skipped, with
 * that reason in its name; it is never skipped silently.
 */

export const UNAVAILABLE_VARIABLE = 'LAMBDA_URL_IAM_AWS6_PROVIDER_UNAVAILABLE';
const cdktn = loadTarget('cdktn');
const VERSION = cdktn.providerVersion;
const mirror = findProviderMirror(process.env, VERSION);
const declaredUnavailable = process.env[UNAVAILABLE_VARIABLE]?.trim();
const CLOSED_PORT_ENDPOINT = 'http://127.0.0.1:9';

function installHint(): string {
  const platform = terraformPlatform();
  return [
    `hashicorp/aws ${VERSION} (the provider @cdktn/provider-aws pins) is needed for this check and could not be installed.`,
    `No local mirror holds it (searched: ${mirrorCandidates().join(', ')}), and terraform init could not fetch it from the registry.`,
    `Install it: put terraform-provider-aws_${VERSION}_${platform}.zip (https://releases.hashicorp.com/terraform-provider-aws/${VERSION}/) unpacked into`,
    `  <mirror>/registry.terraform.io/hashicorp/aws/${VERSION}/${platform}/   (e.g. /opt/tf-plugins, or a dir named by TF_PROVIDER_MIRROR),`,
    `or run \`terraform providers mirror <mirror>\` on a machine with registry access and copy the result here.`,
    `Where that is impossible, set ${UNAVAILABLE_VARIABLE}=<reason> to report this check as not run.`,
  ].join('\n');
}

if (mirror === undefined && declaredUnavailable) {
  describe(`terraform validate and plan of the cdktn entry on hashicorp/aws ${VERSION}`, () => {
    it.skip(`NOT RUN: ${UNAVAILABLE_VARIABLE} says "${declaredUnavailable}"`, () => {});
  });
} else {
  describe(`terraform validate and plan of the cdktn entry on hashicorp/aws ${VERSION}`, { timeout: 180_000 }, () => {
    const temp = useTempDir('cdktn-tf-plan-');
    let dir: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
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
      if (init.code !== 0) throw new Error(`${installHint()}\n\nterraform init said:\n${init.stderr || init.stdout}`);
    }, 180_000);

    it(`installs hashicorp/aws ${VERSION}`, () => {
      const lock = fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8');
      expect(lock).toMatch(new RegExp(`provider "registry\\.terraform\\.io/hashicorp/aws" \\{\\s*version\\s*=\\s*"${VERSION.replace(/\./g, '\\.')}"`));
    });

    it('validates with no errors and no warnings', async () => {
      const report = JSON.parse((await terraform(['validate', '-json', '-no-color'], { cwd: dir, env })).stdout);
      expect(report.diagnostics).toEqual([]);
      expect(report).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
    });

    it('plans every resource as a create, the cross-account InvokeFunction permissions with invoked_via_function_url', async () => {
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
}
