import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureFormatError, parseAuthorization, toHttpRequest } from '../client/sigv4';
import { authorizeAction, checkActionName, iamActionResource, logsActionResource, unemulatedLambdaAction } from './action-authorization';
import { AdminKey, Authorizer, Principal } from './authorization';
import { MAX_PAYLOAD_BYTES, URL_PREFIX, invokeFunctionUrl, payloadTooLarge } from './function-url-api';
import { HandlerRunner } from './handler-runner';
import { IAM_OPERATIONS } from './iam-api';
import { lambdaOperation } from './lambda-api';
import { INVOKE_PATH, invokeFunction } from './lambda-invoke-api';
import { logsOperation } from './logs-api';
import { stsOperation } from './sts-api';
import { AwsError } from './aws-error';
import { World } from './world';
import { dictionary } from './world-state';
import { IAM_NAMESPACE, STS_NAMESPACE, queryError, queryResponse } from './xml';

/**
 * The local stand-in for AWS: one HTTP server on loopback for IAM, STS, Lambda, CloudWatch Logs
 * and the function URLs. Every request goes through the same pipeline: body read (bounded),
 * SigV4 verified, principal resolved, IAM evaluated, operation applied.
 */

export interface LocalAwsOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** @default 123456789012 */
  accountId?: string;
  /** @default us-east-1 */
  region?: string;
  /** Load the state from this JSON file when it exists, and save every change to it. */
  snapshotFile?: string;
  /** The bootstrap key Terraform uses (the account root). */
  adminKey?: AdminKey;
  /** One line per request (operation, principal, status, ms), for debugging. */
  log?: (line: string) => void;
  /** For tests: the server's clock. */
  now?: () => Date;
}

