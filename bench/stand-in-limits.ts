import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callApi, query, seed, xmlValue } from '../test/support/local-aws-fixtures';
import { zipFiles } from '../constructs/zip-writer';
import { median, peakRssMb, row, startChild } from './measure';

/**
 * The stand-in's limits, measured on a stand-in in a child process with a snapshot file
 * (as the demo runs it), so its memory is its own:
 * - AssumeRole latency after 2,000 live sessions, as a ratio to the first ones (goal ≤ 1.2):
 *   a new session must not rewrite the snapshot or drop the decision cache;
 * - the stand-in's peak RSS after a handler tries to allocate 2 GB (goal < 300 MB, and the call
 *   gets Lambda's 502): the handler's memory is its own process's, capped at MemorySize.
 */

const DIST = path.resolve(__dirname, '..');
const SESSIONS = 2000;
const SAMPLE = 50;
/** Calls before the first sample, so JIT and connection warm-up are not measured as "first". */
const WARM_UP = 200;

async function startStandIn(snapshotFile: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const env = { ...process.env };
  delete env.LOCAL_AWS_ADMIN_SECRET; // the fixtures sign with the default admin key
  const { child, match } = await startChild(
    [path.join(DIST, 'local-aws', 'cli.js'), '--port', '0', '--snapshot', snapshotFile],
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    env,
  );
  return { child, endpoint: match[1] };
}

const HOG = `export const handler = async (event) => {
  const keep = [];
  if (event.queryStringParameters?.mode === 'heap') { for (let i = 0; i < 2048; i++) keep.push(new Array(131072).fill(i)); }
  else { for (let i = 0; i < 2048; i++) keep.push(Buffer.alloc(1024 * 1024, 1)); }
  return { statusCode: 200, body: String(keep.length) };
};`;

export async function benchStandInLimits(out: (line: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-limits-'));
  const standIn = await startStandIn(path.join(dir, 'world.json'));
  try {
    const local = { endpoint: standIn.endpoint };
    const world = await seed(local);
    const assume = async (name: string) => {
      const started = performance.now();
      const r = await query(
        local,
        'sts',
        { Action: 'AssumeRole', RoleArn: world.roleArn, RoleSessionName: name, ExternalId: world.externalId },
        world.userKey,
      );
      if (r.status !== 200) throw new Error(`AssumeRole answered ${r.status}: ${r.text}`);
      return performance.now() - started;
    };
    for (let i = 0; i < WARM_UP; i++) await assume(`warm-${i}`);
    const first: number[] = [];
    for (let i = 0; i < SAMPLE; i++) first.push(await assume(`first-${i}`));
    let issued = WARM_UP + SAMPLE;
    await Promise.all(
      Array.from({ length: 20 }, async (_, lane) => {
        while (issued < SESSIONS) {
          issued++;
          await assume(`fill-${lane}-${issued}`);
        }
      }),
    );
    const later: number[] = [];
    for (let i = 0; i < SAMPLE; i++) later.push(await assume(`later-${i}`));
    const ratio = median(later) / median(first);

    const zip = zipFiles({ 'index.mjs': HOG }).toString('base64');
    const created = await callApi(local, 'lambda', {
      path: '/2015-03-31/functions',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FunctionName: 'hog',
        Runtime: 'nodejs20.x',
        Role: world.roleArn.replace('function_invoker', 'exec'),
        Handler: 'index.handler',
        MemorySize: 128,
        Timeout: 30,
        Code: { ZipFile: zip },
      }),
    });
    if (created.status !== 201) throw new Error(`CreateFunction answered ${created.status}: ${created.text}`);
    const url = JSON.parse(
      (
        await callApi(local, 'lambda', {
          path: '/2021-10-31/functions/hog/url',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ AuthType: 'NONE' }),
        })
      ).text,
    ).FunctionUrl as string;
    const answers: string[] = [];
    for (const mode of ['heap', 'buffer']) {
      const started = performance.now();
      const r = await fetch(`${url}?mode=${mode}`);
      await r.arrayBuffer();
      answers.push(`${mode}: ${r.status} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const rss = peakRssMb(standIn.child.pid!);
    const who = await query(local, 'sts', { Action: 'GetCallerIdentity' });
    const stillUp = who.status === 200 && xmlValue(who.text, 'Account') !== '';

    out('\nLocal stand-in limits (local-aws)\n');
    out(`${row(`AssumeRole latency, first ${SAMPLE} (median)`, `${median(first).toFixed(2)} ms`)}\n`);
    out(`${row(`AssumeRole latency after ${SESSIONS} sessions (median)`, `${median(later).toFixed(2)} ms`)}\n`);
    out(`${row(`ratio after ${SESSIONS} / first`, ratio.toFixed(2), ratio <= 1.2 ? '(goal ≤ 1.2, met)' : '(goal ≤ 1.2, NOT met)')}\n`);
    const bothRefused = answers.every((a) => / 502 /.test(a));
    out(
      row('handler allocating 2 GB (MemorySize 128)', answers.join(', '), bothRefused ? "(Lambda's 502)" : '(expected 502, NOT met)') +
        '\n',
    );
    const rssMet = rss !== undefined && rss < 300 && stillUp;
    out(
      `${row(
        'stand-in peak RSS, whole run',
        rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`,
        rss === undefined ? '' : rssMet ? '(goal < 300 MB, met)' : '(goal < 300 MB and still up, NOT met)',
      )}\n`,
    );
  } finally {
    // SIGTERM: the stand-in ends its handler processes and removes their files before it exits.
    await new Promise((resolve) => {
      standIn.child.once('exit', resolve);
      standIn.child.kill();
    });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
