import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Authorizer, Principal } from './authorization';
import { AwsError } from './aws-error';
import type { HandlerRunner } from './handler-runner';
import { LOGS_TARGET_PREFIX } from './logs-api';
import type {
  JsonBody,
  Operation,
  OperationCall,
  OperationRequest,
  QueryOperation,
  RestOperation,
  ServiceName,
  UnemulatedOperation,
} from './operation';
import { type RefusalCodes, authorizeOperation, checkActionName, sourceIpContext } from './operation-authorization';
import { type Found, findOperation, unemulatedByName } from './operations';
import type { World } from './world';
import { dictionary } from './world-state';
import { IAM_NAMESPACE, STS_NAMESPACE, queryError, queryResponse } from './xml';

/**
 * One dispatch for every service: the protocol (Query for IAM and STS, REST-JSON for Lambda,
 * JSON 1.1 for CloudWatch Logs) reads which operation the request names and its parameters, the
 * operation is authorized once from its declaration, its handler runs, and the protocol renders
 * the answer or the error in AWS's shape.
 */

export interface ApiRequest {
  method: string;
  /** The path and the query as sent (percent-encoded), the query without its `?`. */
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the signature check established: who signed, and what the signature covers. */
export interface Verification {
  principal: Principal;
  /** False for UNSIGNED-PAYLOAD: the body is not covered. */
  payloadSigned: boolean;
  signedHeaders: string[];
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export interface Backend {
  world: World;
  authorizer: Authorizer;
  runner: HandlerRunner;
  urlBase: string;
  now: Date;
  /** The connection's peer address: `aws:SourceIp`. */
  sourceIp?: string;
}

type Protocol = 'query' | 'rest-json' | 'json';

/** Each service's protocol and API version (the `Version` its Query requests carry, the date in its routes and targets). */
const SERVICES: Record<ServiceName, { protocol: Protocol; version: string }> = {
  iam: { protocol: 'query', version: '2010-05-08' },
  sts: { protocol: 'query', version: '2011-06-15' },
  lambda: { protocol: 'rest-json', version: '2015-03-31' },
  logs: { protocol: 'json', version: '2014-03-28' },
};

const REFUSALS: Record<Protocol, Omit<RefusalCodes, 'version'>> = {
  query: { denied: 'AccessDenied', unknownAction: 'InvalidAction' },
  'rest-json': { denied: 'AccessDeniedException', unknownAction: 'UnknownOperationException' },
  json: { denied: 'AccessDeniedException', unknownAction: 'UnknownOperationException' },
};

export function isServiceName(service: string): service is ServiceName {
  return Object.hasOwn(SERVICES, service);
}

/** Answers an authenticated API request: read by its protocol, authorized from its declaration, handled, rendered. */
export async function dispatch(service: ServiceName, request: ApiRequest, verification: Verification, backend: Backend): Promise<Answer> {
  const { protocol, version } = SERVICES[service];
  const { found, params, json } = readRequest(service, protocol, version, request, verification);
  const { operation } = found;
  const operationRequest: OperationRequest = { params, pathParams: found.pathParams, json, body: request.body, headers: request.headers };
  const input = { request: operationRequest, world: backend.world, principal: verification.principal, sourceIp: backend.sourceIp };
  await authorizeOperation(operation, input, backend.authorizer, { ...REFUSALS[protocol], version });
  if (!('handle' in operation)) throw notEmulated(protocol, operation, version);
  const call: OperationCall = {
    ...input,
    now: backend.now,
    urlBase: backend.urlBase,
    runner: backend.runner,
    async isAlsoAllowed(action, resource, options = {}) {
      if (action === operation.action)
        throw new Error(`${operation.name} asked again for its own action ${action}: it is authorized once, from its declaration`);
      const context = { ...sourceIpContext(input.sourceIp), ...options.context };
      return (await backend.authorizer.decide(verification.principal, action, resource, context, options.resourcePolicy)) === 'Allowed';
    },
  };
  return handleAndRender(operation, call);
}

const isQuery = (operation: Operation): operation is QueryOperation => operation.match.protocol === 'query';
const isRest = (operation: Operation): operation is RestOperation => operation.match.protocol === 'rest-json';

/** Runs the handler and renders its result in the operation's protocol. */
async function handleAndRender(operation: Operation, call: OperationCall): Promise<Answer> {
  if (isQuery(operation)) {
    const result = await operation.handle(call);
    const requestId = randomUUID();
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: queryResponse(operation.match.action, namespaceOf(operation.service), requestId, result),
    };
  }
  if (isRest(operation)) {
    const answer = await operation.handle(call);
    if ('payload' in answer) return { status: answer.status, headers: answer.headers, body: answer.payload };
    return {
      status: answer.status,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
      body: answer.json === undefined ? '' : JSON.stringify(answer.json),
    };
  }
  const result = await operation.handle(call);
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(result),
  };
}

/** The XML namespace of a Query-protocol service's answers. */
const namespaceOf = (service: string) => (service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE);

/** How AWS answers an operation it has, to a caller allowed to call it, when the stand-in does not emulate it. */
function notEmulated(protocol: Protocol, operation: UnemulatedOperation, version: string): AwsError {
  switch (protocol) {
    case 'query':
      return new AwsError('InvalidAction', `Could not find operation ${operation.name} for version ${version}`);
    case 'rest-json':
      return new AwsError('UnknownOperationException', `${operation.action} is not emulated by the local stand-in.`);
    case 'json':
      return new AwsError('UnknownOperationException', `Unknown operation ${operation.name}`);
  }
}

interface ReadRequest {
  found: Found;
  params: URLSearchParams;
  json: () => JsonBody;
}

