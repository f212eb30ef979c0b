import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from './aws-error';
import { codeLocation } from './code-location';
import { assertLambdaMayAssume, assertMayPassRole, validRoleArn } from './execution-role';
import type { FunctionCode } from './handler-runner';
import {
  type AuthorizationInput,
  type OperationAuthorization,
  type OperationRequest,
  type RestOperation,
  everyResource,
} from './operation';
import type { World } from './world';
import { type FunctionUrlConfig, type LambdaFunctionState, dictionary, sha256Base64 } from './world-state';
import { UnzippedSizeError, readZip } from './zip-archive';

/**
 * Lambda's REST-JSON control plane: functions (zip upload, configuration, versions, code-signing
 * lookup, concurrency, tags), function URLs and resource policies (aws_lambda_permission).
 */

const FUNCTION_NAME =
  /^(arn:(?<partition>aws[a-z-]*):lambda:(?<region>[a-z0-9-]+):(?<account>\d{12}):function:)?(?<name>[a-zA-Z0-9_-]{1,64})(:(?<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

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
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
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
    if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(key))
      throw invalid(
        `1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] (got ${JSON.stringify(key)})`,
      );
    if (typeof value !== 'string') throw invalid(`1 validation error detected: the value of environment variable ${key} must be a string`);
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
    result[key] = value;
  }
  const reserved = Object.keys(result).filter((key) => RESERVED_ENVIRONMENT_KEYS.has(key));
  if (reserved.length > 0) {
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  if (size > MAX_ENVIRONMENT_BYTES)
    throw invalid(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${size} bytes`,
    );
  return result;
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

/** Principal as AWS writes it into a function policy. */
function principalOf(principal: string): unknown {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  return { Service: principal };
}

type Handler = RestOperation['handle'];

// ---- the function a request names ---------------------------------------------------------

/** A function named by a request: its unqualified ARN, and the qualifier (an alias, `$LATEST`, a version) when one is given. */
export interface FunctionTarget {
  unqualifiedArn: string;
  qualifier?: string;
  /** The ARN authorized: qualified when a qualifier is given (a grant on the function does not cover its aliases, nor the reverse). */
  arn: string;
}

const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;

/**
 * The function the route label `label` names (a name, a partial or a full ARN) with its
 * qualifier: the name's own (`echo:live`), else the Qualifier parameter. Built without looking the
 * function up; an AwsError (InvalidParameterValueException) for a name or qualifier Lambda refuses.
 */
export function readFunctionTarget(world: World, request: OperationRequest, label = 'FunctionName'): FunctionTarget | AwsError {
  const raw = request.pathParams.get(label) ?? '';
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return invalid(`1 validation error detected: Value '${raw}' at 'functionName' is not valid percent-encoding`);
  }
  const match = FUNCTION_NAME.exec(name);
  if (match === null)
    return invalid(
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`,
    );
  const parameter = request.params.get('Qualifier') ?? undefined;
  if (parameter !== undefined && !QUALIFIER.test(parameter))
    return invalid(
      `1 validation error detected: Value '${parameter}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
    );
  const unqualifiedArn = namedFunctionArn(world, match.groups!);
  const qualifier = match.groups!.qualifier ?? parameter;
  return { unqualifiedArn, qualifier, arn: qualifier ? `${unqualifiedArn}:${qualifier}` : unqualifiedArn };
}

/** The function target of a request whose authorization found one, or the request's 400. */
export function functionTarget(call: AuthorizationInput, label = 'FunctionName'): FunctionTarget {
  const target = readFunctionTarget(call.world, call.request, label);
  if (target instanceof AwsError) throw target;
  return target;
}

/**
 * The function a request names, as Lambda authorizes it: the (qualified) ARN built from the name
 * before the function is looked up, so a caller without the right gets 403 whether the function
 * exists or not. A name Lambda refuses is authorized on `*`; the operation then refuses it.
 */
export const namedFunction =
  (label = 'FunctionName'): OperationAuthorization['resource'] =>
  ({ world, request }) => {
    const target = readFunctionTarget(world, request, label);
    return target instanceof AwsError ? '*' : target.arn;
  };

/** The function a request names, which must exist (ResourceNotFoundException). */
function targetFunction(call: AuthorizationInput, label?: string): { fn: LambdaFunctionState; target: FunctionTarget } {
  const target = functionTarget(call, label);
  return { fn: call.world.lambdaFunction(target.unqualifiedArn), target };
}

// ---- functions ------------------------------------------------------------------------------

/** One page: Marker and MaxItems are not emulated. */
const listFunctions: Handler = async ({ world }) => ({
  status: 200,
  json: { Functions: Object.values(world.state.functions).map(configuration) },
});

/** CreateFunction's Timeout (1–900 s, default 3) and MemorySize (128–10240 MB, default 128), as Lambda bounds them. */
function sizingOf(input: { Timeout?: unknown; MemorySize?: unknown }): { timeout: number; memorySize: number } {
  const timeout = input.Timeout ?? 3;
  const memorySize = input.MemorySize ?? 128;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 900)
    throw invalid(`Value ${timeout} at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900`);
  if (typeof memorySize !== 'number' || !Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240)
    throw invalid(`Value ${memorySize} at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240`);
  return { timeout, memorySize };
}

const createFunction: Handler = async (call) => {
  const { request, world } = call;
  const input = request.json();
  const name = String(input.FunctionName ?? '');
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name))
    throw invalid(
      `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`,
    );
  if (input.PackageType !== undefined && input.PackageType !== 'Zip') throw invalid('The local stand-in supports PackageType Zip only.');
  if (!NODE_RUNTIMES.includes(input.Runtime))
    throw invalid(
      `The runtime parameter of ${input.Runtime} is not supported by the local stand-in (Node.js runtimes only: ${NODE_RUNTIMES.join(', ')}).`,
    );
  if (typeof input.Handler !== 'string' || !/^[^\s]{1,128}$/.test(input.Handler))
    throw invalid(`Value '${input.Handler}' at 'handler' failed to satisfy constraint`);
  const role = validRoleArn(input.Role);
  const zipBase64 = input.Code?.ZipFile;
  if (typeof zipBase64 !== 'string')
    throw invalid('Please provide a source for function code (Code.ZipFile; S3 and images are not emulated).');
  const zip = Buffer.from(zipBase64, 'base64');
  try {
    readZip(zip);
  } catch (error) {
    if (error instanceof UnzippedSizeError) throw invalid(error.message);
    throw invalid(`Could not unzip uploaded file. Please check your file, then try to upload again. (${(error as Error).message})`);
  }
  const { timeout, memorySize } = sizingOf(input);
  const environment = environmentOf(input.Environment);
  // The caller passes the role to Lambda, and Lambda assumes it at creation: a role the caller may
  // not pass, or one Lambda cannot assume (missing, or not trusting lambda.amazonaws.com), is
  // refused before anything is created.
  await assertMayPassRole(call, role, world.accountId);
  await assertLambdaMayAssume(world, role, functionArn(world, name));
  const now = Date.now();
  const fn = world.createFunction({
    name,
    arn: functionArn(world, name),
    role,
    handler: input.Handler,
    runtime: input.Runtime,
    timeout,
    memorySize,
    description: input.Description ?? '',
    environment,
    zipBase64,
    codeSha256: sha256Base64(zip),
    codeSize: zip.length,
    lastModified: lambdaTime(now),
    revisionId: randomUUID(),
    createdAt: now,
    tags: dictionary(input.Tags ?? {}),
    architectures: input.Architectures ?? ['x86_64'],
    permissions: [],
    urls: dictionary(),
    aliases: dictionary(),
  });
  return { status: 201, json: configuration(fn) };
};

/** CreateFunction names its function in the body: that name's ARN, `*` for a name Lambda refuses (the operation then refuses it). */
const functionInBody: OperationAuthorization['resource'] = ({ world, request }) => {
  const name = request.json().FunctionName;
  return typeof name === 'string' && /^[a-zA-Z0-9_-]{1,64}$/.test(name) ? functionArn(world, name) : '*';
};

const functionArn = (world: World, name: string) => `arn:aws:lambda:${world.region}:${world.accountId}:function:${name}`;

const getFunction: Handler = async (call) => {
  const { fn } = targetFunction(call);
  return {
    status: 200,
    json: {
      Configuration: configuration(fn),
      Code: { RepositoryType: 'S3', Location: codeLocation(call.urlBase, fn, call.now) },
      Tags: fn.tags,
    },
  };
};

const getFunctionConfiguration: Handler = async (call) => ({ status: 200, json: configuration(targetFunction(call).fn) });

const listVersionsByFunction: Handler = async (call) => ({ status: 200, json: { Versions: [configuration(targetFunction(call).fn)] } });

const getFunctionCodeSigningConfig: Handler = async (call) => ({
  status: 200,
  json: { FunctionName: targetFunction(call).fn.name, CodeSigningConfigArn: '' },
});

const getFunctionConcurrency: Handler = async (call) => {
  targetFunction(call);
  return { status: 200, json: {} };
};

const listTags: Handler = async (call) => ({ status: 200, json: { Tags: targetFunction(call, 'Resource').fn.tags } });

const deleteFunction: Handler = async (call) => {
  const { fn } = targetFunction(call);
  call.world.deleteFunction(fn);
  // Its warm process ends with it.
  call.runner.discard(fn.name);
  return { status: 204 };
};

// ---- function URLs --------------------------------------------------------------------------

const createFunctionUrlConfig: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  const { qualifier } = target;
  const input = call.request.json();
  if (input.AuthType !== 'AWS_IAM' && input.AuthType !== 'NONE')
    throw invalid(
      `1 validation error detected: Value '${input.AuthType}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`,
    );
  if (qualifier !== undefined && qualifier !== '$LATEST' && fn.aliases[qualifier] === undefined && /^\d+$/.test(qualifier))
    throw invalid('Function URLs can point at an alias, not at a version.');
  const now = new Date().toISOString();
  const url = call.world.createFunctionUrl(fn, {
    urlId: randomBytes(16).toString('hex'),
    qualifier,
    authType: input.AuthType,
    invokeMode: input.InvokeMode ?? 'BUFFERED',
    cors: input.Cors,
    creationTime: now,
    lastModifiedTime: now,
  });
  return { status: 201, json: urlAnswer(fn, url, call.urlBase, false) };
};

