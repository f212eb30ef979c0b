import { randomBytes, randomUUID } from 'node:crypto';
import { Principal } from './authorization';
import type { FunctionCode } from './handler-runner';
import { UnzippedSizeError, readZip } from './zip-archive';
import { AwsError } from './aws-error';
import { World } from './world';
import { FunctionUrlConfig, LambdaFunctionState, dictionary, sha256Base64 } from './world-state';

/**
 * Lambda's REST-JSON control plane: functions (zip upload, configuration, versions, code-signing
 * lookup, concurrency, tags), function URLs and resource policies (aws_lambda_permission).
 */

export interface LambdaCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
  principal: Principal;
  authorize(action: string, resource: string): Promise<void>;
  /** Base of function URLs served by this stand-in, e.g. http://127.0.0.1:4566 */
  urlBase: string;
  /** Called when a function is deleted, so its warm worker can be stopped. */
  onFunctionDeleted?: (name: string) => void;
}

export interface JsonAnswer {
  status: number;
  body?: unknown;
}

const FUNCTION_NAME = /^(arn:(?<partition>aws[a-z-]*):lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:)?(?<name>[a-zA-Z0-9_-]{1,64})(:(?<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

/**
 * The unqualified ARN a function name or ARN names. An ARN keeps its own partition, region and
 * account: another region's or account's function is another function (AWS would look there, or
 * refuse), never this account's function of the same name.
 */
function namedFunctionArn(world: World, groups: Record<string, string | undefined>): string {
  return `arn:${groups.partition ?? 'aws'}:lambda:${groups.region ?? world.region}:${groups.account ?? world.accountId}:function:${groups.name}`;
}

const NODE_RUNTIMES = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 404);
const invalid = (message: string) => new AwsError('InvalidParameterValueException', message, 400);

function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function parseJson(body: Buffer): Record<string, any> {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch {
    throw new AwsError('SerializationException', 'Could not parse request body into json: the body is not a JSON object', 400);
  }
}

/** A path segment as the caller meant it; malformed percent-encoding is the caller's 400, not a crash. */
function decodeSegment(text: string, field: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(`1 validation error detected: Value '${text}' at '${field}' is not valid percent-encoding`);
  }
}

/**
 * Lambda's reserved environment variables ("cannot be set in your function configuration",
 * Lambda developer guide, "Defined runtime environment variables"); the runtime sets them.
 */
const RESERVED_ENVIRONMENT_KEYS = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);
/** Lambda's quota on the environment: 4 KB for all keys and values together. */
const MAX_ENVIRONMENT_BYTES = 4096;

/** `Environment.Variables` as Lambda accepts it: keys `[a-zA-Z]([a-zA-Z0-9_])+`, string values, none reserved, ≤ 4 KB. */
function environmentOf(environment: unknown): Record<string, string> {
  if (environment === undefined || environment === null) return dictionary();
  const variables = (environment as { Variables?: unknown }).Variables ?? {};
  if (typeof environment !== 'object' || variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    throw invalid('1 validation error detected: Environment.Variables must be a map of names to string values');
  }
  const result = dictionary<string>();
  let size = 0;
  for (const [key, value] of Object.entries(variables)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(key)) throw invalid(`1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] (got ${JSON.stringify(key)})`);
    if (typeof value !== 'string') throw invalid(`1 validation error detected: the value of environment variable ${key} must be a string`);
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
    result[key] = value;
  }
  const reserved = Object.keys(result).filter((key) => RESERVED_ENVIRONMENT_KEYS.has(key));
  if (reserved.length > 0) {
    throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
  }
  if (size > MAX_ENVIRONMENT_BYTES) throw invalid(`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${size} bytes`);
  return result;
}

function functionOf(world: World, nameOrArn: string): { fn: LambdaFunctionState; qualifier?: string } {
  const match = FUNCTION_NAME.exec(decodeSegment(nameOrArn, 'functionName'));
  if (match === null) throw invalid(`1 validation error detected: Value '${nameOrArn}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`);
  const arn = namedFunctionArn(world, match.groups!);
  return { fn: world.lambdaFunction(arn), qualifier: match.groups!.qualifier };
}

export function configuration(fn: LambdaFunctionState): Record<string, unknown> {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(fn.environment).length > 0 ? { Environment: { Variables: fn.environment } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: fn.architectures,
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  };
}

