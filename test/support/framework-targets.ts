import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Constructs from '../../constructs';
import { PROJECT_ROOT } from './leftover-guard';
import { ACCOUNT, REGION, type SynthesizedStack, synthesizeInto } from './synthesized-stack';
import { TEST_CA_CERTIFICATE } from './test-certificates';

/**
 * The two published entries of the constructs, loaded as a user loads them: the compiled
 * `dist/constructs` (cdktf) and `dist/cdktn` (CDK Terrain), each with its own framework and
 * provider. Node's own `require` loads them, so each entry and its framework share one module
 * instance, as in a user's app.
 */

export type TargetName = 'cdktf' | 'cdktn';

export interface FrameworkTarget {
  readonly name: TargetName;
  /** The constructs of this entry (same API in both; the types are cdktf's). */
  readonly constructs: typeof Constructs;
  /** hashicorp/aws version the prebuilt provider package pins in `required_providers`. */
  readonly providerVersion: string;
  readonly App: new (props: { outdir: string }) => { synth(): void };
  readonly TerraformStack: new (scope: unknown, id: string) => unknown;
  readonly AwsProvider: new (scope: unknown, id: string, config: Record<string, unknown>) => unknown;
  readonly LambdaFunction: new (
    scope: unknown,
    id: string,
    config: Record<string, unknown>,
  ) => { terraformResourceType: string; functionName: string; arn: string };
  readonly TerraformOutput: new (scope: unknown, id: string, config: Record<string, unknown>) => unknown;
}

const nodeRequire = createRequire(__filename);
const ENTRY_DIR: Record<TargetName, string> = { cdktf: 'dist/constructs', cdktn: 'dist/cdktn' };
const PROVIDER_PACKAGE: Record<TargetName, string> = { cdktf: '@cdktf/provider-aws', cdktn: '@cdktn/provider-aws' };

/**
 * Loads one entry from dist/. Fails (never skips) when the build is missing or older than the
 * sources it comes from, so a test can never pass against stale output.
 */
export function loadTarget(name: TargetName): FrameworkTarget {
  const entry = path.join(PROJECT_ROOT, ENTRY_DIR[name], 'index.js');
  if (!fs.existsSync(entry))
    throw new Error(`${path.relative(PROJECT_ROOT, entry)} is missing: run \`npm run build\` first (npm test does)`);
  // `npm run build` ends by rewriting every file of dist/cdktn, so that is when the last full build
  // finished (tsc's incremental build leaves unchanged outputs with their old times).
  const buildStamp = path.join(PROJECT_ROOT, ENTRY_DIR.cdktn, 'index.js');
  const built = fs.existsSync(buildStamp) ? fs.statSync(buildStamp).mtimeMs : 0;
  const sources = [
    ...fs.readdirSync(path.join(PROJECT_ROOT, 'constructs')).map((file) => path.join('constructs', file)),
    path.join('scripts', 'build-cdktn.ts'),
  ];
  const newer = sources.find((file) => fs.statSync(path.join(PROJECT_ROOT, file)).mtimeMs > built);
  if (newer !== undefined) throw new Error(`${newer} changed after the last \`npm run build\`: run it first (npm test does)`);

  const framework = nodeRequire(name);
  const provider = PROVIDER_PACKAGE[name];
  const providerVersion: string = JSON.parse(fs.readFileSync(nodeRequire.resolve(`${provider}/package.json`), 'utf8')).cdktf.provider
    .version;
  return {
    name,
    constructs: nodeRequire(entry),
    providerVersion,
    App: framework.App,
    TerraformStack: framework.TerraformStack,
    TerraformOutput: framework.TerraformOutput,
    AwsProvider: nodeRequire(`${provider}/lib/provider`).AwsProvider,
    LambdaFunction: nodeRequire(`${provider}/lib/lambda-function`).LambdaFunction,
  };
}

export const SCENARIO_EXTERNAL_ID = 'partner-4711';
export const SCENARIO_PARTNER = 'arn:aws:iam::444455556666:role/partner-caller';
export const SCENARIO_FUNCTION_NAME = 'url-iam-demo';

export interface ScenarioOptions {
  /** Extra provider settings (e.g. endpoints for an offline terraform plan). */
  readonly provider?: Record<string, unknown>;
  /** Keep the synthesized files here; by default a temp dir, removed after reading. */
  readonly outdir?: string;
}

