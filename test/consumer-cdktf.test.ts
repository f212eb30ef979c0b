import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyRequest } from '../client/sigv4-verifier';
import { readZip } from '../local-aws/zip-archive';
import { initIfNeeded, terraform, terraformEnv } from '../scripts/terraform-cli';
import { PROJECT_ROOT } from './support/leftover-guard';
import { type PackedPackage, installConsumer, packedPackage, run } from './support/packed-package';
import { osTempDir, useTempDir } from './support/temp-dir';

/**
 * The package as another team uses it: `npm pack` of this repository, installed offline into a
 * scratch cdktf project that has its own cdktf, constructs and @cdktf/provider-aws. Its stack
 * imports the constructs by package name, puts its own LambdaFunction behind ProtectedFunctionUrl,
 * grants the same role a second URL and vends that URL with a CredentialVendor (whose handler the
 * package ships); it compiles against our .d.ts, synthesizes, and the real terraform +
 * hashicorp/aws provider validate it. The same project imports lambda-url-iam/client
 * and signs a request, and runs the installed `lambda-url-invoke` bin. Then the same stack with
 * the package as a symlinked `file:` dependency (its cdktf copies then come from our checkout).
 */

const TSC = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CONSUMER_DEPENDENCIES = ['cdktf', 'constructs', '@cdktf/provider-aws', '@types/node'];

const STACK = `
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { CredentialVendor, IamFunctionUrl, ProtectedFunctionUrl } from 'lambda-url-iam';

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, 'platform');
// Offline: dummy credentials and no account lookups; validate makes no API call.
new AwsProvider(stack, 'Aws', {
  region: 'eu-west-1', accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'not-a-secret',
  skipCredentialsValidation: true, skipRequestingAccountId: true, skipMetadataApiCheck: 'true',
});
const role = new IamRole(stack, 'Execution', {
  name: 'orders-execution',
  assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
});
const lambda = (id: string, name: string) =>
  new LambdaFunction(stack, id, { functionName: name, role: role.arn, runtime: 'nodejs22.x', handler: 'index.handler', filename: 'handler.zip' });
const orders = new ProtectedFunctionUrl(stack, 'Orders', { function: lambda('OrdersFunction', 'orders'), namePrefix: 'orders-' });
const reports = new IamFunctionUrl(stack, 'Reports', { function: lambda('ReportsFunction', 'reports') });
reports.grantInvokeUrl(orders.role);
new CredentialVendor(stack, 'Vendor', { entitlements: [{ caller: 'arn:aws:iam::111122223333:role/partner', functionUrls: [reports] }] });
app.synth();
`;

const SIGN = `
import { signRequest } from 'lambda-url-iam/client';

signRequest(
  { method: 'POST', hostname: 'abc123.lambda-url.eu-west-1.on.aws', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{"id":1}' },
  { accessKeyId: 'AKIDCONSUMER', secretAccessKey: 'consumer-secret', sessionToken: 'token' },
  { region: 'eu-west-1', service: 'lambda' },
).then((signed) => process.stdout.write(JSON.stringify(signed)));
`;

/** Which installed packages a module loads, from require.cache in a fresh node process. */
const LOADED_PACKAGES = (specifier: string) => `
require(${JSON.stringify(specifier)});
const names = new Set(Object.keys(require.cache).map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file)?.[1]).filter(Boolean));
process.stdout.write(JSON.stringify([...names].sort()));
`;

const TSCONFIG = {
  // What \`cdktf init --template typescript\` writes, minus what needs files we do not have.
  compilerOptions: {
    target: 'ES2020',
    module: 'commonjs',
    lib: ['es2020'],
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: 'dist',
    rootDir: '.',
  },
  include: ['*.ts'],
};

async function writeAndCompile(dir: string): Promise<void> {
  fs.writeFileSync(path.join(dir, 'main.ts'), STACK);
  fs.writeFileSync(path.join(dir, 'sign.ts'), SIGN);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  await run(process.execPath, [TSC, '-p', dir], dir);
}

async function synth(dir: string): Promise<any> {
  const outdir = path.join(dir, 'cdktf.out');
  await run(process.execPath, [path.join(dir, 'dist', 'main.js'), outdir], dir);
  // The local backend's state path is absolute (the project's folder): the same stack in two
  // folders differs there and nowhere else.
  return JSON.parse(
    fs
      .readFileSync(path.join(outdir, 'stacks', 'platform', 'cdk.tf.json'), 'utf8')
      .split(dir)
      .join('<project>'),
  );
}

/** The tarball must hold exactly the compiled entry points and their types, the vendor's handler, README and LICENSE. */
function expectedFiles(): string[] {
  const compiled = (folder: string) =>
    fs
      .readdirSync(path.join(PROJECT_ROOT, folder))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [`dist/${folder}/${f.replace(/\.ts$/, '.js')}`, `dist/${folder}/${f.replace(/\.ts$/, '.d.ts')}`]);
  // dist/cdktn is dist/constructs with cdktf's module names renamed to cdktn's (scripts/build-cdktn.ts).
  const cdktn = compiled('constructs').map((file) => file.replace('dist/constructs/', 'dist/cdktn/'));
  // The bin, dist/scripts/invoke/main.js, and the modules it loads.
  return [
    'LICENSE',
    'README.md',
    'package.json',
    ...compiled('constructs'),
    ...cdktn,
    ...compiled('client'),
    ...compiled('scripts/invoke'),
    // The credential vendor's handler, zipped from the installed package at synth.
    'constructs/vendor-handler/index.mjs',
    'constructs/vendor-handler/vending.mjs',
  ].sort();
}

