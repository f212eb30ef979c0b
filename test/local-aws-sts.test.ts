import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { type SeededWorld, credentialsIn, query, sdkConfig, xmlText, xmlValue } from './support/local-aws-fixtures';
import { invokeSeededUrl } from './support/local-aws-fixtures';
import { useSeededSession } from './support/seeded-world-hooks';

/**
 * STS over the Query protocol (local-aws/sts-api.ts): AssumeRole's rules, session policies, tags
 * and source identity along a role chain, GetSessionToken and GetCallerIdentity.
 */

const SESSION_NAME = 'emulation';
let world: SeededWorld;
let session: AwsCredentialIdentity;

useSeededSession(SESSION_NAME, (seeded) => {
  ({ world, session } = seeded);
});

const account = () => world.local.world.accountId;
const clientConfig = (credentials: AwsCredentialIdentity) => sdkConfig(world.local, credentials);

async function assumeRole(
  params: Record<string, string> = {},
  credentials: AwsCredentialIdentity = world.userKey,
  roleArn = world.roleArn,
) {
  // The seeded role wants its external ID; the roles a test creates do not.
  const externalId: Record<string, string> = roleArn === world.roleArn ? { ExternalId: world.externalId } : {};
  const r = await query(
    world.local,
    'sts',
    { Action: 'AssumeRole', RoleArn: roleArn, RoleSessionName: SESSION_NAME, ...externalId, ...params },
    credentials,
  );
  const credentialsOf = () => credentialsIn(r.text);
  return { ...r, credentials: credentialsOf };
}

const callUrl = (name: string, credentials: AwsCredentialIdentity) => invokeSeededUrl(world, name, credentials);

describe('GetCallerIdentity', () => {
  it('GetCallerIdentity answers for the user and for the session', async () => {
    const user = await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, world.userKey);
    expect(xmlValue(user.text, 'Arn')).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    const s = await query(world.local, 'sts', { Action: 'GetCallerIdentity' }, session);
    expect(xmlValue(s.text, 'Arn')).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/${SESSION_NAME}`);
    expect(xmlValue(s.text, 'UserId')).toMatch(new RegExp(`^AROA[A-Z2-7]+:${SESSION_NAME}$`));
  });

  it('GetCallerIdentity through the SDK client', async () => {
    const identity = await new STSClient(clientConfig(session)).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/${SESSION_NAME}`);
  });
});