const getFunctionUrlConfig: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  return { status: 200, json: urlAnswer(fn, call.world.functionUrl(fn, target.qualifier ?? ''), call.urlBase, true) };
};

const updateFunctionUrlConfig: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  const qualifier = target.qualifier ?? '';
  const input = call.request.json();
  const url = call.world.functionUrl(fn, qualifier);
  if (input.AuthType !== undefined && input.AuthType !== 'AWS_IAM' && input.AuthType !== 'NONE')
    throw invalid(`Value '${input.AuthType}' at 'authType' failed to satisfy constraint`);
  call.world.updateFunctionUrl(fn, qualifier, {
    authType: input.AuthType ?? url.authType,
    invokeMode: input.InvokeMode ?? url.invokeMode,
    cors: input.Cors ?? url.cors,
    lastModifiedTime: new Date().toISOString(),
  });
  return { status: 200, json: urlAnswer(fn, url, call.urlBase, true) };
};

const deleteFunctionUrlConfig: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  call.world.deleteFunctionUrl(fn, target.qualifier ?? '');
  return { status: 204 };
};

const listFunctionUrlConfigs: Handler = async (call) => {
  const { fn } = targetFunction(call);
  return { status: 200, json: { FunctionUrlConfigs: Object.values(fn.urls).map((url) => urlAnswer(fn, url, call.urlBase, true)) } };
};