function urlAnswer(fn: LambdaFunctionState, url: FunctionUrlConfig, urlBase: string, withModified: boolean) {
  return {
    FunctionUrl: functionUrlOf(urlBase, url.urlId),
    FunctionArn: url.qualifier ? `${fn.arn}:${url.qualifier}` : fn.arn,
    AuthType: url.authType,
    ...(url.cors !== undefined ? { Cors: url.cors } : {}),
    CreationTime: url.creationTime,
    ...(withModified ? { LastModifiedTime: url.lastModifiedTime } : {}),
    InvokeMode: url.invokeMode,
  };
}

export function functionUrlOf(urlBase: string, urlId: string): string {
  return `${urlBase}/lambda-url/${urlId}/`;
}

function policyDocument(fn: LambdaFunctionState, qualifier: string | undefined) {
  const resource = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;
  return fn.permissions.filter((s) => s.Resource === resource);
}

/** Principal as AWS writes it into a function policy. */
function principalOf(principal: string): unknown {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  return { Service: principal };
}

/**
 * `action`: the IAM action of a route that names a function in its path; it is authorized on the
 * ARN built from that name before the function is looked up (see lambdaOperation).
 */
type Route = { pattern: RegExp; method: string; action?: string; handle: (world: World, call: LambdaCall, m: RegExpExecArray) => Promise<JsonAnswer> };