function readRequest(
  service: ServiceName,
  protocol: Protocol,
  version: string,
  request: ApiRequest,
  verification: Verification,
): ReadRequest {
  switch (protocol) {
    case 'query':
      return readQueryRequest(service as 'iam' | 'sts', version, request, verification);
    case 'rest-json': {
      const found = findOperation(service, { method: request.method, path: request.rawPath });
      // A route no operation has names no action: nothing to authorize.
      if (found === undefined)
        throw new AwsError('UnknownOperationException', `Unknown operation ${request.method} ${request.rawPath}`, 400);
      return { found, params: new URLSearchParams(request.rawQuery), json: lazyJsonBody(request.body) };
    }
    case 'json':
      return readJsonRequest(request, verification);
  }
}

/**
 * Query protocol: parameters from a form body (POST) or from the query string (GET, and presigned
 * URLs, whose signature covers the query).
 */
function readQueryRequest(service: 'iam' | 'sts', version: string, request: ApiRequest, verification: Verification): ReadRequest {
  const { body } = request;
  // A URL presigned with UNSIGNED-PAYLOAD (botocore's generate_presigned_url, EKS-style
  // GetCallerIdentity tokens) signs its query, not its body: parameters read from the body would
  // let whoever holds the URL replace the signed Action (GetCallerIdentity -> AssumeRole).
  if (!verification.payloadSigned && body.length > 0) {
    throw new AwsError(
      'IncompleteSignature',
      'The request body is not covered by the signature (UNSIGNED-PAYLOAD): a presigned Query-protocol request takes its parameters from the signed query string only, and its body must be empty.',
      400,
    );
  }
  const contentType = request.headers['content-type'];
  if (body.length > 0 && contentType !== undefined && !/^application\/x-www-form-urlencoded/i.test(contentType)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Content-Type ${contentType} is not supported: the Query protocol takes application/x-www-form-urlencoded`,
    );
  }
  const params = new URLSearchParams(body.length > 0 ? body.toString('utf8') : request.rawQuery);
  const action = params.get('Action');
  if (action === null) throw new AwsError('MissingAction', 'Could not find an Action in the request');
  checkActionName(action, version);
  const found = findOperation(service, { action }) ?? { operation: unemulatedByName(service, action), pathParams: new Map() };
  return { found, params, json: () => dictionary() };
}

/** JSON 1.1: the operation is named by X-Amz-Target, its input is the body, a JSON object. */
function readJsonRequest(request: ApiRequest, verification: Verification): ReadRequest {
  // X-Amz-Target chooses the operation: unsigned, whoever holds a signed request (or a presigned
  // URL, where the SDK moves it into the query) could turn it into another one.
  if (!verification.signedHeaders.includes('x-amz-target'))
    throw new AwsError('IncompleteSignature', 'X-Amz-Target selects the operation and must be a signed header.', 400);
  const name = String(request.headers['x-amz-target']).replace(new RegExp(`^${LOGS_TARGET_PREFIX.replace('.', '\\.')}`), '');
  let input: unknown;
  try {
    input = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON');
  }
  // JSON 1.1 takes an object; `null`, a number or an array is the caller's error.
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new AwsError('SerializationException', 'The request body must be a JSON object');
  if (!/^[A-Z][A-Za-z]{0,127}$/.test(name)) throw new AwsError('UnknownOperationException', `Unknown operation ${name}`);
  const found = findOperation('logs', { target: `${LOGS_TARGET_PREFIX}${name}` }) ?? {
    operation: unemulatedByName('logs', name),
    pathParams: new Map(),
  };
  return { found, params: new URLSearchParams(), json: () => input as JsonBody };
}

/** A REST-JSON body as an object, parsed on first use (an empty body is `{}`). */
function lazyJsonBody(body: Buffer): () => JsonBody {
  let parsed: JsonBody | undefined;
  return () => {
    if (parsed !== undefined) return parsed;
    if (body.length === 0) {
      parsed = {};
      return parsed;
    }
    try {
      const value = JSON.parse(body.toString('utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      parsed = value as JsonBody;
      return parsed;
    } catch {
      throw new AwsError('SerializationException', 'Could not parse request body into json: the body is not a JSON object', 400);
    }
  };
}

/** An error in the shape of the service's protocol: Query XML, REST-JSON with x-amzn-ErrorType, JSON 1.1 with `__type`. */
export function errorAnswer(service: string, error: AwsError): Answer {
  const requestId = randomUUID();
  if (service === 'iam' || service === 'sts') {
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: queryError(namespaceOf(service), error.type, error.code, error.message, requestId),
    };
  }
  const code =
    service === 'lambda'
      ? (LAMBDA_AUTH_ERRORS[error.code] ?? error.code)
      : service === 'logs'
        ? (LOGS_AUTH_ERRORS[error.code] ?? error.code)
        : error.code;
  if (service === 'logs') {
    // JSON 1.1 answers a missing resource with 400 (ResourceNotFoundException).
    return {
      status: error.status === 404 ? 400 : error.status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: code, message: error.message }),
    };
  }
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ Type: error.type === 'Sender' ? 'User' : 'Service', message: error.message }),
  };
}

/** The signature errors as Lambda's REST-JSON names them. */
const LAMBDA_AUTH_ERRORS: Record<string, string> = dictionary({
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  RequestExpired: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException',
  ExpiredToken: 'ExpiredTokenException',
});
const LOGS_AUTH_ERRORS: Record<string, string> = dictionary({ ...LAMBDA_AUTH_ERRORS, AccessDenied: 'AccessDeniedException' });
