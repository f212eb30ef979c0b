import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { SignatureFormatError, headerBag, toHttpRequest } from '../client/sigv4';
import type { Authorizer, Principal } from './authorization';
import type { HandlerRunner } from './handler-runner';
import { functionCodeOf, resourcePolicyOf } from './lambda-api';
import { AwsError } from './aws-error';
import { sourceIpContext } from './operation-authorization';
import type { World } from './world';
import { type FunctionUrlConfig, type LambdaFunctionState, dictionary } from './world-state';

/**
 * The data plane: a request to `/lambda-url/<url-id>/<path>` is what AWS receives at
 * `https://<url-id>.lambda-url.<region>.on.aws/<path>`. The prefix is stripped, so the function
 * sees AWS's rawPath and rawQueryString. AWS_IAM URLs need a valid SigV4 signature (service
 * "lambda", the function's region) AND both lambda:InvokeFunctionUrl and lambda:InvokeFunction
 * allowed; the handler then gets a payload format 2.0 event.
 */

export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const URL_PREFIX = '/lambda-url/';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
}

const FORBIDDEN =
  'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html';

/** Lambda's answer to a function URL request over MAX_PAYLOAD_BYTES (the server stops reading there). */
export function payloadTooLarge(requestId: string = randomUUID()): HttpAnswer {
  return jsonAnswer(
    413,
    'RequestEntityTooLargeException',
    { Message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation` },
    requestId,
  );
}

function jsonAnswer(status: number, errorType: string | undefined, body: unknown, requestId: string): HttpAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
    body: JSON.stringify(body),
  };
}

/** Maps the stand-in's signature failures to what a function URL answers. */
const SIGNATURE_ERRORS: Record<string, [string, string?]> = dictionary({
  MissingAuthenticationToken: ['AccessDeniedException', 'Forbidden'],
  IncompleteSignature: ['IncompleteSignatureException'],
  InvalidClientTokenId: ['UnrecognizedClientException'],
  SignatureDoesNotMatch: ['InvalidSignatureException'],
  RequestExpired: ['InvalidSignatureException'],
  ExpiredToken: ['ExpiredTokenException'],
});

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function findUrl(world: World, urlId: string): { fn: LambdaFunctionState; url: FunctionUrlConfig } | undefined {
  for (const fn of Object.values(world.state.functions)) {
    for (const url of Object.values(fn.urls)) if (url.urlId === urlId) return { fn, url };
  }
  return undefined;
}

export async function invokeFunctionUrl(
  world: World,
  authorizer: Authorizer,
  runner: HandlerRunner,
  request: { method: string; rawPath: string; rawQuery: string; headers: [string, string][]; body: Buffer; host: string; sourceIp: string },
): Promise<HttpAnswer> {
  const requestId = randomUUID();
  // Routed on the path the signature covers: SigV4 (smithy, uriEscapePath) removes "." and ".."
  // segments before signing, so "/lambda-url/B/../A/x" is signed as A's. On AWS the URL id is in
  // the signed host and cannot be changed by the path at all.
  const normalized = normalizePath(request.rawPath);
  if (!normalized.startsWith(URL_PREFIX))
    return jsonAnswer(404, 'ResourceNotFoundException', { Message: 'No function URL at this path' }, requestId);
  const rest = normalized.slice(URL_PREFIX.length);
  const slash = rest.indexOf('/');
  const urlId = slash === -1 ? rest : rest.slice(0, slash);
  const rawPath = slash === -1 ? '/' : rest.slice(slash);
  const found = findUrl(world, urlId);
  if (found === undefined) return jsonAnswer(404, 'ResourceNotFoundException', { Message: `No function URL with id ${urlId}` }, requestId);
  const { fn, url } = found;

  let caller: Record<string, string | null> | undefined;
  if (url.authType === 'AWS_IAM') {
    let principal: Principal;
    try {
      const signable = toHttpRequest({
        method: request.method,
        protocol: 'http:',
        hostname: request.host.replace(/:\d+$/, ''),
        path: request.rawPath,
        rawQuery: request.rawQuery,
        headers: request.headers,
        body: request.body,
      });
      principal = await authorizer.authenticate(signable, 'lambda', world.region);
    } catch (error) {
      if (error instanceof SignatureFormatError)
        return jsonAnswer(403, 'IncompleteSignatureException', { Message: error.message }, requestId);
      if (!(error instanceof AwsError)) throw error;
      const [errorType, message] = SIGNATURE_ERRORS[error.code] ?? ['AccessDeniedException', 'Forbidden'];
      return jsonAnswer(403, errorType, { Message: message ?? error.message }, requestId);
    }
    const invokeArn = url.qualifier ? `${fn.arn}:${url.qualifier}` : fn.arn;
    const resourcePolicy = resourcePolicyOf(fn);
    // aws:SourceIp from the connection, as for every API call (IAM decides NotIpAddress on it too).
    const network = sourceIpContext(request.sourceIp);
    const [viaUrl, invoke] = await Promise.all([
      authorizer.decide(
        principal,
        'lambda:InvokeFunctionUrl',
        invokeArn,
        { ...network, 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
        resourcePolicy,
      ),
      authorizer.decide(
        principal,
        'lambda:InvokeFunction',
        invokeArn,
        { ...network, 'lambda:InvokedViaFunctionUrl': 'true' },
        resourcePolicy,
      ),
    ]);
    if (viaUrl !== 'Allowed' || invoke !== 'Allowed') return jsonAnswer(403, 'AccessDeniedException', { Message: FORBIDDEN }, requestId);
    const callerId =
      principal.kind === 'session'
        ? `${principal.session.roleId}:${principal.session.sessionName}`
        : principal.kind === 'user'
          ? principal.user.userId
          : world.accountId;
    caller = {
      accessKey: principal.accessKeyId,
      accountId: world.accountId,
      callerId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: principal.arn,
      userId: callerId,
    };
  }

  const event = buildEvent(world, urlId, requestId, { ...request, rawPath }, caller);
  const code = functionCodeOf(fn);
  const outcome = await runner.invoke(code, event, requestId);
  const answer: HttpAnswer = outcome.ok
    ? mapResult(outcome.result, requestId)
    : {
        status: 502,
        headers: {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': outcome.kind === 'timeout' ? 'Sandbox.Timedout' : 'Unhandled',
        },
        body: JSON.stringify({ Message: 'Internal Server Error' }),
      };
  // Not AWS's: which Node.js ran the function (its Runtime's major when available, runtime-node.ts).
  answer.headers['x-local-aws-node-version'] = runner.nodeFor(code.runtime).version;
  return answer;
}

/**
 * Removes empty, "." and ".." segments as the SigV4 canonical path does (smithy's
 * getCanonicalPath), keeping a leading and trailing "/".
 */
export function normalizePath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
}

/** Lower-cased names, repeated headers joined with "," (the same rule the signature check uses). */
function joinHeaders(headers: [string, string][]): Map<string, string> {
  return new Map(Object.entries(headerBag(headers.map(([name, value]): [string, string] => [name.toLowerCase(), value]))));
}

function buildEvent(
  world: World,
  urlId: string,
  requestId: string,
  request: { method: string; rawPath: string; rawQuery: string; headers: [string, string][]; body: Buffer; sourceIp: string },
  caller: Record<string, string | null> | undefined,
) {
  const headers = joinHeaders(request.headers);
  const cookies = headers.get('cookie')?.split(/;\s*/).filter(Boolean);
  headers.delete('cookie');
  const query: Record<string, string> = Object.create(null);
  for (const part of request.rawQuery.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const decode = (t: string) => {
      try {
        return decodeURIComponent(t.replace(/\+/g, ' '));
      } catch {
        return t;
      }
    };
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decode(part.slice(eq + 1));
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  const contentType = headers.get('content-type') ?? '';
  const hasBody = request.body.length > 0;
  const isText = hasBody && TEXT_TYPES.test(contentType);
  const now = new Date();
  const domainName = `${urlId}.lambda-url.${world.region}.on.aws`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.rawPath,
    rawQueryString: request.rawQuery,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers: Object.fromEntries([...headers.entries(), ['host', domainName]]),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: caller ? world.accountId : 'anonymous',
      apiId: urlId,
      ...(caller ? { authorizer: { iam: caller } } : {}),
      domainName,
      domainPrefix: urlId,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers.get('user-agent') ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
}

function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Lambda's response mapping for function URLs (payload format 2.0). */
export function mapResult(result: unknown, requestId: string): HttpAnswer {
  const base = { 'x-amzn-requestid': requestId };
  if (result !== null && typeof result === 'object' && 'statusCode' in (result as object)) {
    const r = result as {
      statusCode: unknown;
      headers?: Record<string, unknown>;
      body?: unknown;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
    const status = Number(r.statusCode);
    // 1xx is not a final answer: node:http sends it as an interim response and the caller then
    // waits for one that never comes (101 would claim a protocol switch). Lambda's is a 502.
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      return invalidResponse(base);
    }
    const headers: Record<string, string | string[]> = Object.create(null);
    Object.assign(headers, base);
    const userHeaders = r.headers !== null && typeof r.headers === 'object' ? Object.entries(r.headers) : [];
    for (const [name, value] of userHeaders) {
      const lower = name.toLowerCase();
      // The stand-in frames the body itself; a handler's framing headers would corrupt the connection.
      if (FRAMING_HEADERS.has(lower)) continue;
      headers[lower] = String(value);
    }
    if (Array.isArray(r.cookies) && r.cookies.length > 0) headers['set-cookie'] = r.cookies.map(String);
    // Node throws inside writeHead() on a name or value it refuses (CR/LF, non-Latin-1, a space
    // in a name). Lambda answers 502 for a malformed function response; so does the stand-in.
    if (!headersAreValid(headers)) return invalidResponse(base);
    const text = r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const body = r.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    return { status, headers, body };
  }
  return { status: 200, headers: { ...base, 'content-type': 'application/json' }, body: JSON.stringify(result) };
}

const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);

function invalidResponse(base: Record<string, string>): HttpAnswer {
  return {
    status: 502,
    headers: { ...base, 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidResponse' },
    body: JSON.stringify({ Message: 'Internal Server Error' }),
  };
}

/** True when node:http would send every header as given (its own validators, not a copy of them). */
export function headersAreValid(headers: Record<string, string | string[]>): boolean {
  try {
    for (const name of Object.keys(headers)) {
      http.validateHeaderName(name);
      const value = headers[name];
      for (const one of Array.isArray(value) ? value : [value]) http.validateHeaderValue(name, one);
    }
    return true;
  } catch {
    return false;
  }
}
