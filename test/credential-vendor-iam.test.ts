import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  lintPolicy,
  lintResourcePolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateTrustPolicy,
} from '@cloud-copilot/iam-policy';
import { vendorHandlerDirectory } from '../constructs/credential-vendor';
import { functionPolicyFromPermissions, type SimulatedRequest, simulate } from './support/iam-simulator';
import { ACCOUNT } from './support/synthesized-stack';
import { AUDITOR_USER, vendorStack } from './support/vendor-stack';

/**
 * What the CredentialVendor's policies allow and refuse, evaluated by the IAM policy simulator:
 * the vending function's execution role, the vend role's trust and policy, the session policy a
 * caller's credentials carry (also when the vend role may do more), and who may call the vendor.
 */

const ORDERS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`;
const REPORTS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reports:live`;
const VENDOR = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:credential-vendor`;
const VEND_ROLE = `arn:aws:iam::${ACCOUNT}:role/credential-vend`;
const EXECUTION_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/credential-vendor-execution/credential-vendor`;
const VENDED_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/credential-vend/partner-batch@nightly`;
const PARTNER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/partner-batch/nightly`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/payroll-admin`;
const VIA_URL = { 'lambda:InvokedViaFunctionUrl': 'true' };
const IAM_AUTH = { 'lambda:FunctionUrlAuthType': 'AWS_IAM' };
const ADMIN_LIKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const TRUSTS_ACCOUNT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
};

async function expectDecision(request: SimulatedRequest, expected: 'Allowed' | 'ImplicitlyDenied') {
  const { decision, ignoredContextKeys } = await simulate(request);
  expect(ignoredContextKeys, `context keys ignored for ${request.action}`).toEqual([]);
  expect(decision, `${request.principal} ${request.action} ${request.resource} ${JSON.stringify(request.context)}`).toBe(expected);
}

describe('the CredentialVendor in the IAM simulator', () => {
  const stack = vendorStack();
  const named = (type: string, name: string) => {
    const found = Object.values(stack.resources(type)).find((resource) => resource.name === name);
    if (found === undefined) throw new Error(`no ${type} named ${name}`);
    return found;
  };
  const executionPolicy = stack.policy(named('aws_iam_role_policy', 'AssumeVendRoleAndWriteOwnLogs').policy);
  const vendTrust = stack.policy(named('aws_iam_role', 'credential-vend').assume_role_policy);
  const vendPolicy = stack.policy(named('aws_iam_role_policy', 'VendableRights').policy);
  let partnerSessionPolicy: Record<string, unknown>;
  beforeAll(async () => {
    // The session policy as the shipped vending function builds it for the partner's entitlement.
    const vending = await import(pathToFileURL(path.join(vendorHandlerDirectory(), 'vending.mjs')).href);
    partnerSessionPolicy = JSON.parse(vending.sessionPolicy([ORDERS]));
  });

  it('every policy is valid, lint-free and names no wildcard (but the log-stream suffix)', () => {
    const identity = [executionPolicy, vendPolicy, partnerSessionPolicy];
    for (const policy of identity) {
      expect(validateIdentityPolicy(policy)).toEqual([]);
      expect(lintPolicy(policy)).toEqual([]);
    }
    expect(validateTrustPolicy(vendTrust)).toEqual([]);
    expect(lintPolicy(vendTrust)).toEqual([]);
    const functionPolicy = functionPolicyFromPermissions(Object.values(stack.resources('aws_lambda_permission')), VENDOR);
    expect(validateResourcePolicy(functionPolicy)).toEqual([]);
    expect(lintResourcePolicy(functionPolicy)).toEqual([]);
    for (const policy of [...identity, vendTrust, functionPolicy]) {
      for (const statement of (policy as { Statement: Record<string, unknown>[] }).Statement) {
        const values = [statement.Action, statement.Resource].flat().filter((v): v is string => typeof v === 'string');
        for (const value of values) expect(value.replace(/:\*$/, '')).not.toContain('*');
        expect(statement.Effect).toBe('Allow');
      }
    }
  });

  describe("the vending function's execution role", () => {
    const asFunction = (action: string, resource: string, resourcePolicy?: Record<string, unknown>): SimulatedRequest => ({
      principal: EXECUTION_SESSION,
      action,
      resource,
      identityPolicies: [executionPolicy],
      resourcePolicy,
    });
    it.each(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])('may %s on the vend role', (action) =>
      expectDecision(asFunction(action, VEND_ROLE, vendTrust), 'Allowed'),
    );
    it('may assume no other role, even one that trusts its account', () =>
      expectDecision(asFunction('sts:AssumeRole', OTHER_ROLE, TRUSTS_ACCOUNT), 'ImplicitlyDenied'));
    it.each([
      ['lambda:InvokeFunctionUrl', ORDERS],
      ['lambda:InvokeFunction', ORDERS],
      ['iam:PassRole', VEND_ROLE],
      ['iam:PutRolePolicy', VEND_ROLE],
      ['lambda:GetFunction', VENDOR],
    ])('may not %s on %s', (action, resource) => expectDecision(asFunction(action, resource), 'ImplicitlyDenied'));
  });

  describe("the vend role's trust", () => {
    it('lets no one but the execution role assume it, not even an administrator of the account', async () => {
      for (const principal of [PARTNER_SESSION, `arn:aws:iam::${ACCOUNT}:user/admin`]) {
        await expectDecision(
          { principal, action: 'sts:AssumeRole', resource: VEND_ROLE, identityPolicies: [ADMIN_LIKE], resourcePolicy: vendTrust },
          'ImplicitlyDenied',
        );
      }
    });
  });

  describe('a vended session (vend role policy ∩ session policy)', () => {
    const asVended = (action: string, resource: string, context: Record<string, string>, identity = vendPolicy): SimulatedRequest => ({
      principal: VENDED_SESSION,
      action,
      resource,
      context,
      identityPolicies: [identity],
      sessionPolicy: partnerSessionPolicy,
    });
    const moreRights = { ...vendPolicy, Statement: [...vendPolicy.Statement, ...ADMIN_LIKE.Statement] };

    it('the vend role may call every entitled URL (the union)', async () => {
      for (const arn of [ORDERS, REPORTS]) {
        await expectDecision(
          {
            principal: VENDED_SESSION,
            action: 'lambda:InvokeFunctionUrl',
            resource: arn,
            context: IAM_AUTH,
            identityPolicies: [vendPolicy],
          },
          'Allowed',
        );
      }
    });
    it.each([
      ['the policy the construct writes', vendPolicy],
      ['a vend role that may do everything', moreRights],
    ])('with %s: the entitled URL is allowed through its URL', async (_, identity) => {
      await expectDecision(asVended('lambda:InvokeFunctionUrl', ORDERS, IAM_AUTH, identity), 'Allowed');
      await expectDecision(asVended('lambda:InvokeFunction', ORDERS, VIA_URL, identity), 'Allowed');
    });
    it.each([
      ['the policy the construct writes', vendPolicy],
      ['a vend role that may do everything', moreRights],
    ])('with %s: every other URL, the Invoke API and every other action are refused', async (_, identity) => {
      await expectDecision(asVended('lambda:InvokeFunctionUrl', REPORTS, IAM_AUTH, identity), 'ImplicitlyDenied');
      await expectDecision(asVended('lambda:InvokeFunction', REPORTS, VIA_URL, identity), 'ImplicitlyDenied');
      await expectDecision(asVended('lambda:InvokeFunctionUrl', VENDOR, IAM_AUTH, identity), 'ImplicitlyDenied');
      await expectDecision(asVended('lambda:InvokeFunction', ORDERS, {}, identity), 'ImplicitlyDenied');
      await expectDecision(
        asVended('lambda:InvokeFunctionUrl', ORDERS, { 'lambda:FunctionUrlAuthType': 'NONE' }, identity),
        'ImplicitlyDenied',
      );
      await expectDecision(asVended('sts:AssumeRole', VEND_ROLE, {}, identity), 'ImplicitlyDenied');
      await expectDecision(asVended('lambda:UpdateFunctionCode', ORDERS, {}, identity), 'ImplicitlyDenied');
    });
  });

  describe('who may call the vendor (its resource policy, hashicorp/aws 5.100)', () => {
    const functionPolicy = functionPolicyFromPermissions(Object.values(stack.resources('aws_lambda_permission')), VENDOR);
    const asCaller = (
      principal: string,
      action: string,
      context: Record<string, string>,
      identityPolicies: Record<string, unknown>[] = [],
    ) => ({
      principal,
      action,
      resource: VENDOR,
      context,
      identityPolicies,
      resourcePolicy: functionPolicy,
    });
    const callerStatements = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: VENDOR, Condition: { Bool: VIA_URL } }],
    };

    it('an entitled role session and an entitled user get InvokeFunctionUrl from the resource policy', async () => {
      await expectDecision(asCaller(PARTNER_SESSION, 'lambda:InvokeFunctionUrl', IAM_AUTH), 'Allowed');
      await expectDecision(asCaller(AUDITOR_USER, 'lambda:InvokeFunctionUrl', IAM_AUTH), 'Allowed');
    });
    it("InvokeFunction comes from the caller's identity policy (invokeStatements), never from the resource policy", async () => {
      await expectDecision(asCaller(PARTNER_SESSION, 'lambda:InvokeFunction', VIA_URL), 'ImplicitlyDenied');
      await expectDecision(asCaller(PARTNER_SESSION, 'lambda:InvokeFunction', {}), 'ImplicitlyDenied');
      await expectDecision(asCaller(PARTNER_SESSION, 'lambda:InvokeFunction', VIA_URL, [callerStatements]), 'Allowed');
      await expectDecision(asCaller(PARTNER_SESSION, 'lambda:InvokeFunction', {}, [callerStatements]), 'ImplicitlyDenied');
    });
    it('an unlisted caller gets nothing', () =>
      expectDecision(asCaller(`arn:aws:iam::${ACCOUNT}:user/mallory`, 'lambda:InvokeFunctionUrl', IAM_AUTH), 'ImplicitlyDenied'));
  });
});
