import type { Construct } from 'constructs';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { CredentialVendor } from '../constructs/credential-vendor';
import { IamFunctionUrl } from '../constructs/iam-function-url';
import { policyDocument, renderPolicy } from '../constructs/policy-document';
import { type DemoConfig, readDemoConfig } from './demo-config';
import { configureDemoStack, handlerDirectory } from './demo-stack';
import { handlerPackage } from './handler-archive';

/**
 * `npm run demo -- --vend`: two echo functions behind AWS_IAM URLs (A and B) and a
 * CredentialVendor whose one entitlement gives the invoker user URL A only. Nobody holds a direct
 * right to either URL: the invoker and a second, unlisted user may only call the vendor (the same
 * identity policy for both), so whatever reaches URL A came through a vended session.
 */

/** Names of the stack outputs the vend flow reads (scripts/demo/vend-flow.ts). */
export const VEND_DEMO_OUTPUTS = {
  urlA: 'url_a',
  urlB: 'url_b',
  vendorUrl: 'demo_vendor_url',
  vendRoleArn: 'demo_vend_role_arn',
  invokerAccessKeyId: 'invoker_access_key_id',
  invokerSecretAccessKey: 'invoker_secret_access_key',
  unlistedAccessKeyId: 'unlisted_access_key_id',
  unlistedSecretAccessKey: 'unlisted_secret_access_key',
} as const;

export class VendDemoStack extends TerraformStack {
  readonly vendor: CredentialVendor;

  constructor(scope: Construct, id: string, config: DemoConfig) {
    super(scope, id);
    configureDemoStack(this, id, config);
    const prefix = config.namePrefix;
    const urlA = echoFunctionUrl(this, 'A', `${prefix}url-iam-vend-a`, config);
    const urlB = echoFunctionUrl(this, 'B', `${prefix}url-iam-vend-b`, config);
    const invoker = new IamUser(this, 'InvokerUser', { name: `${prefix}lambda_invoker` });
    const unlisted = new IamUser(this, 'UnlistedUser', { name: `${prefix}vend_unlisted` });
    this.vendor = new CredentialVendor(this, 'Vendor', {
      namePrefix: prefix,
      runtime: config.runtime === 'nodejs24.x' ? 'nodejs24.x' : 'nodejs22.x',
      logRetentionDays: config.logRetentionDays,
      outputs: false,
      entitlements: [{ caller: invoker.arn, functionUrls: [urlA], maxSessionDuration: 900, sessionTags: { tenant: 'demo' } }],
    });
    const output = (name: string, value: string, sensitive = false) => new TerraformOutput(this, name, { value, sensitive });
    output(VEND_DEMO_OUTPUTS.urlA, urlA.url);
    output(VEND_DEMO_OUTPUTS.urlB, urlB.url);
    output(VEND_DEMO_OUTPUTS.vendorUrl, this.vendor.url);
    output(VEND_DEMO_OUTPUTS.vendRoleArn, this.vendor.vendRole.roleArn);
    for (const [user, idName, secretName] of [
      [invoker, VEND_DEMO_OUTPUTS.invokerAccessKeyId, VEND_DEMO_OUTPUTS.invokerSecretAccessKey],
      [unlisted, VEND_DEMO_OUTPUTS.unlistedAccessKeyId, VEND_DEMO_OUTPUTS.unlistedSecretAccessKey],
    ] as const) {
      // Both users may call the vendor's URL and nothing else (on hashicorp/aws 5.100 the
      // vendor's resource policy cannot cover lambda:InvokeFunction: see resourcePolicyCoversInvokeFunction).
      new IamUserPolicy(this, `${user.node.id}CallVendor`, {
        name: 'CallCredentialVendor',
        user: user.name,
        policy: renderPolicy(policyDocument(this.vendor.invokeStatements())),
      });
      const key = new IamAccessKey(this, `${user.node.id}Key`, { user: user.name });
      output(idName, key.id);
      output(secretName, key.secret, true);
    }
  }
}

/** One echo function (the default demo's handler) with its own log group and role, behind an AWS_IAM URL. */
function echoFunctionUrl(scope: Construct, id: 'A' | 'B', functionName: string, config: DemoConfig): IamFunctionUrl {
  const logGroup = new CloudwatchLogGroup(scope, `LogGroup${id}`, {
    name: `/aws/lambda/${functionName}`,
    retentionInDays: config.logRetentionDays,
  });
  const role = new IamRole(scope, `ExecutionRole${id}`, {
    name: `${functionName}-execution`,
    assumeRolePolicy: renderPolicy(
      policyDocument([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
    ),
  });
  new IamRolePolicy(scope, `ExecutionRoleLogs${id}`, {
    name: 'WriteOwnLogs',
    role: role.id,
    policy: renderPolicy(
      policyDocument([
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
      ]),
    ),
  });
  const code = handlerPackage(scope, `HandlerCode${id}`, handlerDirectory());
  const fn = new LambdaFunction(scope, `Function${id}`, {
    functionName,
    description: `Echoes the request and the IAM caller (URL ${id} of the credential vending demo).`,
    runtime: config.runtime,
    ...code.functionCode,
    role: role.arn,
    timeout: 10,
    memorySize: 128,
    dependsOn: [logGroup],
  });
  return new IamFunctionUrl(scope, `Url${id}`, { function: fn });
}

/** Synthesizes the vend demo stack (named `<stackName>-vend`) with the DEMO_* settings of `env`. */
export function synthVendDemo(outdir: string, env: NodeJS.ProcessEnv = process.env): string {
  const app = new App({ outdir });
  const config = readDemoConfig(env, (key) => app.node.tryGetContext(key));
  const stackName = `${config.stackName}-vend`;
  new VendDemoStack(app, stackName, config);
  app.synth();
  return stackName;
}
