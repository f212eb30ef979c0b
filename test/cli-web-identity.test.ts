import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/invoke-cli-run';
import { type SigningKey, type TestIssuer, newSigningKey, signJwt, startTestIssuer } from './support/jwt-signer';
import { type SeededWorld, mustSucceed, query, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';
import { webIdentityTrust } from './support/web-identity-trust';

/**
 * The CLI as a CI job calls it: --web-identity-token-file and the role, no AWS key anywhere;
 * --prove then skips the user-key step and proves unsigned -> 403, the web identity session -> 200.
 */

let world: SeededWorld;
let issuer: TestIssuer;
let key: SigningKey;
const temp = useTempDir('cli-web-identity-');
const SUB = 'repo:acme/payments:ref:refs/heads/main';

beforeAll(async () => {
  world = await seedWorld();
  key = newSigningKey('ES256', 'ci');
  issuer = await startTestIssuer([key]);
  const host = issuer.url.replace('http://', '');
  await mustSucceed(
    query(world.local, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: issuer.url, 'ClientIDList.member.1': 'sts.amazonaws.com' }),
  );
  const trust = webIdentityTrust({ account: world.local.world.accountId, hostAndPath: host, subject: SUB });
  await mustSucceed(
    query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: JSON.stringify(trust) }),
  );
});
afterAll(async () => {
  await world?.local.close();
  await issuer?.close();
});

function tokenFile(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  const file = path.join(temp(), 'token');
  fs.writeFileSync(file, signJwt(key, { iss: issuer.url, sub, aud: 'sts.amazonaws.com', iat: now, exp: now + 300 }), { mode: 0o600 });
  return file;
}

const cli = (args: string[]) =>
  runCli(['--url', world.urls.echo, '--region', 'us-east-1', '--role-arn', world.roleArn, '--propagation-wait', '0', ...args], {
    AWS_ENDPOINT_URL_STS: world.local.endpoint,
  });

describe('--web-identity-token-file', () => {
  it('--prove: unsigned 403, the user-key step skipped, the web identity session 200 as the caller', async () => {
    const result = await cli(['--web-identity-token-file', tokenFile(SUB), '--session-name', 'gha', '--prove']);
    expect(result.stdout).toMatch(/PASS\s+unsigned request/);
    expect(result.stdout).toMatch(/SKIP\s+signed with the invoker user's own key .*a web identity caller holds no key/);
    expect(result.stdout).toMatch(/PASS\s+signed with the web identity session .*assumed-role\/function_invoker\/gha/);
    expect(result.code).toBe(0);
  });

  it('a token of another repository: exit 4 with AccessDenied from AssumeRoleWithWebIdentity and where to look', async () => {
    const result = await cli(['--web-identity-token-file', tokenFile('repo:acme/other:ref:refs/heads/main')]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/AssumeRoleWithWebIdentity failed \(AccessDenied\)/);
    expect(result.stderr).toMatch(/trust policy must allow sts:AssumeRoleWithWebIdentity/);
  });

  it('refuses --external-id beside it, naming both', async () => {
    const result = await cli(['--web-identity-token-file', tokenFile(SUB), '--external-id', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--external-id does not apply with --web-identity-token-file/);
  });
});