describe('a cdktf project that installs the packed package', { timeout: 240_000 }, () => {
  const temp = useTempDir('consumer-', osTempDir);
  let packed: PackedPackage;
  let dir: string;
  let synthesized: any;

  beforeAll(async () => {
    packed = await packedPackage();
    dir = temp();
    await installConsumer(dir, { lambdaUrlIam: { tarball: packed.tarball }, dependencies: CONSUMER_DEPENDENCIES });
    await writeAndCompile(dir);
  });

  it('packs compiled JS, .d.ts, README and LICENSE only: no tests, sources, maps or build info', () => {
    expect(packed.files).toEqual(expectedFiles());
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'lambda-url-iam', 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    for (const range of Object.values<string>(manifest.dependencies)) expect(range).toMatch(/^\^/);
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
    // The AGPL simulator is a devDependency: no shipped file may even mention it.
    const shipped = packed.files
      .filter((f) => f.endsWith('.js'))
      .filter((f) => fs.readFileSync(path.join(dir, 'node_modules', 'lambda-url-iam', f), 'utf8').includes('@cloud-copilot'));
    expect(shipped).toEqual([]);
  });

  it('synthesizes a stack with its own LambdaFunction, ProtectedFunctionUrl, a second URL granted to the same role, and a vendor', async () => {
    synthesized = await synth(dir);
    // orders, reports and the vendor's own URL
    expect(Object.keys(synthesized.resource.aws_lambda_function_url)).toHaveLength(3);
    const policy = JSON.parse(Object.values<any>(synthesized.resource.aws_iam_policy)[0].policy);
    const invoked = policy.Statement.flatMap((s: any) => [s.Resource].flat());
    expect(invoked.some((r: string) => r.includes('aws_lambda_function.OrdersFunction.arn'))).toBe(true);
    expect(invoked.some((r: string) => r.includes('aws_lambda_function.ReportsFunction.arn'))).toBe(true);
  });

  it("packages the credential vendor's handler from the installed package at synth", () => {
    const vendor = Object.values<any>(synthesized.resource.aws_lambda_function).find((fn) => fn.function_name === 'credential-vendor');
    const archive = path.join(dir, 'cdktf.out', 'stacks', 'platform', vendor.filename);
    const files = readZip(fs.readFileSync(archive));
    expect([...files.keys()]).toEqual(['index.mjs', 'vending.mjs']);
    expect(files.get('vending.mjs')!.equals(fs.readFileSync(path.join(PROJECT_ROOT, 'constructs', 'vendor-handler', 'vending.mjs')))).toBe(
      true,
    );
  });

  it('validates with the real terraform and hashicorp/aws provider, no errors or warnings', async () => {
    expect(synthesized, 'the synth test must pass first').toBeDefined();
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', 'platform');
    const env = terraformEnv(dir);
    await initIfNeeded(stackDir, env);
    const report = JSON.parse((await terraform(['validate', '-json', '-no-color'], { cwd: stackDir, env })).stdout);
    expect(report.diagnostics).toEqual([]);
    expect(report).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  });

  it('imports lambda-url-iam/client by name and signs a request that verifies', async () => {
    const signed = JSON.parse(await run(process.execPath, [path.join(dir, 'dist', 'sign.js')], dir));
    const result = await verifyRequest(
      signed,
      (id) => (id === 'AKIDCONSUMER' ? { secretAccessKey: 'consumer-secret', sessionToken: 'token' } : undefined),
      { service: 'lambda', region: 'eu-west-1' },
    );
    expect(result).toMatchObject({ ok: true });
  });

  it('the constructs entry loads no AWS SDK code, the client entry no cdktf or provider code', async () => {
    const constructsLoads = JSON.parse(await run(process.execPath, ['-e', LOADED_PACKAGES('lambda-url-iam')], dir));
    expect(constructsLoads).toContain('cdktf');
    expect(constructsLoads.filter((name: string) => /^@(aws-sdk|smithy)\//.test(name))).toEqual([]);
    const clientLoads = JSON.parse(await run(process.execPath, ['-e', LOADED_PACKAGES('lambda-url-iam/client')], dir));
    // (the list is read for real: the signer's own packages are in it)
    expect(clientLoads.filter((name: string) => /^@(aws-sdk|smithy)\//.test(name)).length).toBeGreaterThan(0);
    expect(clientLoads.filter((name: string) => /^(cdktf|constructs|@cdktf\/.*)$/.test(name))).toEqual([]);
  });

  it('installs no CDK Terrain package: the other framework is an optional peer', () => {
    const installed = ['cdktn', '@cdktn/provider-aws'].filter((name) => fs.existsSync(path.join(dir, 'node_modules', name)));
    expect(installed).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'cdktf'))).toBe(true);
  });

  it('installs the lambda-url-invoke bin, which starts with plain node (no TypeScript)', async () => {
    const bin = path.join(dir, 'node_modules', '.bin', 'lambda-url-invoke');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'typescript'))).toBe(false);
    const help = await run(bin, ['--help'], dir);
    expect(help).toMatch(/--prove/);
  });

  describe('the same stack with the package as a symlinked file: dependency', () => {
    it("synthesizes the same Terraform JSON (the constructs accept the consumer's LambdaFunction from another copy of the provider)", async () => {
      expect(synthesized, 'the tarball synth must pass first').toBeDefined();
      const linked = temp();
      await installConsumer(linked, { lambdaUrlIam: { linkTo: PROJECT_ROOT }, dependencies: CONSUMER_DEPENDENCIES });
      expect(fs.lstatSync(path.join(linked, 'node_modules', 'lambda-url-iam')).isSymbolicLink()).toBe(true);
      await writeAndCompile(linked);
      expect(await synth(linked)).toEqual(synthesized);
    });
  });
});
