import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zipFiles } from '../constructs/zip-writer';
import { type FunctionCode, HandlerRunner } from '../local-aws/handler-runner';
import { RuntimeNodes } from '../local-aws/runtime-node';
import { deployFunction, seedWorld } from './support/local-aws-fixtures';
import { reportNotRun } from './support/not-run';
import { useTempDir } from './support/temp-dir';

/**
 * The stand-in runs a function on the Node.js major its Runtime names (local-aws/runtime-node.ts):
 * LOCAL_AWS_NODE_<major>, else the binaries scripts/install-node-versions.sh caches under
 * .cache/node/, else its own Node when the major matches; otherwise its own Node, said once on
 * stderr. Every answer names the Node used (x-local-aws-node-version).
 * Where Node 22 or 24 is not installed the check is reported as not run (LAMBDA_URL_IAM_REQUIRE_NODE_RUNTIMES=1
 * makes that a failure).
 */

const REQUIRE_VARIABLE = 'LAMBDA_URL_IAM_REQUIRE_NODE_RUNTIMES';
const OWN_MAJOR = Number(process.versions.node.split('.')[0]);
/** A Lambda runtime major no machine here has a binary for, and not the stand-in's own. */
const MISSING_MAJOR = OWN_MAJOR === 18 ? 16 : 18;
const temp = useTempDir('runtime-node-');

const code = (runtime: string): FunctionCode => ({
  name: `version-${runtime}`,
  codeSha256: `version-${runtime}`,
  zipBase64: zipFiles({ 'index.mjs': 'export const handler = async () => process.version;' }).toString('base64'),
  handler: 'index.handler',
  runtime,
  environment: {},
  timeoutSeconds: 10,
  memorySize: 128,
  arn: `arn:aws:lambda:us-east-1:123456789012:function:version-${runtime.replace('.', '-')}`,
});

describe('a function runs on the Node.js major its Runtime names', () => {
  const runner = new HandlerRunner();
  afterAll(() => runner.close());

  it.each([22, 24])('nodejs%i.x runs on that Node major', async (major) => {
    const node = new RuntimeNodes({ note: () => undefined }).for(`nodejs${major}.x`);
    if (node.fallback) {
      const install = `scripts/install-node-versions.sh ${major} (Node ${major} from the npm registry's node package, into .cache/node/)`;
      if (process.env[REQUIRE_VARIABLE] === '1') throw new Error(`no Node.js ${major} and ${REQUIRE_VARIABLE}=1 requires it: ${install}`);
      reportNotRun({
        check: `the stand-in runs nodejs${major}.x on Node ${major}`,
        reason: `no Node.js ${major} found`,
        install,
        requireVariable: REQUIRE_VARIABLE,
      });
      return;
    }
    const outcome = await runner.invoke(code(`nodejs${major}.x`), {}, 'r');
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
    expect((outcome as { result: string }).result).toMatch(new RegExp(`^v${major}\\.`));
    expect(runner.nodeFor(`nodejs${major}.x`).version).toBe((outcome as { result: string }).result);
  });

  it("without that Node, runs on the stand-in's own and says so once, with what to install", async () => {
    const notes: string[] = [];
    const fallbackRunner = new HandlerRunner({ nodes: { env: {}, cacheDir: temp(), note: (line) => notes.push(line) } });
    try {
      for (const id of ['a', 'b']) {
        const outcome = await fallbackRunner.invoke(code(`nodejs${MISSING_MAJOR}.x`), {}, id);
        expect(outcome).toMatchObject({ ok: true, result: process.version });
      }
    } finally {
      await fallbackRunner.close();
    }
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`no Node.js ${MISSING_MAJOR} for Runtime nodejs${MISSING_MAJOR}.x`);
    expect(notes[0]).toContain(`run on the stand-in's own Node.js ${process.version}`);
    expect(notes[0]).toContain(`scripts/install-node-versions.sh ${MISSING_MAJOR}, or set LOCAL_AWS_NODE_${MISSING_MAJOR}`);
  });

  it('LOCAL_AWS_NODE_<major> is used, and a binary of another major there is refused by name', () => {
    const notes: string[] = [];
    const nodes = new RuntimeNodes({
      env: { [`LOCAL_AWS_NODE_${OWN_MAJOR}`]: process.execPath },
      cacheDir: temp(),
      note: (l) => notes.push(l),
    });
    expect(nodes.for(`nodejs${OWN_MAJOR}.x`)).toEqual({ path: process.execPath, version: process.version, fallback: false });
    const wrong = new RuntimeNodes({
      env: { [`LOCAL_AWS_NODE_${MISSING_MAJOR}`]: process.execPath },
      cacheDir: temp(),
      note: (l) => notes.push(l),
    });
    expect(wrong.for(`nodejs${MISSING_MAJOR}.x`).fallback).toBe(true);
    expect(notes).toEqual([expect.stringContaining(`(${process.execPath} is ${process.version})`)]);
  });

  it('the .cache/node binary of scripts/install-node-versions.sh is found', () => {
    const cacheDir = temp();
    const bin = path.join(cacheDir, String(OWN_MAJOR), 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const found = new RuntimeNodes({ env: {}, cacheDir, note: () => undefined }).for(`nodejs${OWN_MAJOR}.x`);
    expect(found).toEqual({ path: path.join(bin, 'node'), version: process.version, fallback: false });
  });
});

describe('answers name the Node.js that ran the function', () => {
  it('x-local-aws-node-version on a function URL answer', async () => {
    const world = await seedWorld();
    try {
      const url = await deployFunction(world.local, 'on22', 'export const handler = async () => process.version;', {
        settings: { Runtime: 'nodejs22.x', Timeout: 10 },
      });
      const r = await fetch(url);
      expect(r.status).toBe(200);
      const version = await r.json();
      expect(r.headers.get('x-local-aws-node-version')).toBe(version);
      expect(version).toBe(new RuntimeNodes({ note: () => undefined }).for('nodejs22.x').version);
    } finally {
      await world.local.close();
    }
  });
});
