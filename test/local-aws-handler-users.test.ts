import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FunctionCode, HandlerRunner } from '../local-aws/handler-runner';
import { zipFiles } from '../constructs/zip-writer';
import { osTempDir, useTempDir } from './support/temp-dir';

/**
 * The users functions run as (local-aws/handler-isolation.ts) are never shared with a function of
 * another stand-in: two stand-ins on one machine (parallel test workers, a stand-in per project)
 * each give their functions users no other one uses, so a function cannot read another stand-in's
 * function's environment (its execution role's credentials) or code through a shared uid. Nor can
 * a function put code in another's way through what every user may write (a temp dir's node_modules).
 */

/** Functions run as users of their own only when the stand-in can switch users (root). */
const separateUsers = process.getuid?.() === 0;

const code = (name: string, source: string, environment: Record<string, string> = {}, runtime = 'nodejs20.x'): FunctionCode => ({
  name,
  codeSha256: `${name}-1`,
  zipBase64: zipFiles({ 'index.mjs': source }).toString('base64'),
  handler: 'index.handler',
  runtime,
  environment,
  timeoutSeconds: 10,
  memorySize: 128,
  arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
});

const WHO = `export const handler = async () => ({ uid: process.getuid(), pid: process.pid });`;
const SNOOP = `import * as fs from 'node:fs';
export const handler = async (event) => {
  let environ;
  try { environ = fs.readFileSync('/proc/' + event.pid + '/environ', 'utf8'); } catch (e) { environ = 'ERR:' + e.code; }
  return { uid: process.getuid(), environ };
};`;

describe('functions of two stand-ins on one machine', () => {
  it.runIf(separateUsers)("run as different users: one cannot read the other's environment", async () => {
    const first = new HandlerRunner({ requireIsolation: true });
    const second = new HandlerRunner({ requireIsolation: true });
    try {
      const victim = await first.invoke(code('victim', WHO, { VICTIM_SECRET: 'victim-secret-value' }), {}, 'a');
      expect(victim, JSON.stringify(victim)).toMatchObject({ ok: true });
      const { uid, pid } = (victim as { result: { uid: number; pid: number } }).result;
      const snooped = await second.invoke(code('snoop', SNOOP), { pid }, 'b');
      expect(snooped, JSON.stringify(snooped)).toMatchObject({ ok: true });
      const seen = (snooped as { result: { uid: number; environ: string } }).result;
      expect(seen.uid).not.toBe(uid);
      expect(seen.environ).toBe('ERR:EACCES');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

/** Plants a package `planted` in the node_modules of the folder above the code root (a shared temp dir). */
const PLANT = `import * as fs from 'node:fs';
import * as path from 'node:path';
export const handler = async (event) => {
  const shared = path.dirname(path.dirname(path.dirname(process.env.LAMBDA_TASK_ROOT)));
  if (shared !== event.shared) return 'outside the shared dir: ' + shared;
  const dir = path.join(shared, 'node_modules', 'planted');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'planted', main: 'index.js' }));
  fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = process.env.VICTIM_SECRET;');
  return dir;
};`;
/** Imports and requires a package it does not bundle. */
const IMPORT_PLANTED = `import { createRequire } from 'node:module';
const attempt = async (f) => { try { return { loaded: await f() }; } catch (e) { return { error: e.code }; } };
export const handler = async () => ({
  imported: await attempt(async () => (await import('planted')).default),
  required: await attempt(async () => createRequire(import.meta.url)('planted')),
});`;

describe("a package another function planted in a shared temp dir's node_modules", () => {
  const makeSharedDir = useTempDir('shared-tmp-', osTempDir);

  // Node 20 confines import with a loader thread, Node 22 and 24 in-thread (each Runtime runs on its
  // Node when it is installed, see runtime-node.ts; else on the stand-in's own).
  it.runIf(separateUsers).each(['nodejs20.x', 'nodejs22.x', 'nodejs24.x'])(
    'is never what a function on %s imports or requires',
    async (runtime) => {
      const shared = makeSharedDir();
      fs.chmodSync(shared, 0o1777); // a temp dir every user may write in, as /tmp
      // The folders above it must let functions' users pass, or the code root would go to /tmp.
      const parent = path.dirname(shared);
      const parentMode = fs.statSync(parent).mode & 0o7777;
      fs.chmodSync(parent, parentMode | 0o001);
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = shared;
      let runner: HandlerRunner;
      try {
        runner = new HandlerRunner({ requireIsolation: true, warn: () => undefined });
      } finally {
        process.env.TMPDIR = saved;
      }
      try {
        const planted = await runner.invoke(code('planter', PLANT, {}, runtime), { shared }, 'a');
        expect(planted, JSON.stringify(planted)).toMatchObject({ ok: true, result: path.join(shared, 'node_modules', 'planted') });
        const victim = await runner.invoke(code('victim', IMPORT_PLANTED, { VICTIM_SECRET: 'victim-secret-value' }, runtime), {}, 'b');
        expect(victim, JSON.stringify(victim)).toMatchObject({ ok: true });
        expect((victim as { result: unknown }).result).toEqual({
          imported: { error: 'ERR_MODULE_NOT_FOUND' },
          required: { error: 'MODULE_NOT_FOUND' },
        });
      } finally {
        await runner.close();
        fs.chmodSync(parent, parentMode);
      }
    },
  );
});
