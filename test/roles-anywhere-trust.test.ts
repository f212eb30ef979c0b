import { describe, expect, it } from 'vitest';
import { lintPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { ProtectedFunctionUrl } from '../constructs';
import { simulate, type SimulatedRequest } from './support/iam-simulator';
import { ACCOUNT, REGION, standInUuid, synthStack } from './support/synthesized-stack';
import { TEST_CA_CERTIFICATE } from './support/test-certificates';

/**
 * Callers with an X.509 certificate of their own CA, through IAM Roles Anywhere: the trust anchor
 * and profile, the role's trust statement, and what IAM decides for it (policy simulator). Every
 * refusal is shown to depend on its rule.
 */

type Json = Record<string, any>;

const ROLE = `arn:aws:iam::${ACCOUNT}:role/ops-function_invoker`;
const EXISTING_ANCHOR = `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:trust-anchor/0123abcd-0123-4567-89ab-0123456789ab`;

/** The logical id of the only resource of a type. */
const idOf = (stack: ReturnType<typeof synthStack>, type: string) => Object.keys(stack.resources(type))[0];

function stackWith(trustedX509: Record<string, unknown>) {
  return synthStack((s) => {
    new ProtectedFunctionUrl(s, 'Api', { function: 'fn', namePrefix: 'ops-', createInvokerUser: false, trustedX509: trustedX509 as never });
  });
}

describe('the Roles Anywhere side of a trust', () => {
  it('creates a trust anchor from the CA bundle and a profile for the role, named after it, with the outputs a caller needs', () => {
    const stack = stackWith({ certificateBundle: TEST_CA_CERTIFICATE, commonNames: ['payments-batch'] });
    expect(stack.only('aws_rolesanywhere_trust_anchor')).toMatchObject({
      name: 'ops-function_invoker',
      enabled: true,
      source: { source_type: 'CERTIFICATE_BUNDLE', source_data: { x509_certificate_data: TEST_CA_CERTIFICATE } },
    });
    expect(stack.only('aws_rolesanywhere_profile')).toMatchObject({
      name: 'ops-function_invoker',
      enabled: true,
      role_arns: [`\${aws_iam_role.${idOf(stack, 'aws_iam_role')}.arn}`],
    });
    const outputs = stack.outputsOf(['test', 'Api']);
    expect(outputs.roles_anywhere_profile_arn.value).toBe(`\${aws_rolesanywhere_profile.${idOf(stack, 'aws_rolesanywhere_profile')}.arn}`);
    expect(outputs.roles_anywhere_trust_anchor_arn.value).toBe(
      `\${aws_rolesanywhere_trust_anchor.${idOf(stack, 'aws_rolesanywhere_trust_anchor')}.arn}`,
    );
    expect(outputs.invoker_role_arn).toBeDefined();
    expect(outputs).not.toHaveProperty('invoker_access_key_id');
  });

  it('trusts Roles Anywhere for AssumeRole, TagSession and SetSourceIdentity, for the anchor and the common names only', () => {
    const stack = stackWith({
      certificateBundle: TEST_CA_CERTIFICATE,
      commonNames: ['payments-batch', 'payments-report'],
      trustAnchorName: 'payments ca',
      profileName: 'payments',
    });
    expect(stack.onlyTrustStatements()).toEqual([
      {
        Sid: 'AllowRolesAnywhere',
        Effect: 'Allow',
        Principal: { Service: 'rolesanywhere.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: {
          StringEquals: { 'aws:PrincipalTag/x509Subject/CN': ['payments-batch', 'payments-report'] },
          ArnEquals: { 'aws:SourceArn': `\${aws_rolesanywhere_trust_anchor.${idOf(stack, 'aws_rolesanywhere_trust_anchor')}.arn}` },
        },
      },
    ]);
    expect([stack.only('aws_rolesanywhere_trust_anchor').name, stack.only('aws_rolesanywhere_profile').name]).toEqual([
      'payments ca',
      'payments',
    ]);
  });

  it('names an existing trust anchor without creating one', () => {
    const stack = stackWith({ trustAnchorArn: EXISTING_ANCHOR, commonNames: ['payments-batch'] });
    expect(stack.resources('aws_rolesanywhere_trust_anchor')).toEqual({});
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0].Condition.ArnEquals).toEqual({
      'aws:SourceArn': EXISTING_ANCHOR,
    });
    expect(stack.outputsOf(['test', 'Api']).roles_anywhere_trust_anchor_arn.value).toBe(EXISTING_ANCHOR);
  });
});

describe('IAM decisions for Roles Anywhere callers', () => {
  const stack = stackWith({ certificateBundle: TEST_CA_CERTIFICATE, commonNames: ['payments-batch'] });
  const trust: Json = stack.policy(stack.only('aws_iam_role').assume_role_policy);
  const ANCHOR = `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:trust-anchor/${standInUuid(idOf(stack, 'aws_rolesanywhere_trust_anchor'))}`;
  const OTHER_ANCHOR = EXISTING_ANCHOR;
  const request = (
    action: string,
    context: Record<string, string>,
    trustPolicy = trust,
    principal = 'rolesanywhere.amazonaws.com',
  ): SimulatedRequest => ({
    principal,
    action,
    resource: ROLE,
    context,
    identityPolicies: [],
    resourcePolicy: trustPolicy,
  });
  const certificate = (cn: string, anchor = ANCHOR) => ({ 'aws:PrincipalTag/x509Subject/CN': cn, 'aws:SourceArn': anchor });
  const decide = async (r: SimulatedRequest) => {
    const { decision, ignoredContextKeys } = await simulate(r);
    expect(ignoredContextKeys, 'context keys the simulator ignored').toEqual([]);
    return decision;
  };
  const withoutKey = (key: string): Json => ({
    ...trust,
    Statement: trust.Statement.map((statement: Json) => {
      const copy = structuredClone(statement);
      for (const block of Object.values(copy.Condition ?? {}) as Json[]) delete block[key];
      return copy;
    }),
  });

  it('is a valid trust policy with no lint findings', () => {
    expect(validateTrustPolicy(trust)).toEqual([]);
    expect(lintPolicy(trust)).toEqual([]);
  });

  it.each(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])('allows %s for an allowed CN of the anchor', async (action) => {
    expect(await decide(request(action, certificate('payments-batch')))).toBe('Allowed');
  });

  it('refuses another CN (and would allow it without the CN condition)', async () => {
    expect(await decide(request('sts:AssumeRole', certificate('payments-admin')))).toBe('ImplicitlyDenied');
    expect(await decide(request('sts:AssumeRole', certificate('payments-admin'), withoutKey('aws:PrincipalTag/x509Subject/CN')))).toBe(
      'Allowed',
    );
  });

  it('refuses a certificate of another trust anchor (and would allow it without the anchor condition)', async () => {
    expect(await decide(request('sts:AssumeRole', certificate('payments-batch', OTHER_ANCHOR)))).toBe('ImplicitlyDenied');
    expect(await decide(request('sts:AssumeRole', certificate('payments-batch', OTHER_ANCHOR), withoutKey('aws:SourceArn')))).toBe(
      'Allowed',
    );
  });

  it('refuses another service, and a request without certificate tags', async () => {
    expect(await decide(request('sts:AssumeRole', certificate('payments-batch'), trust, 'ec2.amazonaws.com'))).toBe('ImplicitlyDenied');
    expect(await decide(request('sts:AssumeRole', { 'aws:SourceArn': ANCHOR }))).toBe('ImplicitlyDenied');
  });
});
