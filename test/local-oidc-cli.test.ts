import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/leftover-guard';
import { useTempDir } from './support/temp-dir';

/**
 * `npm run local-oidc -- serve | mint` (local-aws/oidc-issuer-cli.ts): the issuer serves discovery
 * and its JWKS, keeps its key owner-only, and `mint` prints a token that the served key verifies
 * (checked here with node:crypto, not with the library that signed it).
 */

const CLI = path.join(PROJECT_ROOT, 'dist', 'local-aws', 'oidc-issuer-cli.js');
const temp = useTempDir('local-oidc-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

function serve(state: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'serve', '--state', state, '--http'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk) => {
      seen += chunk;
      const url = /local OIDC issuer at (\S+)/.exec(seen)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${seen}`)));
  });
}

describe('npm run local-oidc', () => {
  it('serves discovery and a JWKS, and mints a token that key verifies, for the sub and aud asked', async () => {
    const dir = path.join(temp(), 'state');
    const state = path.join(dir, 'issuer.json');
    const url = await serve(state);
    expect((fs.statSync(state).mode & 0o777).toString(8)).toBe('600');
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(discovery.issuer).toBe(url);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys[0].d).toBeUndefined();

    const { stdout } = await promisify(execFile)(process.execPath, [
      CLI,
      'mint',
      '--state',
      state,
      '--sub',
      'repo:a/b:ref:refs/heads/main',
      '--aud',
      'sts.amazonaws.com',
      '--lifetime',
      '60',
    ]);
    const [header, payload, signature] = stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ iss: url, sub: 'repo:a/b:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
    expect(claims.exp - claims.iat).toBe(60);
    const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('mint without a served issuer exits 2 naming the state file', async () => {
    const state = path.join(temp(), 'none.json');
    const failure = await promisify(execFile)(process.execPath, [CLI, 'mint', '--state', state, '--sub', 's', '--aud', 'a']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain(state);
  });
});
