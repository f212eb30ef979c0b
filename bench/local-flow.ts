import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssumeRoleCredentials } from '../client/credentials';
import { FunctionUrlClient } from '../client/function-url-client';
import { signRequest } from '../client/sigv4';
import { runDemo } from '../scripts/demo';
import { projectRoot } from '../scripts/project-root';
import { terraform, terraformEnv } from '../scripts/terraform-cli';
import { synthDemo } from '../stacks/main';
import { DEFAULT_ADMIN_KEY, startLocalAws } from '../local-aws/server';
import { seed } from '../test/support/local-aws-fixtures';
import { goal, median, peakRssMb, row, startChild, timeCommand } from './measure';

/**
 * Benchmarks of the client and the local stand-in for AWS. The stand-in and the baseline echo
 * server run in child processes, so their memory can be read from /proc and neither shares an
 * event loop with the load generator.
 */

const ROOT = projectRoot();
const DIST = path.join(ROOT, 'dist');

const ECHO_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ method: req.method, path: req.url, body: Buffer.concat(chunks).toString() })); }); });
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));`;

/** Runs `total` calls with `concurrency` in flight; returns calls per second. */
async function throughput(total: number, concurrency: number, call: (i: number) => Promise<number>): Promise<number> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        if ((await call(i)) !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} of ${total} calls did not answer 200`);
  return total / seconds;
}

