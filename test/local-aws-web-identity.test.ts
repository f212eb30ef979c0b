import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { type SigningKey, type TestIssuer, hmacJwt, newSigningKey, signJwt, startTestIssuer, unsignedJwt } from './support/jwt-signer';
import { credentialsIn, mustSucceed, query, rawSend, xmlText } from './support/local-aws-fixtures';
import { startSilentServer } from './support/loopback-servers';
import { webIdentityTrust } from './support/web-identity-trust';

/**
 * STS AssumeRoleWithWebIdentity in the stand-in (local-aws/web-identity-api.ts): unsigned, the
 * token verified against the issuer's JWKS, then the role's trust policy with the claim keys. The
 * tokens come from an independent signer (test/support/jwt-signer.ts: node:crypto, no jose).
 */

const ACCOUNT = '123456789012';
const AUDIENCE = 'sts.amazonaws.com';
const REPO_SUB = 'repo:acme/payments:ref:refs/heads/main';

let local: LocalAws;
let issuer: TestIssuer;
let rsa: SigningKey;
let ec: SigningKey;
let roleArn: string;

function trustPolicy(hostAndPath: string, extraCondition: Record<string, unknown> = {}) {
  return JSON.stringify(webIdentityTrust({ account: ACCOUNT, hostAndPath, audience: AUDIENCE, subject: REPO_SUB, extraCondition }));
}

async function createRole(name: string, trust: string, maxSessionDuration = 3600): Promise<string> {
  const xml = await mustSucceed(
    query(local, 'iam', {
      Action: 'CreateRole',
      RoleName: name,
      AssumeRolePolicyDocument: trust,
      MaxSessionDuration: String(maxSessionDuration),
    }),
  );
  return xmlText(xml, 'Arn');
}

beforeAll(async () => {
  rsa = newSigningKey('RS256', 'rsa-1');
  ec = newSigningKey('ES256', 'ec-1');
  issuer = await startTestIssuer([rsa, ec]);
  local = await startLocalAws({ webIdentity: { timeoutMs: 1000 } });
  await mustSucceed(query(local, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: issuer.url, 'ClientIDList.member.1': AUDIENCE }));
  roleArn = await createRole('ci-deployer', trustPolicy(issuer.url.replace('http://', '')));
});
afterAll(async () => {
  await local?.close();
  await issuer?.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: issuer.url, sub: REPO_SUB, aud: AUDIENCE, iat: nowSeconds(), nbf: nowSeconds(), exp: nowSeconds() + 300, ...overrides };
}

/** An unsigned STS call, as the SDKs make it, from `localAddress` (a loopback address). */
function assumeWithToken(
  token: string,
  extra: Record<string, string> = {},
  localAddress = '127.0.0.1',
): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: 'ci',
    WebIdentityToken: token,
    ...extra,
  }).toString();
  return rawSend(local.endpoint, 'POST', body, {}, localAddress);
}

const codeOf = (text: string) => /<Code>([^<]*)<\/Code>/.exec(text)?.[1];

