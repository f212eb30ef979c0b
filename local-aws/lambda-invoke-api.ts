import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './aws-error';
import { functionCodeOf, functionTarget, namedFunction, notFound, readFunctionTarget, resourcePolicyOf } from './lambda-api';
import type { AuthorizationInput, RestOperation } from './operation';

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`): synchronous
 * (RequestResponse) and DryRun; asynchronous (Event) is refused loudly.
 */

/** Lambda's limit for a synchronous invocation's request and response payloads. */
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

const invoke: RestOperation['handle'] = async (call) => {
  const { world, request, runner } = call;
  const target = functionTarget(call);
  const fn = world.findFunction(target.unqualifiedArn);
  if (fn === undefined) throw notFound(`Function not found: ${target.arn}`);
  const { qualifier } = target;
  if (qualifier !== undefined && qualifier !== '$LATEST' && fn.aliases[qualifier] === undefined)
    throw notFound(`Function not found: ${target.arn}`);

  const invocationType = headerOf(request.headers, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': randomUUID() }, payload: '' };
  if (invocationType === 'Event') {
    throw new AwsError(
      'InvalidParameterValueException',
      'InvocationType Event (asynchronous invocation) is not emulated by the local stand-in: use RequestResponse or DryRun.',
    );
  }
  if (invocationType !== 'RequestResponse') {
    throw new AwsError(
      'InvalidParameterValueException',
      `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  }
  if (request.body.length > MAX_SYNC_PAYLOAD_BYTES)
    throw new AwsError(
      'RequestTooLargeException',
      `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      413,
    );
  let event: unknown = {};
  if (request.body.length > 0) {
    try {
      event = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the payload is not valid JSON', 400);
    }
  }

  const requestId = randomUUID();
  const code = functionCodeOf(fn);
  const outcome = await runner.invoke(code, event, requestId);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    'x-amz-executed-version': '$LATEST',
    // Not AWS's: which Node.js ran the function (runtime-node.ts).
    'x-local-aws-node-version': runner.nodeFor(code.runtime).version,
  };
  // A function error is still HTTP 200: Lambda reports it in X-Amz-Function-Error and the payload.
  if (!outcome.ok) {
    const payload =
      outcome.kind === 'timeout'
        ? { errorType: 'Sandbox.Timedout', errorMessage: `${requestId} Task timed out after ${fn.timeout.toFixed(2)} seconds` }
        : { errorType: outcome.errorType, errorMessage: outcome.errorMessage, trace: [] };
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, payload: JSON.stringify(payload) };
  }
  const body = outcome.result === undefined ? 'null' : JSON.stringify(outcome.result);
  if (Buffer.byteLength(body) > MAX_SYNC_PAYLOAD_BYTES) {
    const payload = {
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
    };
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, payload: JSON.stringify(payload) };
  }
  return { status: 200, headers, payload: body };
};

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The function's own policy, when the named function exists: it may grant the caller, or a principal of another account. */
function policyOfNamedFunction({ world, request }: AuthorizationInput): string | undefined {
  const target = readFunctionTarget(world, request);
  const fn = target instanceof AwsError ? undefined : world.findFunction(target.unqualifiedArn);
  return fn === undefined ? undefined : resourcePolicyOf(fn);
}

/**
 * Invoke is authorized as lambda:InvokeFunction with lambda:InvokedViaFunctionUrl = false, against
 * the caller's identity policies and the function's policy: a grant scoped to function URLs (the
 * Bool condition on lambda:InvokedViaFunctionUrl) lets the URL through and refuses this API.
 */
export const INVOKE_OPERATION: RestOperation = {
  service: 'lambda',
  name: 'Invoke',
  match: { protocol: 'rest-json', method: 'POST', route: '/2015-03-31/functions/{FunctionName}/invocations' },
  action: 'lambda:InvokeFunction',
  resource: namedFunction(),
  resourcePolicy: policyOfNamedFunction,
  context: () => ({ 'lambda:InvokedViaFunctionUrl': 'false' }),
  handle: invoke,
};