export async function benchClientAndStandIn(out: (line: string) => void, calls: number): Promise<void> {
  const standIn = await startChild([path.join(DIST, 'local-aws', 'cli.js'), '--port', '0'], /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const echo = await startChild(['-e', ECHO_SERVER], /listening (\d+)/);
  try {
    const endpoint = standIn.match[1];
    const world = await seed({ endpoint });
    const credentials = new AssumeRoleCredentials({
      roleArn: world.roleArn,
      externalId: world.externalId,
      sourceCredentials: world.userKey,
      stsEndpoint: endpoint,
      sessionName: 'bench',
    });
    const session = await credentials.getCredentials();

    // 1. Client overhead per call without the network: build the request and sign it.
    const url = new URL(world.urls.echo);
    const iterations = 5000;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      await signRequest(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: `${url.pathname}orders/${i}`,
          rawQuery: 'a=1&b=2',
          headers: { 'content-type': 'application/json' },
          body: `{"i":${i}}`,
        },
        session,
        { region: 'us-east-1', service: 'lambda' },
      );
    }
    const signUs = ((performance.now() - started) / iterations) * 1000;

    // 2. Calls per second: signed + IAM-checked, the same stand-in unauthenticated, a bare echo server.
    const signed = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials, retries: 0 });
    const open = new FunctionUrlClient({ url: world.urls.open, region: 'us-east-1', unsigned: true, retries: 0 });
    const echoUrl = `http://127.0.0.1:${echo.match[1]}/`;
    const body = (i: number) => ({ method: 'POST', body: `{"i":${i}}`, headers: { 'content-type': 'application/json' } });
    const variants = {
      signed: (i: number) => signed.invoke(body(i)).then((r) => r.status),
      open: (i: number) => open.invoke(body(i)).then((r) => r.status),
      echo: (i: number) =>
        fetch(echoUrl, { method: 'POST', body: `{"i":${i}}` }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
    };
    // Warm up every path (worker, caches, JIT), then alternate the variants over three rounds
    // and keep each one's median, so a noisy moment on this 2-core machine hits all alike.
    for (const call of Object.values(variants)) await throughput(1000, 20, call);
    const rounds: Record<keyof typeof variants, number[]> = { signed: [], open: [], echo: [] };
    for (let round = 0; round < 3; round++) {
      for (const [name, call] of Object.entries(variants) as [keyof typeof variants, (i: number) => Promise<number>][])
        rounds[name].push(await throughput(calls, 20, call));
    }
    const signedRate = median(rounds.signed);
    const openRate = median(rounds.open);
    const echoRate = median(rounds.echo);

    // 3. AssumeRole calls per 1,000 invocations with a fresh credential provider.
    const fresh = new AssumeRoleCredentials({
      roleArn: world.roleArn,
      externalId: world.externalId,
      sourceCredentials: world.userKey,
      stsEndpoint: endpoint,
      sessionName: 'bench-1000',
    });
    const counted = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: fresh, retries: 0 });
    await throughput(1000, 20, async (i) => (await counted.invoke(body(i))).status);

    // 4. Peak memory of the stand-in while serving 200 concurrent signed invocations.
    await Promise.all(Array.from({ length: 200 }, (_, i) => signed.invoke(body(i)).then((r) => r.status)));
    const rss = peakRssMb(standIn.child.pid!);

    out('Client (client)\n');
    out(`${row('build + sign one request (no network)', `${signUs.toFixed(0)} µs`)}\n`);
    out(`${row(`signed calls/s, cached credentials (${calls} calls, 20 in flight, median of 3)`, signedRate.toFixed(0))}\n`);
    out(`${row('baseline: same stand-in, AuthType NONE URL, unsigned', openRate.toFixed(0))}\n`);
    out(`${row('ratio signed / unauthenticated', (signedRate / openRate).toFixed(2), '(1.00 = signing and IAM cost nothing)')}\n`);
    out(
      `${row(
        'AssumeRole calls per 1,000 invocations',
        String(fresh.assumeRoleCalls),
        fresh.assumeRoleCalls === 1 ? '(goal: 1, met)' : '(goal: 1, NOT met)',
      )}\n`,
    );
    out('Local stand-in for AWS (local-aws)\n');
    out(`${row('signed, IAM-checked invocations/s through the stand-in', signedRate.toFixed(0))}\n`);
    out(`${row('baseline: node:http echo server, unauthenticated', echoRate.toFixed(0))}\n`);
    const ratio = signedRate / echoRate;
    out(`${row('ratio stand-in / echo server', ratio.toFixed(2), ratio >= 0.5 ? '(goal ≥ 0.5, met)' : '(goal ≥ 0.5, NOT met)')}\n`);
    out(
      `${row(
        'stand-in peak RSS, after 200 concurrent invocations',
        rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`,
        rss === undefined ? '' : rss <= 200 ? '(goal ≤ 200 MB, met)' : '(goal ≤ 200 MB, NOT met)',
      )}\n`,
    );
  } finally {
    standIn.child.kill();
    echo.child.kill();
  }
}

/**
 * `npm run demo` (whole process: npm, the build check, the demo) vs the Terraform floor: a bare
 * `terraform init` + `apply` + `destroy -refresh=false` of the same stack through the same
 * stand-in, in a fresh folder, with nothing of ours around it. Alternated run by run, so a noisy
 * moment on this shared machine hits both alike. The demo keeps `.demo/.terraform` between runs
 * (that is one of its savings); the floor inits every time, as a fresh checkout would.
 */
export async function benchDemo(out: (line: string) => void, runs: number): Promise<void> {
  const demo: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    demo.push(timeCommand('npm', ['run', '--silent', 'demo'], { cwd: ROOT }));
    floor.push(await terraformFloor());
  }
  const last = await runDemo({ workDir: path.join(ROOT, '.demo'), out: () => undefined, err: () => undefined });
  out(`npm run demo, end to end (median of ${runs})\n`);
  out(`${row('npm run demo, whole process', `${(median(demo) / 1000).toFixed(1)} s`)}\n`);
  out(
    `${row('baseline: bare terraform init + apply + destroy', `${(median(floor) / 1000).toFixed(1)} s`, '(same stack, same stand-in)')}\n`,
  );
  const ratio = median(demo) / median(floor);
  out(`${row('ratio demo / bare terraform', ratio.toFixed(2), goal(ratio, 1.15))}\n`);
  out('  one more demo run, step by step:\n');
  for (const step of last.steps) out(`${row(`    ${step.name}`, `${(step.ms / 1000).toFixed(1)} s`, step.ok ? '' : 'FAILED')}\n`);
  out(
    `${row(
      'stand-in request handling (all requests)',
      `${(last.standIn.handlingMs / 1000).toFixed(2)} s`,
      goal(last.standIn.handlingMs / 1000, 1, ' s'),
    )}\n`,
  );
}

async function terraformFloor(): Promise<number> {
  fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.bench', 'floor-'));
  const local = await startLocalAws();
  try {
    const stack = synthDemo(path.join(work, 'cdktf.out'), {
      ...process.env,
      DEMO_AWS_ENDPOINT: local.endpoint,
      DEMO_STATE_PATH: path.join(work, 'terraform.tfstate'),
    });
    const cwd = path.join(work, 'cdktf.out', 'stacks', stack);
    const env = {
      ...terraformEnv(work),
      AWS_ACCESS_KEY_ID: DEFAULT_ADMIN_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEFAULT_ADMIN_KEY.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    };
    const started = performance.now();
    await terraform(['init', '-input=false', '-no-color'], { cwd, env });
    await terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd, env });
    await terraform(['destroy', '-auto-approve', '-input=false', '-no-color', '-refresh=false'], { cwd, env });
    return performance.now() - started;
  } finally {
    await local.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
