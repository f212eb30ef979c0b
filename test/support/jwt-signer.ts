import { type KeyObject, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OIDC issuer independent of the stand-in's (no jose): keys from node:crypto, JWTs assembled
 * and signed by hand, discovery and JWKS on loopback. What the stand-in accepts or refuses is then
 * decided by its own checks, not by agreeing with the library that made the token.
 */

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export function newSigningKey(alg: 'RS256' | 'ES256', kid: string): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** `header.claims.signature`, signed with `key` (the header's alg and kid from the key unless overridden). */
export function signJwt(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`;
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key.privateKey)
      : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** An unsigned token (`alg: none`, empty signature). */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

/** A token "signed" with HS256 using `secret` (e.g. the issuer's public key): what an algorithm-confusion attack sends. */
export function hmacJwt(secret: string, claims: Record<string, unknown>, kid: string): string {
  const input = `${b64url(JSON.stringify({ alg: 'HS256', kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(createHmac('sha256', secret).update(input).digest())}`;
}

export interface TestIssuer {
  url: string;
  /** Discovery + JWKS fetches answered. */
  readonly requests: { discovery: number; jwks: number };
  close(): Promise<void>;
}

/** Serves discovery and a JWKS of `keys` over http on loopback; `jwksUri` overrides where the discovery document points. */
export async function startTestIssuer(keys: SigningKey[], options: { jwksUri?: string } = {}): Promise<TestIssuer> {
  const requests = { discovery: 0, jwks: 0 };
  let url = '';
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      requests.discovery++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: url, jwks_uri: options.jwksUri ?? `${url}/keys` }));
    } else if (req.url === '/keys') {
      requests.jwks++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
