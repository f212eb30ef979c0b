import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ProtectedFunctionUrl, WebIdentityTrust } from '../constructs';
import { initIfNeeded, terraform } from '../scripts/terraform-cli';
import { CLOSED_PORT_ENDPOINT, initOffline, offlinePlanEnv, planOffline } from './support/offline-terraform';
import { ACCOUNT, REGION, synthDemo } from './support/synthesized-stack';
import { useTempDir } from './support/temp-dir';
import { TEST_CA_CERTIFICATE } from './support/test-certificates';

/**
 * The synthesized demo stack, checked by the real terraform and the real hashicorp/aws provider,
 * offline. The provider is pointed at a closed loopback port with dummy credentials and the skip_*
 * settings: a plan from empty state must not need any AWS API, and would fail if it called one.
 * Where terraform is missing, these tests FAIL with what to install: they never skip.
 */

describe('terraform validate and plan of the demo stack', { timeout: 180_000 }, () => {
  const temp = useTempDir('tf-plan-');
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let initRan: boolean;

  beforeAll(async () => {
    const work = temp();
    const stack = synthDemo(
      { DEMO_AWS_ENDPOINT: CLOSED_PORT_ENDPOINT, DEMO_STATE_PATH: path.join(work, 'demo.tfstate'), DEMO_EXTERNAL_ID: 'partner-4711' },
      work,
    );
    dir = stack.dir;
    env = offlinePlanEnv(work);
    initRan = await initOffline(dir, env);
  });

  it('runs init once, and skips it while the providers, the backend and the CLI config are unchanged', async () => {
    expect(initRan).toBe(true);
    expect(await initIfNeeded(dir, env)).toBe(false);
  });

  it('installs hashicorp/aws 5.100.0, the version @cdktf/provider-aws 20.1.0 wraps', () => {
    const lock = fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s*version\s*=\s*"5\.100\.0"/);
  });

  // One plan, not validate + plan: plan validates too, and its -json stream carries the
  // diagnostics (warnings included), so a second provider start (~4 s of CPU) proves nothing more.
  it('plans the 11 resources of the design, all creates, with no errors or warnings, without calling AWS', async () => {
    const { messages, diagnostics, shown, changes } = await planOffline(dir, env, 'demo.tfplan');
    expect(diagnostics).toEqual([]);
    expect(messages.find((m) => m.type === 'change_summary')?.changes).toMatchObject({ add: 11, change: 0, remove: 0 });
    expect(changes).toEqual(
      [
        'aws_cloudwatch_log_group create',
        'aws_iam_access_key create',
        'aws_iam_policy create',
        'aws_iam_role create',
        'aws_iam_role create',
        'aws_iam_role_policy create',
        'aws_iam_role_policy_attachment create',
        'aws_iam_user create',
        'aws_iam_user_policy create',
        'aws_lambda_function create',
        'aws_lambda_function_url create',
      ].sort(),
    );
    const url = shown.resource_changes.find((c: any) => c.type === 'aws_lambda_function_url');
    expect(url.change.after).toMatchObject({ authorization_type: 'AWS_IAM', invoke_mode: 'BUFFERED', function_name: 'url-iam-demo' });
    const role = shown.resource_changes.find((c: any) => c.type === 'aws_iam_role' && c.change.after.name === 'function_invoker');
    expect(role.change.after.max_session_duration).toBe(3600);
    // The secret is unknown until apply and marked sensitive in the plan.
    expect(
      shown.planned_values.outputs[Object.keys(shown.planned_values.outputs).find((k) => k.includes('invoker_secret_access_key'))!],
    ).toMatchObject({ sensitive: true });
  });
});

/**
 * The callers without a long-lived key, and the narrowed key, checked the same way. Two stacks:
 * `keyless` holds only web-identity and Roles Anywhere callers (no IAM user, no key anywhere) and
 * is planned; `narrowed` looks an OIDC provider up (a data source, read at plan time, so AWS would
 * be called) and is validated.
 */
