import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { credentialsIn, mustSucceed, query, userWithKey, xmlValue } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * Session tags and the source identity of an AssumeRole request, as AWS uses them: the whole
 * request (aws:RequestTag/<key>, aws:TagKeys, sts:SourceIdentity) decides AssumeRole itself, and
 * the session then carries them into every later decision as aws:PrincipalTag/<key> and
 * aws:SourceIdentity, so one role serves several tenants, each session only its own.
 */

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/tenant-role`;
const AWS_CLI = '/usr/bin/aws';
const tempDir = useTempDir('session-tags-');

let local: LocalAws;
let userKey: AwsCredentialIdentity;

beforeAll(async () => {
  local = await startLocalAws({ port: 0 });
  userKey = await userWithKey(local, 'platform', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: ROLE }],
  });
  const user = { AWS: `arn:aws:iam::${ACCOUNT}:user/platform` };
  await mustSucceed(
    query(local, 'iam', {
      Action: 'CreateRole',
      RoleName: 'tenant-role',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          // Only a request that names a tenant and a source identity may assume the role.
          {
            Effect: 'Allow',
            Principal: user,
            Action: 'sts:AssumeRole',
            Condition: { Null: { 'aws:RequestTag/tenant': 'false', 'sts:SourceIdentity': 'false' } },
          },
          { Effect: 'Allow', Principal: user, Action: ['sts:TagSession', 'sts:SetSourceIdentity'] },
        ],
      }),
    }),
  );
  // The role may read itself, but only in a session of tenant "a" attributed to alice.
  await mustSucceed(
    query(local, 'iam', {
      Action: 'PutRolePolicy',
      RoleName: 'tenant-role',
      PolicyName: 'tenant-a',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iam:GetRole',
            Resource: ROLE,
            Condition: { StringEquals: { 'aws:PrincipalTag/tenant': 'a', 'aws:SourceIdentity': 'alice' } },
          },
        ],
      }),
    }),
  );
});
afterAll(async () => {
  await local?.close();
});

const assume = (params: Record<string, string>) =>
  query(local, 'sts', { Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 'tenant', ...params }, userKey);

const tenant = (value: string, sourceIdentity: string) => ({
  'Tags.member.1.Key': 'tenant',
  'Tags.member.1.Value': value,
  SourceIdentity: sourceIdentity,
});

describe('AssumeRole is decided on the tags and source identity it asks for', () => {
  it.each([
    ['neither', {}],
    ['no tenant tag', { SourceIdentity: 'alice' }],
    ['no source identity', { 'Tags.member.1.Key': 'tenant', 'Tags.member.1.Value': 'a' }],
  ])('a trust requiring both refuses a request with %s', async (_, params) => {
    const r = await assume(params);
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([403, 'AccessDenied']);
    expect(xmlValue(r.text, 'Message')).toMatch(/sts:AssumeRole/);
  });

  it('and allows one with both; its answer carries the source identity', async () => {
    const r = await assume(tenant('a', 'alice'));
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'SourceIdentity')).toBe('alice');
  });
});

describe('a later decision sees the session tags and the source identity', () => {
  it.each([
    ['a', 'alice', 200],
    ['b', 'alice', 403],
    ['a', 'bob', 403],
  ])('a policy for tenant a and alice: tenant %s, source identity %s -> %i', async (value, sourceIdentity, status) => {
    const session = credentialsIn(await mustSucceed(assume(tenant(value, sourceIdentity))));
    expect((await query(local, 'iam', { Action: 'GetRole', RoleName: 'tenant-role' }, session)).status).toBe(status);
  });
});

describe('the real AWS CLI against the stand-in', () => {
  const aws = async (args: string[], credentials: AwsCredentialIdentity) => {
    if (!fs.existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} is missing: install the AWS CLI v2 (Debian: apt-get install awscli)`);
    const home = tempDir();
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: home,
      AWS_CONFIG_FILE: `${home}/config`,
      AWS_SHARED_CREDENTIALS_FILE: `${home}/credentials`,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
      AWS_PAGER: '',
    };
    const args_ = [...args, '--endpoint-url', local.endpoint, '--output', 'json'];
    try {
      const { stdout } = await promisify(execFile)(AWS_CLI, args_, { env, timeout: 60_000 });
      return { ok: true, json: JSON.parse(stdout) as Record<string, any>, stderr: '' };
    } catch (error) {
      return { ok: false, json: {}, stderr: String((error as { stderr?: string }).stderr) };
    }
  };

  it('sts assume-role --source-identity --tags gets a tagged session that only its tenant policy lets read the role', async () => {
    const assumeWith = (value: string) =>
      aws(
        [
          'sts',
          'assume-role',
          '--role-arn',
          ROLE,
          '--role-session-name',
          'cli',
          '--source-identity',
          'alice',
          '--tags',
          `Key=tenant,Value=${value}`,
          '--transitive-tag-keys',
          'tenant',
        ],
        userKey,
      );
    const a = await assumeWith('a');
    expect(a.stderr).toBe('');
    expect(a.json.SourceIdentity).toBe('alice');
    expect(a.json.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/tenant-role/cli`);
    const sessionOf = (answer: Record<string, any>): AwsCredentialIdentity => ({
      accessKeyId: answer.Credentials.AccessKeyId,
      secretAccessKey: answer.Credentials.SecretAccessKey,
      sessionToken: answer.Credentials.SessionToken,
    });
    const getRole = ['iam', 'get-role', '--role-name', 'tenant-role'];
    expect((await aws(getRole, sessionOf(a.json))).json.Role?.Arn).toBe(ROLE);
    const refused = await aws(getRole, sessionOf((await assumeWith('b')).json));
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/AccessDenied/);
  });
});
