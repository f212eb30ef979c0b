import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { ProtectedFunctionUrl } from '../constructs/protected-function-url';
import { policyDocument, renderPolicy } from '../constructs/policy-document';
import { WebIdentityTrust } from '../constructs/web-identity-trust';
import type { DemoConfig, DemoWebIdentity } from './demo-config';
import { handlerPackage } from './handler-archive';

/**
 * The demo: a small echo function behind an IAM-protected URL, deployable with `cdktf deploy`.
 * The function's own role may only write its logs; callers get in only through the invoker role.
 */
/** A demo stack's backend and AWS provider (tagged with the stack, local endpoints in local mode). */
export function configureDemoStack(stack: TerraformStack, id: string, config: DemoConfig): void {
  configureBackend(stack, config);
  new AwsProvider(stack, 'Aws', {
    region: config.region,
    defaultTags: [{ tags: { project: 'lambda-url-iam', stack: id } }],
    ...(config.localEndpoint !== undefined ? localEndpointSettings(config.localEndpoint) : {}),
  });
}

export class DemoStack extends TerraformStack {
  readonly protectedUrl: ProtectedFunctionUrl;
  readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, config: DemoConfig) {
    super(scope, id);
    configureDemoStack(this, id, config);

    const functionName = `${config.namePrefix}url-iam-demo`;
    const logGroup = new CloudwatchLogGroup(this, 'LogGroup', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: config.logRetentionDays,
    });
    const executionRole = new IamRole(this, 'ExecutionRole', {
      name: `${config.namePrefix}url-iam-demo-execution`,
      assumeRolePolicy: renderPolicy(
        policyDocument([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      ),
    });
    // Only what the Lambda runtime needs to write this function's logs; the log group is created
    // here (with retention), so no logs:CreateLogGroup.
    new IamRolePolicy(this, 'ExecutionRoleLogs', {
      name: 'WriteOwnLogs',
      role: executionRole.id,
      policy: renderPolicy(
        policyDocument([
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
        ]),
      ),
    });

    const code = handlerPackage(this, 'HandlerCode', handlerDirectory());
    this.function = new LambdaFunction(this, 'Function', {
      functionName,
      description: 'Echoes the request and the IAM caller; reachable only through its AWS_IAM function URL.',
      runtime: config.runtime,
      ...code.functionCode,
      role: executionRole.arn,
      timeout: 10,
      memorySize: 128,
      dependsOn: [logGroup],
    });

    this.protectedUrl = new ProtectedFunctionUrl(this, 'ProtectedUrl', {
      function: this.function,
      namePrefix: config.namePrefix,
      externalId: config.externalId,
      maxSessionDuration: config.maxSessionDuration,
      ...(config.webIdentity === undefined ? {} : webIdentityCallers(config.webIdentity, config.localEndpoint !== undefined)),
    });
  }
}

/** Only web identities may call: no invoker user and no key exist at all. */
function webIdentityCallers(webIdentity: DemoWebIdentity, local: boolean) {
  return {
    createInvokerUser: false,
    trustedWebIdentities: [
      WebIdentityTrust.oidc({
        issuerUrl: webIdentity.issuerUrl,
        audiences: [webIdentity.audience],
        subjects: [webIdentity.subject],
        thumbprints: webIdentity.thumbprint === undefined ? undefined : [webIdentity.thumbprint],
        localIssuer: local,
      }),
    ],
  };
}

export function configureBackend(stack: TerraformStack, config: DemoConfig): void {
  const backend = config.backend;
  if (backend.type === 'local') {
    if (backend.path !== undefined) new LocalBackend(stack, { path: path.resolve(backend.path) });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: backend.key,
    region: backend.region,
    encrypt: true,
    dynamodbTable: backend.dynamodbTable,
  });
  // Terraform ≥ 1.10 locks S3 state with a lock object; cdktf 0.21 has no typed field for it.
  if (backend.dynamodbTable === undefined) s3.addOverride('use_lockfile', true);
}

/** Points every AWS API the stack uses at one endpoint (the local stand-in for AWS). */
export function localEndpointSettings(endpoint: string) {
  return {
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: 'true',
    skipRegionValidation: true,
    endpoints: [{ iam: endpoint, sts: endpoint, lambda: endpoint, cloudwatchlogs: endpoint }],
  };
}

/** The handler sources, next to this file in the repository (also when run from dist/). */
export function handlerDirectory(): string {
  const candidates = [path.join(__dirname, 'handler'), path.join(__dirname, '..', '..', 'stacks', 'handler')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.mjs')));
  if (found === undefined) throw new Error(`Demo handler not found; looked in ${candidates.join(', ')}`);
  return found;
}
