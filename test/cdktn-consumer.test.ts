import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CdktnConsumerProject } from './support/cdktn-consumer-project';
import { loadTarget } from './support/framework-targets';
import { osTempDir, useTempDir } from './support/temp-dir';

/**
 * A CDK Terrain user's project: installs the packed tarball (offline, like the cdktf consumer)
 * with cdktn 0.24 and @cdktn/provider-aws 25.x (hashicorp/aws 6.x schema), imports the constructs
 * from `lambda-url-iam/cdktn`, type-checks against cdktn's types and synthesizes.
 */

const APP = `import { App, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { IamFunctionUrl, ProtectedFunctionUrl } from 'lambda-url-iam/cdktn';

const app = new App();
const stack = new TerraformStack(app, 'orders');
new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });
const fn = new LambdaFunction(stack, 'Function', {
  functionName: 'orders',
  role: 'arn:aws:iam::111122223333:role/orders-execution',
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  filename: 'function.zip',
});
const api = new ProtectedFunctionUrl(stack, 'Api', { function: fn, crossAccountInvokers: ['arn:aws:iam::444455556666:role/partner'] });
const url: IamFunctionUrl = api.functionUrl;
const onlyViaUrl: boolean = url.crossAccountInvokeOnlyViaUrl;
console.log(JSON.stringify({ onlyViaUrl }));
app.synth();
`;

// What \`cdktn init --template=typescript\` uses (CommonJS, classic node resolution), and node16.
const TSCONFIG = (moduleResolution: 'node10' | 'node16') =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: moduleResolution === 'node16' ? 'node16' : 'commonjs',
      moduleResolution,
      strict: true,
      // Our declarations are checked too, not taken on trust.
      skipLibCheck: false,
      types: [],
      outDir: `out-${moduleResolution}`,
    },
    files: ['main.ts'],
  });

describe('a CDK Terrain project installing the packed package', { timeout: 240_000 }, () => {
  const temp = useTempDir('cdktn-consumer-', osTempDir);
  let consumer: CdktnConsumerProject;

  beforeAll(async () => {
    loadTarget('cdktn'); // fails with "run npm run build" when dist/cdktn is missing or stale
    consumer = await CdktnConsumerProject.create(temp());
    consumer.write('main.ts', APP);
  }, 240_000);

  it('installs neither cdktf nor @cdktf/provider-aws (both frameworks are optional peers)', () => {
    expect(consumer.exists('node_modules/lambda-url-iam/dist/cdktn/index.js')).toBe(true);
    expect(consumer.exists('node_modules/cdktn')).toBe(true);
    expect(consumer.exists('node_modules/cdktf')).toBe(false);
    expect(consumer.exists('node_modules/@cdktf')).toBe(false);
  });

  const compile = (resolution: 'node10' | 'node16') => {
    consumer.write(`tsconfig.${resolution}.json`, TSCONFIG(resolution));
    return consumer.run(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`]);
  };

  it.each(['node10', 'node16'] as const)(
    'type-checks and compiles against cdktn 0.24 and @cdktn/provider-aws 25.x (moduleResolution %s)',
    (resolution) => {
      const tsc = compile(resolution);
      expect(tsc.output).toBe('');
      expect(tsc.code).toBe(0);
    },
  );

  it("catches a wrong prop type at compile time (the types are cdktn's, not any)", () => {
    consumer.write(
      'wrong.ts',
      APP.replace("crossAccountInvokers: ['arn:aws:iam::444455556666:role/partner']", "maxSessionDuration: 'an hour'"),
    );
    const tsc = consumer.run(process.execPath, [
      path.join('node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      'wrong.ts',
    ]);
    expect(tsc.code).not.toBe(0);
    expect(tsc.output).toMatch(/wrong\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it('synthesizes with cdktn: AWS_IAM URL, hashicorp/aws 6.x, and the URL-only cross-account grant', () => {
    if (!consumer.exists('out-node10/main.js')) expect(compile('node10').code).toBe(0);
    const synth = consumer.run(process.execPath, ['out-node10/main.js']);
    expect(synth.code, synth.output).toBe(0);
    expect(JSON.parse(synth.output.trim())).toEqual({ onlyViaUrl: true });
    const stack = JSON.parse(consumer.read('cdktf.out/stacks/orders/cdk.tf.json'));
    expect(stack.terraform.required_providers.aws.version).toMatch(/^6\./);
    expect(Object.values(stack.resource.aws_lambda_function_url)).toEqual([
      expect.objectContaining({ authorization_type: 'AWS_IAM', function_name: '${aws_lambda_function.Function.function_name}' }),
    ]);
    const permissions = Object.values(stack.resource.aws_lambda_permission) as Record<string, unknown>[];
    expect(permissions.map((p) => [p.action, p.function_url_auth_type, p.invoked_via_function_url]).sort()).toEqual([
      ['lambda:InvokeFunction', undefined, true],
      ['lambda:InvokeFunctionUrl', 'AWS_IAM', undefined],
    ]);
  });
});
