import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeldProfiles, writeHeldProfiles } from './support/held-profiles';
import { runCli } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * Which credentials the CLI signs with. A caller that already is the invoker role (a profile with
 * role_arn + source_profile, a session from `aws sts assume-role`) signs with what it holds:
 * --no-assume-role, through the AWS SDK's own providers. Assuming the role again from inside it
 * is refused, because the role's trust policy names only the invoker user.
 */

let world: SeededWorld;
let profiles: HeldProfiles;
const temp = useTempDir('cli-credentials-');

beforeAll(async () => {
  world = await seedWorld();
  profiles = await writeHeldProfiles(temp(), world);
});
afterAll(async () => {
  await world.local.close();
});

const cli = (args: string[]) => runCli(args, profiles.env);

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
    const result = await cli([
      '--url',
      world.urls.echo,
      '--region',
      'us-east-1',
      '--role-arn',
      world.roleArn,
      '--external-id',
      world.externalId,
      '--profile',
      'invoker',
      '--propagation-wait',
      '0',
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/AssumeRole failed \(AccessDenied\)/);
  });

  it('no usable credentials in the chain: exit 4 with what to configure (named by flag), no stack', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'missing']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/no usable credentials from the AWS SDK's default chain \(profile "missing"\)/);
    expect(result.stderr).toMatch(/AWS_PROFILE or --profile/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--verbose says which credentials sign', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--verbose']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `· calling ${world.urls.echo}; signing with the credentials you hold (AWS SDK default chain, profile "invoker"), without AssumeRole`,
    );
  });
});
