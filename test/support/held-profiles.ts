import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssumeRoleCredentials } from '../../client/credentials';
import type { SeededWorld } from './local-aws-fixtures';

export interface HeldProfiles {
  configFile: string;
  credentialsFile: string;
  /** The environment that points the AWS SDK (and STS) at the files and the stand-in. */
  env: NodeJS.ProcessEnv;
}

/**
 * AWS config and credentials files for a caller that already is the invoker role, the two ways
 * people get there: profile "invoker" assumes the role itself (role_arn + source_profile "base",
 * the invoker user's key; session name "ci-job"), profile "session" holds a session made by
 * `aws sts assume-role` (session name "from-cli-session").
 */
export async function writeHeldProfiles(dir: string, world: SeededWorld): Promise<HeldProfiles> {
  const configFile = path.join(dir, 'config');
  const credentialsFile = path.join(dir, 'credentials');
  const session = await new AssumeRoleCredentials({
    roleArn: world.roleArn,
    externalId: world.externalId,
    sourceCredentials: world.userKey,
    stsEndpoint: world.local.endpoint,
    sessionName: 'from-cli-session',
    propagationWaitSeconds: 0,
  }).getCredentials();
  fs.writeFileSync(
    configFile,
    [
      '[profile base]',
      'region = us-east-1',
      '[profile invoker]',
      `role_arn = ${world.roleArn}`,
      'source_profile = base',
      `external_id = ${world.externalId}`,
      'role_session_name = ci-job',
      'region = us-east-1',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    credentialsFile,
    [
      '[base]',
      `aws_access_key_id = ${world.userKey.accessKeyId}`,
      `aws_secret_access_key = ${world.userKey.secretAccessKey}`,
      '[session]',
      `aws_access_key_id = ${session.accessKeyId}`,
      `aws_secret_access_key = ${session.secretAccessKey}`,
      `aws_session_token = ${session.sessionToken}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return {
    configFile,
    credentialsFile,
    env: { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_ENDPOINT_URL_STS: world.local.endpoint },
  };
}
