import { describe, expect, it } from 'vitest';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  FunctionInvokerRole,
  IamFunctionUrl,
  InvalidPropError,
  ProtectedFunctionUrl,
  type ProtectedFunctionUrlProps,
  WebIdentityTrust,
} from '../constructs';
import { synthStack } from './support/synthesized-stack';
import { useTempDir } from './support/temp-dir';
import { TEST_CA_CERTIFICATE, TEST_LEAF_CERTIFICATE } from './support/test-certificates';

/**
 * The unsafe or impossible trust shapes are refused when the construct is created, before anything
 * is synthesized: an InvalidPropError naming the construct's path, the prop and the value.
 */

const temp = useTempDir('trust-validation-');
const ACCOUNT = '111122223333';
const GITHUB = 'https://token.actions.githubusercontent.com';
const ANCHOR = `arn:aws:rolesanywhere:us-east-1:${ACCOUNT}:trust-anchor/0123abcd-0123-4567-89ab-0123456789ab`;

/** Builds ProtectedFunctionUrl bad/P with `props`; returns the error it throws. */
function refusal(props: Partial<ProtectedFunctionUrlProps>): Error {
  const stack = new TerraformStack(new App({ outdir: temp() }), 'bad');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  try {
    new ProtectedFunctionUrl(stack, 'P', { function: 'fn', ...props } as ProtectedFunctionUrlProps);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropError);
    return error as Error;
  }
  throw new Error('expected the construct to throw');
}

const github = (options: Record<string, unknown>) => ({
  createInvokerUser: false,
  trustedWebIdentities: [WebIdentityTrust.gitHubActions(options as never)],
});
const oidc = (options: Record<string, unknown>) => ({
  createInvokerUser: false,
  trustedWebIdentities: [WebIdentityTrust.oidc({ issuerUrl: 'https://gitlab.example.com', audiences: ['gitlab'], ...options } as never)],
});
const x509 = (options: Record<string, unknown>) => ({
  createInvokerUser: false,
  trustedX509: { commonNames: ['batch'], ...options } as never,
});

