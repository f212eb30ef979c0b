import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../scripts/project-root';
import { benchCredentialVending } from './credential-vending';
import { benchFunctionColdStart } from './function-cold-start';
import { benchClientAndStandIn, benchDemo } from './local-flow';
import { goal, median, reportedByNodeProcess, repeat, row, timeCommand, timeNodeProcess } from './measure';
import { benchSigning } from './signing';
import { benchStandInLimits } from './stand-in-limits';
import { benchWebIdentity } from './web-identity';

/**
 * `npm run bench`: figures and ratios to a baseline measured in the same run, median of
 * BENCH_RUNS (default 5) whole processes each.
 *
 * 1. Commands as a user types them: `npm run synth` with nothing changed, the synth process
 *    alone, `npx cdktf synth`, each vs a synth process that imports @cdktf/provider-aws from its
 *    package root (what a naive import costs every process); `npm run invoke -- --help` and the
 *    installed `lambda-url-invoke --help` (from the packed tarball: compiled JS, no TypeScript).
 * 2. Import time of our constructs module vs the provider package root.
 * 3. The client and the local stand-in (bench/local-flow.ts); build + sign per request beside
 *    aws4fetch and aws-sigv4-fetch (bench/signing.ts).
 * 4. The cold start of a function whose handler imports the AWS SDK v3 and calls STS with its
 *    execution role, vs one that imports nothing (bench/function-cold-start.ts).
 * 5. AssumeRoleWithWebIdentity beside AssumeRole through the stand-in, and one token verification
 *    (bench/web-identity.ts).
 * 6. A vend through the CredentialVendor's function beside AssumeRole (latency, per second), and
 *    the vending function's first call vs warm (bench/credential-vending.ts).
 * 7. `npm run demo` vs bare terraform init + apply + destroy of the same stack.
 *
 * BENCH_CALLS (default 2000); BENCH_ONLY=vending runs only that part; BENCH_SKIP_DEMO=1 skips the demo (~6 min at 5 runs).
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = projectRoot();
const DIST = path.join(ROOT, 'dist');

function synthScript(extraImport: string): string {
  return `${extraImport}require(${JSON.stringify(path.join(DIST, 'stacks', 'main.js'))}).synthDemo();`;
}

function importScript(specifier: string): string {
  return `const t=process.hrtime.bigint();require(${JSON.stringify(specifier)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
}

/**
 * The bin as an install leaves it: the packed tarball unpacked into node_modules/lambda-url-iam
 * and linked from node_modules/.bin (its own dependencies resolve from this checkout's
 * node_modules, the same versions a consumer's lock would hold).
 */
function installedBin(dir: string): string {
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', dir, '--logs-max=0', '--loglevel=error'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const tarball = path.join(dir, JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0].filename);
  const packageDir = path.join(dir, 'node_modules', 'lambda-url-iam');
  fs.mkdirSync(packageDir, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const target = path.join(packageDir, manifest.bin['lambda-url-invoke']);
  fs.chmodSync(target, 0o755);
  const bin = path.join(dir, 'node_modules', '.bin', 'lambda-url-invoke');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(bin), target), bin);
  return bin;
}

async function main(): Promise<void> {
  fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.bench', 'run-'));
  const out = (text: string) => process.stdout.write(text);
  try {
    const outdir = path.join(work, 'cdktf.out');
    const env = { ...process.env, CDKTF_OUTDIR: outdir, DEMO_STATE_PATH: path.join(work, 'state.tfstate') };
    out(
      `Benchmark (${RUNS} runs each, median; node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'})\n\n`,
    );

    // Warm the file-system cache once for every variant so none pays for a cold disk.
    timeNodeProcess(synthScript("require('@cdktf/provider-aws');"), env, ROOT);
    timeCommand('npm', ['run', '--silent', 'synth'], { cwd: ROOT, env });
    const bin = installedBin(work);

    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const baseline = median(repeat(RUNS, () => timeNodeProcess(synthScript("require('@cdktf/provider-aws');"), env, ROOT)));
    const synthProcess = median(
      repeat(RUNS, () => timeCommand(process.execPath, [path.join(DIST, 'stacks', 'main.js')], { cwd: ROOT, env })),
    );
    const npmSynth = median(repeat(RUNS, () => timeCommand('npm', ['run', '--silent', 'synth'], { cwd: ROOT, env })));
    const cdktfSynth = median(
      repeat(RUNS, () =>
        timeCommand('npx', ['--no-install', 'cdktf', 'synth'], { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: '1' } }),
      ),
    );
    const npmInvoke = median(repeat(RUNS, () => timeCommand('npm', ['run', '--silent', 'invoke', '--', '--help'], { cwd: ROOT })));
    const binHelp = median(repeat(RUNS, () => timeCommand(bin, ['--help'], { cwd: work })));

    out('Commands, whole process, nothing changed since the last build\n');
    out(`${row('baseline: synth process + provider-aws root import', seconds(baseline))}\n`);
    out(
      row('npm run synth', seconds(npmSynth), `ratio ${(npmSynth / baseline).toFixed(2)} ${goal(+(npmSynth / baseline).toFixed(2), 0.4)}`) +
        '\n',
    );
    out(
      `${row(
        'node dist/stacks/main.js (the synth process)',
        seconds(synthProcess),
        `ratio ${(synthProcess / baseline).toFixed(2)} ${goal(+(synthProcess / baseline).toFixed(2), 0.12)}`,
      )}\n`,
    );
    out(`${row('npx cdktf synth', seconds(cdktfSynth), `ratio ${(cdktfSynth / baseline).toFixed(2)}`)}\n`);
    out(`${row('npm run invoke -- --help', seconds(npmInvoke), goal(+(npmInvoke / 1000).toFixed(2), 1, ' s'))}\n`);
    out(`${row('installed bin: lambda-url-invoke --help', seconds(binHelp), goal(+(binHelp / 1000).toFixed(2), 0.3, ' s'))}\n`);

    const importOurs = median(repeat(RUNS, () => reportedByNodeProcess(importScript(path.join(DIST, 'constructs', 'index.js')), ROOT)));
    const importBaseline = median(repeat(RUNS, () => reportedByNodeProcess(importScript('@cdktf/provider-aws'), ROOT)));
    out('Imports\n');
    out(`${row('import constructs module', `${importOurs.toFixed(0)} ms`)}\n`);
    out(`${row('baseline: import @cdktf/provider-aws root', `${importBaseline.toFixed(0)} ms`)}\n`);
    out(`${row('ratio ours / baseline', (importOurs / importBaseline).toFixed(2), '(lower is better)')}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  out('\n');
  await benchClientAndStandIn(out, Number(process.env.BENCH_CALLS ?? 2000));
  out('\n');
  await benchSigning(out);
  out('\n');
  await benchStandInLimits(out);
  out('\n');
  await benchFunctionColdStart(out, RUNS);
  out('\n');
  await benchWebIdentity(out);
  out('\n');
  await benchCredentialVending(out, RUNS);
  if (process.env.BENCH_SKIP_DEMO !== '1') {
    out('\n');
    await benchDemo(out, RUNS);
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const only = process.env.BENCH_ONLY === 'vending' ? benchCredentialVending((text) => process.stdout.write(text), RUNS) : undefined;
(only ?? main()).catch((error) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
