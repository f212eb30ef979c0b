import { describe, expect, it } from 'vitest';
import { lintPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { FunctionInvokerRole, IamFunctionUrl, ProtectedFunctionUrl, WebIdentityTrust } from '../constructs';
import { isKnownContextKey, simulateWebIdentity } from './support/iam-simulator';
import { ACCOUNT, type SynthesizedStack, synthStack } from './support/synthesized-stack';

/**
 * Callers with an OIDC token and no AWS key: what the trust policy says, and what IAM decides for
 * it (AssumeRoleWithWebIdentity, evaluated by the policy simulator). Every refusal is shown to
 * depend on its rule: the same request is allowed once that rule is taken out of the policy.
 */

const GITHUB = 'token.actions.githubusercontent.com';
const GITHUB_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${GITHUB}`;
const GITLAB = 'gitlab.example.com';
const GITLAB_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${GITLAB}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/function_invoker`;
const MAIN = 'repo:my-org/deploy:ref:refs/heads/main';

type Json = Record<string, any>;

const trustOf = (stack: SynthesizedStack, name = 'function_invoker'): Json =>
  stack.policy(Object.values(stack.resources('aws_iam_role')).find((role) => role.name === name)!.assume_role_policy);

describe('the trust policy of web-identity callers', () => {
  it('renders a GitHub Actions trust as AssumeRoleWithWebIdentity for the created provider, aud and sub exact', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ref: 'refs/heads/main' })],
      });
    });
    expect(stack.onlyTrustStatements()).toEqual([
      {
        Sid: 'AllowWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: '${aws_iam_openid_connect_provider.LambdaUrlIamOidcProviders_Provider5643173ebc_341B6EF0.arn}' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com', [`${GITHUB}:sub`]: MAIN } },
      },
    ]);
    expect(stack.only('aws_iam_openid_connect_provider')).toMatchObject({
      url: `https://${GITHUB}`,
      client_id_list: ['sts.amazonaws.com'],
    });
    expect(stack.only('aws_iam_openid_connect_provider')).not.toHaveProperty('thumbprint_list');
  });

  it.each([
    [{ environment: 'prod' }, 'repo:my-org/deploy:environment:prod', 'StringEquals'],
    // GitHub writes a ":" inside a value as %3A (GitHub Docs, "OpenID Connect reference").
    [{ environment: 'prod:eu' }, 'repo:my-org/deploy:environment:prod%3Aeu', 'StringEquals'],
    [{ ref: 'refs/tags/v*' }, 'repo:my-org/deploy:ref:refs/tags/v*', 'StringLike'],
    [{}, 'repo:my-org/deploy:*', 'StringLike'],
  ])("writes GitHub's subject for %j", (narrowing, subject, operator) => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ...narrowing })],
      });
    });
    expect(trustOf(stack).Statement[0].Condition[operator][`${GITHUB}:sub`]).toBe(subject);
  });

  it('matches every subject with StringLike once one holds a wildcard (the keys of one statement are AND-ed)', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [
          WebIdentityTrust.oidc({
            issuerUrl: `https://${GITLAB}`,
            audiences: ['https://gitlab.example.com'],
            subjects: ['project_path:platform/deploy:ref_type:branch:ref:main', 'project_path:platform/deploy:ref_type:tag:ref:v*'],
          }),
        ],
      });
    });
    expect(trustOf(stack).Statement[0].Condition).toEqual({
      StringEquals: { [`${GITLAB}:aud`]: 'https://gitlab.example.com' },
      StringLike: {
        [`${GITLAB}:sub`]: ['project_path:platform/deploy:ref_type:branch:ref:main', 'project_path:platform/deploy:ref_type:tag:ref:v*'],
      },
    });
  });

  it('creates one provider per issuer in a stack, its client IDs the union of the audiences', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', environment: 'prod' })],
      });
      const url = new IamFunctionUrl(s, 'Reports', { function: 'reports' });
      new FunctionInvokerRole(s, 'ReportsRole', {
        namePrefix: 'reports-',
        functionUrls: [url],
        trustedWebIdentities: [
          WebIdentityTrust.gitHubActions({
            repository: 'my-org/reports',
            ref: 'refs/heads/main',
            audiences: ['reports'],
            thumbprints: ['6938FD4D98BAB03FAADB97B34396831E3780AEA1'],
          }),
          WebIdentityTrust.oidc({
            issuerUrl: `https://${GITLAB}`,
            audiences: ['gitlab'],
            subjects: ['project_path:platform/reports:ref_type:branch:ref:main'],
          }),
        ],
      });
    });
    const providers = Object.values(stack.resources('aws_iam_openid_connect_provider'));
    expect(providers.map((p) => [p.url, p.client_id_list, p.thumbprint_list])).toEqual([
      [`https://${GITHUB}`, ['sts.amazonaws.com', 'reports'], ['6938fd4d98bab03faadb97b34396831e3780aea1']],
      [`https://${GITLAB}`, ['gitlab'], undefined],
    ]);
    expect(trustOf(stack, 'reports-function_invoker').Statement.map((s: Json) => [s.Sid, s.Principal.Federated])).toEqual([
      ['AllowWebIdentity', GITHUB_PROVIDER],
      ['AllowWebIdentity2', GITLAB_PROVIDER],
    ]);
  });

  it('reads an existing provider at plan time (createProvider: false), or takes its ARN as given', () => {
    const eks = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', createProvider: false })],
      });
      new ProtectedFunctionUrl(s, 'Jobs', {
        function: 'jobs',
        namePrefix: 'jobs-',
        createInvokerUser: false,
        trustedWebIdentities: [
          WebIdentityTrust.oidc({
            providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${eks}`,
            audiences: ['sts.amazonaws.com'],
            subjects: ['system:serviceaccount:jobs:runner'],
          }),
        ],
      });
    });
    expect(stack.resources('aws_iam_openid_connect_provider')).toEqual({});
    expect(Object.values(stack.json.data.aws_iam_openid_connect_provider).map((d: any) => d.url)).toEqual([`https://${GITHUB}`]);
    expect(trustOf(stack).Statement[0].Principal.Federated).toBe(GITHUB_PROVIDER);
    expect(trustOf(stack, 'jobs-function_invoker').Statement[0]).toMatchObject({
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${eks}` },
      Condition: { StringEquals: { [`${eks}:aud`]: 'sts.amazonaws.com', [`${eks}:sub`]: 'system:serviceaccount:jobs:runner' } },
    });
  });

  it("takes a Terraform reference as providerArn, with the condition keys of the issuer URL (GitHub's by default)", () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', providerArn: '${var.github_provider_arn}' })],
      });
    });
    expect(stack.resources('aws_iam_openid_connect_provider')).toEqual({});
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0]).toMatchObject({
      Principal: { Federated: '${var.github_provider_arn}' },
      Condition: { StringLike: { [`${GITHUB}:sub`]: 'repo:my-org/deploy:*' } },
    });
  });

  it('accepts a loopback issuer with a port in local mode, over http only through a provider ARN', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [
          WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', issuerUrl: 'https://127.0.0.1:8443', localIssuer: true }),
        ],
      });
      new ProtectedFunctionUrl(s, 'Plain', {
        function: 'plain',
        namePrefix: 'plain-',
        createInvokerUser: false,
        trustedWebIdentities: [
          WebIdentityTrust.gitHubActions({
            repository: 'my-org/deploy',
            issuerUrl: 'http://127.0.0.1:9000',
            providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/127.0.0.1:9000`,
            localIssuer: true,
          }),
        ],
      });
    });
    expect(stack.only('aws_iam_openid_connect_provider').url).toBe('https://127.0.0.1:8443');
    expect(Object.keys(trustOf(stack, 'plain-function_invoker').Statement[0].Condition.StringLike)).toEqual(['127.0.0.1:9000:sub']);
  });

  it('leaves no IAM user, no access key and no output naming them when only web identities are trusted', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        createInvokerUser: false,
        trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ref: 'refs/heads/main' })],
      });
    });
    for (const type of ['aws_iam_user', 'aws_iam_access_key', 'aws_iam_user_policy']) expect(stack.resources(type)).toEqual({});
    expect(Object.keys(stack.outputsOf(['test', 'Api'])).sort()).toEqual([
      'function_arn',
      'function_url',
      'invoker_role_arn',
      'max_session_duration',
      'region',
    ]);
    expect(trustOf(stack).Statement.map((s: Json) => s.Sid)).toEqual(['AllowWebIdentity']);
  });

  it('writes trust policies IAM accepts, with no lint findings', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'Api', {
        function: 'fn',
        trustedWebIdentities: [
          WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy' }),
          WebIdentityTrust.oidc({ issuerUrl: `https://${GITLAB}`, audiences: ['a'], subjects: ['project_path:g/p:*'] }),
        ],
      });
    });
    expect(validateTrustPolicy(trustOf(stack))).toEqual([]);
    expect(lintPolicy(trustOf(stack))).toEqual([]);
  });
});

