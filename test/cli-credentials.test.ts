import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeldProfiles, writeHeldProfiles } from './support/held-profiles';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * Which credentials the CLI signs with. A caller that already is the invoker role (a profile with
 * role_arn + source_profile, a session from `aws sts assume-role`) signs with what it holds:
 * --no-assume-role, through the AWS SDK's own providers; or with --use-default-credentials, which
 * finds (GetCallerIdentity) that they already are the role and signs with them, saying so, since
 * AWS refuses a role assuming itself (its trust policy names only the invoker user).
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

  it.each([
    ['invoker', 'ci-job'],
    ['session', 'from-cli-session'],
  ])('--use-default-credentials with a profile that already is the role (%s) signs as it is and says so', async (profile, sessionName) => {
    const outputs = writeSeededOutputs(temp(), world);
    const result = await cli(['--outputs', outputs, '--use-default-credentials', '--profile', profile, '--propagation-wait', '0']);
    expect(result.code, result.stderr).toBe(0);
    const arn = `arn:aws:sts::123456789012:assumed-role/function_invoker/${sessionName}`;
    expect(JSON.parse(result.stdout).caller.userArn).toBe(arn);
    expect(result.stderr).toContain(`your credentials already are a session of ${world.roleArn} (${arn}): signing with them as they are`);
    expect(result.stderr.match(/already are a session/g)).toHaveLength(1);
  });

  it('a session policy still needs AssumeRole, which the role refuses to itself (exit 4)', async () => {
    const policyFile = path.join(temp(), 'session-policy.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }),
    );
    const result = await cli([
      '--url',
      world.urls.echo,
      '--region',
      'us-east-1',
      '--role-arn',
      world.roleArn,
      '--external-id',
      world.externalId,
      '--session-policy',
      policyFile,
      '--profile',
      'invoker',
      '--propagation-wait',
      '0',
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/AssumeRole failed \(AccessDenied\)/);
  });

  it('own credentials that are not the role still assume it (the invoker user with --use-default-credentials)', async () => {
    const outputs = writeSeededOutputs(temp(), world);
    const result = await cli(['--outputs', outputs, '--use-default-credentials', '--profile', 'base', '--propagation-wait', '0']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).caller.userArn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/function_invoker\//);
    expect(result.stderr).not.toContain('already are a session');
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