const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/2015-03-31\/functions\/?$/,
    async handle(world, call) {
      // A wildcard-only action in IAM: it is authorized on "*". One page: Marker/MaxItems are not emulated.
      await call.authorize('lambda:ListFunctions', '*');
      return { status: 200, body: { Functions: Object.values(world.state.functions).map(configuration) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2021-10-31\/functions\/([^/]+)\/urls\/?$/,
    action: 'lambda:ListFunctionUrlConfigs',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:ListFunctionUrlConfigs', fn.arn);
      return { status: 200, body: { FunctionUrlConfigs: Object.values(fn.urls).map((url) => urlAnswer(fn, url, call.urlBase, true)) } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/2015-03-31\/functions\/?$/,
    async handle(world, call) {
      const input = parseJson(call.body);
      const name = String(input.FunctionName ?? '');
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw invalid(`1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`);
      const arn = `arn:aws:lambda:${world.region}:${world.accountId}:function:${name}`;
      await call.authorize('lambda:CreateFunction', arn);
      if (input.PackageType !== undefined && input.PackageType !== 'Zip') throw invalid('The local stand-in supports PackageType Zip only.');
      if (!NODE_RUNTIMES.includes(input.Runtime)) throw invalid(`The runtime parameter of ${input.Runtime} is not supported by the local stand-in (Node.js runtimes only: ${NODE_RUNTIMES.join(', ')}).`);
      if (typeof input.Role !== 'string') throw invalid('The role defined for the function cannot be assumed by Lambda.');
      if (typeof input.Handler !== 'string' || !/^[^\s]{1,128}$/.test(input.Handler)) throw invalid(`Value '${input.Handler}' at 'handler' failed to satisfy constraint`);
      const zipBase64 = input.Code?.ZipFile;
      if (typeof zipBase64 !== 'string') throw invalid('Please provide a source for function code (Code.ZipFile; S3 and images are not emulated).');
      const zip = Buffer.from(zipBase64, 'base64');
      try {
        readZip(zip);
      } catch (error) {
        if (error instanceof UnzippedSizeError) throw invalid(error.message);
        throw invalid(`Could not unzip uploaded file. Please check your file, then try to upload again. (${(error as Error).message})`);
      }
      const timeout = input.Timeout ?? 3;
      const memorySize = input.MemorySize ?? 128;
      if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900) throw invalid(`Value ${timeout} at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900`);
      if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) throw invalid(`Value ${memorySize} at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240`);
      const environment = environmentOf(input.Environment);
      const now = Date.now();
      const fn: LambdaFunctionState = {
        name, arn, role: input.Role, handler: input.Handler, runtime: input.Runtime, timeout, memorySize, description: input.Description ?? '',
        environment, zipBase64, codeSha256: sha256Base64(zip), codeSize: zip.length, lastModified: lambdaTime(now),
        revisionId: randomUUID(), createdAt: now, tags: dictionary(input.Tags ?? {}), architectures: input.Architectures ?? ['x86_64'], permissions: [], urls: dictionary(), aliases: dictionary(),
      };
      return { status: 201, body: configuration(world.createFunction(fn)) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
    action: 'lambda:GetFunction',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:GetFunction', fn.arn);
      return { status: 200, body: { Configuration: configuration(fn), Code: { RepositoryType: 'S3', Location: `${call.urlBase}/_code/${fn.name}` }, Tags: fn.tags } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/,
    action: 'lambda:GetFunctionConfiguration',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:GetFunctionConfiguration', fn.arn);
      return { status: 200, body: configuration(fn) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/versions\/?$/,
    action: 'lambda:ListVersionsByFunction',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:ListVersionsByFunction', fn.arn);
      return { status: 200, body: { Versions: [configuration(fn)] } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2020-06-30\/functions\/([^/]+)\/code-signing-config\/?$/,
    action: 'lambda:GetFunctionCodeSigningConfig',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:GetFunctionCodeSigningConfig', fn.arn);
      return { status: 200, body: { FunctionName: fn.name, CodeSigningConfigArn: '' } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/,
    action: 'lambda:GetFunctionConcurrency',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:GetFunctionConcurrency', fn.arn);
      return { status: 200, body: {} };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2017-03-31\/tags\/(.+)$/,
    action: 'lambda:ListTags',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:ListTags', fn.arn);
      return { status: 200, body: { Tags: fn.tags } };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/?$/,
    action: 'lambda:DeleteFunction',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      await call.authorize('lambda:DeleteFunction', fn.arn);
      world.deleteFunction(fn);
      call.onFunctionDeleted?.(fn.name);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    pattern: /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/,
    action: 'lambda:CreateFunctionUrlConfig',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? undefined;
      const input = parseJson(call.body);
      await call.authorize('lambda:CreateFunctionUrlConfig', qualifier ? `${fn.arn}:${qualifier}` : fn.arn);
      if (input.AuthType !== 'AWS_IAM' && input.AuthType !== 'NONE') throw invalid(`1 validation error detected: Value '${input.AuthType}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`);
      if (qualifier !== undefined && qualifier !== '$LATEST' && fn.aliases[qualifier] === undefined && /^\d+$/.test(qualifier)) throw invalid('Function URLs can point at an alias, not at a version.');
      const now = new Date().toISOString();
      const url = world.createFunctionUrl(fn, { urlId: randomBytes(16).toString('hex'), qualifier, authType: input.AuthType, invokeMode: input.InvokeMode ?? 'BUFFERED', cors: input.Cors, creationTime: now, lastModifiedTime: now });
      return { status: 201, body: urlAnswer(fn, url, call.urlBase, false) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/,
    action: 'lambda:GetFunctionUrlConfig',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? '';
      await call.authorize('lambda:GetFunctionUrlConfig', qualifier ? `${fn.arn}:${qualifier}` : fn.arn);
      return { status: 200, body: urlAnswer(fn, world.functionUrl(fn, qualifier), call.urlBase, true) };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/,
    action: 'lambda:UpdateFunctionUrlConfig',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? '';
      const input = parseJson(call.body);
      await call.authorize('lambda:UpdateFunctionUrlConfig', qualifier ? `${fn.arn}:${qualifier}` : fn.arn);
      const url = world.functionUrl(fn, qualifier);
      if (input.AuthType !== undefined && input.AuthType !== 'AWS_IAM' && input.AuthType !== 'NONE') throw invalid(`Value '${input.AuthType}' at 'authType' failed to satisfy constraint`);
      world.updateFunctionUrl(fn, qualifier, { authType: input.AuthType ?? url.authType, invokeMode: input.InvokeMode ?? url.invokeMode, cors: input.Cors ?? url.cors, lastModifiedTime: new Date().toISOString() });
      return { status: 200, body: urlAnswer(fn, url, call.urlBase, true) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/,
    action: 'lambda:DeleteFunctionUrlConfig',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? '';
      await call.authorize('lambda:DeleteFunctionUrlConfig', qualifier ? `${fn.arn}:${qualifier}` : fn.arn);
      world.deleteFunctionUrl(fn, qualifier);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/,
    action: 'lambda:AddPermission',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? undefined;
      const input = parseJson(call.body);
      const resource = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;
      await call.authorize('lambda:AddPermission', resource);
      for (const field of ['StatementId', 'Action', 'Principal']) if (typeof input[field] !== 'string' || input[field] === '') throw invalid(`${field} is required.`);
      if (!/^[a-zA-Z0-9-_]{1,100}$/.test(input.StatementId)) throw invalid(`Value '${input.StatementId}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
      if (!/^(lambda:[*a-zA-Z]+|\*)$/.test(input.Action)) throw invalid(`Value '${input.Action}' at 'action' failed to satisfy constraint`);
      const conditions: Record<string, Record<string, string>> = {};
      // AWS refuses each URL condition on any other action than the one it is about.
      if (input.FunctionUrlAuthType !== undefined && input.Action !== 'lambda:InvokeFunctionUrl') {
        throw invalid(`FunctionUrlAuthType is only supported for the lambda:InvokeFunctionUrl action, not ${input.Action}.`);
      }
      if (input.InvokedViaFunctionUrl !== undefined && typeof input.InvokedViaFunctionUrl !== 'boolean') throw invalid(`Value '${input.InvokedViaFunctionUrl}' at 'invokedViaFunctionUrl' failed to satisfy constraint: Member must be a boolean`);
      if (input.InvokedViaFunctionUrl !== undefined && input.Action !== 'lambda:InvokeFunction') {
        throw invalid(`InvokedViaFunctionUrl is only supported for the lambda:InvokeFunction action, not ${input.Action}.`);
      }
      if (input.FunctionUrlAuthType) conditions.StringEquals = { 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType };
      // AWS renders InvokedViaFunctionUrl=true as this Bool condition (provider 6.28's invoked_via_function_url).
      if (input.InvokedViaFunctionUrl === true) conditions.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
      if (input.SourceAccount) conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'AWS:SourceAccount': input.SourceAccount };
      if (input.SourceArn) conditions.ArnLike = { 'AWS:SourceArn': input.SourceArn };
      if (input.PrincipalOrgID) conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'aws:PrincipalOrgID': input.PrincipalOrgID };
      const statement = { Sid: input.StatementId, Effect: 'Allow', Principal: principalOf(input.Principal), Action: input.Action, Resource: resource, ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}) };
      world.addPermission(fn, statement);
      return { status: 201, body: { Statement: JSON.stringify(statement) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/,
    action: 'lambda:GetPolicy',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? undefined;
      await call.authorize('lambda:GetPolicy', qualifier ? `${fn.arn}:${qualifier}` : fn.arn);
      const statements = policyDocument(fn, qualifier);
      if (statements.length === 0) throw notFound('The resource you requested does not exist.');
      return { status: 200, body: { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }), RevisionId: fn.revisionId } };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/2015-03-31\/functions\/([^/]+)\/policy\/([^/]+)\/?$/,
    action: 'lambda:RemovePermission',
    async handle(world, call, m) {
      const { fn } = functionOf(world, m[1]);
      const qualifier = call.query.get('Qualifier') ?? undefined;
      const sid = decodeSegment(m[2], 'statementId');
      const resource = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;
      await call.authorize('lambda:RemovePermission', resource);
      world.removePermission(fn, sid, resource);
      return { status: 204 };
    },
  },
];

/**
 * The ARN a function name, partial or full ARN in a request path stands for (qualified when a
 * qualifier is given), built without looking the function up; undefined for a malformed name,
 * which the operation refuses with its validation error.
 */
export function functionArnFromName(world: World, pathName: string, queryQualifier?: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathName);
  } catch {
    return undefined;
  }
  const match = FUNCTION_NAME.exec(decoded);
  if (match === null) return undefined;
  const arn = namedFunctionArn(world, match.groups!);
  if (queryQualifier !== undefined && !/^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/.test(queryQualifier)) return undefined;
  const qualifier = match.groups!.qualifier ?? queryQualifier;
  return qualifier ? `${arn}:${qualifier}` : arn;
}

/** What the handler runner needs of a function to run it (its function URL and the Invoke API alike). */
export function functionCodeOf(fn: LambdaFunctionState): FunctionCode {
  return { name: fn.name, codeSha256: fn.codeSha256, zipBase64: fn.zipBase64, handler: fn.handler, runtime: fn.runtime, environment: fn.environment, timeoutSeconds: fn.timeout, memorySize: fn.memorySize, arn: fn.arn };
}

/** The function's resource policy as a document (for IAM evaluation), or undefined without one. */
export function resourcePolicyOf(fn: LambdaFunctionState): string | undefined {
  return fn.permissions.length === 0 ? undefined : JSON.stringify({ Version: '2012-10-17', Statement: fn.permissions });
}

export async function lambdaOperation(world: World, call: LambdaCall): Promise<JsonAnswer> {
  for (const route of ROUTES) {
    const m = route.pattern.exec(call.path);
    if (m === null || route.method !== call.method) continue;
    // AWS authorizes before it looks the function up: a caller without the right gets 403
    // whether the function exists or not, never a 404 that reveals which names exist.
    if (route.action !== undefined) {
      const resource = functionArnFromName(world, m[1], call.query.get('Qualifier') ?? undefined);
      if (resource !== undefined) await call.authorize(route.action, resource);
    }
    return route.handle(world, call, m);
  }
  throw new AwsError('UnknownOperationException', `Unknown operation ${call.method} ${call.path}`, 400);
}
