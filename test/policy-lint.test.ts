import { describe, expect, it } from 'vitest';
import {
  lintPolicy,
  lintResourcePolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateTrustPolicy,
} from '@cloud-copilot/iam-policy';
import { loadTarget, synthScenario } from './support/framework-targets';
import { functionPolicyFromPermissions } from './support/iam-simulator';
import { ACCOUNT, synthDemo } from './support/synthesized-stack';

/** Every policy document in the synthesized demo stack, with how IAM will read it. */
function policiesOf(stack: ReturnType<typeof synthDemo>) {
  const found: { where: string; kind: 'identity' | 'trust'; policy: any }[] = [];
  for (const [id, role] of Object.entries(stack.resources('aws_iam_role')))
    found.push({ where: `aws_iam_role.${id}`, kind: 'trust', policy: stack.policy(role.assume_role_policy) });
  for (const type of ['aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_role_policy']) {
    for (const [id, resource] of Object.entries(stack.resources(type)))
      found.push({ where: `${type}.${id}`, kind: 'identity', policy: stack.policy(resource.policy) });
  }
  return found;
}

function asList(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value as string];
}

function expectValidAndLintFree(policies: ReturnType<typeof policiesOf>): void {
  for (const { where, kind, policy } of policies) {
    const errors = kind === 'trust' ? validateTrustPolicy(policy) : validateIdentityPolicy(policy);
    expect(errors, where).toEqual([]);
    expect(lintPolicy(policy), where).toEqual([]);
  }
}

function expectNoWildcards(policies: ReturnType<typeof policiesOf>): void {
  for (const { where, policy } of policies) {
    for (const statement of policy.Statement) {
      // "<log group ARN>:*" (its log streams) is the narrowest resource CloudWatch Logs offers for
      // CreateLogStream/PutLogEvents; it is the one suffix allowed.
      for (const value of [...asList(statement.Action), ...asList(statement.Resource).map((r) => r.replace(/:\*$/, ''))]) {
        expect(value, `${where} ${statement.Sid ?? ''}`).not.toContain('*');
      }
      expect(statement.NotAction ?? statement.NotResource ?? statement.NotPrincipal, where).toBeUndefined();
      expect(statement.Effect, where).toBe('Allow');
    }
  }
}

describe.each([
  ['default settings', {}],
  ['external ID and prefix', { DEMO_EXTERNAL_ID: 'partner-4711', DEMO_NAME_PREFIX: 'team-a-' }],
])('policies of the demo stack (%s)', (_, env) => {
  const policies = policiesOf(synthDemo(env));

  it('finds all five policy documents', () => {
    expect(policies.map((p) => `${p.kind} ${p.where.split('.')[0]}`).sort()).toEqual([
      'identity aws_iam_policy',
      'identity aws_iam_role_policy',
      'identity aws_iam_user_policy',
      'trust aws_iam_role',
      'trust aws_iam_role',
    ]);
  });

  it('are valid IAM policies for their kind, with no lint findings', () => {
    expectValidAndLintFree(policies);
  });

  it('use no wildcard in any Action or Resource, and no NotAction/NotResource', () => {
    expectNoWildcards(policies);
  });
});

// The same checks on an app built with each published entry, plus the function's resource policy
// the cross-account permissions become (as AWS renders them).
describe.each(['cdktf', 'cdktn'] as const)('policies of an app on the %s entry', (target) => {
  const stack = synthScenario(loadTarget(target));
  const policies = policiesOf(stack);
  const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:url-iam-demo`;
  const resourcePolicy = functionPolicyFromPermissions(
    Object.values(stack.resources('aws_lambda_permission')).filter(
      (p) => p.function_name === '${aws_lambda_function.Function.function_name}',
    ),
    FN,
  );

  it('are valid IAM policies for their kind, with no lint findings', () => {
    expect(policies).toHaveLength(8); // 3 trust policies, 3 invoke policies, 2 user policies
    expectValidAndLintFree(policies);
  });

  it('use no wildcard in any Action or Resource, and no NotAction/NotResource', () => {
    expectNoWildcards(policies);
  });

  it("the function's cross-account resource policy is valid, lint-free and names no wildcard", () => {
    expect(validateResourcePolicy(resourcePolicy)).toEqual([]);
    expect(lintResourcePolicy(resourcePolicy)).toEqual([]);
    expect(JSON.stringify(resourcePolicy)).not.toContain('*');
  });
});