describe('a token the issuer signed for the trusted subject and audience', () => {
  it('gives a session of the role, with the subject, provider and audience AWS reports', async () => {
    const answer = await assumeWithToken(signJwt(rsa, claims()));
    expect(answer.status, answer.text).toBe(200);
    expect(xmlText(answer.text, 'SubjectFromWebIdentityToken')).toBe(REPO_SUB);
    expect(xmlText(answer.text, 'Provider')).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer.url.replace('http://', '')}`);
    expect(xmlText(answer.text, 'Audience')).toBe(AUDIENCE);
    expect(xmlText(answer.text, 'Arn')).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/ci`);
    const identity = await mustSucceed(query(local, 'sts', { Action: 'GetCallerIdentity' }, credentialsIn(answer.text)));
    expect(xmlText(identity, 'Arn')).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/ci`);
  });

  it('accepts ES256 and an aud list that holds one of the client IDs, reporting that one', async () => {
    const answer = await assumeWithToken(signJwt(ec, claims({ aud: ['another-audience', AUDIENCE] })));
    expect(answer.status, answer.text).toBe(200);
    expect(xmlText(answer.text, 'Audience')).toBe(AUDIENCE);
  });

  it('fetches the JWKS once and verifies later tokens from the cache', async () => {
    const before = local.issuerKeys.stats.fetches;
    for (let i = 0; i < 3; i++) expect((await assumeWithToken(signJwt(rsa, claims()))).status).toBe(200);
    expect(local.issuerKeys.stats.fetches).toBe(before);
  });

  it('applies a session policy and caps the duration at the role maximum', async () => {
    const tooLong = await assumeWithToken(signJwt(rsa, claims()), { DurationSeconds: '7200' });
    expect(codeOf(tooLong.text)).toBe('ValidationError');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }] });
    const narrowed = await assumeWithToken(signJwt(rsa, claims()), { Policy: policy });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(xmlText(narrowed.text, 'PackedPolicySize')).toMatch(/^\d+$/);
  });
});

describe('tokens STS refuses, with its codes', () => {
  it.each([
    ['alg none', () => unsignedJwt(claims()), 400, 'InvalidIdentityToken'],
    [
      'HS256 keyed with the public key (algorithm confusion)',
      () => hmacJwt(JSON.stringify(rsa.publicJwk), claims(), rsa.kid),
      400,
      'InvalidIdentityToken',
    ],
    ['a key that is not in the JWKS', () => signJwt(newSigningKey('RS256', 'rsa-1'), claims()), 400, 'InvalidIdentityToken'],
    ['a kid the JWKS does not have', () => signJwt(newSigningKey('RS256', 'stranger'), claims()), 400, 'InvalidIdentityToken'],
    ['a tampered claim (signature no longer matches)', () => tamper(signJwt(rsa, claims())), 400, 'InvalidIdentityToken'],
    [
      'an exp ten minutes in the past',
      () => signJwt(rsa, claims({ iat: nowSeconds() - 900, exp: nowSeconds() - 600 })),
      400,
      'ExpiredTokenException',
    ],
    ['another audience', () => signJwt(rsa, claims({ aud: 'my-app' })), 400, 'InvalidIdentityToken'],
    ['an issuer without a provider', () => signJwt(rsa, claims({ iss: 'https://unknown.example.com' })), 400, 'InvalidIdentityToken'],
    ['an nbf an hour ahead', () => signJwt(rsa, claims({ nbf: nowSeconds() + 3600 })), 400, 'InvalidIdentityToken'],
    ['no sub', () => signJwt(rsa, claims({ sub: undefined })), 403, 'IDPRejectedClaim'],
    [
      'another repository (sub) than the trust policy names',
      () => signJwt(rsa, claims({ sub: 'repo:acme/other:ref:refs/heads/main' })),
      403,
      'AccessDenied',
    ],
    ['not a JWT', () => 'not-a-token', 400, 'InvalidIdentityToken'],
  ])('%s', async (_, token, status, code) => {
    const answer = await assumeWithToken(token());
    expect(codeOf(answer.text), answer.text).toBe(code);
    expect(answer.status).toBe(status);
  });

  it('answers a JWKS that never answers with IDPCommunicationError within the bound', async () => {
    const silent = await startSilentServer();
    const hanging = await startTestIssuer([rsa], { jwksUri: `${silent.url}/keys` });
    try {
      await mustSucceed(
        query(local, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: hanging.url, 'ClientIDList.member.1': AUDIENCE }),
      );
      const started = Date.now();
      const answer = await assumeWithToken(signJwt(rsa, { ...claims(), iss: hanging.url }));
      expect(codeOf(answer.text), answer.text).toBe('IDPCommunicationError');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await hanging.close();
      await silent.close();
    }
  });
});

describe('a token verified before', () => {
  it('is refused with ExpiredTokenException once its exp has passed, though its signature is not verified again', async () => {
    let clock = Date.now();
    const timed = await startLocalAws({ now: () => new Date(clock) });
    try {
      await mustSucceed(query(timed, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: issuer.url, 'ClientIDList.member.1': AUDIENCE }));
      await mustSucceed(
        query(timed, 'iam', {
          Action: 'CreateRole',
          RoleName: 'ci-deployer',
          AssumeRolePolicyDocument: trustPolicy(issuer.url.replace('http://', '')),
        }),
      );
      const token = signJwt(rsa, claims());
      const call = () =>
        fetch(timed.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            Action: 'AssumeRoleWithWebIdentity',
            RoleArn: roleArn,
            RoleSessionName: 'ci',
            WebIdentityToken: token,
          }),
        }).then((r) => r.text());
      expect(await call()).toContain('<SubjectFromWebIdentityToken>');
      clock += 3600_000;
      expect(codeOf(await call())).toBe('ExpiredTokenException');
    } finally {
      await timed.close();
    }
  });
});

describe('aws:SourceIp from the connection', () => {
  it('refuses a token from 127.0.0.2 when the trust policy allows only 127.0.0.1, whatever X-Forwarded-For says', async () => {
    const hostAndPath = issuer.url.replace('http://', '');
    roleArn = await createRole('ci-from-runner', trustPolicy(hostAndPath, { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } }));
    try {
      expect((await assumeWithToken(signJwt(rsa, claims()))).status).toBe(200);
      const other = await assumeWithToken(signJwt(rsa, claims()), {}, '127.0.0.2');
      expect(codeOf(other.text)).toBe('AccessDenied');
    } finally {
      roleArn = `arn:aws:iam::${ACCOUNT}:role/ci-deployer`;
    }
  });
});

/** The same header and signature around claims with another subject. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claimsJson = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return `${header}.${Buffer.from(JSON.stringify({ ...claimsJson, sub: 'repo:acme/payments:ref:refs/heads/evil' })).toString('base64url')}.${signature}`;
}