// ---- the function's policy ------------------------------------------------------------------

const addPermission: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  const input = call.request.json();
  for (const field of ['StatementId', 'Action', 'Principal'])
    if (typeof input[field] !== 'string' || input[field] === '') throw invalid(`${field} is required.`);
  if (!/^[a-zA-Z0-9-_]{1,100}$/.test(input.StatementId))
    throw invalid(
      `Value '${input.StatementId}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`,
    );
  if (!/^(lambda:[*a-zA-Z]+|\*)$/.test(input.Action)) throw invalid(`Value '${input.Action}' at 'action' failed to satisfy constraint`);
  const conditions: Record<string, Record<string, string>> = {};
  // AWS refuses each URL condition on any other action than the one it is about.
  if (input.FunctionUrlAuthType !== undefined && input.Action !== 'lambda:InvokeFunctionUrl') {
    throw invalid(`FunctionUrlAuthType is only supported for the lambda:InvokeFunctionUrl action, not ${input.Action}.`);
  }
  if (input.InvokedViaFunctionUrl !== undefined && typeof input.InvokedViaFunctionUrl !== 'boolean')
    throw invalid(
      `Value '${input.InvokedViaFunctionUrl}' at 'invokedViaFunctionUrl' failed to satisfy constraint: Member must be a boolean`,
    );
  if (input.InvokedViaFunctionUrl !== undefined && input.Action !== 'lambda:InvokeFunction') {
    throw invalid(`InvokedViaFunctionUrl is only supported for the lambda:InvokeFunction action, not ${input.Action}.`);
  }
  if (input.FunctionUrlAuthType) conditions.StringEquals = { 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType };
  // AWS renders InvokedViaFunctionUrl=true as this Bool condition (provider 6.28's invoked_via_function_url).
  if (input.InvokedViaFunctionUrl === true) conditions.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
  if (input.SourceAccount) conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'AWS:SourceAccount': input.SourceAccount };
  if (input.SourceArn) conditions.ArnLike = { 'AWS:SourceArn': input.SourceArn };
  if (input.PrincipalOrgID) conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'aws:PrincipalOrgID': input.PrincipalOrgID };
  const statement = {
    Sid: input.StatementId as string,
    Effect: 'Allow',
    Principal: principalOf(input.Principal),
    Action: input.Action,
    Resource: target.arn,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
  call.world.addPermission(fn, statement);
  return { status: 201, json: { Statement: JSON.stringify(statement) } };
};

