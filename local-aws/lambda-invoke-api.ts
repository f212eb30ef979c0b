import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Authorizer, Principal } from './authorization';
import { HandlerRunner } from './handler-runner';
import { functionArnFromName, functionCodeOf, notFound, resourcePolicyOf } from './lambda-api';
import { AwsError } from './aws-error';
import { World } from './world';

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`), synchronous
 * (RequestResponse) and DryRun. It is authorized with `lambda:InvokeFunction` and
 * `lambda:InvokedViaFunctionUrl` = false, against the caller's identity policies and the
 * function's resource policy, so a permission scoped to function URLs (the Bool condition on
 * lambda:InvokedViaFunctionUrl) allows the URL and refuses this API, as on AWS.
 */

export const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/** Lambda's limit for a synchronous invocation's request and response payloads. */
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface InvokeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  principal: Principal;
}

export interface InvokeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function invokeFunction(world: World, authorizer: Authorizer, runner: HandlerRunner, call: InvokeCall): Promise<InvokeAnswer> {
  const match = INVOKE_PATH.exec(call.path)!;
  if (call.method !== 'POST') throw new AwsError('UnknownOperationException', `Unknown operation ${call.method} ${call.path}`, 400);
  const resource = functionArnFromName(world, match[1], call.query.get('Qualifier') ?? undefined);
  if (resource === undefined) {
    throw new AwsError('InvalidParameterValueException', `1 validation error detected: the function name '${match[1]}' or the qualifier '${call.query.get('Qualifier') ?? ''}' does not satisfy Lambda's pattern ([a-zA-Z0-9_-]+, a qualifier \$LATEST or [a-zA-Z0-9_-]{1,128})`);
  }
  const fn = world.findFunction(resource.split(':').slice(0, 7).join(':'));
  // Authorized on the ARN built from the request's name before the function is looked up, so a
  // caller without the right learns nothing about which functions exist.
  await authorizer.authorize(call.principal, 'lambda:InvokeFunction', resource, { context: { 'lambda:InvokedViaFunctionUrl': 'false' }, resourcePolicy: fn === undefined ? undefined : resourcePolicyOf(fn), deniedCode: 'AccessDeniedException' });
  if (fn === undefined) throw notFound(`Function not found: ${resource}`);
  const qualifier = resource.split(':')[7];
  if (qualifier !== undefined && qualifier !== '$LATEST' && fn.aliases[qualifier] === undefined) throw notFound(`Function not found: ${resource}`);

  const invocationType = headerOf(call.headers, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': randomUUID() }, body: '' };
  if (invocationType === 'Event') {
    throw new AwsError('InvalidParameterValueException', 'InvocationType Event (asynchronous invocation) is not emulated by the local stand-in: use RequestResponse or DryRun.');
  }
  if (invocationType !== 'RequestResponse') {
    throw new AwsError('InvalidParameterValueException', `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
  }
  if (call.body.length > MAX_SYNC_PAYLOAD_BYTES) throw new AwsError('RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`, 413);
  let event: unknown = {};
  if (call.body.length > 0) {
    try {
      event = JSON.parse(call.body.toString('utf8'));
    } catch {
      throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json: the payload is not valid JSON', 400);
    }
  }

  const requestId = randomUUID();
  const outcome = await runner.invoke(functionCodeOf(fn), event, requestId);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
  // A function error is still HTTP 200: Lambda reports it in X-Amz-Function-Error and the payload.
  if (!outcome.ok) {
    const payload =
      outcome.kind === 'timeout'
        ? { errorType: 'Sandbox.Timedout', errorMessage: `${requestId} Task timed out after ${fn.timeout.toFixed(2)} seconds` }
        : { errorType: outcome.errorType, errorMessage: outcome.errorMessage, trace: [] };
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: JSON.stringify(payload) };
  }
  const body = outcome.result === undefined ? 'null' : JSON.stringify(outcome.result);
  if (Buffer.byteLength(body) > MAX_SYNC_PAYLOAD_BYTES) {
    const payload = { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).` };
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: JSON.stringify(payload) };
  }
  return { status: 200, headers, body };
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
