import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureFormatError, parseAuthorization, toHttpRequest } from '../client/sigv4';
import { type AdminKey, Authorizer } from './authorization';
import { AwsError } from './aws-error';
import { CODE_PREFIX, serveCode } from './code-location';
import { type Answer, dispatch, errorAnswer, isServiceName } from './dispatch';
import { MAX_PAYLOAD_BYTES, URL_PREFIX, invokeFunctionUrl, payloadTooLarge } from './function-url-api';
import { ExecutionRoleSessions } from './execution-role';
import { HandlerRunner } from './handler-runner';
import { IssuerKeys, type IssuerKeysOptions } from './oidc-keys';
import { operationNames } from './operations';
import { WEB_IDENTITY_ACTION, assumeRoleWithWebIdentity, webIdentityParams } from './web-identity-api';
import { STS_NAMESPACE, queryResponse } from './xml';
import { World } from './world';

/**
 * The local stand-in for AWS: one HTTP server on loopback for IAM, STS, Lambda, CloudWatch Logs
 * and the function URLs. Every API request goes through the same pipeline: body read (bounded),
 * SigV4 verified, principal resolved, then dispatch.ts: the operation found in the table
 * (operations.ts), authorized once from its declaration, handled, rendered in its protocol.
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
  /** How OIDC issuers' keys are fetched for AssumeRoleWithWebIdentity (timeout, extra CA certificates). */
  webIdentity?: Omit<IssuerKeysOptions, 'now'>;
  /**
   * Refuse to start (IsolationError) when functions cannot run as users of their own (the
   * stand-in is not root, or may not switch users), instead of warning once on stderr.
   * @default false
   */
  requireIsolation?: boolean;
}

export const DEFAULT_ADMIN_KEY: AdminKey = {
  accessKeyId: 'AKIALOCALAWSADMIN000',
  secretAccessKey: 'local-aws-admin-secret-not-for-real-aws',
};
const MAX_API_BODY = 70 * 1024 * 1024;
/** IAM's largest parameter is a 131072-character policy document, ≤ 3 bytes each when percent-encoded. */
const MAX_QUERY_BODY = 1024 * 1024;
/** The STS operations, emulated or not: a Query request naming one is STS's, any other IAM's. */
const STS_ACTIONS = operationNames('sts');

export interface LocalAws {
  endpoint: string;
  port: number;
  world: World;
  authorizer: Authorizer;
  /** The OIDC issuers' keys AssumeRoleWithWebIdentity verifies tokens with (cached). */
  issuerKeys: IssuerKeys;
  /** Requests answered, by kind, for reports. */
  stats: { apiCalls: number; urlInvocations: number; handlingMs: number };
  close(): Promise<void>;
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const world = World.open({
    accountId: options.accountId ?? '123456789012',
    region: options.region ?? 'us-east-1',
    snapshotFile: options.snapshotFile,
  });
  const now = options.now ?? (() => new Date());
  const authorizer = new Authorizer(world, options.adminKey ?? DEFAULT_ADMIN_KEY, now);
  const issuerKeys = new IssuerKeys({ ...options.webIdentity, now: () => now().getTime() });
  let endpoint = '';
  // Functions run with a session of their execution role and send their SDK calls here.
  const runner = new HandlerRunner({
    requireIsolation: options.requireIsolation,
    sessions: new ExecutionRoleSessions(world, now),
    endpoint: () => endpoint,
  });
  const stats = { apiCalls: 0, urlInvocations: 0, handlingMs: 0 };

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
      return invokeFunctionUrl(world, authorizer, runner, {
        method: req.method ?? 'GET',
        rawPath,
        rawQuery,
        headers: headerPairs,
        body,
        host: req.headers.host ?? '',
        sourceIp: sourceAddress(req),
      });
    }
    if (rawPath.startsWith(CODE_PREFIX) && (req.method === 'GET' || req.method === 'HEAD'))
      return serveCode(world, rawPath, rawQuery, now());
    if (rawPath === '/_local/health')
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ok: true, accountId: world.accountId, region: world.region }),
      };

    stats.apiCalls++;
    const target = req.headers['x-amz-target'];
    const service = serviceOf(req, rawPath, rawQuery, target);
    // Bounded before anything is parsed: only Lambda's CreateFunction carries a large body (a
    // base64 zip); every Query/JSON 1.1 call here fits in MAX_QUERY_BODY.
    const limit = service === 'lambda' ? MAX_API_BODY : MAX_QUERY_BODY;
    const body = await readBody(req, limit);
    if (body === undefined)
      return errorAnswer(service, new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes`, 413));
    const sourceIp = sourceAddress(req);
    // Unsigned on AWS: the web identity token is the credential (web-identity-api.ts).
    const webIdentity = service === 'sts' || service === 'iam' ? webIdentityParams(rawQuery, body, req.headers) : undefined;
    try {
      if (webIdentity !== undefined) {
        const result = await assumeRoleWithWebIdentity({ params: webIdentity, world, keys: issuerKeys, now: now(), sourceIp });
        const requestId = randomUUID();
        return {
          status: 200,
          headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
          body: queryResponse(WEB_IDENTITY_ACTION, STS_NAMESPACE, requestId, result),
        };
      }
      const request = toHttpRequest({
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: (req.headers.host ?? '').replace(/:\d+$/, ''),
        path: rawPath,
        rawQuery,
        headers: headerPairs,
        body,
      });
      const verification = await authorizer.authenticateRequest(request, service, signingRegionOf(service, world.region));
      if (!isServiceName(service))
        throw new AwsError('UnknownOperationException', `No service of this stand-in answers ${req.method} ${rawPath}`, 404);
      return await dispatch(service, { method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, body }, verification, {
        world,
        authorizer,
        runner,
        urlBase: endpoint,
        now: now(),
        sourceIp,
      });
    } catch (error) {
      if (error instanceof AwsError) return errorAnswer(webIdentity !== undefined ? 'sts' : service, error);
      if (error instanceof SignatureFormatError) return errorAnswer(service, new AwsError('IncompleteSignature', error.message));
      throw error;
    }
  }

  function internalError(error: unknown): Answer {
    options.log?.(`internal error: ${(error as Error)?.stack ?? error}`);
    return {
      status: 500,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' },
      body: JSON.stringify({ message: 'The local stand-in failed to handle the request.' }),
    };
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
    issuerKeys,
    stats,
    async close() {
      await runner.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** The connection's peer address, `aws:SourceIp` (never a header a caller can write): IPv4-mapped IPv6 as IPv4. */
function sourceAddress(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

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
