import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CredentialVendor, IamFunctionUrl } from '../constructs';
import { CLOSED_PORT_ENDPOINT, initOffline, offlinePlanEnv, planOffline } from './support/offline-terraform';
import { ACCOUNT, REGION } from './support/synthesized-stack';
import { useTempDir } from './support/temp-dir';

/**
 * A CredentialVendor checked by the real terraform and the real hashicorp/aws provider (5.100, the
 * cdktf target), offline: a plan from empty state needs no AWS API (the endpoints are a closed
 * port), so it validates the configuration, the packaged handler's archive included. Where
 * terraform is missing, the test FAILS with what to install.
 */

describe('terraform plan of a CredentialVendor', { timeout: 180_000 }, () => {
  const temp = useTempDir('tf-vendor-');
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const work = temp();
    const app = new App({ outdir: work });
    const stack = new TerraformStack(app, 'vendor');
    new AwsProvider(stack, 'Aws', {
      region: REGION,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: 'true',
      skipRegionValidation: true,
      endpoints: [{ iam: CLOSED_PORT_ENDPOINT, sts: CLOSED_PORT_ENDPOINT, lambda: CLOSED_PORT_ENDPOINT, logs: CLOSED_PORT_ENDPOINT }],
    });
    const orders = new IamFunctionUrl(stack, 'Orders', { function: 'orders' });
    const reports = new IamFunctionUrl(stack, 'Reports', { function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reports:live` });
    new CredentialVendor(stack, 'Vendor', {
      namePrefix: 'tenants-',
      entitlements: [
        { caller: `arn:aws:iam::${ACCOUNT}:role/partner-batch`, functionUrls: [orders], sessionTags: { tenant: 'partner' } },
        { caller: `arn:aws:iam::${ACCOUNT}:user/auditor`, functionUrls: [orders, reports], maxSessionDuration: 900 },
      ],
    });
    app.synth();
    dir = path.join(work, 'stacks', 'vendor');
    env = offlinePlanEnv(work);
    await initOffline(dir, env);
  });

  it('plans the vendor with no errors or warnings: function, URL, both roles, their policies, one URL permission per caller', async () => {
    const { diagnostics, shown, changes } = await planOffline(dir, env, 'vendor.tfplan');
    expect(diagnostics).toEqual([]);
    expect(changes).toEqual(
      [
        'aws_cloudwatch_log_group create',
        'aws_iam_role create',
        'aws_iam_role create',
        'aws_iam_role_policy create',
        'aws_iam_role_policy create',
        'aws_lambda_function create',
        'aws_lambda_function_url create',
        'aws_lambda_function_url create',
        'aws_lambda_function_url create',
        'aws_lambda_permission create',
        'aws_lambda_permission create',
      ].sort(),
    );
    const fn = shown.resource_changes.find((c: any) => c.type === 'aws_lambda_function').change.after;
    expect(fn).toMatchObject({ function_name: 'tenants-credential-vendor', runtime: 'nodejs22.x', handler: 'index.handler' });
    const vendRole = shown.resource_changes.find(
      (c: any) => c.type === 'aws_iam_role' && c.change.after.name === 'tenants-credential-vend',
    );
    expect(vendRole.change.after.max_session_duration).toBe(3600);
  });
});