const getPolicy: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  const statements = fn.permissions.filter((s) => s.Resource === target.arn);
  if (statements.length === 0) throw notFound('The resource you requested does not exist.');
  return {
    status: 200,
    json: { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }), RevisionId: fn.revisionId },
  };
};

const removePermission: Handler = async (call) => {
  const { fn, target } = targetFunction(call);
  const sid = decodeSegment(call.request.pathParams.get('StatementId') ?? '', 'statementId');
  call.world.removePermission(fn, sid, target.arn);
  return { status: 204 };
};

/** What the handler runner needs of a function to run it (its function URL and the Invoke API alike). */
export function functionCodeOf(fn: LambdaFunctionState): FunctionCode {
  return {
    name: fn.name,
    codeSha256: fn.codeSha256,
    zipBase64: fn.zipBase64,
    handler: fn.handler,
    runtime: fn.runtime,
    environment: fn.environment,
    timeoutSeconds: fn.timeout,
    memorySize: fn.memorySize,
    arn: fn.arn,
    role: fn.role,
  };
}

/** The function's resource policy as a document (for IAM evaluation), or undefined without one. */
export function resourcePolicyOf(fn: LambdaFunctionState): string | undefined {
  return fn.permissions.length === 0 ? undefined : JSON.stringify({ Version: '2012-10-17', Statement: fn.permissions });
}

// ---- the table ------------------------------------------------------------------------------

/** A Lambda operation: action `lambda:<name>`, on the function its path names unless said otherwise. */
function lambda(name: string, method: string, route: string, handle: Handler, resource = namedFunction()): RestOperation {
  return { service: 'lambda', name, match: { protocol: 'rest-json', method, route }, action: `lambda:${name}`, resource, handle };
}

export const LAMBDA_CONTROL_OPERATIONS: RestOperation[] = [
  // ListFunctions is a wildcard-only action in IAM: it is authorized on "*".
  lambda('ListFunctions', 'GET', '/2015-03-31/functions', listFunctions, everyResource),
  lambda('CreateFunction', 'POST', '/2015-03-31/functions', createFunction, functionInBody),
  lambda('GetFunction', 'GET', '/2015-03-31/functions/{FunctionName}', getFunction),
  lambda('DeleteFunction', 'DELETE', '/2015-03-31/functions/{FunctionName}', deleteFunction),
  lambda('GetFunctionConfiguration', 'GET', '/2015-03-31/functions/{FunctionName}/configuration', getFunctionConfiguration),
  lambda('ListVersionsByFunction', 'GET', '/2015-03-31/functions/{FunctionName}/versions', listVersionsByFunction),
  lambda('GetFunctionCodeSigningConfig', 'GET', '/2020-06-30/functions/{FunctionName}/code-signing-config', getFunctionCodeSigningConfig),
  lambda('GetFunctionConcurrency', 'GET', '/2019-09-30/functions/{FunctionName}/concurrency', getFunctionConcurrency),
  lambda('ListTags', 'GET', '/2017-03-31/tags/{Resource+}', listTags, namedFunction('Resource')),
  lambda('CreateFunctionUrlConfig', 'POST', '/2021-10-31/functions/{FunctionName}/url', createFunctionUrlConfig),
  lambda('GetFunctionUrlConfig', 'GET', '/2021-10-31/functions/{FunctionName}/url', getFunctionUrlConfig),
  lambda('UpdateFunctionUrlConfig', 'PUT', '/2021-10-31/functions/{FunctionName}/url', updateFunctionUrlConfig),
  lambda('DeleteFunctionUrlConfig', 'DELETE', '/2021-10-31/functions/{FunctionName}/url', deleteFunctionUrlConfig),
  lambda('ListFunctionUrlConfigs', 'GET', '/2021-10-31/functions/{FunctionName}/urls', listFunctionUrlConfigs),
  lambda('AddPermission', 'POST', '/2015-03-31/functions/{FunctionName}/policy', addPermission),
  lambda('GetPolicy', 'GET', '/2015-03-31/functions/{FunctionName}/policy', getPolicy),
  lambda('RemovePermission', 'DELETE', '/2015-03-31/functions/{FunctionName}/policy/{StatementId}', removePermission),
];
