import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/** The CLI's modes besides --prove, against the local stand-in: --repeat, --json, --presign. */

let world: SeededWorld;
let outputsFile: string;
const temp = useTempDir('cli-modes-');

beforeAll(async () => {
  world = await seedWorld();
  outputsFile = writeSeededOutputs(temp(), world, { max_session_duration: 3600 });
});
afterAll(async () => {
  await world.local.close();
});

const cli = (args: string[]) => runCli(args, { AWS_ENDPOINT_URL_STS: world.local.endpoint });

describe('--repeat and --json', () => {
  it('--repeat calls STS once; --json prints one result object', async () => {
    const repeated = await cli(['--outputs', outputsFile, '--repeat', '5']);
    expect(repeated.code).toBe(0);
    expect(repeated.stderr).toContain('5 call(s); STS AssumeRole was called 1 time(s)');
    expect(
      repeated.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).caller.userArn),
    ).toHaveLength(5);
    const json = await cli(['--outputs', outputsFile, '--json', '--data', 'ping', '-H', 'content-type: text/plain', '--path', '/x']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ status: 200, body: { body: 'ping', path: '/x' }, assumeRoleCalls: 1, timing: { attempts: 1 } });
  });
});

describe('--presign', () => {
  it('prints only the URL on stdout, the warning on stderr, and asks STS for a session long enough', async () => {
    const outputs = writeSeededOutputs(temp(), world);
    const { code, stdout, stderr } = await cli(['--outputs', outputs, '--presign', '1800', '--path', '/p']);
    expect(stderr).toMatch(/bearer credential/);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/lambda-url\/[0-9a-f]+\/p\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Expires=1800&.*&X-Amz-Signature=[0-9a-f]{64}\n$/,
    );
    expect(stdout).not.toContain(world.userKey.secretAccessKey);
    // A session of 1860 s (1800 + a minute) was asked for, not the default 3600.
    const signer = Object.values(world.local.world.state.sessions).find((s) => stdout.includes(`X-Amz-Credential=${s.accessKeyId}%2F`));
    expect((new Date(signer!.expiration).getTime() - Date.now()) / 1000).toBeGreaterThan(1800);
    expect((new Date(signer!.expiration).getTime() - Date.now()) / 1000).toBeLessThanOrEqual(1860);
    expect((await fetch(stdout.trim())).status).toBe(200);
  });
});
