import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalOidcIssuer, newIssuerIdentity, startOidcIssuer } from '../local-aws/oidc-issuer';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { mustSucceed, query, xmlText } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';
import { webIdentityTrust } from './support/web-identity-trust';

/**
 * AssumeRoleWithWebIdentity through real AWS clients (the AWS CLI v2 and botocore, Debian's), with
 * the local issuer over https (a self-signed certificate the stand-in is told to trust), as the
 * Terraform-driven flow registers it: the clients send the unsigned call as they do to AWS.
 */

const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const tempDir = useTempDir('web-identity-clients-');

let local: LocalAws;
let issuer: LocalOidcIssuer;
let roleArn: string;
let hostAndPath: string;

beforeAll(async () => {
  issuer = await startOidcIssuer({ identity: await newIssuerIdentity({ tls: true }) });
  hostAndPath = issuer.url.replace('https://', '');
  local = await startLocalAws({ webIdentity: { trustedCertificates: [issuer.certificate!] } });
  await mustSucceed(
    query(local, 'iam', {
      Action: 'CreateOpenIDConnectProvider',
      Url: issuer.url,
      'ClientIDList.member.1': 'sts.amazonaws.com',
      'ThumbprintList.member.1': issuer.thumbprint!,
    }),
  );
  const trust = webIdentityTrust({
    account: local.world.accountId,
    hostAndPath,
    subject: 'repo:acme/payments:*',
    subjectOperator: 'StringLike',
  });
  roleArn = xmlText(
    await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: 'ci', AssumeRolePolicyDocument: JSON.stringify(trust) })),
    'Arn',
  );
});
afterAll(async () => {
  await local?.close();
  await issuer?.close();
});

/** An environment that reads no configuration or credentials of the machine. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'config'), '');
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: path.join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function requireTool(file: string, install: string): void {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: install it with "apt-get install ${install}"`);
}

describe('the AWS CLI v2', () => {
  it('assumes the role with a token of the local https issuer, and gets ExpiredTokenException for an old one', async () => {
    requireTool(AWS_CLI, 'awscli');
    const args = (token: string) => [
      'sts',
      'assume-role-with-web-identity',
      '--role-arn',
      roleArn,
      '--role-session-name',
      'gha',
      '--web-identity-token',
      token,
      '--endpoint-url',
      local.endpoint,
      '--region',
      'us-east-1',
      '--output',
      'json',
    ];
    const token = await issuer.mint({ sub: 'repo:acme/payments:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
    const { stdout } = await run(AWS_CLI, args(token), { env: isolatedEnv() });
    const answer = JSON.parse(stdout);
    expect(answer.SubjectFromWebIdentityToken).toBe('repo:acme/payments:ref:refs/heads/main');
    expect(answer.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${local.world.accountId}:assumed-role/ci/gha`);
    expect(answer.Credentials.AccessKeyId).toMatch(/^ASIA/);

    const expired = await issuer.mint({
      sub: 'repo:acme/payments:ref:refs/heads/main',
      aud: 'sts.amazonaws.com',
      issuedAt: new Date(Date.now() - 3600_000),
    });
    const failure = await run(AWS_CLI, args(expired), { env: isolatedEnv() }).then(
      () => 'succeeded',
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).toMatch(/ExpiredTokenException/);
  }, 60_000);
});

describe('botocore', () => {
  it('assumes the role, and reports AccessDenied for a token of another repository', async () => {
    requireTool(PYTHON, 'python3-botocore');
    const script = `
import json, sys, botocore.session
from botocore.exceptions import ClientError
client = botocore.session.get_session().create_client('sts', region_name='us-east-1', endpoint_url=sys.argv[1])
out = []
for token in sys.argv[3:]:
    try:
        r = client.assume_role_with_web_identity(RoleArn=sys.argv[2], RoleSessionName='boto', WebIdentityToken=token)
        out.append(r['AssumedRoleUser']['Arn'])
    except ClientError as e:
        out.append(e.response['Error']['Code'])
print(json.dumps(out))
`;
    const good = await issuer.mint({ sub: 'repo:acme/payments:environment:prod', aud: 'sts.amazonaws.com' });
    const other = await issuer.mint({ sub: 'repo:acme/other:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
    const { stdout } = await run(PYTHON, ['-c', script, local.endpoint, roleArn, good, other], { env: isolatedEnv() }).catch((error) => {
      if (/No module named 'botocore'/.test(String(error.stderr))) throw new Error('botocore is missing: apt-get install python3-botocore');
      throw error;
    });
    expect(JSON.parse(stdout)).toEqual([`arn:aws:sts::${local.world.accountId}:assumed-role/ci/boto`, 'AccessDenied']);
  }, 60_000);
});