export const DEFAULT_ADMIN_KEY: AdminKey = { accessKeyId: 'AKIALOCALAWSADMIN000', secretAccessKey: 'local-aws-admin-secret-not-for-real-aws' };
const MAX_API_BODY = 70 * 1024 * 1024;
/** IAM's largest parameter is a 131072-character policy document, ≤ 3 bytes each when percent-encoded. */
const MAX_QUERY_BODY = 1024 * 1024;
const STS_SELF_AUTHORIZED = new Set(['GetCallerIdentity', 'AssumeRole', 'GetSessionToken']);
/** What GetSessionToken credentials may call without MFA: no IAM, and of STS only these. */
const STS_FOR_TEMPORARY_USERS = new Set(['GetCallerIdentity', 'AssumeRole']);
const STS_ACTIONS = new Set(['AssumeRole', 'GetCallerIdentity', 'GetSessionToken', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML', 'GetFederationToken', 'DecodeAuthorizationMessage', 'GetAccessKeyInfo']);

export interface LocalAws {
  endpoint: string;
  port: number;
  world: World;
  authorizer: Authorizer;
  /** Requests answered, by kind, for reports. */
  stats: { apiCalls: number; urlInvocations: number; handlingMs: number };
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const world = World.open({ accountId: options.accountId ?? '123456789012', region: options.region ?? 'us-east-1', snapshotFile: options.snapshotFile });
  const now = options.now ?? (() => new Date());
  const authorizer = new Authorizer(world, options.adminKey ?? DEFAULT_ADMIN_KEY, now);
  const runner = new HandlerRunner();
  const stats = { apiCalls: 0, urlInvocations: 0, handlingMs: 0 };
  let endpoint = '';

  const server = http.createServer((req, res) => {
    const started = performance.now();
    handle(req)
      .catch((error: unknown) => internalError(error))
      .then((answer) => {
        // Wall time of every request, including the handler runs of function URL calls.
        stats.handlingMs += performance.now() - started;
        send(res, answer);
        options.log?.(`${req.method} ${req.url?.split('?')[0]} -> ${answer.status} (${(performance.now() - started).toFixed(1)} ms)`);
      });
  });

  /** Last line of defence: whatever writeHead refuses is one 502 for that call, never a crash. */
  function send(res: http.ServerResponse, answer: Answer): void {
    try {
      res.writeHead(answer.status, answer.headers);
    } catch (error) {
      options.log?.(`refused response headers: ${(error as Error).message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidResponse' });
      res.end(JSON.stringify({ Message: 'Internal Server Error' }));
      return;
    }
    res.end(answer.body);
  }

  async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function handle(req: http.IncomingMessage): Promise<Answer> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
    const headerPairs: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headerPairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);

    if (rawPath.startsWith(URL_PREFIX)) {
      stats.urlInvocations++;
      const body = await readBody(req, MAX_PAYLOAD_BYTES);
      if (body === undefined) return payloadTooLarge();
      return invokeFunctionUrl(world, authorizer, runner, { method: req.method ?? 'GET', rawPath, rawQuery, headers: headerPairs, body, host: req.headers.host ?? '', sourceIp: req.socket.remoteAddress ?? '127.0.0.1' });
    }
    if (rawPath === '/_local/health') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, accountId: world.accountId, region: world.region }) };

    stats.apiCalls++;
    const target = req.headers['x-amz-target'];
    const service = serviceOf(req, rawPath, rawQuery, target);
    // Bounded before anything is parsed: only Lambda's CreateFunction carries a large body (a
    // base64 zip); every Query/JSON 1.1 call here fits in MAX_QUERY_BODY.
    const limit = service === 'lambda' ? MAX_API_BODY : MAX_QUERY_BODY;
    const body = await readBody(req, limit);
    if (body === undefined) return errorFor(service, new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes`, 413));
    try {
      const request = toHttpRequest({ method: req.method ?? 'GET', protocol: 'http:', hostname: (req.headers.host ?? '').replace(/:\d+$/, ''), path: rawPath, rawQuery, headers: headerPairs, body });
      const { principal, payloadSigned, signedHeaders } = await authorizer.authenticateRequest(request, service, signingRegionOf(service, world.region));
      const authorize = (action: string, resource: string) => authorizer.authorize(principal, action, resource, { deniedCode: service === 'lambda' || service === 'logs' ? 'AccessDeniedException' : 'AccessDenied' });
      switch (service) {
        case 'iam':
        case 'sts':
          return await queryCall(service, body, rawQuery, req.headers['content-type'], principal, payloadSigned);
        case 'lambda': {
          const unemulated = unemulatedLambdaAction(world, req.method ?? 'GET', rawPath);
          if (unemulated !== undefined) {
            await authorizeAction(authorizer, principal, unemulated.action, unemulated.resource, 'AccessDeniedException', '2015-03-31', 'UnknownOperationException');
            throw new AwsError('UnknownOperationException', `${unemulated.action} is not emulated by the local stand-in.`, 400);
          }
          if (INVOKE_PATH.test(rawPath)) return await invokeFunction(world, authorizer, runner, { method: req.method ?? 'GET', path: rawPath, query: new URLSearchParams(rawQuery), headers: req.headers, body, principal });
          const answer = await lambdaOperation(world, { method: req.method ?? 'GET', path: rawPath, query: new URLSearchParams(rawQuery), body, principal, authorize, urlBase: endpoint, onFunctionDeleted: (name) => runner.discard(name) });
          return { status: answer.status, headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() }, body: answer.body === undefined ? '' : JSON.stringify(answer.body) };
        }
        case 'logs': {
          // X-Amz-Target chooses the operation: unsigned, whoever holds a signed request (or a
          // presigned URL, where the SDK moves it into the query) could turn it into another one.
          if (!signedHeaders.includes('x-amz-target')) throw new AwsError('IncompleteSignature', 'X-Amz-Target selects the operation and must be a signed header.', 400);
          const operation = String(target).replace(/^Logs_20140328\./, '');
          let input: unknown;
          try {
            input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
          } catch {
            throw new AwsError('SerializationException', 'The request body is not valid JSON');
          }
          // JSON 1.1 takes an object; `null`, a number or an array is the caller's error.
          if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new AwsError('SerializationException', 'The request body must be a JSON object');
          // Authorized by the operation's name on the group its input names, before the group is
          // looked up: no ResourceNotFoundException for a caller without the right.
          if (!/^[A-Z][A-Za-z]{0,127}$/.test(operation)) throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
          await authorizeAction(authorizer, principal, `logs:${operation}`, logsActionResource(world, input), 'AccessDeniedException', '2014-03-28', 'UnknownOperationException');
          const answer = await logsOperation(world, { operation, input: input as Record<string, any>, authorize });
          return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(answer) };
        }
        default:
          throw new AwsError('UnknownOperationException', `No service of this stand-in answers ${req.method} ${rawPath}`, 404);
      }
    } catch (error) {
      if (error instanceof AwsError) return errorFor(service, error);
      if (error instanceof SignatureFormatError) return errorFor(service, new AwsError('IncompleteSignature', error.message));
      throw error;
    }
  }

  async function queryCall(service: 'iam' | 'sts', body: Buffer, rawQuery: string, contentType: string | undefined, principal: Principal, payloadSigned: boolean): Promise<Answer> {
    const namespace = service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE;
    // A URL presigned with UNSIGNED-PAYLOAD (botocore's generate_presigned_url, EKS-style
    // GetCallerIdentity tokens) signs its query, not its body: parameters read from the body would
    // let whoever holds the URL replace the signed Action (GetCallerIdentity -> AssumeRole).
    if (!payloadSigned && body.length > 0) {
      throw new AwsError('IncompleteSignature', 'The request body is not covered by the signature (UNSIGNED-PAYLOAD): a presigned Query-protocol request takes its parameters from the signed query string only, and its body must be empty.', 400);
    }
    if (body.length > 0 && contentType !== undefined && !/^application\/x-www-form-urlencoded/i.test(contentType)) {
      throw new AwsError('InvalidParameterValue', `Content-Type ${contentType} is not supported: the Query protocol takes application/x-www-form-urlencoded`);
    }
    // The Query protocol takes its parameters from a form body (POST) or from the query string
    // (GET, and presigned URLs, whose signature covers the query).
    const params = new URLSearchParams(body.length > 0 ? body.toString('utf8') : rawQuery);
    const action = params.get('Action');
    if (action === null) throw new AwsError('MissingAction', 'Could not find an Action in the request');
    const version = service === 'iam' ? '2010-05-08' : '2011-06-15';
    checkActionName(action, version);
    const deniedCode = 'AccessDenied';
    const authorize = (iamAction: string, resource: string) => authorizer.authorize(principal, iamAction, resource, { deniedCode });
    const requestId = randomUUID();
    if (principal.kind !== 'session' && principal.temporary === true && (service === 'iam' || !STS_FOR_TEMPORARY_USERS.has(action))) {
      throw new AwsError('AccessDenied', `${service === 'iam' ? 'IAM' : 'STS'} ${action} cannot be called with GetSessionToken credentials without MFA (MFA is not emulated here).`, 403);
    }
    // GetCallerIdentity needs no permission; AssumeRole is decided with the role's trust policy
    // inside; every other action is authorized by its name before anything is looked up.
    if (service === 'sts' ? !STS_SELF_AUTHORIZED.has(action) : true) {
      const resource = service === 'iam' ? iamActionResource(world, principal, action, params) : '*';
      await authorizeAction(authorizer, principal, `${service}:${action}`, resource, deniedCode, version);
    }
    if (service === 'sts') {
      const result = await stsOperation(action, params, world, authorizer, principal, now());
      return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: queryResponse(action, namespace, requestId, result) };
    }
    const operation = IAM_OPERATIONS[action];
    if (operation === undefined) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    const result = await operation(world, { params, authorize, principal });
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: queryResponse(action, namespace, requestId, result) };
  }

  function errorFor(service: string, error: AwsError): Answer {
    const requestId = randomUUID();
    if (service === 'iam' || service === 'sts') {
      return { status: error.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: queryError(service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE, error.type, error.code, error.message, requestId) };
    }
    const code = service === 'lambda' ? LAMBDA_AUTH_ERRORS[error.code] ?? error.code : service === 'logs' ? LOGS_AUTH_ERRORS[error.code] ?? error.code : error.code;
    if (service === 'logs') {
      return { status: error.status === 404 ? 400 : error.status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: code, message: error.message }) };
    }
    return { status: error.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId }, body: JSON.stringify({ Type: error.type === 'Sender' ? 'User' : 'Service', message: error.message }) };
  }

  function internalError(error: unknown): Answer {
    options.log?.(`internal error: ${(error as Error)?.stack ?? error}`);
    return { status: 500, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' }, body: JSON.stringify({ message: 'The local stand-in failed to handle the request.' }) };
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // A port in use: the handlers' code directory (in the OS temp dir) must not be left behind.
    await runner.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  endpoint = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  return {
    endpoint,
    port: address.port,
    world,
    authorizer,
    stats,
    async close() {
      await runner.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

const LAMBDA_AUTH_ERRORS: Record<string, string> = dictionary({
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  RequestExpired: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException',
  ExpiredToken: 'ExpiredTokenException',
});
const LOGS_AUTH_ERRORS: Record<string, string> = dictionary({ ...LAMBDA_AUTH_ERRORS, AccessDenied: 'AccessDeniedException' });

/**
 * The region a request's credential scope must name, as AWS checks it ("Credential should be scoped
 * to a valid region"): IAM is global and signed for us-east-1; Lambda and Logs for the emulated
 * region; STS has a global endpoint and one per region, which one endpoint here cannot tell apart.
 */
function signingRegionOf(service: string, region: string): string | undefined {
  if (service === 'iam') return 'us-east-1';
  if (service === 'lambda' || service === 'logs') return region;
  return undefined;
}

/** Which service a request is for: SigV4 scope first, then the protocol's own markers. */
function serviceOf(req: http.IncomingMessage, rawPath: string, rawQuery: string, target: string | string[] | undefined): string {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    try {
      return parseAuthorization(authorization).service;
    } catch {
      // fall through to the protocol's markers
    }
  }
  // The same query the request is verified and answered from (everything after the first "?").
  const query = new URLSearchParams(rawQuery);
  const credential = query.get('X-Amz-Credential');
  if (credential !== null && credential.split('/').length === 5) return credential.split('/')[3];
  if (typeof target === 'string' && target.startsWith('Logs_')) return 'logs';
  if (/^\/20\d\d-\d\d-\d\d\//.test(rawPath)) return 'lambda';
  const action = query.get('Action');
  return action !== null && STS_ACTIONS.has(action) ? 'sts' : 'iam';
}