/**
 * One app that uses every construct and option the two entries could differ on: a function of
 * the stack behind ProtectedFunctionUrl (user, key, external ID, tags, CORS, a cross-account
 * invoker); an aliased URL of an existing function granted to its own role (url.grantInvokeUrl),
 * with a cross-account invoker and a user whose secret is PGP-encrypted; and a streaming, aliased
 * ProtectedFunctionUrl with no user, a path, a permissions boundary and a longer session.
 * Built the same way for both entries, so their synthesized JSON can be compared.
 */
export function synthScenario(target: FrameworkTarget, options: ScenarioOptions = {}): SynthesizedStack {
  const stackName = 'scenario';
  return synthesizeInto(options.outdir, stackName, (outdir) => {
    const app = new target.App({ outdir });
    const stack = new target.TerraformStack(app, stackName);
    new target.AwsProvider(stack, 'Aws', { region: REGION, ...options.provider });
    const fn = new target.LambdaFunction(stack, 'Function', {
      functionName: SCENARIO_FUNCTION_NAME,
      role: `arn:aws:iam::${ACCOUNT}:role/url-iam-demo-execution`,
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      filename: path.join(PROJECT_ROOT, 'package.json'),
    });
    const { ProtectedFunctionUrl, IamFunctionUrl, FunctionInvokerRole, InvokerUser, InvokeMode } = target.constructs;
    new ProtectedFunctionUrl(stack as never, 'Api', {
      function: fn,
      externalId: SCENARIO_EXTERNAL_ID,
      crossAccountInvokers: [SCENARIO_PARTNER],
      tags: { team: 'payments' },
      cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'POST'], maxAge: 600 },
    });
    const aliased = new IamFunctionUrl(stack as never, 'ReportsUrl', {
      function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reports:live`,
    });
    aliased.allowCrossAccountInvoker(SCENARIO_PARTNER);
    const reportsRole = new FunctionInvokerRole(stack as never, 'ReportsRole', {
      namePrefix: 'reports-',
      trustedPrincipals: [`arn:aws:iam::${ACCOUNT}:role/reports-batch`],
    });
    aliased.grantInvokeUrl(reportsRole);
    new InvokerUser(stack as never, 'Auditor', { role: reportsRole, userName: 'reports-auditor', pgpKey: 'keybase:auditor' });
    new ProtectedFunctionUrl(stack as never, 'OpsApi', {
      function: 'ops-tools',
      qualifier: 'stable',
      invokeMode: InvokeMode.RESPONSE_STREAM,
      namePrefix: 'ops-',
      path: '/ops/',
      createInvokerUser: false,
      trustedPrincipals: [`arn:aws:iam::${ACCOUNT}:role/ops-oncall`],
      permissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
      maxSessionDuration: 7200,
    });
    app.synth();
  });
}

/**
 * One app with every way in that needs no long-lived key, and the narrowed key: GitHub Actions and
 * a generic issuer sharing the stack's OIDC providers (one created, one looked up), Roles Anywhere
 * with a created trust anchor, and an invoker user limited to networks. Built the same way for both
 * entries, so their synthesized JSON can be compared.
 */
export function synthTrustScenario(target: FrameworkTarget): SynthesizedStack {
  const stackName = 'trusts';
  return synthesizeInto(undefined, stackName, (outdir) => {
    const app = new target.App({ outdir });
    const stack = new target.TerraformStack(app, stackName);
    new target.AwsProvider(stack, 'Aws', { region: REGION });
    const { ProtectedFunctionUrl, WebIdentityTrust } = target.constructs;
    new ProtectedFunctionUrl(stack as never, 'CiApi', {
      function: 'deploy-hooks',
      createInvokerUser: false,
      trustedWebIdentities: [
        WebIdentityTrust.gitHubActions({ repository: 'my-org/deploy', ref: 'refs/heads/main' }),
        WebIdentityTrust.oidc({
          issuerUrl: 'https://gitlab.example.com',
          audiences: ['gitlab'],
          subjects: ['project_path:platform/deploy:ref_type:branch:ref:release/*'],
          createProvider: false,
        }),
      ],
      trustedX509: { certificateBundle: TEST_CA_CERTIFICATE, commonNames: ['payments-batch'] },
    });
    new ProtectedFunctionUrl(stack as never, 'PartnerApi', {
      function: 'partner',
      namePrefix: 'partner-',
      allowedSourceIps: ['203.0.113.0/24'],
      allowedVpcEndpoints: ['vpce-0123456789abcdef0'],
      trustedWebIdentities: [WebIdentityTrust.gitHubActions({ repository: 'my-org/partner', environment: 'prod', audiences: ['partner'] })],
    });
    app.synth();
  });
}
