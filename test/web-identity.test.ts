import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleError, ClientOptionError, WebIdentityTokenError } from '../client/errors';
import { getCallerIdentity } from '../client/sts';
import { type WebIdentityStsApi, webIdentityCredentials } from '../client/web-identity';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { type SigningKey, type TestIssuer, newSigningKey, signJwt, startTestIssuer } from './support/jwt-signer';
import { mustSucceed, query, xmlText } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';
import { webIdentityTrust } from './support/web-identity-trust';

/**
 * The client's web identity source (client/web-identity.ts): a token file exchanged with STS
 * AssumeRoleWithWebIdentity for a session of the role, the file read again on every fetch, the
 * SDK's environment variables honoured, and failures as typed errors.
 */

const tempDir = useTempDir('web-identity-');
const AUDIENCE = 'sts.amazonaws.com';
const SUB = 'repo:acme/payments:ref:refs/heads/main';

let local: LocalAws;
let issuer: TestIssuer;
let key: SigningKey;
let roleArn: string;

beforeAll(async () => {
  key = newSigningKey('RS256', 'k1');
  issuer = await startTestIssuer([key]);
  local = await startLocalAws();
  const host = issuer.url.replace('http://', '');
  await mustSucceed(query(local, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: issuer.url, 'ClientIDList.member.1': AUDIENCE }));
  const trust = webIdentityTrust({ account: local.world.accountId, hostAndPath: host, audience: AUDIENCE, subject: SUB });
  roleArn = xmlText(
    await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: 'gha', AssumeRolePolicyDocument: JSON.stringify(trust) })),
    'Arn',
  );
});
afterAll(async () => {
  await local?.close();
  await issuer?.close();
});

function token(sub = SUB, lifetime = 300): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(key, { iss: issuer.url, sub, aud: AUDIENCE, iat: now, exp: now + lifetime });
}

function tokenFile(content: string): string {
  const file = path.join(tempDir(), 'token');
  fs.writeFileSync(file, `${content}\n`, { mode: 0o600 });
  return file;
}

describe('webIdentityCredentials against the stand-in', () => {
  it('exchanges the token for a session of the role, cached across calls', async () => {
    const source = webIdentityCredentials({ roleArn, tokenFile: tokenFile(token()), stsEndpoint: local.endpoint, sessionName: 'ci-run' });
    const credentials = await source.getCredentials();
    expect(credentials.assumedRoleArn).toBe(`arn:aws:sts::${local.world.accountId}:assumed-role/gha/ci-run`);
    await source.getCredentials();
    expect(source.assumeCalls).toBe(1);
    const identity = await getCallerIdentity(credentials, { endpoint: local.endpoint });
    expect(identity.arn).toBe(credentials.assumedRoleArn);
  });

  it('reads AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_SESSION_NAME as the SDKs do', async () => {
    const env = {
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(token()),
      AWS_ROLE_SESSION_NAME: 'from-env',
      AWS_ENDPOINT_URL_STS: local.endpoint,
    };
    const credentials = await webIdentityCredentials({ env }).getCredentials();
    expect(credentials.assumedRoleArn).toMatch(/assumed-role\/gha\/from-env$/);
  });

  it('reports a token of another repository as AccessDenied from AssumeRoleWithWebIdentity, without the token in the message', async () => {
    const other = token('repo:acme/other:ref:refs/heads/main');
    const source = webIdentityCredentials({ roleArn, tokenFile: tokenFile(other), stsEndpoint: local.endpoint, propagationWaitSeconds: 0 });
    const error = await source.getCredentials().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect((error as AssumeRoleError).stsCode).toBe('AccessDenied');
    expect((error as AssumeRoleError).operation).toBe('AssumeRoleWithWebIdentity');
    expect((error as AssumeRoleError).code).toBe('assume-role-failed');
    expect(String((error as Error).message)).not.toContain(other.split('.')[2]);
  });

  it('reports an expired token as ExpiredTokenException', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt(key, { iss: issuer.url, sub: SUB, aud: AUDIENCE, iat: now - 7200, exp: now - 3600 });
    const error = await webIdentityCredentials({ roleArn, tokenFile: tokenFile(expired), stsEndpoint: local.endpoint })
      .getCredentials()
      .catch((e: unknown) => e);
    expect((error as AssumeRoleError).stsCode).toBe('ExpiredTokenException');
  });
});

describe('the token file', () => {
  it('is read again for every fetch, so a rotated token is the one sent', async () => {
    const sent: string[] = [];
    let now = Date.now();
    const sts: WebIdentityStsApi = {
      async assumeRoleWithWebIdentity(input) {
        sent.push(input.WebIdentityToken);
        return {
          Credentials: { AccessKeyId: 'ASIAFAKE', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(now + 900_000) },
          AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/gha/x' },
        };
      },
    };
    const file = tokenFile('first-token');
    const source = webIdentityCredentials({ roleArn, tokenFile: file, sts, clock: () => now, durationSeconds: 900 });
    await source.getCredentials();
    fs.writeFileSync(file, 'second-token');
    now += 900_000;
    await source.getCredentials();
    expect(sent).toEqual(['first-token', 'second-token']);
  });

  it('missing, empty or far too large is a typed error naming the file', async () => {
    const dir = tempDir();
    const cases: [string, string | undefined][] = [
      [path.join(dir, 'absent'), undefined],
      [path.join(dir, 'empty'), ''],
      [path.join(dir, 'huge'), 'x'.repeat(100_000)],
    ];
    for (const [file, content] of cases) {
      if (content !== undefined) fs.writeFileSync(file, content);
      const error = await webIdentityCredentials({ roleArn, tokenFile: file, stsEndpoint: local.endpoint })
        .getCredentials()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebIdentityTokenError);
      expect((error as WebIdentityTokenError).code).toBe('web-identity-token-unreadable');
      expect((error as WebIdentityTokenError).tokenFile).toBe(file);
    }
  });

  it('no role ARN or token file at all is an option error naming the option', () => {
    expect(() => webIdentityCredentials({ env: {} })).toThrow(ClientOptionError);
    expect(() => webIdentityCredentials({ env: { AWS_ROLE_ARN: roleArn } })).toThrow(/tokenFile/);
  });
});
