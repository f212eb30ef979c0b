import { createStsApi } from '../client/sts';
import { createWebIdentityStsApi } from '../client/web-identity';
import { newIssuerIdentity, startOidcIssuer } from '../local-aws/oidc-issuer';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { verifyWebIdentityToken } from '../local-aws/web-identity-token';
import { query, seed } from '../test/support/local-aws-fixtures';
import { goal, median, row } from './measure';

/**
 * AssumeRoleWithWebIdentity through the stand-in beside AssumeRole, in the same run and process,
 * each through the AWS SDK's STS client (the JWKS fetched once, then cached), and what one token
 * verification costs (signature and claims, keys cached; a token seen before is not verified twice). BENCH_STS_CALLS (default 300) of each.
 */

export async function benchWebIdentity(out: (line: string) => void): Promise<void> {
  const calls = Number(process.env.BENCH_STS_CALLS ?? 300);
  const issuer = await startOidcIssuer({ identity: await newIssuerIdentity({ tls: false }) });
  const local = await startLocalAws();
  try {
    const seeded = await seed(local, local.world.accountId);
    const webRole = await webIdentityRole(local, issuer.url);
    const token = await issuer.mint({ sub: 'repo:acme/bench:ref:refs/heads/main', aud: 'sts.amazonaws.com', lifetimeSeconds: 3600 });

    const assumeRole = createStsApi('us-east-1', seeded.userKey, local.endpoint);
    const webIdentity = createWebIdentityStsApi('us-east-1', local.endpoint, 10_000);
    const input = { RoleSessionName: 'bench', DurationSeconds: 900 };
    const timeAssumeRole = () => timed(() => assumeRole.assumeRole({ ...input, RoleArn: seeded.roleArn, ExternalId: seeded.externalId }));
    const timeWebIdentity = () =>
      timed(() => webIdentity.assumeRoleWithWebIdentity({ ...input, RoleArn: webRole, WebIdentityToken: token }));
    // Warm both paths (the JWKS fetch, the decision cache, the SDK's first-call setup), then interleave.
    for (let i = 0; i < 20; i++) await Promise.all([timeAssumeRole(), timeWebIdentity()]);
    const assumeMs: number[] = [];
    const webMs: number[] = [];
    for (let i = 0; i < calls; i++) {
      assumeMs.push(await timeAssumeRole());
      webMs.push(await timeWebIdentity());
    }
    const ratio = median(webMs) / median(assumeMs);
    out(`STS through the stand-in (median of ${calls} sequential calls each, AWS SDK client, JWKS cached)\n`);
    out(`${row('baseline: AssumeRole (signed, the invoker key)', `${median(assumeMs).toFixed(2)} ms`)}\n`);
    out(
      `${row('AssumeRoleWithWebIdentity (unsigned, the same token)', `${median(webMs).toFixed(2)} ms`, `ratio ${ratio.toFixed(2)} ${goal(+ratio.toFixed(2), 1.5)}`)}\n`,
    );
    out(`${row('JWKS fetches for all of them', String(local.issuerKeys.stats.fetches))}\n`);

    // Distinct tokens (each has its own jti): every one is verified, none answered from the cache.
    const fresh = await Promise.all(
      Array.from({ length: calls }, () => issuer.mint({ sub: 'repo:acme/bench:ref:refs/heads/main', aud: 'sts.amazonaws.com' })),
    );
    const freshMs: number[] = [];
    for (const each of fresh)
      freshMs.push(await timed(() => webIdentity.assumeRoleWithWebIdentity({ ...input, RoleArn: webRole, WebIdentityToken: each })));
    out(
      `${row('  the same, a new token every call (each verified)', `${median(freshMs).toFixed(2)} ms`, `ratio ${(median(freshMs) / median(assumeMs)).toFixed(2)}`)}\n`,
    );
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => issuer.mint({ sub: 'repo:acme/bench:ref:refs/heads/main', aud: 'sts.amazonaws.com' })),
    );
    const started = performance.now();
    for (const each of tokens) await verifyWebIdentityToken(each, local.world, local.issuerKeys, new Date());
    const perToken = ((performance.now() - started) / tokens.length) * 1000;
    out(`${row('one token verification (RS256 2048, JWKS cached)', `${perToken.toFixed(0)} µs`)}\n`);
  } finally {
    await local.close();
    await issuer.close();
  }
}

/** A role that trusts one subject of the issuer, and the issuer's IAM OIDC provider; its ARN. */
async function webIdentityRole(local: LocalAws, issuerUrl: string): Promise<string> {
  const host = issuerUrl.replace('http://', '');
  await query(local, 'iam', { Action: 'CreateOpenIDConnectProvider', Url: issuerUrl, 'ClientIDList.member.1': 'sts.amazonaws.com' });
  const trust = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${local.world.accountId}:oidc-provider/${host}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com', [`${host}:sub`]: 'repo:acme/bench:ref:refs/heads/main' } },
      },
    ],
  };
  await query(local, 'iam', { Action: 'CreateRole', RoleName: 'bench_web_identity', AssumeRolePolicyDocument: JSON.stringify(trust) });
  return `arn:aws:iam::${local.world.accountId}:role/bench_web_identity`;
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}
