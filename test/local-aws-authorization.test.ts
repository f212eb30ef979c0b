import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import { startLocalAws } from '../local-aws/server';
import { type SeededWorld, callApi, credentialsIn, mustSucceed, query, userWithKey, xmlValue } from './support/local-aws-fixtures';
import { useSeededSession } from './support/seeded-world-hooks';
import { useTempDir } from './support/temp-dir';

/**
 * IAM decisions on the wire (local-aws/authorization.ts): what each principal of the design may do,
 * the condition keys AWS sets from the caller, the decision cache, and credentials that outlive
 * the identity they were issued to.
 */

const makeTempDir = useTempDir('authorization-');

let world: SeededWorld;
let session: AwsCredentialIdentity;

useSeededSession('stand-in', (seeded) => {
  ({ world, session } = seeded);
});

const account = () => world.local.world.accountId;
const lambdaGet = (path: string, creds: AwsCredentialIdentity = session) => callApi(world.local, 'lambda', { method: 'GET', path }, creds);
const ADMIN_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
const listFunctions = (local: { endpoint: string }, credentials: AwsCredentialIdentity) =>
  callApi(local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/' }, credentials);

/** A role any principal of the account may assume, with one inline policy: a session of it. */
async function sessionOfNewRole(
  roleName: string,
  policyName: string,
  policyDocument: string,
  sessionName: string,
): Promise<AwsCredentialIdentity> {
  const local = world.local;
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }],
  });
  await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await mustSucceed(
    query(local, 'iam', { Action: 'PutRolePolicy', RoleName: roleName, PolicyName: policyName, PolicyDocument: policyDocument }),
  );
  const xml = await mustSucceed(
    query(local, 'sts', { Action: 'AssumeRole', RoleArn: `arn:aws:iam::123456789012:role/${roleName}`, RoleSessionName: sessionName }),
  );
  return credentialsIn(xml);
}

describe('what each principal of the design may do', () => {
  it("the invoker user's key may assume the role and nothing else", async () => {
    const denied = [
      await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'lambda_invoker' }, world.userKey),
      await query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, world.userKey),
      await query(
        world.local,
        'iam',
        {
          Action: 'PutUserPolicy',
          UserName: 'lambda_invoker',
          PolicyName: 'x',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
        },
        world.userKey,
      ),
      await query(
        world.local,
        'iam',
        { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: '{}' },
        world.userKey,
      ),
    ];
    for (const r of denied) {
      expect(r.status).toBe(403);
      expect(xmlValue(r.text, 'Code')).toBe('AccessDenied');
    }
    expect(xmlValue(denied[0].text, 'Message')).toContain(
      `User: arn:aws:iam::${account()}:user/lambda_invoker is not authorized to perform: iam:CreateAccessKey`,
    );
    for (const path of ['/2015-03-31/functions/echo', '/2021-10-31/functions/echo/url']) {
      const r = await lambdaGet(path, world.userKey);
      expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'AccessDeniedException']);
    }
    const logs = await callApi(
      world.local,
      'logs',
      { headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' },
      world.userKey,
    );
    expect(JSON.parse(logs.text).__type).toBe('AccessDeniedException');
    const userUrl = await new FunctionUrlClient({
      url: world.urls.echo,
      region: 'us-east-1',
      credentials: { getCredentials: async () => world.userKey },
    }).invoke();
    expect(userUrl.status).toBe(403);
  });

  it("the role's session may call its URL and nothing else", async () => {
    for (const path of ['/2015-03-31/functions/echo', '/2015-03-31/functions/echo/policy']) {
      expect((await lambdaGet(path)).status).toBe(403);
    }
    const deleteFn = await callApi(world.local, 'lambda', { method: 'DELETE', path: '/2015-03-31/functions/echo' }, session);
    expect(deleteFn.status).toBe(403);
    expect((await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'lambda_invoker' }, session)).status).toBe(403);
    expect(
      (
        await query(
          world.local,
          'sts',
          { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'chain', ExternalId: world.externalId },
          session,
        )
      ).status,
    ).toBe(403);
    expect(Object.keys(world.local.world.state.functions)).toContain('echo');
  });
});

