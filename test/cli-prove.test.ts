import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HeldProfiles, writeHeldProfiles } from './support/held-profiles';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * --prove against the local stand-in: unsigned -> 403, the invoker user's own key -> 403, the
 * session -> 200 as the expected caller; exit 6 when a call does not behave so.
 */

let world: SeededWorld;
let profiles: HeldProfiles;
const temp = useTempDir('cli-prove-');

beforeAll(async () => {
  world = await seedWorld();
  profiles = await writeHeldProfiles(temp(), world);
});
afterAll(async () => {
  await world.local.close();
});

describe('--prove with the role assumed from the outputs', () => {
  const cli = (args: string[]) => runCli(args, { AWS_ENDPOINT_URL_STS: world.local.endpoint });

  it('passes: unsigned 403, user key 403, assumed role 200 with the caller', async () => {
    const result = await cli(['--outputs', writeSeededOutputs(temp(), world, { max_session_duration: 3600 }), '--prove']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/PASS\s+unsigned request/);
    expect(result.stdout).toMatch(/PASS\s+signed with the invoker user's own key/);
    expect(result.stdout).toMatch(/PASS\s+signed with the assumed role .*assumed-role\/function_invoker\//);
  });

  it('fails (exit 6) when the session may not call the URL', async () => {
    const result = await cli(['--outputs', writeSeededOutputs(temp(), world, { function_url: world.urls.other }), '--prove']);
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/FAIL\s+signed with the assumed role/);
  });
});

describe('--prove with the credentials you hold (--no-assume-role)', () => {
  const cli = (args: string[]) => runCli(args, profiles.env);

  it('checks what it can and says what it skipped', async () => {
    const result = await cli(['--url', world.urls.echo, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/PASS\s+unsigned request/);
    expect(result.stdout).toMatch(/SKIP\s+signed with the invoker user's own key .*skipped: the outputs hold no invoker key/);
    expect(result.stdout).toMatch(
      /PASS\s+signed with the credentials you hold\s+expected 200, caller arn:aws:sts::123456789012:assumed-role\/function_invoker\/ci-job/,
    );
    expect(result.stdout).toMatch(/All 2 checked calls behaved as expected \(1 skipped\)/);
  });

  it('fails (exit 6) when the held credentials may not call the URL', async () => {
    const result = await cli(['--url', world.urls.other, '--region', 'us-east-1', '--no-assume-role', '--profile', 'invoker', '--prove']);
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/FAIL\s+signed with the credentials you hold/);
  });
});
