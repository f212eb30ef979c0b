import { describe, expect, it } from 'vitest';
import { lintPolicy, validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { ProtectedFunctionUrl, type ProtectedFunctionUrlProps } from '../constructs';
import { simulate, type SimulatedRequest } from './support/iam-simulator';
import { ACCOUNT, synthStack } from './support/synthesized-stack';

/**
 * The invoker user's long-lived key, narrowed to networks: `allowedSourceIps` (aws:SourceIp) and
 * `allowedVpcEndpoints` (aws:SourceVpce), on the user's AssumeRole right and on the role's trust
 * in it. A call through a VPC endpoint carries no aws:SourceIp, so "these IPs or these endpoints"
 * is two statements, proven here with the policy simulator.
 */

type Json = Record<string, any>;

const USER = `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/function_invoker`;
const ENDPOINT = 'vpce-0123456789abcdef0';
const OTHER_ENDPOINT = 'vpce-0fedcba9876543210';

function policiesOf(props: Partial<ProtectedFunctionUrlProps>): { trust: Json; user: Json } {
  const stack = synthStack((s) => {
    new ProtectedFunctionUrl(s, 'Api', { function: 'fn', ...props });
  });
  return {
    trust: stack.policy(stack.only('aws_iam_role').assume_role_policy),
    user: stack.policy(stack.only('aws_iam_user_policy').policy),
  };
}

describe('the narrowed key as policies', () => {
  it('leaves the policies as they were without networks', () => {
    const { trust, user } = policiesOf({});
    expect(user.Statement).toEqual([{ Sid: 'AssumeFunctionInvokerRoleOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE }]);
    expect(trust.Statement).toEqual([
      { Sid: 'AllowTrustedPrincipalsToAssume', Effect: 'Allow', Principal: { AWS: USER }, Action: 'sts:AssumeRole' },
    ]);
  });

  it('writes one statement per kind of network on both sides, with the external ID on each trust statement', () => {
    const { trust, user } = policiesOf({
      allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
      allowedVpcEndpoints: [ENDPOINT],
      externalId: 'partner-4711',
    });
    expect(user.Statement).toEqual([
      {
        Sid: 'AssumeFunctionInvokerRoleFromSourceIps',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: ROLE,
        Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
      },
      {
        Sid: 'AssumeFunctionInvokerRoleFromVpcEndpoints',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: ROLE,
        Condition: { StringEquals: { 'aws:SourceVpce': [ENDPOINT] } },
      },
    ]);
    expect(trust.Statement).toEqual([
      {
        Sid: 'AllowTrustedPrincipalsToAssumeFromSourceIps',
        Effect: 'Allow',
        Principal: { AWS: USER },
        Action: 'sts:AssumeRole',
        Condition: {
          IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] },
          StringEquals: { 'sts:ExternalId': 'partner-4711' },
        },
      },
      {
        Sid: 'AllowTrustedPrincipalsToAssumeFromVpcEndpoints',
        Effect: 'Allow',
        Principal: { AWS: USER },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceVpce': [ENDPOINT], 'sts:ExternalId': 'partner-4711' } },
      },
    ]);
    expect([validateTrustPolicy(trust), lintPolicy(trust), validateIdentityPolicy(user), lintPolicy(user)]).toEqual([[], [], [], []]);
  });

  it('keeps other trusted principals in their own, unrestricted statement', () => {
    const { trust } = policiesOf({ allowedSourceIps: ['198.51.100.7/32'], trustedPrincipals: [`arn:aws:iam::${ACCOUNT}:role/ci`] });
    expect(trust.Statement.map((s: Json) => [s.Sid, s.Principal.AWS, s.Condition])).toEqual([
      ['AllowTrustedPrincipalsToAssume', `arn:aws:iam::${ACCOUNT}:role/ci`, undefined],
      ['AllowTrustedPrincipalsToAssumeFromSourceIps', USER, { IpAddress: { 'aws:SourceIp': ['198.51.100.7/32'] } }],
    ]);
  });
});

describe('IAM decisions for the narrowed key', () => {
  const { trust, user } = policiesOf({ allowedSourceIps: ['203.0.113.0/24'], allowedVpcEndpoints: [ENDPOINT] });
  const withoutKey = (policy: Json, key: string): Json => ({
    ...policy,
    Statement: policy.Statement.map((statement: Json) => {
      const copy = structuredClone(statement);
      for (const block of Object.values(copy.Condition ?? {}) as Json[]) delete block[key];
      return copy;
    }),
  });
  const assume = (context: Record<string, string>, trustPolicy = trust, userPolicy = user): SimulatedRequest => ({
    principal: USER,
    action: 'sts:AssumeRole',
    resource: ROLE,
    context,
    identityPolicies: [userPolicy],
    resourcePolicy: trustPolicy,
  });
  const decide = async (request: SimulatedRequest) => {
    const { decision, ignoredContextKeys } = await simulate(request);
    expect(ignoredContextKeys, 'context keys the simulator ignored').toEqual([]);
    return decision;
  };
  // Through a VPC endpoint AWS sets aws:SourceVpce and aws:VpcSourceIp, and no aws:SourceIp.
  const viaEndpoint = (endpoint: string, privateIp = '10.0.1.25') => ({ 'aws:SourceVpce': endpoint, 'aws:VpcSourceIp': privateIp });

  it('allows AssumeRole from an address inside the range', async () => {
    expect(await decide(assume({ 'aws:SourceIp': '203.0.113.77' }))).toBe('Allowed');
  });

  it('allows AssumeRole through the allowed VPC endpoint, where aws:SourceIp is absent', async () => {
    expect(await decide(assume(viaEndpoint(ENDPOINT)))).toBe('Allowed');
  });

  it("refuses an address outside the range (and would allow it without the trust side's SourceIp condition)", async () => {
    expect(await decide(assume({ 'aws:SourceIp': '198.51.100.7' }))).toBe('ImplicitlyDenied');
    // The trust names the user, so in its own account the trust alone decides: its condition is the one that holds.
    expect(await decide(assume({ 'aws:SourceIp': '198.51.100.7' }, withoutKey(trust, 'aws:SourceIp')))).toBe('Allowed');
  });

  it('refuses another VPC endpoint, even with an aws:VpcSourceIp inside the range (and would allow it without the SourceVpce condition)', async () => {
    expect(await decide(assume(viaEndpoint(OTHER_ENDPOINT, '203.0.113.5')))).toBe('ImplicitlyDenied');
    expect(await decide(assume(viaEndpoint(OTHER_ENDPOINT), withoutKey(trust, 'aws:SourceVpce')))).toBe('Allowed');
  });

  it('refuses a call that names no network at all', async () => {
    expect(await decide(assume({}))).toBe('ImplicitlyDenied');
  });

  it("the user's own policy holds the same rule where a trust policy trusts the whole account", async () => {
    const accountTrust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
    };
    expect(await decide(assume({ 'aws:SourceIp': '203.0.113.77' }, accountTrust))).toBe('Allowed');
    expect(await decide(assume(viaEndpoint(ENDPOINT), accountTrust))).toBe('Allowed');
    expect(await decide(assume({ 'aws:SourceIp': '198.51.100.7' }, accountTrust))).toBe('ImplicitlyDenied');
    expect(await decide(assume(viaEndpoint(OTHER_ENDPOINT), accountTrust))).toBe('ImplicitlyDenied');
    expect(await decide(assume({ 'aws:SourceIp': '198.51.100.7' }, accountTrust, withoutKey(user, 'aws:SourceIp')))).toBe('Allowed');
  });

  it('still asks for the external ID from an allowed network', async () => {
    const narrowed = policiesOf({ allowedSourceIps: ['203.0.113.0/24'], externalId: 'partner-4711' });
    expect(await decide(assume({ 'aws:SourceIp': '203.0.113.77' }, narrowed.trust, narrowed.user))).toBe('ImplicitlyDenied');
    expect(await decide(assume({ 'aws:SourceIp': '203.0.113.77', 'sts:ExternalId': 'partner-4711' }, narrowed.trust, narrowed.user))).toBe(
      'Allowed',
    );
  });

  it('admits a loopback range for the local stand-in, which sets aws:SourceIp from the connection', async () => {
    const local = policiesOf({ allowedSourceIps: ['127.0.0.1/32'] });
    expect(await decide(assume({ 'aws:SourceIp': '127.0.0.1' }, local.trust, local.user))).toBe('Allowed');
    expect(await decide(assume({ 'aws:SourceIp': '127.0.0.2' }, local.trust, local.user))).toBe('ImplicitlyDenied');
  });
});
