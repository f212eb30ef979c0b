import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { vendorHandlerDirectory } from '../../constructs/credential-vendor';
import { type KnownKey, verifyRequest } from '../../client/sigv4-verifier';
import { toHttpRequest } from '../../client/sigv4';
import { FakeSts } from './fake-sts';
import { STATIC_KEY } from './static-profile';

/**
 * A credential vendor on loopback, for the client and the CLI while the stand-in cannot run the
 * vending function with its execution role: it verifies SigV4 like a function URL (service
 * lambda), hands the verified caller to the shipped vending handler (vending.mjs) as Lambda's
 * event, and answers what the handler answers; STS is the one FakeSts. Under `/function/` it is
 * an IAM-protected echo function that accepts only the keys the vendor handed out.
 *
 * Known callers: STATIC_KEY is the IAM user `arn:aws:iam::111122223333:user/auditor`, entitled to
 * the echo function; `OTHER_KEY` is `…:user/mallory`, not entitled.
 */

export const VENDOR_ACCOUNT = '111122223333';
export const ENTITLED_USER = `arn:aws:iam::${VENDOR_ACCOUNT}:user/auditor`;
export const OTHER_KEY = { accessKeyId: 'AKIAOTHEROTHEROTHER0', secretAccessKey: 'other-secret-key-for-mallory-000000000000' };
const ECHO_FUNCTION = `arn:aws:lambda:us-east-1:${VENDOR_ACCOUNT}:function:echo`;

export interface FakeVendor {
  /** The vendor's URL (sign for region us-east-1). */
  vendorUrl: string;
  /** The echo function's URL. */
  functionUrl: string;
  sts: FakeSts;
  /** What the vendor answers instead of running the handler (a broken vendor), when set. */
  override?: { status: number; body: string };
  close(): Promise<void>;
}

export async function startFakeVendor(): Promise<FakeVendor> {
  const vending = await import(pathToFileURL(path.join(vendorHandlerDirectory(), 'vending.mjs')).href);
  const sts = new FakeSts();
  const vended = new Map<string, KnownKey>();
  const handler = vending.createVendingHandler({
    config: vending.parseVendConfig(
      JSON.stringify({
        vendRoleArn: `arn:aws:iam::${VENDOR_ACCOUNT}:role/credential-vend`,
        entitlements: [{ caller: ENTITLED_USER, invokeArns: [ECHO_FUNCTION], maxSessionDuration: 3600, sessionTags: {} }],
      }),
    ),
    assumeRole: async (params: Parameters<FakeSts['assumeRole']>[0]) => {
      const answer = await sts.assumeRole(params);
      const c = answer.Credentials!;
      vended.set(c.AccessKeyId!, { secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken, expiresAt: c.Expiration });
      return answer;
    },
    log: () => undefined,
  });
  const callers = new Map<string, KnownKey & { arn: string }>([
    [STATIC_KEY.accessKeyId, { secretAccessKey: STATIC_KEY.secretAccessKey, arn: ENTITLED_USER }],
    [OTHER_KEY.accessKeyId, { secretAccessKey: OTHER_KEY.secretAccessKey, arn: `arn:aws:iam::${VENDOR_ACCOUNT}:user/mallory` }],
  ]);
  const sockets = new Set<net.Socket>();
  const vendor: FakeVendor = { vendorUrl: '', functionUrl: '', sts, close: async () => undefined };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const request = toHttpRequest({
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: (req.headers.host ?? '').replace(/:\d+$/, ''),
      port: Number((req.headers.host ?? '').split(':')[1]),
      path: url.pathname,
      rawQuery: url.search.replace(/^\?/, ''),
      headers,
      body: Buffer.concat(chunks),
    });
    const isFunction = url.pathname.startsWith('/function/');
    const keys = isFunction ? vended : callers;
    const verified = await verifyRequest(request, (id) => keys.get(id), { service: 'lambda', region: 'us-east-1' });
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (!verified.ok) return send(403, JSON.stringify({ Message: 'Forbidden' }));
    if (isFunction) return send(200, JSON.stringify({ caller: verified.accessKeyId }));
    if (vendor.override !== undefined) return send(vendor.override.status, vendor.override.body);
    const query = Object.fromEntries(url.searchParams);
    const answer = await handler({
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      queryStringParameters: Object.keys(query).length === 0 ? undefined : query,
      requestContext: {
        http: { method: req.method },
        authorizer: { iam: { accessKey: verified.accessKeyId, userArn: callers.get(verified.accessKeyId)!.arn } },
      },
    });
    send(answer.statusCode, answer.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  vendor.vendorUrl = `${base}/vendor/`;
  vendor.functionUrl = `${base}/function/`;
  vendor.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return vendor;
}