describe('terraform validate and plan of callers without a long-lived key', { timeout: 180_000 }, () => {
  const temp = useTempDir('tf-keyless-');
  const dirs: Record<'keyless' | 'narrowed', string> = { keyless: '', narrowed: '' };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const work = temp();
    const app = new App({ outdir: work });
    const stack = (name: string) => {
      const created = new TerraformStack(app, name);
      new AwsProvider(created, 'Aws', {
        region: REGION,
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: 'true',
        skipRegionValidation: true,
        endpoints: [
          { iam: CLOSED_PORT_ENDPOINT, sts: CLOSED_PORT_ENDPOINT, lambda: CLOSED_PORT_ENDPOINT, rolesanywhere: CLOSED_PORT_ENDPOINT },
        ],
      });
      return created;
    };
    const keyless = stack('keyless');
    new ProtectedFunctionUrl(keyless, 'CiApi', {
      function: 'deploy-hooks',
      createInvokerUser: false,
      trustedWebIdentities: [
        WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ref: 'refs/heads/main' }),
        WebIdentityTrust.gitHubActions({
          repository: 'my-org/deploy',
          environment: 'prod',
          thumbprints: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
        }),
      ],
    });
    new ProtectedFunctionUrl(keyless, 'BatchApi', {
      function: 'payments-batch',
      namePrefix: 'batch-',
      createInvokerUser: false,
      trustedX509: { certificateBundle: TEST_CA_CERTIFICATE, commonNames: ['payments-batch'] },
    });
    new ProtectedFunctionUrl(stack('narrowed'), 'PartnerApi', {
      function: 'partner',
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
      allowedVpcEndpoints: ['vpce-0123456789abcdef0'],
      trustedWebIdentities: [
        WebIdentityTrust.gitHubActions({ repository: 'my-org/partner', createProvider: false }),
        WebIdentityTrust.oidc({
          providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.example.com`,
          audiences: ['gitlab'],
          subjects: ['project_path:partner/sync:ref_type:branch:ref:main'],
        }),
      ],
      trustedX509: {
        trustAnchorArn: `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:trust-anchor/0123abcd-0123-4567-89ab-0123456789ab`,
        commonNames: ['partner-sync'],
      },
    });
    app.synth();
    env = offlinePlanEnv(work);
    for (const name of ['keyless', 'narrowed'] as const) {
      dirs[name] = path.join(work, 'stacks', name);
      await initIfNeeded(dirs[name], env);
    }
  });

  it('plans web-identity and Roles Anywhere callers with one OIDC provider, no IAM user and no key, with no errors or warnings', async () => {
    const { diagnostics, shown, changes } = await planOffline(dirs.keyless, env, 'keyless.tfplan');
    expect(diagnostics).toEqual([]);
    expect(changes).toEqual(
      [
        ...['aws_lambda_function_url', 'aws_iam_role', 'aws_iam_policy', 'aws_iam_role_policy_attachment'].flatMap((type) => [
          `${type} create`,
          `${type} create`,
        ]),
        'aws_iam_openid_connect_provider create',
        'aws_rolesanywhere_trust_anchor create',
        'aws_rolesanywhere_profile create',
      ].sort(),
    );
    const plannedAfter = (type: string) => shown.resource_changes.find((c: any) => c.type === type).change.after;
    expect(plannedAfter('aws_iam_openid_connect_provider')).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
      thumbprint_list: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
    });
    expect(plannedAfter('aws_rolesanywhere_trust_anchor')).toMatchObject({
      enabled: true,
      source: [{ source_type: 'CERTIFICATE_BUNDLE', source_data: [{ x509_certificate_data: TEST_CA_CERTIFICATE }] }],
    });
    expect(plannedAfter('aws_rolesanywhere_profile')).toMatchObject({ name: 'batch-function_invoker', enabled: true });
    const outputs = Object.keys(shown.planned_values.outputs);
    expect(outputs.filter((name) => /invoker_(access_key|secret|encrypted|user_name)/.test(name))).toEqual([]);
    expect(outputs.filter((name) => /roles_anywhere_(profile|trust_anchor)_arn/.test(name))).toHaveLength(2);
  });

  it('validates a narrowed invoker user beside a looked-up OIDC provider and an existing trust anchor', async () => {
    const validate = JSON.parse((await terraform(['validate', '-json'], { cwd: dirs.narrowed, env })).stdout);
    expect(validate).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  });
});
