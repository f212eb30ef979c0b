import { describe, expect, it } from 'vitest';
import { type FunctionCode, HandlerRunner } from '../local-aws/handler-runner';
import { zipFiles } from '../constructs/zip-writer';

/**
 * The users functions run as (local-aws/handler-isolation.ts) are never shared with a function of
 * another stand-in: two stand-ins on one machine (parallel test workers, a stand-in per project)
 * each give their functions users no other one uses, so a function cannot read another stand-in's
 * function's environment (its execution role's credentials) or code through a shared uid.
 */

/** Functions run as users of their own only when the stand-in can switch users (root). */
const separateUsers = process.getuid?.() === 0;

const code = (name: string, source: string, environment: Record<string, string> = {}): FunctionCode => ({
  name,
  codeSha256: `${name}-1`,
  zipBase64: zipFiles({ 'index.mjs': source }).toString('base64'),
  handler: 'index.handler',
  runtime: 'nodejs20.x',
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
