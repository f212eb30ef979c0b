import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchClientAndStandIn, benchDemo } from './local-flow';
import { benchStandInLimits } from './stand-in-limits';
import { median, reportedByNodeProcess, repeat, row, timeNodeProcess } from './measure';

/**
 * `npm run bench`: figures and ratios to a baseline measured in the same run.
 *
 * 1. Synth of the demo stack, whole process (node start + imports + synth + write), median of N,
 *    vs. the same synth in a process that also imports @cdktf/provider-aws from its package root
 *    (what a naive `import { … } from '@cdktf/provider-aws'` costs every process).
 * 2. Import time of our constructs module vs. the provider package root.
 * 3. The client: per-call signing overhead, signed vs. unauthenticated calls/s, AssumeRole calls
 *    per 1,000 invocations.
 * 4. The local stand-in: signed + IAM-checked invocations/s vs. a node:http echo server, its peak
 *    RSS under 200 concurrent invocations, and `npm run demo` end to end with its breakdown.
 *
 * BENCH_RUNS (default 5), BENCH_CALLS (default 2000); BENCH_SKIP_DEMO=1 skips the 30 s demo.
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

function synthScript(extraImport: string, outdir: string): string {
  return `${extraImport}process.env.CDKTF_OUTDIR=${JSON.stringify(outdir)};require(${JSON.stringify(path.join(DIST, 'stacks', 'main.js'))}).synthDemo();`;
}

function importScript(specifier: string): string {
  return `const t=process.hrtime.bigint();require(${JSON.stringify(specifier)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
}

async function main(): Promise<void> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const env = { ...process.env, DEMO_STATE_PATH: path.join(outdir, 'state.tfstate') };
  process.stdout.write(`Benchmark (${RUNS} runs each, median; node ${process.version}, ${os.cpus().length} cores)\n\n`);

  // Warm the file-system cache once for both variants so neither pays for a cold disk.
  timeNodeProcess(synthScript("require('@cdktf/provider-aws');", outdir), env, ROOT);

  const synthOurs = median(repeat(RUNS, () => timeNodeProcess(synthScript('', outdir), env, ROOT)));
  const synthBaseline = median(repeat(RUNS, () => timeNodeProcess(synthScript("require('@cdktf/provider-aws');", outdir), env, ROOT)));
  const importOurs = median(repeat(RUNS, () => reportedByNodeProcess(importScript(path.join(DIST, 'constructs', 'index.js')), ROOT)));
  const importBaseline = median(repeat(RUNS, () => reportedByNodeProcess(importScript('@cdktf/provider-aws'), ROOT)));

  process.stdout.write('Synth and imports\n');
  process.stdout.write(row('synth demo stack, whole process (deep imports)', `${synthOurs.toFixed(0)} ms`) + '\n');
  process.stdout.write(row('baseline: same + provider-aws package root', `${synthBaseline.toFixed(0)} ms`) + '\n');
  process.stdout.write(row('ratio ours / baseline', (synthOurs / synthBaseline).toFixed(2), '(lower is better)') + '\n');
  process.stdout.write(row('import constructs module', `${importOurs.toFixed(0)} ms`) + '\n');
  process.stdout.write(row('baseline: import @cdktf/provider-aws root', `${importBaseline.toFixed(0)} ms`) + '\n');
  process.stdout.write(row('ratio ours / baseline', (importOurs / importBaseline).toFixed(2), '(lower is better)') + '\n');
  fs.rmSync(outdir, { recursive: true, force: true });

  const out = (text: string) => process.stdout.write(text);
  out('\n');
  await benchClientAndStandIn(out, Number(process.env.BENCH_CALLS ?? 2000));
  await benchStandInLimits(out);
  if (process.env.BENCH_SKIP_DEMO !== '1') {
    out('\n');
    await benchDemo(out);
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
main().catch((error) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