describe('the decision cache', () => {
  it('the IAM decisions are cached without changing them, and the cache is dropped when the world changes', async () => {
    const stats = world.local.authorizer.stats;
    const c = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: { getCredentials: async () => session } });
    await c.invoke();
    const before = { ...stats };
    await c.invoke();
    expect(stats.simulations).toBe(before.simulations);
    expect(stats.cacheHits).toBe(before.cacheHits + 2);
    await query(world.local, 'iam', { Action: 'CreateUser', UserName: 'cache-buster' });
    await c.invoke();
    expect(stats.simulations).toBe(before.simulations + 2);
  });

  it('a revocation during an in-flight evaluation is not undone by its late result', async () => {
    const authorizer = world.local.authorizer;
    const state = world.local.world.state;
    const principal = authorizer.principalFor(session.accessKeyId);
    const userPrincipal = authorizer.principalFor(world.userKey.accessKeyId);
    const echoArn = `arn:aws:lambda:us-east-1:${account()}:function:echo`;
    const decideUrl = () => authorizer.decide(principal, 'lambda:InvokeFunctionUrl', echoArn, { 'lambda:FunctionUrlAuthType': 'AWS_IAM' });
    const role = state.roles.function_invoker;
    const attached = role.attachedPolicies.map((arn) => world.local.world.policy(arn));
    // A change no decision depends on: a fresh generation, nothing cached for this request.
    world.local.world.updateRole(role, { maxSessionDuration: role.maxSessionDuration });
    try {
      // The first call's simulation is in flight when the policy is detached; a third call by
      // another principal then starts the new generation's cache.
      const first = decideUrl();
      for (const policy of attached) world.local.world.detachRolePolicy(role, policy.arn);
      const third = authorizer.decide(userPrincipal, 'iam:GetUser', `arn:aws:iam::${account()}:user/lambda_invoker`);
      expect(await first).toBe('Allowed'); // asked before the change: answered as before it
      await third;
      expect(await decideUrl()).toBe('ImplicitlyDenied');
    } finally {
      for (const policy of attached) world.local.world.attachRolePolicy(role, policy);
    }
    expect(await decideUrl()).toBe('Allowed');
  });
});

