import { describe, expect, it } from 'vitest';
import { FunctionInvokerRole, IamFunctionUrl } from '../constructs';
import { loadTarget, SCENARIO_PARTNER, synthScenario, type TargetName } from './support/framework-targets';
import { functionPolicyFromPermissions, simulate, type SimulatedRequest } from './support/iam-simulator';
import { ACCOUNT, type SynthesizedStack, synthDemo, synthStack } from './support/synthesized-stack';

/**
 * Least privilege, proven: every policy the constructs write is evaluated by a real IAM policy
 * simulator for what it must allow and for what it must refuse. Trust policies are always passed
 * for AssumeRole (without one the simulator would trust the account), and no context key may be
 * ignored (an ignored key would make a "denied" meaningless).
 */

const EXTERNAL_ID = 'partner-4711';
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:url-iam-demo`;
const OTHER_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:payroll`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/function_invoker`;
const USER = `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/function_invoker/demo-session`;
const OTHER_USER = `arn:aws:iam::${ACCOUNT}:user/mallory`;
const ADMIN_LIKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };

/** The invoker user, role and policies of a stack with the default names, found by name. */
class DemoWorld {
  constructor(readonly stack: SynthesizedStack) {}
  private named(type: string, name: string) {
    const found = Object.values(this.stack.resources(type)).find((r) => r.name === name);
    if (found === undefined) throw new Error(`no ${type} named ${name}`);
    return found;
  }
  get trustPolicy() {
    return this.stack.policy(this.named('aws_iam_role', 'function_invoker').assume_role_policy);
  }
  get invokePolicy() {
    return this.stack.policy(this.named('aws_iam_policy', 'InvokeSingleLambdaPolicy').policy);
  }
  get userPolicy() {
    return this.stack.policy(this.named('aws_iam_user_policy', 'AssumeFunctionInvokerRole').policy);
  }
  get executionPolicy() {
    return this.stack.policy(this.stack.only('aws_iam_role_policy').policy);
  }
  asUser(action: string, resource: string, context: Record<string, string> = {}): SimulatedRequest {
    const request: SimulatedRequest = { principal: USER, action, resource, context, identityPolicies: [this.userPolicy] };
    if (action === 'sts:AssumeRole' && resource === ROLE) request.resourcePolicy = this.trustPolicy;
    return request;
  }
  asSession(action: string, resource: string, context: Record<string, string> = {}): SimulatedRequest {
    return { principal: SESSION, action, resource, context, identityPolicies: [this.invokePolicy] };
  }
}

async function expectDecision(request: SimulatedRequest, expected: 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied') {
  const { decision, ignoredContextKeys } = await simulate(request);
  expect(ignoredContextKeys, `context keys ignored for ${request.action}`).toEqual([]);
  expect(decision, `${request.principal} ${request.action} ${request.resource} ${JSON.stringify(request.context)}`).toBe(expected);
}

const VIA_URL = { 'lambda:InvokedViaFunctionUrl': 'true' };
const IAM_AUTH = { 'lambda:FunctionUrlAuthType': 'AWS_IAM' };

// The same matrix for the demo stack and for one app built with each published entry (cdktf,
// CDK Terrain): the targets may differ only where the provider allows more (cross-account, below).
describe.each([
  ['the demo stack', () => synthDemo({ DEMO_EXTERNAL_ID: EXTERNAL_ID })],
  ['an app on the cdktf entry', () => synthScenario(loadTarget('cdktf'))],
  ['an app on the cdktn entry', () => synthScenario(loadTarget('cdktn'))],
])('IAM decisions for %s with an external ID', (_, synthesize) => {
  const world = new DemoWorld(synthesize());

  describe('allowed', () => {
    it('the invoker user assumes the role with the external ID', () =>
      expectDecision(world.asUser('sts:AssumeRole', ROLE, { 'sts:ExternalId': EXTERNAL_ID }), 'Allowed'));
    it("the role's session calls InvokeFunctionUrl with auth type AWS_IAM", () =>
      expectDecision(world.asSession('lambda:InvokeFunctionUrl', FN, IAM_AUTH), 'Allowed'));
    it("the role's session calls InvokeFunction through the function URL", () =>
      expectDecision(world.asSession('lambda:InvokeFunction', FN, VIA_URL), 'Allowed'));
  });

  describe('refused: who may assume the role', () => {
    // A principal whose own policies allow everything, with the right external ID: only the trust policy stands in the way.
    const adminLikeAssuming = (principal: string) => ({
      principal,
      action: 'sts:AssumeRole',
      resource: ROLE,
      context: { 'sts:ExternalId': EXTERNAL_ID },
      identityPolicies: [ADMIN_LIKE],
      resourcePolicy: world.trustPolicy,
    });
    it('the invoker user without the external ID', () => expectDecision(world.asUser('sts:AssumeRole', ROLE), 'ImplicitlyDenied'));
    it('the invoker user with a wrong external ID', () =>
      expectDecision(world.asUser('sts:AssumeRole', ROLE, { 'sts:ExternalId': 'partner-4712' }), 'ImplicitlyDenied'));
    it('another user of the same account, even one allowed sts:AssumeRole on everything', () =>
      expectDecision(adminLikeAssuming(OTHER_USER), 'ImplicitlyDenied'));
    it('a principal of another account', () =>
      expectDecision(adminLikeAssuming('arn:aws:iam::444455556666:user/outsider'), 'ImplicitlyDenied'));
    it('the invoker user assuming any other role', () =>
      expectDecision(
        {
          ...world.asUser('sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/admin`, { 'sts:ExternalId': EXTERNAL_ID }),
          resourcePolicy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
          },
        },
        'ImplicitlyDenied',
      ));
  });

  describe("refused: the invoker user's own long-lived key", () => {
    it.each([
      ['lambda:InvokeFunctionUrl', FN, IAM_AUTH],
      ['lambda:InvokeFunction', FN, VIA_URL],
      ['lambda:InvokeFunction', FN, {}],
      ['iam:CreateAccessKey', USER, {}],
      ['iam:PutUserPolicy', USER, {}],
      ['iam:AttachUserPolicy', USER, {}],
      ['iam:UpdateAssumeRolePolicy', ROLE, {}],
      ['lambda:GetFunction', FN, {}],
    ])('%s on %s', (action, resource, context) => expectDecision(world.asUser(action, resource, context), 'ImplicitlyDenied'));
  });

  describe("refused: the role's session beyond its one URL", () => {
    it('InvokeFunctionUrl on another function', () =>
      expectDecision(world.asSession('lambda:InvokeFunctionUrl', OTHER_FN, IAM_AUTH), 'ImplicitlyDenied'));
    it('InvokeFunction on another function, even through a URL', () =>
      expectDecision(world.asSession('lambda:InvokeFunction', OTHER_FN, VIA_URL), 'ImplicitlyDenied'));
    it('InvokeFunctionUrl with auth type NONE', () =>
      expectDecision(world.asSession('lambda:InvokeFunctionUrl', FN, { 'lambda:FunctionUrlAuthType': 'NONE' }), 'ImplicitlyDenied'));
    it('InvokeFunctionUrl with no auth type', () => expectDecision(world.asSession('lambda:InvokeFunctionUrl', FN), 'ImplicitlyDenied'));
    it('InvokeFunction not through the URL (the Invoke API)', () =>
      expectDecision(world.asSession('lambda:InvokeFunction', FN), 'ImplicitlyDenied'));
    it('InvokeFunction with InvokedViaFunctionUrl false', () =>
      expectDecision(world.asSession('lambda:InvokeFunction', FN, { 'lambda:InvokedViaFunctionUrl': 'false' }), 'ImplicitlyDenied'));
    it('InvokeFunctionUrl on a version or alias of the function', () =>
      expectDecision(world.asSession('lambda:InvokeFunctionUrl', `${FN}:live`, IAM_AUTH), 'ImplicitlyDenied'));
    it.each([
      ['lambda:DeleteFunction', FN],
      ['lambda:UpdateFunctionCode', FN],
      ['lambda:UpdateFunctionConfiguration', FN],
      ['lambda:GetFunction', FN],
      ['lambda:AddPermission', FN],
      ['lambda:CreateFunctionUrlConfig', FN],
      ['lambda:DeleteFunctionUrlConfig', FN],
      ['iam:CreateAccessKey', USER],
      ['iam:PassRole', ROLE],
      ['iam:AttachRolePolicy', ROLE],
      ['sts:AssumeRole', ROLE],
    ])('%s on %s', (action, resource) => expectDecision(world.asSession(action, resource), 'ImplicitlyDenied'));
  });
});