describe('IAM decisions for web-identity callers (AssumeRoleWithWebIdentity)', () => {
  const stack = synthStack((s) => {
    new ProtectedFunctionUrl(s, 'Api', {
      function: 'fn',
      createInvokerUser: false,
      trustedWebIdentities: [
        WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ref: 'refs/heads/main' }),
        WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', environment: 'prod' }),
        WebIdentityTrust.oidc({
          issuerUrl: `https://${GITLAB}`,
          audiences: ['https://gitlab.example.com'],
          subjects: ['project_path:platform/deploy:ref_type:branch:ref:release/*'],
        }),
      ],
    });
  });
  const trust = trustOf(stack);
  const github = (sub: string, aud = 'sts.amazonaws.com') => ({
    provider: GITHUB_PROVIDER,
    role: ROLE,
    claims: { aud, sub },
    trustPolicy: trust,
  });
  const gitlab = (sub: string) => ({
    provider: GITLAB_PROVIDER,
    role: ROLE,
    claims: { aud: 'https://gitlab.example.com', sub },
    trustPolicy: trust,
  });

  /** The policy with `change` applied to every statement (a rule taken out). */
  const mutated = (change: (statement: Json) => Json): Json => ({
    ...trust,
    Statement: trust.Statement.map((statement: Json) => change(structuredClone(statement))),
  });
  const withoutKey = (key: string) =>
    mutated((statement) => {
      for (const block of Object.values(statement.Condition ?? {}) as Json[]) delete block[key];
      return statement;
    });

  it("the simulator does not know GitHub's aud and sub keys, so they are evaluated as given (see simulateWebIdentity)", async () => {
    expect(await isKnownContextKey('sts:AssumeRoleWithWebIdentity', ROLE, `${GITHUB}:sub`)).toBe(false);
  });

  it.each([
    ['a workflow on main', MAIN],
    ['a job in the prod environment', 'repo:my-org/deploy:environment:prod'],
  ])('allows %s of the repository', (_, sub) => expect(simulateWebIdentity(github(sub))).toBe('Allowed'));

  it('allows a GitLab pipeline on a release branch (wildcard after the owner part)', () => {
    expect(simulateWebIdentity(gitlab('project_path:platform/deploy:ref_type:branch:ref:release/1.2'))).toBe('Allowed');
  });

  it.each([
    ['another repository', 'repo:my-org/deploy-tools:ref:refs/heads/main'],
    ['another branch', 'repo:my-org/deploy:ref:refs/heads/feature'],
    ['a pull request', 'repo:my-org/deploy:pull_request'],
    ['another environment', 'repo:my-org/deploy:environment:staging'],
  ])('refuses %s (and would allow it without the sub condition)', (_, sub) => {
    expect(simulateWebIdentity(github(sub))).toBe('ImplicitlyDenied');
    expect(simulateWebIdentity({ ...github(sub), trustPolicy: withoutKey(`${GITHUB}:sub`) })).toBe('Allowed');
  });

  it.each([
    ['another branch', 'project_path:platform/deploy:ref_type:branch:ref:main'],
    ['a tag named like a release', 'project_path:platform/deploy:ref_type:tag:ref:release/1'],
    ['another project that starts the same', 'project_path:platform/deploy-evil:ref_type:branch:ref:release/1'],
  ])('the wildcard subject refuses %s (and would allow it without the sub condition)', (_, sub) => {
    expect(simulateWebIdentity(gitlab(sub))).toBe('ImplicitlyDenied');
    expect(simulateWebIdentity({ ...gitlab(sub), trustPolicy: withoutKey(`${GITLAB}:sub`) })).toBe('Allowed');
  });

  it('refuses another audience (and would allow it without the aud condition)', () => {
    expect(simulateWebIdentity(github(MAIN, 'https://github.com/my-org'))).toBe('ImplicitlyDenied');
    expect(simulateWebIdentity({ ...github(MAIN, 'https://github.com/my-org'), trustPolicy: withoutKey(`${GITHUB}:aud`) })).toBe('Allowed');
  });

  it('refuses the same claims from another issuer (and would allow them if the principal named it)', () => {
    const other = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.example.net`;
    const request = { ...github(MAIN), provider: other };
    // The other issuer's claims carry its own key prefix, so the policy is mutated to match both.
    const renamed = JSON.parse(JSON.stringify(trust).replaceAll(GITHUB, 'token.actions.example.net'));
    expect(simulateWebIdentity(request)).toBe('ImplicitlyDenied');
    expect(simulateWebIdentity({ ...request, trustPolicy: renamed })).toBe('Allowed');
    // Keys of the other issuer alone are not enough: the principal must name its provider.
    const keysOnly = { ...renamed, Statement: renamed.Statement.map((s: Json) => ({ ...s, Principal: { Federated: GITHUB_PROVIDER } })) };
    expect(simulateWebIdentity({ ...request, trustPolicy: keysOnly })).toBe('ImplicitlyDenied');
  });

  it("refuses GitHub's issuer registered in another account", () => {
    expect(simulateWebIdentity({ ...github(MAIN), provider: GITHUB_PROVIDER.replace(ACCOUNT, '444455556666') })).toBe('ImplicitlyDenied');
  });

  it('refuses sts:AssumeRole with the provider as principal (and would allow it were the action granted)', () => {
    expect(simulateWebIdentity({ ...github(MAIN), action: 'sts:AssumeRole' })).toBe('ImplicitlyDenied');
    const widened = mutated((statement) => ({ ...statement, Action: ['sts:AssumeRoleWithWebIdentity', 'sts:AssumeRole'] }));
    expect(simulateWebIdentity({ ...github(MAIN), action: 'sts:AssumeRole', trustPolicy: widened })).toBe('Allowed');
  });

  it('refuses a token with no sub claim', () => {
    expect(simulateWebIdentity({ provider: GITHUB_PROVIDER, role: ROLE, claims: { aud: 'sts.amazonaws.com' }, trustPolicy: trust })).toBe(
      'ImplicitlyDenied',
    );
  });
});
