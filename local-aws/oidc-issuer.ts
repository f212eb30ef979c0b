import { X509Certificate, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type JWK, SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { generate as selfSigned } from 'selfsigned';

/**
 * A local OIDC issuer for demos and tests, so nobody needs a real identity provider: discovery
 * (`/.well-known/openid-configuration`) and the JWKS on loopback, and tokens minted with its RS256
 * key for any `sub`/`aud`/lifetime. Over https with a self-signed certificate for 127.0.0.1 (the
 * Terraform provider accepts only https issuer URLs, hashicorp/aws validOpenIDURL; the stand-in is
 * told to trust the certificate), or over plain http for the IAM API path.
 */

export interface IssuerIdentity {
  /** The issuer's signing key, private part included (a JWK with `kid`). */
  privateJwk: JWK;
  /** https only: the certificate and its key (PEM). */
  certificate?: string;
  certificateKey?: string;
}

export interface MintOptions {
  sub: string;
  aud: string | string[];
  /** @default 300 */
  lifetimeSeconds?: number;
  /** Claims beside iss/sub/aud/iat/exp (e.g. `amr`, `repository`). */
  claims?: Record<string, unknown>;
  /** @default now */
  issuedAt?: Date;
}

export interface LocalOidcIssuer {
  /** The issuer URL, as the tokens' `iss` holds it and IAM registers it. */
  url: string;
  /** https only: the certificate (PEM) a client must trust, and its SHA-1 thumbprint (IAM's ThumbprintList). */
  certificate?: string;
  thumbprint?: string;
  identity: IssuerIdentity;
  mint(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

/** RS256: what GitHub Actions, GitLab and Kubernetes sign with. */
const KEY_ALGORITHM = 'RS256';

/** A new signing key, and for https a self-signed certificate for 127.0.0.1, valid for 30 days. */
export async function newIssuerIdentity(options: { tls: boolean }): Promise<IssuerIdentity> {
  const { privateKey } = await generateKeyPair(KEY_ALGORITHM, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: `local-${Date.now().toString(36)}`, alg: KEY_ALGORITHM, use: 'sig' };
  if (!options.tls) return { privateJwk };
  const pems = await selfSigned([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { privateJwk, certificate: pems.cert, certificateKey: pems.private };
}

/** The JWKS served: the public part of the key only. */
export function publicJwks(identity: IssuerIdentity): { keys: JWK[] } {
  const { d: _private, ...publicJwk } = identity.privateJwk;
  return { keys: [publicJwk] };
}

/** A token signed with the issuer's key. */
export async function mintToken(identity: IssuerIdentity, issuer: string, options: MintOptions): Promise<string> {
  const key = await importJWK(identity.privateJwk, KEY_ALGORITHM);
  const issuedAt = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  return new SignJWT({ jti: randomUUID(), ...options.claims })
    .setProtectedHeader({ alg: KEY_ALGORITHM, kid: identity.privateJwk.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(options.sub)
    .setAudience(options.aud)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + (options.lifetimeSeconds ?? 300))
    .sign(key);
}

/** SHA-1 of the certificate (DER), 40 lower-case hex digits: what IAM keeps as a thumbprint. */
export function certificateThumbprint(certificate: string): string {
  return new X509Certificate(certificate).fingerprint.replaceAll(':', '').toLowerCase();
}

/** Serves discovery and the JWKS of `identity` on 127.0.0.1 (`port` 0: a free one); https when it has a certificate. */
export async function startOidcIssuer(options: { identity: IssuerIdentity; port?: number; path?: string }): Promise<LocalOidcIssuer> {
  const { identity } = options;
  const path = (options.path ?? '').replace(/\/$/, '');
  let url = '';
  const listener: http.RequestListener = (req, res) => {
    const requested = (req.url ?? '').split('?')[0];
    const body =
      requested === `${path}/.well-known/openid-configuration`
        ? {
            issuer: url,
            jwks_uri: `${url}/jwks`,
            id_token_signing_alg_values_supported: [KEY_ALGORITHM],
            response_types_supported: ['id_token'],
          }
        : requested === `${path}/jwks`
          ? publicJwks(identity)
          : undefined;
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  };
  const tls = identity.certificate !== undefined;
  const server = tls
    ? https.createServer({ cert: identity.certificate, key: identity.certificateKey }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return {
    url,
    certificate: identity.certificate,
    thumbprint: identity.certificate === undefined ? undefined : certificateThumbprint(identity.certificate),
    identity,
    mint: (mintOptions) => mintToken(identity, url, mintOptions),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