describe('global condition keys', () => {
  it('a trust policy conditioned on aws:PrincipalArn lets only that principal in', async () => {
    const allowAssume = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] };
    const keys: Record<string, AwsCredentialIdentity> = {};
    for (const name of ['pa-chosen', 'pa-other']) keys[name] = await userWithKey(world.local, name, allowAssume);
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account()}:root` },
          Action: 'sts:AssumeRole',
          Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${account()}:user/pa-chosen` } },
        },
      ],
    };
    expect(
      (await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'pa-role', AssumeRolePolicyDocument: JSON.stringify(trust) }))
        .status,
    ).toBe(200);
    const assume = (name: string) =>
      query(
        world.local,
        'sts',
        { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${account()}:role/pa-role`, RoleSessionName: name },
        keys[name],
      );
    expect((await assume('pa-chosen')).status).toBe(200);
    const other = await assume('pa-other');
    expect([other.status, xmlValue(other.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });
});

describe("an IAM user's own tags", () => {
  it('are aws:PrincipalTag/<key> in its requests: a Deny on a tag the user carries applies', async () => {
    const local = world.local;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' },
        { Effect: 'Deny', Action: 'lambda:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'contractor' } } },
      ],
    };
    const key = await userWithKey(local, 'contractor', policy, { Team: 'contractor' });
    const r = await listFunctions(local, key);
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('explicit deny');
  });
});

describe("revoking older sessions (the IAM console's AWSRevokeOlderSessions policy)", () => {
  it('a Deny with DateLessThan on aws:TokenIssueTime ends the sessions issued before that time', async () => {
    const local = world.local;
    const allow = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' }],
    });
    const session = await sessionOfNewRole('revocable', 'List', allow, 'older');
    expect((await listFunctions(local, session)).status).toBe(200);
    const revokeBefore = (time: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': time } } }],
      });
    await mustSucceed(
      query(local, 'iam', {
        Action: 'PutRolePolicy',
        RoleName: 'revocable',
        PolicyName: 'AWSRevokeOlderSessions',
        PolicyDocument: revokeBefore(new Date(Date.now() + 60_000).toISOString()),
      }),
    );
    const revoked = await listFunctions(local, session);
    expect(revoked.status, revoked.text).toBe(403);
    await mustSucceed(
      query(local, 'iam', {
        Action: 'PutRolePolicy',
        RoleName: 'revocable',
        PolicyName: 'AWSRevokeOlderSessions',
        PolicyDocument: revokeBefore('2000-01-01T00:00:00Z'),
      }),
    );
    expect((await listFunctions(local, session)).status).toBe(200);
  });
});

describe('aws:MultiFactorAuthPresent', () => {
  it('is false for temporary credentials (no MFA is emulated) and absent for long-term keys, as on AWS', async () => {
    const local = world.local;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } },
      ],
    });
    const session = await sessionOfNewRole('mfa-only', 'NoMfaNoAccess', policy, 'no-mfa');
    const r = await listFunctions(local, session);
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('explicit deny');
    // A long-term key carries no such key: the same Deny does not apply to a user.
    expect((await listFunctions(local, await userWithKey(local, 'long-term', JSON.parse(policy)))).status).toBe(200);
  });
});

describe('a time-limited policy (aws:CurrentTime)', () => {
  it('applies: a Deny after a date in the past refuses, an Allow until that date no longer allows', async () => {
    const local = world.local;
    const key = await userWithKey(local, 'expired-contractor');
    const put = (statement: Record<string, unknown>[]) =>
      mustSucceed(
        query(local, 'iam', {
          Action: 'PutUserPolicy',
          UserName: 'expired-contractor',
          PolicyName: 'Timed',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statement }),
        }),
      );
    const allowList = { Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' };
    await put([
      allowList,
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } },
    ]);
    expect((await listFunctions(local, key)).status).toBe(403);
    await put([{ ...allowList, Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }]);
    expect((await listFunctions(local, key)).status).toBe(403);
    await put([{ ...allowList, Condition: { DateLessThan: { 'aws:EpochTime': String(Math.floor(Date.now() / 1000) + 3600) } } }]);
    expect((await listFunctions(local, key)).status).toBe(200);
  });
});

describe('a session tag whose key differs from a role tag only in case', () => {
  it('overrides that role tag (tag keys are case-insensitive): the role tag cannot still grant', async () => {
    const local = world.local;
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    });
    await mustSucceed(
      query(local, 'iam', {
        Action: 'CreateRole',
        RoleName: 'tagged',
        AssumeRolePolicyDocument: trust,
        'Tags.member.1.Key': 'Team',
        'Tags.member.1.Value': 'admin',
      }),
    );
    const byTeam = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'lambda:ListFunctions',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'admin' } },
        },
      ],
    });
    await mustSucceed(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'tagged', PolicyName: 'ByTeam', PolicyDocument: byTeam }));
    const sessionWith = async (tags: Record<string, string>) => {
      const xml = await mustSucceed(
        query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/tagged', RoleSessionName: 'tagged', ...tags }),
      );
      return credentialsIn(xml);
    };
    expect((await listFunctions(local, await sessionWith({}))).status).toBe(200);
    for (const key of ['Team', 'team', 'TEAM']) {
      const r = await listFunctions(local, await sessionWith({ 'Tags.member.1.Key': key, 'Tags.member.1.Value': 'guest' }));
      expect(r.status, `${key}: ${r.text}`).toBe(403);
    }
  });
});

describe('credentials of a deleted identity never act as a new one with the same name', () => {
  it("a user's GetSessionToken credentials: deleted and recreated with admin rights, the old session is not admin", async () => {
    const local = world.local;
    const key = await userWithKey(local, 'reborn');
    const tokenXml = await mustSucceed(query(local, 'sts', { Action: 'GetSessionToken' }, key));
    const temporary = credentialsIn(tokenXml);
    expect((await listFunctions(local, temporary)).status).toBe(403);

    await mustSucceed(query(local, 'iam', { Action: 'DeleteAccessKey', UserName: 'reborn', AccessKeyId: key.accessKeyId }));
    await mustSucceed(query(local, 'iam', { Action: 'DeleteUser', UserName: 'reborn' }));
    await mustSucceed(query(local, 'iam', { Action: 'CreateUser', UserName: 'reborn' }));
    await mustSucceed(
      query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'reborn', PolicyName: 'Admin', PolicyDocument: ADMIN_POLICY }),
    );
    const r = await listFunctions(local, temporary);
    expect(r.status, r.text).toBe(403);
  });

  it('a role session replayed from the session journal after a crash gets nothing from a role recreated under its name', async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    const snapshotFile = path.join(temp.dir, 'world.json');
    let local = await startLocalAws({ snapshotFile });
    try {
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }],
      });
      await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: 'phoenix', AssumeRolePolicyDocument: trust }));
      const assumed = await mustSucceed(
        query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/phoenix', RoleSessionName: 'before' }),
      );
      const session = credentialsIn(assumed);
      const journal = fs.readFileSync(`${snapshotFile}.sessions`, 'utf8');
      await mustSucceed(query(local, 'iam', { Action: 'DeleteRole', RoleName: 'phoenix' }));
      await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: 'phoenix', AssumeRolePolicyDocument: trust }));
      await mustSucceed(
        query(local, 'iam', { Action: 'PutRolePolicy', RoleName: 'phoenix', PolicyName: 'Admin', PolicyDocument: ADMIN_POLICY }),
      );
      await local.close();
      // A crash between the snapshot's rename and the journal's removal leaves the old lines.
      fs.writeFileSync(`${snapshotFile}.sessions`, journal, { mode: 0o600 });
      local = await startLocalAws({ snapshotFile });
      const r = await listFunctions(local, session);
      expect(r.status, r.text).toBe(403);
    } finally {
      await local.close();
    }
  });
});