describe('STS AssumeRole rules', () => {
  const assume = (params: Record<string, string>) =>
    query(
      world.local,
      'sts',
      { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'rules', ExternalId: world.externalId, ...params },
      world.userKey,
    );
  it.each([
    [{ DurationSeconds: '7200' }, 400, 'ValidationError', /MaxSessionDuration/],
    [{ DurationSeconds: '600' }, 400, 'ValidationError', /greater than or equal to 900/],
    [{ RoleSessionName: 'has space' }, 400, 'ValidationError', /roleSessionName/],
    [{ RoleSessionName: 'x' }, 400, 'ValidationError', /between 2 and 64/],
    [{ Policy: 'x'.repeat(2049) }, 400, 'ValidationError', /2048/],
    [{ Policy: '{not json' }, 400, 'MalformedPolicyDocument', /JSON/],
    [{ ExternalId: 'wrong-id' }, 403, 'AccessDenied', /sts:AssumeRole/],
    [{ RoleArn: `arn:aws:iam::123456789012:role/no_such_role` }, 403, 'AccessDenied', /no_such_role/],
  ])('%j -> %i %s', async (params, status, code, message) => {
    const r = await assume(params);
    expect(r.status).toBe(status);
    expect(xmlValue(r.text, 'Code')).toBe(code);
    expect(xmlValue(r.text, 'Message')).toMatch(message);
  });

  it('issues ASIA credentials with an expiry and the assumed-role user', async () => {
    const r = await assume({ DurationSeconds: '900' });
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'AccessKeyId')).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const expiration = new Date(xmlValue(r.text, 'Expiration')).getTime();
    expect(Math.abs(expiration - (Date.now() + 900_000))).toBeLessThan(5000);
    expect(xmlValue(r.text, 'Arn')).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/rules`);
  });

  it.each(['1e3', '0x400', ' 1000', '1000.0', '-900'])('AssumeRole DurationSeconds=%j is a ValidationError', async (value) => {
    const r = await query(
      world.local,
      'sts',
      { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: 'numbers', ExternalId: world.externalId, DurationSeconds: value },
      world.userKey,
    );
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toContain(`at 'durationSeconds'`);
  });
});

describe('GetSessionToken', () => {
  it('GetSessionToken gives the user temporary credentials that act as the user, outside IAM and most of STS', async () => {
    const r = await query(world.local, 'sts', { Action: 'GetSessionToken', DurationSeconds: '900' }, world.userKey);
    expect(r.status, r.text).toBe(200);
    const temporary = credentialsIn(r.text);
    expect(temporary.accessKeyId).toMatch(/^ASIA/);
    const identity = await new STSClient(clientConfig(temporary)).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    // It carries the user's rights: AssumeRole of the function_invoker role works.
    const chained = await assumeRole({}, temporary);
    expect(chained.status, chained.text).toBe(200);
    const iamCall = await query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, temporary);
    expect([iamCall.status, xmlValue(iamCall.text, 'Code')]).toEqual([403, 'AccessDenied']);
    for (const [params, credentials, code] of [
      [{}, temporary, 'AccessDenied'],
      [{}, session, 'AccessDenied'],
      [{ DurationSeconds: '129601' }, world.userKey, 'ValidationError'],
      [{ SerialNumber: 'arn:aws:iam::123456789012:mfa/x', TokenCode: '123456' }, world.userKey, 'InvalidParameterValue'],
    ] as const) {
      const refused = await query(world.local, 'sts', { Action: 'GetSessionToken', ...params }, credentials);
      expect(xmlValue(refused.text, 'Code'), JSON.stringify(params)).toBe(code);
    }
    const root = await query(world.local, 'sts', { Action: 'GetSessionToken', DurationSeconds: '7200' });
    expect(xmlValue(root.text, 'Message')).toMatch(/3600/);
  });
});

describe('AssumeRole session policies, tags and source identity', () => {
  // sts:ExternalId is a key of sts:AssumeRole only (the simulator sets it for no other action), so
  // the tagging rights get their own statement, as AWS's examples write them.
  const invoker = () => ({ AWS: `arn:aws:iam::${account()}:user/lambda_invoker` });
  const assumeWithExternalId = () => ({
    Effect: 'Allow',
    Principal: invoker(),
    Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'sts:ExternalId': world.externalId } },
  });
  const trustFor = (sessionActions: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        assumeWithExternalId(),
        ...(sessionActions.length > 0 ? [{ Effect: 'Allow', Principal: invoker(), Action: sessionActions }] : []),
      ],
    });
  const setTrust = (sessionActions: string[]) =>
    query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: trustFor(sessionActions) });

  it('PolicyArns scope the session down: a session limited to a read-only policy cannot call the URL', async () => {
    const readOnly = await query(world.local, 'iam', {
      Action: 'CreatePolicy',
      PolicyName: 'LambdaReadOnly',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' }],
      }),
    });
    const arn = xmlValue(readOnly.text, 'Arn');
    const scoped = await assumeRole({ 'PolicyArns.member.1.arn': arn });
    expect(scoped.status).toBe(200);
    expect((await callUrl('echo', scoped.credentials())).status).toBe(403);
    const invokePolicy = Object.keys(world.local.world.state.policies).find((p) => p.endsWith('/InvokeSingleLambdaPolicy'))!;
    const both = await assumeRole({ 'PolicyArns.member.1.arn': arn, 'PolicyArns.member.2.arn': invokePolicy });
    expect((await callUrl('echo', both.credentials())).status).toBe(200);
  });

  it('an AWS-managed policy in PolicyArns is applied with its real document (ReadOnlyAccess: no invoke)', async () => {
    const readOnly = await assumeRole({ 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect(readOnly.status, readOnly.text).toBe(200);
    expect((await callUrl('echo', readOnly.credentials())).status).toBe(403);
    const admin = await assumeRole({ 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/AdministratorAccess' });
    expect((await callUrl('echo', admin.credentials())).status).toBe(200);
  });

  it("an unknown policy ARN is refused, in this account or AWS's", async () => {
    const unknown = await assumeRole({ 'PolicyArns.member.1.arn': `arn:aws:iam::${account()}:policy/NoSuchPolicy` });
    expect([unknown.status, xmlValue(unknown.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const managed = await assumeRole({ 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/NoSuchManagedPolicy' });
    expect([managed.status, xmlValue(managed.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    // Looked up after the trust policy: a caller it refuses learns nothing about which policies exist.
    const outsider = await assumeRole({ 'PolicyArns.member.1.arn': `arn:aws:iam::${account()}:policy/NoSuchPolicy` }, session);
    expect([outsider.status, xmlValue(outsider.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });

  it('session tags need sts:TagSession and a source identity sts:SetSourceIdentity in the trust policy', async () => {
    const tagged = { 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' };
    try {
      const noTagSession = await assumeRole(tagged);
      expect([noTagSession.status, xmlValue(noTagSession.text, 'Code')]).toEqual([403, 'AccessDenied']);
      expect(xmlValue(noTagSession.text, 'Message')).toMatch(/sts:TagSession/);
      const noSetSource = await assumeRole({ SourceIdentity: 'alice' });
      expect([noSetSource.status, xmlValue(noSetSource.text, 'Message')]).toEqual([403, expect.stringMatching(/sts:SetSourceIdentity/)]);

      expect((await setTrust(['sts:TagSession', 'sts:SetSourceIdentity'])).status).toBe(200);
      const ok = await assumeRole({ ...tagged, SourceIdentity: 'alice' });
      expect(ok.status, ok.text).toBe(200);
      expect(xmlValue(ok.text, 'SourceIdentity')).toBe('alice');
      // The tags become aws:PrincipalTag/*, which a policy can test.
      await query(world.local, 'iam', {
        Action: 'PutRolePolicy',
        RoleName: 'function_invoker',
        PolicyName: 'DenyBlueTeam',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: 'lambda:InvokeFunctionUrl',
              Resource: '*',
              Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue', 'aws:SourceIdentity': 'alice' } },
            },
          ],
        }),
      });
      expect((await callUrl('echo', ok.credentials())).status).toBe(403);
      expect((await callUrl('echo', (await assumeRole()).credentials())).status).toBe(200);
    } finally {
      await query(world.local, 'iam', { Action: 'DeleteRolePolicy', RoleName: 'function_invoker', PolicyName: 'DenyBlueTeam' });
      await setTrust([]);
    }
  });

  it('TagSession is decided on the tags requested: aws:TagKeys and aws:RequestTag/<key>', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        assumeWithExternalId(),
        {
          Effect: 'Allow',
          Principal: invoker(),
          Action: 'sts:TagSession',
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] }, StringEquals: { 'aws:RequestTag/team': 'blue' } },
        },
      ],
    });
    expect(
      (await query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: trust })).status,
    ).toBe(200);
    try {
      expect((await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' })).status).toBe(200);
      expect((await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'red' })).status).toBe(403);
      expect(
        (
          await assumeRole({
            'Tags.member.1.Key': 'team',
            'Tags.member.1.Value': 'blue',
            'Tags.member.2.Key': 'project',
            'Tags.member.2.Value': 'x',
          })
        ).status,
      ).toBe(403);
    } finally {
      await setTrust([]);
    }
  });

  it('along a role chain the source identity and transitive tags are kept, cannot be changed, and need the next trust policy too', async () => {
    const account_ = account();
    const trust = (principal: string, actions: string[]) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: actions }] });
    const all = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];
    await query(world.local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'chain-a',
      AssumeRolePolicyDocument: trust(`arn:aws:iam::${account_}:user/lambda_invoker`, all),
    });
    await query(world.local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'chain-b',
      AssumeRolePolicyDocument: trust(`arn:aws:iam::${account_}:role/chain-a`, all),
    });
    await query(world.local, 'iam', {
      Action: 'PutRolePolicy',
      RoleName: 'chain-a',
      PolicyName: 'NextHop',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${account_}:role/chain-b` }],
      }),
    });
    await query(world.local, 'iam', {
      Action: 'PutUserPolicy',
      UserName: 'lambda_invoker',
      PolicyName: 'ChainStart',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${account_}:role/chain-a` }],
      }),
    });
    const chainB = `arn:aws:iam::${account_}:role/chain-b`;
    const first = await assumeRole(
      { 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue', 'TransitiveTagKeys.member.1': 'team', SourceIdentity: 'alice' },
      world.userKey,
      `arn:aws:iam::${account_}:role/chain-a`,
    );
    expect(first.status).toBe(200);
    const hop = first.credentials();
    const changed = await assumeRole({ SourceIdentity: 'bob' }, hop, chainB);
    expect([changed.status, xmlValue(changed.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const retagged = await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'red' }, hop, chainB);
    expect([retagged.status, xmlValue(retagged.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const second = await assumeRole({}, hop, chainB);
    expect(second.status).toBe(200);
    expect(xmlValue(second.text, 'SourceIdentity')).toBe('alice');
    const chained = world.local.world.state.sessions[xmlValue(second.text, 'AccessKeyId')];
    expect([chained.sourceIdentity, chained.tags]).toEqual(['alice', [{ Key: 'team', Value: 'blue' }]]);
    await query(world.local, 'iam', {
      Action: 'UpdateAssumeRolePolicy',
      RoleName: 'chain-b',
      PolicyDocument: trust(`arn:aws:iam::${account_}:role/chain-a`, ['sts:AssumeRole', 'sts:TagSession']),
    });
    const noSetSource = await assumeRole({}, hop, chainB);
    expect([noSetSource.status, xmlValue(noSetSource.text, 'Message')]).toEqual([403, expect.stringMatching(/sts:SetSourceIdentity/)]);
  });

  it('refuses malformed tags and source identities with the field named', async () => {
    for (const [params, field] of [
      [{ 'Tags.member.1.Key': 'bad key!', 'Tags.member.1.Value': 'x' }, /tags\.1\.member\.key/],
      [{ SourceIdentity: 'x' }, /sourceIdentity/],
      [{ 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': 'x', 'Tags.member.2.Key': 'A', 'Tags.member.2.Value': 'y' }, /case insensitive/],
      [{ 'TransitiveTagKeys.member.1': 'missing' }, /transitive/],
    ] as const) {
      const r = await assumeRole(params);
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(xmlValue(r.text, 'Message')).toMatch(field);
    }
  });
});
