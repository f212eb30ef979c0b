import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { readDemoConfig } from '../../stacks/demo-config';
import { DemoStack } from '../../stacks/demo-stack';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

type Json = Record<string, any>;

/** What IamFunctionUrl writes for the function ARN when it was given a function name. */
const UNQUALIFIED_URL_FUNCTION_ARN =
  /\$\{join\(":", slice\(split\(":", aws_lambda_function_url\.([A-Za-z0-9_-]+)\.function_arn\), 0, 7\)\)\}/g;

/**
 * A synthesized stack read back from disk, as Terraform will see it. `dir` is where it was written;
 * when the helper chose a temp dir itself, that dir is already removed (only `json` is left).
 */
export class SynthesizedStack {
  constructor(
    readonly json: Json,
    readonly dir: string,
  ) {}

  /** All resources of a type: logical id -> config. */
  resources(type: string): Record<string, Json> {
    return this.json.resource?.[type] ?? {};
  }

  /** The only resource of a type (fails when there are none or several). */
  only(type: string): Json {
    const found = Object.values(this.resources(type));
    if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
    return found[0];
  }

  /** The statements of the only role's trust policy (fails unless the document is version 2012-10-17). */
  onlyTrustStatements(): Json[] {
    const document = JSON.parse(this.only('aws_iam_role').assume_role_policy);
    if (document.Version !== '2012-10-17') throw new Error(`trust policy version ${document.Version}`);
    return document.Statement;
  }

  resourceCount(): number {
    return Object.values(this.json.resource ?? {}).reduce((sum: number, byId: any) => sum + Object.keys(byId).length, 0);
  }

  /** Outputs by construct id (the names in the outputs file), e.g. { function_url: {...} }. */
  outputsOf(constructPath: string[]): Record<string, Json> {
    let node: any = this.json['//'].outputs;
    for (const part of constructPath) node = node?.[part];
    if (node === undefined) throw new Error(`no outputs under ${constructPath.join('/')}`);
    return Object.fromEntries(
      Object.entries(node as Record<string, string>).map(([name, logicalId]) => [name, this.json.output[logicalId]]),
    );
  }

  /**
   * Parses a policy string and replaces each `${aws_type.id.arn}` with the ARN AWS would give
   * that resource (from its name and path in this stack), so a simulator can evaluate it.
   */
  policy(policyText: string): Json {
    return JSON.parse(this.resolveReferences(policyText));
  }

  resolveReferences(text: string): string {
    return text
      .replace(/\$\{data\.aws_iam_openid_connect_provider\.([A-Za-z0-9_-]+)\.arn\}/g, (_, id: string) => {
        const lookup = this.json.data?.aws_iam_openid_connect_provider?.[id];
        if (lookup === undefined) throw new Error(`reference to missing data source aws_iam_openid_connect_provider.${id}`);
        return `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(lookup.url).replace(/^https:\/\//, '')}`;
      })
      .replace(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn\}/g, (_, type: string, id: string) => this.arnOf(type, id))
      .replace(UNQUALIFIED_URL_FUNCTION_ARN, (_, id: string) => this.functionArnOfUrl(id));
  }

  /** The unqualified function ARN behind a function URL resource (given by name or ARN). */
  functionArnOfUrl(id: string): string {
    const url = this.resources('aws_lambda_function_url')[id];
    if (url === undefined) throw new Error(`reference to missing resource aws_lambda_function_url.${id}`);
    const fn: string = url.function_name;
    return fn.startsWith('arn:') ? fn.split(':').slice(0, 7).join(':') : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}`;
  }

  arnOf(type: string, id: string): string {
    const resource = this.resources(type)[id];
    if (resource === undefined) throw new Error(`reference to missing resource ${type}.${id}`);
    const iamPath = resource.path ?? '/';
    switch (type) {
      case 'aws_iam_user':
        return `arn:aws:iam::${ACCOUNT}:user${iamPath}${resource.name}`;
      case 'aws_iam_role':
        return `arn:aws:iam::${ACCOUNT}:role${iamPath}${resource.name}`;
      case 'aws_iam_policy':
        return `arn:aws:iam::${ACCOUNT}:policy${iamPath}${resource.name}`;
      case 'aws_lambda_function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${resource.function_name}`;
      case 'aws_cloudwatch_log_group':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${resource.name}`;
      case 'aws_iam_openid_connect_provider':
        return `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(resource.url).replace(/^https:\/\//, '')}`;
      // Roles Anywhere ids are UUIDs AWS chooses; one made from the logical id stands in for it.
      case 'aws_rolesanywhere_trust_anchor':
        return `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:trust-anchor/${standInUuid(id)}`;
      case 'aws_rolesanywhere_profile':
        return `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:profile/${standInUuid(id)}`;
      default:
        throw new Error(`no ARN rule for ${type}`);
    }
  }
}

/** A UUID-shaped id derived from a logical id (stable across runs). */
export function standInUuid(logicalId: string): string {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Runs `synthesize` into `outdir`, or into a temp dir that is removed afterwards (pass or fail),
 * and reads the stack back.
 */
export function synthesizeInto(outdir: string | undefined, stackName: string, synthesize: (outdir: string) => void): SynthesizedStack {
  const temp = outdir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-url-iam-synth-')) : undefined;
  try {
    const target = outdir ?? temp!;
    synthesize(target);
    const dir = path.join(target, 'stacks', stackName);
    return new SynthesizedStack(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')), dir);
  } finally {
    if (temp !== undefined) fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Builds a stack with `build`, synthesizes it and reads it back. */
export function synthStack(build: (stack: TerraformStack) => void, stackName = 'test'): SynthesizedStack {
  return synthesizeInto(undefined, stackName, (outdir) => {
    const app = new App({ outdir });
    const stack = new TerraformStack(app, stackName);
    new AwsProvider(stack, 'Aws', { region: REGION });
    build(stack);
    app.synth();
  });
}

/** Synthesizes the demo stack with settings given as environment variables (into `outdir` when given). */
export function synthDemo(env: Record<string, string> = {}, outdir?: string): SynthesizedStack {
  const config = readDemoConfig(env, () => undefined);
  return synthesizeInto(outdir, config.stackName, (target) => {
    const app = new App({ outdir: target });
    new DemoStack(app, config.stackName, config);
    app.synth();
  });
}

/** The outputs a ProtectedFunctionUrl with an invoker user and key declares (what the client reads), sorted. */
export const PROTECTED_URL_OUTPUTS = [
  'function_arn',
  'function_url',
  'invoker_access_key_id',
  'invoker_role_arn',
  'invoker_secret_access_key',
  'invoker_user_name',
  'max_session_duration',
  'region',
];