// [case, props, prop named, value shown, rule]
const CASES: [string, Partial<ProtectedFunctionUrlProps>, string, string, RegExp][] = [
  // Audiences and subjects
  [
    'no audience',
    oidc({ audiences: [], subjects: ['project_path:g/p:ref_type:branch:ref:main'] }),
    'trustedWebIdentities[0].audiences',
    'an array of 0',
    /at least one audience/,
  ],
  [
    'a wildcard audience',
    oidc({ audiences: ['*'], subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].audiences[0]',
    '"*"',
    /must be exact/,
  ],
  [
    'no subject',
    oidc({ subjects: [] }),
    'trustedWebIdentities[0].subjects',
    'an array of 0',
    /at least one subject.*every identity of the issuer/,
  ],
  ['subjects left out', oidc({}), 'trustedWebIdentities[0].subjects is missing', 'at least one subject', /sub condition/],
  ['a bare * subject', oidc({ subjects: ['*'] }), 'trustedWebIdentities[0].subjects[0]', '"*"', /must not start with a wildcard/],
  [
    'a subject that starts with a wildcard',
    oidc({ subjects: ['*:ref:main'] }),
    'trustedWebIdentities[0].subjects[0]',
    '"*:ref:main"',
    /must not start with a wildcard/,
  ],
  [
    'every repository of an owner (repo:org/*)',
    oidc({ subjects: ['repo:my-org/*'] }),
    'trustedWebIdentities[0].subjects[0]',
    '"repo:my-org/*"',
    /before the owner part.*subjectOwnerPrefix/,
  ],
  [
    'a repository name prefix (repo:org/repo*)',
    oidc({ subjects: ['repo:my-org/deploy*'] }),
    'trustedWebIdentities[0].subjects[0]',
    '"repo:my-org/deploy*"',
    /before the owner part/,
  ],
  [
    'a subject outside the declared owner',
    oidc({ subjects: ['org/1/project/9/user/*'], subjectOwnerPrefix: 'org/1/project/2/' }),
    'trustedWebIdentities[0].subjects[0]',
    'org/1/project/9',
    /must start with the owner part "org\/1\/project\/2\/"/,
  ],
  [
    'an owner prefix that does not end a field',
    oidc({ subjects: ['org/12*'], subjectOwnerPrefix: 'org/12' }),
    'trustedWebIdentities[0].subjectOwnerPrefix',
    '"org/12"',
    /ending with ":" or "\/"/,
  ],
  [
    'a subject with a policy variable',
    oidc({ subjects: ['repo:a/b:${aws:username}'] }),
    'trustedWebIdentities[0].subjects[0]',
    'aws:username',
    /without "\$\{"/,
  ],
  // GitHub preset
  [
    'a GitHub repository with a wildcard',
    github({ repository: 'my-org/*' }),
    'trustedWebIdentities[0].repository',
    '"my-org/*"',
    /one repository, without wildcards.*organization: "<owner>"/,
  ],
  [
    'a GitHub repository without its owner',
    github({ repository: 'deploy' }),
    'trustedWebIdentities[0].repository',
    '"deploy"',
    /must be "owner\/repo"/,
  ],
  [
    'a GitHub organization without ref or environment',
    github({ organization: 'my-org' }),
    'trustedWebIdentities[0].ref is missing',
    'whole organization',
    /environment/,
  ],
  [
    'a short GitHub ref',
    github({ repository: 'my-org/deploy', ref: 'main' }),
    'trustedWebIdentities[0].ref',
    '"main"',
    /full Git ref such as "refs\/heads\/main"/,
  ],
  [
    'a GitHub ref with an environment',
    github({ repository: 'my-org/deploy', ref: 'refs/heads/main', environment: 'prod' }),
    'trustedWebIdentities[0].environment',
    '"prod"',
    /cannot be combined with ref/,
  ],
  // Issuers and providers
  [
    'an http:// issuer outside local mode',
    oidc({ issuerUrl: 'http://gitlab.example.com', subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].issuerUrl',
    '"http://gitlab.example.com"',
    /must use https:\/\/.*localIssuer: true/,
  ],
  [
    'a loopback issuer outside local mode',
    github({ repository: 'a/b', issuerUrl: 'https://127.0.0.1:8443' }),
    'trustedWebIdentities[0].issuerUrl',
    '127.0.0.1',
    /loopback host, which AWS cannot reach.*localIssuer: true/,
  ],
  [
    'local mode with a remote issuer',
    github({ repository: 'a/b', localIssuer: true }),
    'trustedWebIdentities[0].issuerUrl',
    GITHUB,
    /must name a loopback host/,
  ],
  [
    'a local http:// issuer for a provider Terraform would create',
    github({ repository: 'a/b', issuerUrl: 'http://127.0.0.1:9000', localIssuer: true }),
    'trustedWebIdentities[0].issuerUrl',
    'http://127.0.0.1:9000',
    /Terraform provider refuses.*pass providerArn/,
  ],
  [
    'an issuer with a port',
    oidc({ issuerUrl: 'https://gitlab.example.com:8443', subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].issuerUrl',
    ':8443',
    /must not hold a port/,
  ],
  [
    'an issuer with a query',
    oidc({ issuerUrl: 'https://gitlab.example.com/?tenant=a', subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].issuerUrl',
    'tenant=a',
    /without query or fragment/,
  ],
  [
    'an issuer without a scheme',
    oidc({ issuerUrl: 'gitlab.example.com', subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].issuerUrl',
    '"gitlab.example.com"',
    /must be an https:\/\/ URL/,
  ],
  [
    'a malformed provider ARN',
    github({ repository: 'a/b', providerArn: 'arn:aws:iam::1234:oidc-provider/token.actions.githubusercontent.com' }),
    'trustedWebIdentities[0].providerArn',
    ':1234:',
    /IAM OIDC provider ARN/,
  ],
  [
    'a provider ARN of another issuer',
    github({ repository: 'a/b', issuerUrl: GITHUB, providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.example.com` }),
    'trustedWebIdentities[0].providerArn',
    'gitlab.example.com',
    /must name the provider of issuerUrl/,
  ],
  [
    'a provider ARN that is a Terraform reference, without the issuer',
    oidc({ issuerUrl: undefined, providerArn: '${var.gitlab_provider_arn}', subjects: ['project_path:g/p:*'] }),
    'trustedWebIdentities[0].issuerUrl is missing',
    'Terraform reference',
    /condition keys are named after the issuer/,
  ],
  [
    'createProvider with a provider ARN',
    github({
      repository: 'a/b',
      createProvider: true,
      providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    }),
    'trustedWebIdentities[0].createProvider',
    'true',
    /provider exists already/,
  ],
  [
    'a thumbprint that is not SHA-1 hex',
    github({ repository: 'a/b', thumbprints: ['abc'] }),
    'trustedWebIdentities[0].thumbprints[0]',
    '"abc"',
    /40 hex digits/,
  ],
  [
    'thumbprints of an existing provider',
    github({ repository: 'a/b', createProvider: false, thumbprints: ['6938fd4d98bab03faadb97b34396831e3780aea1'] }),
    'trustedWebIdentities[0].thumbprints',
    'an array of 1',
    /existing provider/,
  ],
  [
    'something else in trustedWebIdentities',
    { createInvokerUser: false, trustedWebIdentities: ['repo:a/b:*' as never] },
    'trustedWebIdentities[0]',
    '"repo:a/b:*"',
    /must be a WebIdentityTrust/,
  ],
  // Roles Anywhere
  ['neither an anchor nor a CA bundle', x509({}), 'trustedX509.trustAnchorArn is missing', 'exactly one', /certificateBundle/],
  [
    'both an anchor and a CA bundle',
    x509({ trustAnchorArn: ANCHOR, certificateBundle: TEST_CA_CERTIFICATE }),
    'trustedX509.trustAnchorArn',
    'trust-anchor/0123abcd',
    /cannot be combined with certificateBundle/,
  ],
  [
    'a malformed trust anchor ARN',
    x509({ trustAnchorArn: 'arn:aws:rolesanywhere:us-east-1:111122223333:profile/x' }),
    'trustedX509.trustAnchorArn',
    ':profile/x',
    /trust anchor ARN/,
  ],
  [
    'a leaf certificate as CA bundle',
    x509({ certificateBundle: TEST_LEAF_CERTIFICATE }),
    'trustedX509.certificateBundle certificate 1',
    'CN=payments-batch',
    /must be a CA certificate/,
  ],
  [
    'a CA bundle without a certificate',
    x509({ certificateBundle: 'not a certificate' }),
    'trustedX509.certificateBundle',
    '17 characters',
    /PEM certificates/,
  ],
  [
    'no common name',
    x509({ trustAnchorArn: ANCHOR, commonNames: [] }),
    'trustedX509.commonNames',
    'an array of 0',
    /every certificate of the anchor/,
  ],
  [
    'a wildcard common name',
    x509({ trustAnchorArn: ANCHOR, commonNames: ['batch-*'] }),
    'trustedX509.commonNames[0]',
    '"batch-*"',
    /must be exact/,
  ],
  [
    'a profile name Roles Anywhere refuses',
    x509({ trustAnchorArn: ANCHOR, profileName: 'a.b' }),
    'trustedX509.profileName',
    '"a.b"',
    /letters, digits, spaces, - and _/,
  ],
  // The invoker user's networks
  [
    'a source IP without a prefix length',
    { allowedSourceIps: ['203.0.113.7'] },
    'allowedSourceIps[0]',
    '"203.0.113.7"',
    /CIDR range such as/,
  ],
  ['a /0 source range', { allowedSourceIps: ['0.0.0.0/0'] }, 'allowedSourceIps[0]', '"0.0.0.0/0"', /allows every address/],
  [
    'host bits after the prefix',
    { allowedSourceIps: ['203.0.113.7/24'] },
    'allowedSourceIps[0]',
    '"203.0.113.7/24"',
    /write the network address \(203\.0\.113\.0\/24\)/,
  ],
  [
    'IPv6 host bits after the prefix',
    { allowedSourceIps: ['2001:db8::1/32'] },
    'allowedSourceIps[0]',
    '2001:db8::1/32',
    /\(2001:db8::\/32\)/,
  ],
  [
    'a private source range',
    { allowedSourceIps: ['10.1.0.0/16'] },
    'allowedSourceIps[0]',
    '"10.1.0.0/16"',
    /private range.*allowedVpcEndpoints/,
  ],
  ['an empty source range list', { allowedSourceIps: [] }, 'allowedSourceIps', 'an array of 0', /at least one CIDR range/],
  [
    'a VPC endpoint id of another kind',
    { allowedVpcEndpoints: ['vpc-0123456789abcdef0'] },
    'allowedVpcEndpoints[0]',
    '"vpc-0123456789abcdef0"',
    /"vpce-" and 8 or 17/,
  ],
  [
    'networks without the user',
    { createInvokerUser: false, trustedPrincipals: [`arn:aws:iam::${ACCOUNT}:root`], allowedSourceIps: ['203.0.113.0/24'] },
    'allowedSourceIps',
    'an array of 1',
    /no effect when createInvokerUser is false/,
  ],
];

describe('unsafe or impossible trusts are refused at construction, naming the construct path and the value', () => {
  it.each(CASES)('%s', (_, props, prop, shown, rule) => {
    const message = refusal(props).message;
    expect(message).toMatch(
      /^(ProtectedFunctionUrl at bad\/P|FunctionInvokerRole at bad\/P\/InvokerRole|InvokerUser at bad\/P\/InvokerUser): /,
    );
    expect(message).toContain(prop);
    expect(message).toContain(shown);
    expect(message).toMatch(rule);
  });

  it('a role with only web identities or only a Roles Anywhere trust needs no user and no trusted principal', () => {
    expect(() =>
      synthStack((s) => {
        new ProtectedFunctionUrl(s, 'A', {
          function: 'a',
          namePrefix: 'a-',
          ...github({ repository: 'my-org/deploy', ref: 'refs/heads/main' }),
        });
        new ProtectedFunctionUrl(s, 'B', { function: 'b', namePrefix: 'b-', ...x509({ certificateBundle: TEST_CA_CERTIFICATE }) });
      }),
    ).not.toThrow();
  });

  it('a whole organization, or a wider owner of another issuer, is accepted when declared', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'A', { function: 'a', namePrefix: 'a-', ...github({ organization: 'my-org', environment: 'prod' }) });
      new ProtectedFunctionUrl(s, 'B', {
        function: 'b',
        namePrefix: 'b-',
        ...oidc({ subjects: ['repo:my-org/*:environment:prod'], subjectOwnerPrefix: 'repo:my-org/' }),
      });
    });
    const subjects = Object.values(stack.resources('aws_iam_role')).map(
      (role) => Object.values(JSON.parse(role.assume_role_policy).Statement[0].Condition.StringLike)[0],
    );
    expect(subjects).toEqual(['repo:my-org/*:environment:prod', 'repo:my-org/*:environment:prod']);
  });

  it('two trusts of one stack cannot both create and look up the provider of one issuer', () => {
    const stack = new TerraformStack(new App({ outdir: temp() }), 'bad');
    new ProtectedFunctionUrl(stack, 'A', { function: 'a', namePrefix: 'a-', ...github({ repository: 'my-org/a' }) });
    expect(
      () =>
        new ProtectedFunctionUrl(stack, 'P', {
          function: 'b',
          namePrefix: 'b-',
          ...github({ repository: 'my-org/b', createProvider: false }),
        }),
    ).toThrow(
      /^FunctionInvokerRole at bad\/P\/InvokerRole: trustedWebIdentities\[0\]\.createProvider conflicts with another trust of this stack that creates the provider of https:\/\/token\.actions\.githubusercontent\.com/,
    );
  });

  it('a principal trusted twice with different networks is refused by the role', () => {
    const stack = new TerraformStack(new App({ outdir: temp() }), 'bad');
    const role = new FunctionInvokerRole(stack, 'R', { functionUrls: [new IamFunctionUrl(stack, 'U', { function: 'fn' })] });
    const user = `arn:aws:iam::${ACCOUNT}:user/bot`;
    role.addTrustedPrincipal(user, { allowedSourceIps: ['203.0.113.0/24'] });
    role.addTrustedPrincipal(user, { allowedSourceIps: ['203.0.113.0/24'] });
    expect(() => role.addTrustedPrincipal(user)).toThrow(
      /^FunctionInvokerRole at bad\/R: trustedPrincipals is trusted already with other allowed networks/,
    );
  });
});
