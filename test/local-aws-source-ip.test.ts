import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../client/sigv4';
import { sourceNetworkAlternatives } from '../constructs/source-network';
import { type SeededWorld, credentialsIn, mustSucceed, query, rawSend, seedWorld } from './support/local-aws-fixtures';

/**
 * `aws:SourceIp` in the stand-in: the connection's peer address, never a header. The invoker
 * user's AssumeRole right and the role's trust statement narrowed with the constructs'
 * `allowedSourceIps` condition (constructs/source-network.ts) let a call from 127.0.0.1 through
 * and refuse one from 127.0.0.2, whatever X-Forwarded-For claims.
 */

let world: SeededWorld;

beforeAll(async () => {
  world = await seedWorld();
  const [narrowed] = sourceNetworkAlternatives({ allowedSourceIps: ['127.0.0.1/32'] });
  await mustSucceed(
    query(world.local, 'iam', {
      Action: 'PutUserPolicy',
      UserName: 'lambda_invoker',
      PolicyName: 'AssumeOnly',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: world.roleArn, Condition: narrowed.condition }],
      }),
    }),
  );
  // The trust statement carries it too, as the constructs render it: in one account a trust policy
  // that names the user allows AssumeRole on its own, whatever the user's own policy says.
  await mustSucceed(
    query(world.local, 'iam', {
      Action: 'UpdateAssumeRolePolicy',
      RoleName: 'function_invoker',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${world.local.world.accountId}:user/lambda_invoker` },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': world.externalId }, ...narrowed.condition },
          },
        ],
      }),
    }),
  );
});
afterAll(async () => {
  await world?.local.close();
});

/** A signed AssumeRole sent from `localAddress`. */
async function assumeRoleFrom(localAddress: string, credentials: AwsCredentialIdentity, headers: Record<string, string> = {}) {
  const url = new URL(world.local.endpoint);
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: world.roleArn,
    RoleSessionName: 'from-ip',
    ExternalId: world.externalId,
  }).toString();
  const signed = await signRequest(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    },
    credentials,
    { region: 'us-east-1', service: 'sts' },
  );
  return rawSend(world.local.endpoint, 'POST', body, signed.headers, localAddress);
}

describe('the invoker key narrowed to 127.0.0.1/32', () => {
  it('assumes the role from 127.0.0.1', async () => {
    expect((await assumeRoleFrom('127.0.0.1', world.userKey)).status).toBe(200);
  });

  it('is refused from 127.0.0.2 even when a signed X-Forwarded-For names 127.0.0.1', async () => {
    const answer = await assumeRoleFrom('127.0.0.2', world.userKey, { 'x-forwarded-for': '127.0.0.1' });
    expect(answer.status, answer.text).toBe(403);
    expect(answer.text).toContain('<Code>AccessDenied</Code>');
  });
});

/** A signed GET of the seeded "echo" function URL sent from `localAddress`. */
async function callEchoFrom(localAddress: string, credentials: AwsCredentialIdentity) {
  const url = new URL(world.urls.echo);
  const signed = await signRequest(
    { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: {} },
    credentials,
    { region: 'us-east-1', service: 'lambda' },
  );
  return (await rawSend(url.href, 'GET', '', signed.headers, localAddress)).status;
}

describe('a function URL call', () => {
  it('is decided with aws:SourceIp: a Deny on NotIpAddress refuses a call from another address', async () => {
    const session = credentialsIn((await assumeRoleFrom('127.0.0.1', world.userKey)).text);
    await mustSucceed(
      query(world.local, 'iam', {
        Action: 'PutRolePolicy',
        RoleName: 'function_invoker',
        PolicyName: 'OnlyFromLoopbackOne',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'],
              Resource: '*',
              Condition: { NotIpAddress: { 'aws:SourceIp': '127.0.0.1/32' } },
            },
          ],
        }),
      }),
    );
    expect(await callEchoFrom('127.0.0.1', session)).toBe(200);
    // Without the key a negated operator matches (IAM's rule for a missing key), and 127.0.0.1 would be refused too.
    expect(await callEchoFrom('127.0.0.2', session)).toBe(403);
  });
});
