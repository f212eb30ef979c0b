import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromProcess } from '@aws-sdk/credential-providers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeVendor, OTHER_KEY, startFakeVendor } from './support/fake-vendor';
import { runCli } from './support/invoke-cli-run';
import { PROJECT_ROOT } from './support/leftover-guard';
import { staticProfileEnv } from './support/static-profile';
import { useTempDir } from './support/temp-dir';

/**
 * The CLI with a credential vendor: --credential-process prints the credential_process JSON and
 * nothing else (read back by the AWS SDK's own fromProcess), and --vendor-url signs the function
 * call with vended credentials. The vendor is a loopback server running the shipped vending handler.
 */
describe('lambda-url-invoke with a credential vendor', () => {
  const temp = useTempDir('cli-vend-');
  let vendor: FakeVendor;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());
  afterEach(() => vi.unstubAllEnvs());
  const setUp = () => {
    dir = temp();
    env = staticProfileEnv(dir);
  };
  const vendArgs = () => ['--vendor-url', vendor.vendorUrl, '--region', 'us-east-1', '--profile', 'static'];

  it('--credential-process prints the credential_process JSON and nothing else', async () => {
    setUp();
    const run = await runCli(['--credential-process', ...vendArgs()], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const printed = JSON.parse(run.stdout);
    expect(Object.keys(printed)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(printed).toMatchObject({
      Version: 1,
      AccessKeyId: expect.stringMatching(/^ASIA\d{16}$/),
      SessionToken: expect.stringMatching(/^token-/),
    });
  });

  it("the AWS SDK's fromProcess reads it from a credential_process profile (AWS_CONFIG_FILE)", async () => {
    setUp();
    const bin = path.join(PROJECT_ROOT, 'dist', 'scripts', 'invoke', 'main.js');
    expect(fs.existsSync(bin), 'dist/scripts/invoke/main.js: run `npx tsc -b` (npm test builds it)').toBe(true);
    const command = [
      'env',
      `AWS_SHARED_CREDENTIALS_FILE=${env.AWS_SHARED_CREDENTIALS_FILE}`,
      `AWS_CONFIG_FILE=${env.AWS_CONFIG_FILE}`,
      process.execPath,
      bin,
      '--credential-process',
      ...vendArgs(),
    ].join(' ');
    const config = path.join(dir, 'vended-config');
    fs.writeFileSync(config, `[profile vended]\ncredential_process = ${command}\n`);
    vi.stubEnv('AWS_CONFIG_FILE', config);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'no-credentials'));
    const credentials = await fromProcess({ profile: 'vended' })();
    expect(credentials.accessKeyId).toMatch(/^ASIA\d{16}$/);
    expect(credentials.sessionToken).toMatch(/^token-/);
    expect(credentials.expiration!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
  }, 60_000);

  it('a credential_process profile whose command names itself stops at once instead of starting itself in a loop', async () => {
    setUp();
    const bin = path.join(PROJECT_ROOT, 'dist', 'scripts', 'invoke', 'main.js');
    const config = path.join(dir, 'looping-config');
    const args = ['--credential-process', '--vendor-url', vendor.vendorUrl, '--region', 'us-east-1', '--profile', 'vended'];
    const files = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') };
    // The command the SDK starts reads the same files: without the guard each run would start the next.
    const command = ['env', ...Object.entries(files).map(([name, value]) => `${name}=${value}`), process.execPath, bin, ...args];
    fs.writeFileSync(config, `[profile vended]\ncredential_process = ${command.join(' ')}\n`);
    const run = await runCli(args, files);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/profile "vended"/);
    expect(process.env.LAMBDA_URL_INVOKE_CREDENTIAL_PROCESS).toBeUndefined();
  }, 60_000);

  it('--vendor-url signs the function call with the vended credentials', async () => {
    setUp();
    const run = await runCli(['--url', vendor.functionUrl, ...vendArgs()], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ caller: expect.stringMatching(/^ASIA\d{16}$/) });
  });

  it("a caller without an entitlement: exit 4, the vendor's reason on stderr, nothing on stdout", async () => {
    setUp();
    fs.appendFileSync(
      env.AWS_SHARED_CREDENTIALS_FILE!,
      `[other]\naws_access_key_id = ${OTHER_KEY.accessKeyId}\naws_secret_access_key = ${OTHER_KEY.secretAccessKey}\n`,
    );
    const run = await runCli(
      ['--credential-process', '--vendor-url', vendor.vendorUrl, '--region', 'us-east-1', '--profile', 'other'],
      env,
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/HTTP 403 NotEntitled/);
  });

  it.each([
    [['--credential-process', '--region', 'us-east-1'], false, /--credential-process needs --vendor-url URL/],
    [['--credential-process', '--presign', '60'], true, /--credential-process cannot be combined with --presign/],
    [
      ['--credential-process', '--role-arn', 'arn:aws:iam::111122223333:role/r'],
      true,
      /--role-arn only applies when the client assumes the role, not with --credential-process/,
    ],
    [
      ['--url', 'http://127.0.0.1:9/', '--role-arn', 'arn:aws:iam::111122223333:role/r'],
      true,
      /--role-arn only applies when the client assumes the role, not with --vendor-url/,
    ],
  ])('refuses %j as a usage error (with --vendor-url: %s)', async (args, withVendor, message) => {
    setUp();
    const run = await runCli([...args, ...(withVendor ? ['--vendor-url', vendor.vendorUrl] : [])], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});
