import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials, heldCredentials } from '../client/credentials';
import { FunctionUrlClient } from '../client/function-url-client';
import { SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { runCli } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

/**
 * A caller that already is the invoker role (a profile with role_arn + source_profile, a session
 * from `aws sts assume-role`) signs with what it holds: `--no-assume-role` / `heldCredentials()`,
 * through the AWS SDK's own providers. Assuming the role again from inside it is refused, because
 * the role's trust policy names only the invoker user.
 */

let world: SeededWorld;
const temp = useTempDir('held-');
let env: NodeJS.ProcessEnv;
let configFile: string;
let credentialsFile: string;

beforeAll(async () => {
  world = await seedWorld();
  const dir = temp();
  configFile = path.join(dir, 'config');
  credentialsFile = path.join(dir, 'credentials');
  const session = await new AssumeRoleCredentials({ roleArn: world.roleArn, externalId: world.externalId, sourceCredentials: world.userKey, stsEndpoint: world.local.endpoint, sessionName: 'from-cli-session', propagationWaitSeconds: 0 }).getCredentials();
  fs.writeFileSync(configFile, [
    '[profile base]',
    'region = us-east-1',
    '[profile invoker]',
    `role_arn = ${world.roleArn}`,
    'source_profile = base',
    `external_id = ${world.externalId}`,
    'role_session_name = ci-job',
    'region = us-east-1',
    '',
  ].join('\n'));
  fs.writeFileSync(credentialsFile, [
    '[base]',
    `aws_access_key_id = ${world.userKey.accessKeyId}`,
    `aws_secret_access_key = ${world.userKey.secretAccessKey}`,
    '[session]',
    `aws_access_key_id = ${session.accessKeyId}`,
    `aws_secret_access_key = ${session.secretAccessKey}`,
    `aws_session_token = ${session.sessionToken}`,
    '',
  ].join('\n'), { mode: 0o600 });
  env = { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_ENDPOINT_URL_STS: world.local.endpoint };
});
afterAll(async () => {
  await world.local.close();
});

const cli = (args: string[]) => runCli(args, env);

describe('signing with the credentials you already hold', () => {
  it('--no-assume-role with a profile that assumes the role itself (role_arn + source_profile): 200 as that session', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).caller.userArn).toBe('arn:aws:sts::123456789012:assumed-role/function_invoker/ci-job');
  });

  it('--no-assume-role with a session from `aws sts assume-role` in a profile: 200 as that session', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'session']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).caller.userArn).toBe('arn:aws:sts::123456789012:assumed-role/function_invoker/from-cli-session');
  });

  it('without --no-assume-role the same profile cannot assume the role again (exit 4): why the mode exists', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--role-arn', world.roleArn, '--external-id', world.externalId, '--profile', 'invoker', '--propagation-wait', '0']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/AssumeRole failed \(AccessDenied\)/);
  });

  it('--prove checks what it can and says what it skipped', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/PASS\s+unsigned request/);
    expect(result.stdout).toMatch(/SKIP\s+signed with the invoker user's own key .*skipped: the outputs hold no invoker key/);
    expect(result.stdout).toMatch(/PASS\s+signed with the credentials you hold\s+expected 200, caller arn:aws:sts::123456789012:assumed-role\/function_invoker\/ci-job/);
    expect(result.stdout).toMatch(/All 2 checked calls behaved as expected \(1 skipped\)/);
  });

  it('--prove fails (exit 6) when the held credentials may not call the URL', async () => {
    const result = await cli(['--url', world.urls.other, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove']);
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/FAIL\s+signed with the credentials you hold/);
  });

  it('no usable credentials in the chain: exit 4 with what to configure, no stack', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'missing']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/no usable credentials from the AWS SDK's default chain \(profile "missing"\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('never prints a secret or a session token with --no-assume-role, in any mode', async () => {
    const runs = [
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--verbose']),
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'session', '--verbose', '--json']),
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove', '--verbose']),
      await cli(['--url', world.urls.other, '--region', 'us-east-1', '--no-assume-role', '--profile', 'session', '--verbose']),
    ];
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).toContain('<session token redacted>');
    const secrets = [world.userKey.secretAccessKey, ...Object.values(world.local.world.state.sessions).flatMap((s) => [s.secretAccessKey, s.sessionToken])];
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('the library: heldCredentials() as the client\'s credentials, refreshed by the SDK', async () => {
    const provider = heldCredentials({ profile: 'invoker', configFile, credentialsFile, stsEndpoint: world.local.endpoint, stsRegion: 'us-east-1' });
    const client = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: provider, retries: 0 });
    const response = await client.invoke();
    expect(response.status).toBe(200);
    expect((response.json as { caller: { userArn: string } }).caller.userArn).toMatch(/assumed-role\/function_invoker\/ci-job$/);
    // The chain memoizes: a second call signs with the same session, no second AssumeRole.
    expect((await provider()).accessKeyId).toBe((await provider()).accessKeyId);
  });
});