describe("IAM decisions for the demo function's execution role", () => {
  const world = new DemoWorld(synthDemo({ DEMO_EXTERNAL_ID: EXTERNAL_ID }));
  describe("the function's execution role", () => {
    const LOG_STREAM = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/url-iam-demo:log-stream:2026/11/22/abc`;
    const asFunction = (action: string, resource: string): SimulatedRequest => ({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/url-iam-demo-execution/url-iam-demo`,
      action,
      resource,
      identityPolicies: [world.executionPolicy],
    });
    it('may write its own log streams', async () => {
      await expectDecision(asFunction('logs:CreateLogStream', LOG_STREAM.replace(/:log-stream:.*/, ':log-stream:x')), 'Allowed');
      await expectDecision(asFunction('logs:PutLogEvents', LOG_STREAM), 'Allowed');
    });
    it('may not write to another log group, delete its own, or invoke anything', async () => {
      await expectDecision(asFunction('logs:PutLogEvents', LOG_STREAM.replace('url-iam-demo', 'payroll')), 'ImplicitlyDenied');
      await expectDecision(
        asFunction('logs:DeleteLogGroup', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/url-iam-demo`),
        'ImplicitlyDenied',
      );
      await expectDecision(asFunction('lambda:InvokeFunction', OTHER_FN), 'ImplicitlyDenied');
    });
  });
});

describe('IAM decisions for the demo stack without an external ID', () => {
  const world = new DemoWorld(synthDemo());
  it('the invoker user assumes the role with no external ID', () => expectDecision(world.asUser('sts:AssumeRole', ROLE), 'Allowed'));
  it('another user still may not', () =>
    expectDecision(
      {
        principal: OTHER_USER,
        action: 'sts:AssumeRole',
        resource: ROLE,
        identityPolicies: [ADMIN_LIKE],
        resourcePolicy: world.trustPolicy,
      },
      'ImplicitlyDenied',
    ));
  // Only sts:AssumeRole is granted, on both sides: session tags and a source identity would let
  // the caller stamp attributes other policies may trust. Here, without an external ID, since the
  // simulator knows no sts:ExternalId for these actions (with one, the trust statement's condition
  // alone would refuse them and hide a widened Action).
  it.each(['sts:TagSession', 'sts:SetSourceIdentity'])('the invoker user may not call %s on the role', (action) =>
    expectDecision({ ...world.asUser(action, ROLE), resourcePolicy: world.trustPolicy }, 'ImplicitlyDenied'),
  );
});

describe('IAM decisions for an aliased URL', () => {
  const stack = synthStack((s) => {
    const url = new IamFunctionUrl(s, 'Url', { function: `${FN}:live` });
    new FunctionInvokerRole(s, 'Role', { trustedPrincipals: [USER], functionUrls: [url] });
  });
  const invokePolicy = stack.policy(stack.only('aws_iam_policy').policy);
  const asSession = (action: string, resource: string, context: Record<string, string>): SimulatedRequest => ({
    principal: SESSION,
    action,
    resource,
    context,
    identityPolicies: [invokePolicy],
  });
  it('the session may call the alias through its URL', async () => {
    await expectDecision(asSession('lambda:InvokeFunctionUrl', `${FN}:live`, IAM_AUTH), 'Allowed');
    await expectDecision(asSession('lambda:InvokeFunction', `${FN}:live`, VIA_URL), 'Allowed');
  });
  it('but not the unqualified function, nor another alias', async () => {
    await expectDecision(asSession('lambda:InvokeFunctionUrl', FN, IAM_AUTH), 'ImplicitlyDenied');
    await expectDecision(asSession('lambda:InvokeFunction', `${FN}:staging`, VIA_URL), 'ImplicitlyDenied');
  });
});

describe('a session policy narrows the session further', () => {
  const world = new DemoWorld(synthDemo());
  it('a scope-down policy without InvokeFunction takes the URL away although the role allows it', async () => {
    const onlyUrl = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: FN }] };
    await expectDecision({ ...world.asSession('lambda:InvokeFunctionUrl', FN, IAM_AUTH), sessionPolicy: onlyUrl }, 'Allowed');
    await expectDecision({ ...world.asSession('lambda:InvokeFunction', FN, VIA_URL), sessionPolicy: onlyUrl }, 'ImplicitlyDenied');
  });
});

// A principal of another account calling the URL with its own credentials. Its identity policy is
// its account's business (here: all of Lambda), so only the function's resource policy, written by
// allowCrossAccountInvoker, can narrow what it may do.
describe.each([
  ['cdktf', 'hashicorp/aws 5.100: the Invoke API stays allowed (the provider cannot narrow it)', 'Allowed'],
  ['cdktn', 'hashicorp/aws 6.28+: invoked_via_function_url limits it to the URL', 'ImplicitlyDenied'],
] as const)('a cross-account invoker on the %s entry (%s)', (target: TargetName, _, invokeApi) => {
  const stack = synthScenario(loadTarget(target));
  const REPORTS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reports`;
  const permissionsOn = (functionReference: string) =>
    Object.values(stack.resources('aws_lambda_permission')).filter((permission) => permission.function_name === functionReference);
  const functionPolicy = functionPolicyFromPermissions(permissionsOn('${aws_lambda_function.Function.function_name}'), FN);
  const reportsPolicy = functionPolicyFromPermissions(permissionsOn(REPORTS), REPORTS);
  const PARTNER_ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] };
  const asPartner = (
    action: string,
    resource: string,
    context: Record<string, string>,
    resourcePolicy = functionPolicy,
    principal = SCENARIO_PARTNER,
  ): SimulatedRequest => ({
    principal,
    action,
    resource,
    context,
    identityPolicies: [PARTNER_ADMIN],
    resourcePolicy,
  });

  it('writes one InvokeFunctionUrl and one InvokeFunction permission per URL', () => {
    expect(
      permissionsOn('${aws_lambda_function.Function.function_name}')
        .map((p) => p.action)
        .sort(),
    ).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
  });
  it('may call the URL: InvokeFunctionUrl (AWS_IAM) and InvokeFunction through it', async () => {
    await expectDecision(asPartner('lambda:InvokeFunctionUrl', FN, IAM_AUTH), 'Allowed');
    await expectDecision(asPartner('lambda:InvokeFunction', FN, VIA_URL), 'Allowed');
  });
  it(`on the Invoke API: ${invokeApi}`, () => expectDecision(asPartner('lambda:InvokeFunction', FN, {}), invokeApi));
  it('is refused without the permissions (its own identity policy is not enough across accounts)', () =>
    expectDecision(asPartner('lambda:InvokeFunctionUrl', FN, IAM_AUTH, { Version: '2012-10-17', Statement: [] }), 'ImplicitlyDenied'));
  it('is refused on a URL with auth type NONE, and on other actions', async () => {
    await expectDecision(asPartner('lambda:InvokeFunctionUrl', FN, { 'lambda:FunctionUrlAuthType': 'NONE' }), 'ImplicitlyDenied');
    await expectDecision(asPartner('lambda:GetFunction', FN, {}), 'ImplicitlyDenied');
    await expectDecision(asPartner('lambda:UpdateFunctionCode', FN, {}), 'ImplicitlyDenied');
  });
  it('another principal of the same partner account gets nothing', async () => {
    const other = 'arn:aws:iam::444455556666:role/intern';
    await expectDecision(asPartner('lambda:InvokeFunctionUrl', FN, IAM_AUTH, functionPolicy, other), 'ImplicitlyDenied');
    await expectDecision(asPartner('lambda:InvokeFunction', FN, VIA_URL, functionPolicy, other), 'ImplicitlyDenied');
  });
  it('an aliased URL grants that alias only', async () => {
    await expectDecision(asPartner('lambda:InvokeFunctionUrl', `${REPORTS}:live`, IAM_AUTH, reportsPolicy), 'Allowed');
    await expectDecision(asPartner('lambda:InvokeFunction', `${REPORTS}:live`, VIA_URL, reportsPolicy), 'Allowed');
    await expectDecision(asPartner('lambda:InvokeFunction', `${REPORTS}:live`, {}, reportsPolicy), invokeApi);
    await expectDecision(asPartner('lambda:InvokeFunctionUrl', REPORTS, IAM_AUTH, reportsPolicy), 'ImplicitlyDenied');
  });
});

// A URL given by function name and alias, on each entry: the ARN in the grant comes from the URL
// resource (`join(slice(split(function_arn)))`), and must still name exactly that alias.
describe.each(['cdktf', 'cdktn'] as const)('IAM decisions for a URL given by name and alias, on the %s entry', (target) => {
  const stack = synthScenario(loadTarget(target));
  const named = (type: string, name: string) => Object.values(stack.resources(type)).find((r) => r.name === name)!;
  const OPS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ops-tools`;
  const ONCALL = `arn:aws:iam::${ACCOUNT}:role/ops-oncall`;
  const OPS_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/ops-function_invoker`;
  const trust = stack.policy(named('aws_iam_role', 'ops-function_invoker').assume_role_policy);
  const invoke = stack.policy(named('aws_iam_policy', 'ops-InvokeSingleLambdaPolicy').policy);
  const asSession = (action: string, resource: string, context: Record<string, string>): SimulatedRequest => ({
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/ops-function_invoker/oncall`,
    action,
    resource,
    context,
    identityPolicies: [invoke],
  });

  it('the on-call role may assume the role; the invoker user of the other URL may not', async () => {
    await expectDecision(
      { principal: ONCALL, action: 'sts:AssumeRole', resource: OPS_ROLE, identityPolicies: [ADMIN_LIKE], resourcePolicy: trust },
      'Allowed',
    );
    await expectDecision(
      { principal: USER, action: 'sts:AssumeRole', resource: OPS_ROLE, identityPolicies: [ADMIN_LIKE], resourcePolicy: trust },
      'ImplicitlyDenied',
    );
  });
  it('the session may call the alias through its URL, not the unqualified function nor the Invoke API', async () => {
    await expectDecision(asSession('lambda:InvokeFunctionUrl', `${OPS}:stable`, IAM_AUTH), 'Allowed');
    await expectDecision(asSession('lambda:InvokeFunction', `${OPS}:stable`, VIA_URL), 'Allowed');
    await expectDecision(asSession('lambda:InvokeFunctionUrl', OPS, IAM_AUTH), 'ImplicitlyDenied');
    await expectDecision(asSession('lambda:InvokeFunction', `${OPS}:stable`, {}), 'ImplicitlyDenied');
  });
});
