import { describe, expect, it } from 'vitest';
import { runDemo } from '../scripts/demo';
import { useTempDir } from './support/temp-dir';

/**
 * A stack whose only callers are web identities, deployed with the real terraform and
 * hashicorp/aws 5.100.0 provider against the stand-in (`npm run demo -- --caller web-identity`):
 * the IAM OIDC provider for a local https issuer, no invoker user and no key; the matching token
 * gets 200, the others STS's refusals; a second plan says "No changes" (the stand-in answers the
 * provider's reads of aws_iam_openid_connect_provider as it expects); destroy leaves nothing.
 */
describe('npm run demo -- --caller web-identity, with a second plan', { timeout: 300_000 }, () => {
  const temp = useTempDir('demo-web-identity-');

  it('deploys without a user or key, proves the token and the refusals, plans no changes, destroys to nothing', async () => {
    let output = '';
    const report = await runDemo({
      workDir: temp(),
      caller: 'web-identity',
      secondPlan: true,
      out: (t) => (output += t),
      err: (t) => (output += t),
    });
    expect(report.exitCode, output).toBe(0);
    expect(report.steps.map((s) => s.name)).toContain('prove refusals: sub, expired, audience, signature');
    // The function, its URL, log group, execution role and policy, the invoker role and its policy, and the OIDC provider: no user, no key.
    expect(report.steps.find((s) => s.name.startsWith('terraform apply'))?.note).toBe('Resources: 9 added');
    expect(output).toMatch(/PASS\s+signed with the web identity session .*assumed-role\/function_invoker\/lambda-url-iam-demo/);
    for (const [name, code] of [
      ['a token of another repository', 'AccessDenied'],
      ['an expired token', 'ExpiredTokenException'],
      ['a token for another audience', 'InvalidIdentityToken'],
      ['a token whose signature was tampered with', 'InvalidIdentityToken'],
    ])
      expect(output).toMatch(new RegExp(`PASS\\s+${name}.*got ${code}`));
    expect(report.standIn.worldEmptyAfterDestroy).toBe(true);
  });
});
