import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeldProfiles, writeHeldProfiles } from './support/held-profiles';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * No mode prints a secret access key or a session token: every mode runs against the local
 * stand-in and all its output is searched for every secret the stand-in issued.
 */

let world: SeededWorld;
let outputsFile: string;
let profiles: HeldProfiles;
const temp = useTempDir('cli-secrets-');
const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/function_invoker';

beforeAll(async () => {
  world = await seedWorld();
  outputsFile = writeSeededOutputs(temp(), world, { max_session_duration: 3600 });
  profiles = await writeHeldProfiles(temp(), world);
});
afterAll(async () => {
  await world.local.close();
});

/** Every secret key and session token the stand-in has issued so far, and the invoker user's secret. */
function issuedSecrets(): string[] {
  return [
    world.userKey.secretAccessKey,
    ...Object.values(world.local.world.state.sessions).flatMap((s) => [s.secretAccessKey, s.sessionToken]),
  ];
}

describe('secrets never printed', () => {
  it('with the role assumed from the outputs, in any mode', async () => {
    const cli = (args: string[]) => runCli(args, { AWS_ENDPOINT_URL_STS: world.local.endpoint });
    const runs = [
      await cli(['--outputs', outputsFile, '--verbose', '--data', 'x']),
      await cli(['--outputs', outputsFile, '--verbose', '--json']),
      await cli(['--outputs', outputsFile, '--prove', '--verbose']),
      await cli(['--outputs', outputsFile, '--prove', '--json']),
      await cli(['--outputs', outputsFile, '--repeat', '2', '--verbose']),
      await cli(['--outputs', outputsFile, '--url', world.urls.other, '--verbose']),
      await cli(['--outputs', outputsFile, '--external-id', 'wrong-id', '--json', '--propagation-wait', '0']),
    ];
    const secrets = issuedSecrets();
    expect(secrets.length).toBeGreaterThan(5);
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).toContain('canonical request');
    expect(everything).toContain('<session token redacted>');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain(world.userKey.accessKeyId);
  });

  it('with --no-assume-role, in any mode', async () => {
    const cli = (args: string[]) => runCli(args, profiles.env);
    const runs = [
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--verbose']),
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'session', '--verbose', '--json']),
      await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove', '--verbose']),
      await cli(['--url', world.urls.other, '--region', 'us-east-1', '--no-assume-role', '--profile', 'session', '--verbose']),
    ];
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).toContain('<session token redacted>');
    const secrets = issuedSecrets();
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});

describe('credentials in what the user typed are not echoed', () => {
  it('a presigned URL given as --url: exit 2, and its token appears nowhere in the output (plain and --json)', async () => {
    const token = 'FwoGZXIvYXdzEXAMPLETOKENvalue0123456789';
    const presigned = `${URL_OF_FUNCTION}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=${token}&X-Amz-SignedHeaders=host&X-Amz-Signature=${'a'.repeat(64)}`;
    for (const extra of [[], ['--json'], ['--verbose', '--debug']]) {
      const run = await runCli(['--url', presigned, '--role-arn', ROLE_ARN, ...extra], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
      expect(run.code).toBe(2);
      expect(`${run.stdout}${run.stderr}`).toMatch(/presigned URL/);
      expect(`${run.stdout}${run.stderr}`).not.toContain(token);
    }
  });

  it('a -H with the colon forgotten after Authorization: exit 2 naming the header, the token nowhere', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig';
    const run = await runCli(['--url', URL_OF_FUNCTION, '--role-arn', ROLE_ARN, '-H', `Authorization Bearer ${token}`], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/-H must look like 'Name: value' \(got one starting "Authorization"/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(token);
  });
});
