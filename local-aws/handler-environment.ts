import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutionCredentials } from './execution-role';

/**
 * What a function's process starts with, built in this one place: Lambda's reserved variables
 * (Lambda developer guide, "Defined runtime environment variables"), the function's own, the
 * credentials of its execution role's session and the stand-in's endpoint, and nothing of the
 * stand-in's own environment.
 */

export interface HandlerEnvironmentInput {
  name: string;
  arn: string;
  handler: string;
  runtime: string;
  memorySize: number;
  /** The function's own variables (CreateFunction's Environment.Variables). */
  environment: Record<string, string>;
  codeDir: string;
  tmpDir: string;
  /** The execution role's session; none when the role is gone. */
  credentials?: ExecutionCredentials;
  /** The stand-in's endpoint (`http://127.0.0.1:<port>`), for `AWS_ENDPOINT_URL`. */
  endpoint?: string;
}

export function handlerEnvironment(input: HandlerEnvironmentInput): NodeJS.ProcessEnv {
  const region = input.arn.split(':')[3] || 'us-east-1';
  const { credentials, endpoint } = input;
  // Lambda's reserved variables win over the function's own (Lambda refuses to set those).
  return {
    ...input.environment,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    TMPDIR: input.tmpDir,
    HOME: input.tmpDir,
    LAMBDA_TASK_ROOT: input.codeDir,
    _HANDLER: input.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${input.runtime}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: input.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${input.name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // The execution role's session, as Lambda passes it: the SDK's default chain reads these first.
    ...(credentials === undefined
      ? {}
      : {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SESSION_TOKEN: credentials.sessionToken,
        }),
    // Every AWS SDK v3 client (and the AWS CLI) sends its requests here instead of to AWS: SDK
    // "service-specific endpoints" setting, AWS_ENDPOINT_URL.
    ...(endpoint === undefined || endpoint === '' ? {} : { AWS_ENDPOINT_URL: endpoint }),
  };
}

/** The package scopes of the AWS SDK for JavaScript v3 that Lambda's Node.js runtimes include. */
const SDK_SCOPES = ['@aws-sdk', '@smithy'];

/**
 * Makes the AWS SDK v3 packages this project installs resolvable by every function under
 * `codeRoot`, as Lambda's runtimes make the SDK they bundle resolvable: `<codeRoot>/node_modules`
 * holds links to the project's `node_modules/@aws-sdk` and `@smithy` (nothing else of the project).
 * Node's resolution walks up from the handler's directory, so `require` and `import` both find
 * them, and a function's own `node_modules` (a bundled SDK) comes first, as on Lambda.
 */
export function linkSdkPackages(codeRoot: string): void {
  const target = path.join(codeRoot, 'node_modules');
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  fs.chmodSync(target, 0o755);
  for (const scope of SDK_SCOPES) {
    const source = projectScopeDir(scope);
    if (source !== undefined) fs.symlinkSync(source, path.join(target, scope), 'dir');
  }
}

/** The project's `node_modules/<scope>` directory, found from an SDK package this project depends on. */
function projectScopeDir(scope: string): string | undefined {
  const anchor = scope === '@aws-sdk' ? '@aws-sdk/client-sts/package.json' : '@smithy/types/package.json';
  try {
    return path.dirname(path.dirname(fs.realpathSync(require.resolve(anchor))));
  } catch {
    return undefined;
  }
}
