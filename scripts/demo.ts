import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ADMIN_KEY, LocalAws, startLocalAws } from '../local-aws/server';
import { synthDemo } from '../stacks/main';
import { runInvokeCli } from './invoke';
import { cdktfOutputsFile, findProviderMirror, terraform, terraformEnv } from './terraform-cli';

/**
 * `npm run demo`: the whole flow on this machine, no AWS account needed.
 * Starts the local stand-in for AWS, synthesizes the demo stack in local mode, deploys it with the
 * real terraform and hashicorp/aws provider, runs the client's proof (unsigned -> 403, the invoker
 * user's own key -> 403, assumed role -> 200 with the caller's identity), destroys everything and
 * prints a report. Exit code 0 only if every step behaved as expected.
 */

const PROJECT = path.resolve(__dirname, '..', '..');
const WORK = path.join(PROJECT, '.demo');

interface Step {
  name: string;
  ms: number;
  ok: boolean;
  note?: string;
}

const steps: Step[] = [];

async function step<T>(name: string, run: () => Promise<T>, note?: (value: T) => string): Promise<T> {
  process.stdout.write(`▶ ${name} …\n`);
  const started = performance.now();
  try {
    const value = await run();
    const ms = performance.now() - started;
    steps.push({ name, ms, ok: true, note: note?.(value) });
    process.stdout.write(`  done in ${(ms / 1000).toFixed(1)} s${note ? `: ${note(value)}` : ''}\n`);
    return value;
  } catch (error) {
    steps.push({ name, ms: performance.now() - started, ok: false, note: (error as Error).message.split('\n')[0] });
    throw error;
  }
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write('Usage: npm run demo [-- --keep]\n\nDeploys the demo stack into the local stand-in for AWS, proves the refusals and the signed call, destroys it.\n--keep  leave the deployment and the stand-in running (Ctrl-C to stop); outputs in .demo/outputs.json\n');
    return 0;
  }
  const started = performance.now();
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let local: LocalAws | undefined;
  let stackDir = '';
  let env: NodeJS.ProcessEnv = {};
  let deployed = false;
  let exitCode = 1;
  try {
    local = await step('start the local stand-in for AWS', () => startLocalAws({ snapshotFile: path.join(WORK, 'world.json') }), (l) => l.endpoint);
    const endpoint = local.endpoint;
    const stackName = await step('synthesize the demo stack (local mode)', async () => {
      process.env.DEMO_AWS_ENDPOINT = endpoint;
      process.env.DEMO_STATE_PATH = path.join(WORK, 'terraform.tfstate');
      return synthDemo(path.join(WORK, 'cdktf.out'));
    });
    stackDir = path.join(WORK, 'cdktf.out', 'stacks', stackName);
    env = {
      ...terraformEnv(PROJECT),
      AWS_ACCESS_KEY_ID: DEFAULT_ADMIN_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEFAULT_ADMIN_KEY.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    };
    const mirror = findProviderMirror();
    await step('terraform init', () => terraform(['init', '-input=false', '-no-color'], { cwd: stackDir, env }), () => (mirror ? `provider from the local mirror ${mirror}` : 'provider from the registry'));
    deployed = true;
    await step('terraform apply (the real hashicorp/aws provider)', () => terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env }), (r) => /Resources: (\d+) added/.exec(r.stdout)?.[0] ?? '');
    const outputsFile = path.join(WORK, 'outputs.json');
    await step('write the deployment outputs', async () => {
      const tfOutputs = JSON.parse((await terraform(['output', '-json'], { cwd: stackDir, env })).stdout);
      const stackJson = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
      fs.writeFileSync(outputsFile, JSON.stringify(cdktfOutputsFile(stackJson, tfOutputs), null, 2), { mode: 0o600 });
      return outputsFile;
    }, (file) => `${path.relative(PROJECT, file)} (holds the invoker secret: mode 600, git-ignored)`);
    const proofCode = await step('prove: unsigned -> 403, user key -> 403, assumed role -> 200', async () => {
      const code = await runInvokeCli(['--outputs', outputsFile, '--prove', '--session-name', 'lambda-url-iam-demo'], {
        stdout: (t) => process.stdout.write(t.replace(/^(?=.)/gm, '    ')),
        stderr: (t) => process.stderr.write(t.replace(/^(?=.)/gm, '    ')),
        env: { ...process.env, AWS_ENDPOINT_URL_STS: endpoint },
      });
      if (code !== 0) throw new Error(`the proof failed (exit code ${code})`);
      return code;
    });
    if (keep) {
      process.stdout.write(`\nKept running: ${endpoint}. Try:\n  AWS_ENDPOINT_URL_STS=${endpoint} npm run invoke -- --outputs .demo/outputs.json --data '{"hello":"world"}' --verbose\nCtrl-C stops the stand-in (state stays in .demo/).\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await step('terraform destroy', () => terraform(['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env }), (r) => /Resources: (\d+) destroyed/.exec(r.stdout)?.[0] ?? '');
    deployed = false;
    await step('check that nothing is left', async () => {
      if (!local!.world.isEmpty()) throw new Error('resources are left in the stand-in after destroy');
    });
    exitCode = proofCode;
  } catch (error) {
    process.stderr.write(`\nerror: ${(error as Error).message}\n`);
    if (deployed && stackDir !== '') {
      process.stderr.write('cleaning up: terraform destroy …\n');
      await terraform(['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env }).catch((e) => process.stderr.write(`cleanup failed: ${(e as Error).message.split('\n')[0]}\n`));
    }
    exitCode = exitCode === 0 ? 1 : exitCode;
  } finally {
    const handling = local?.stats.handlingMs ?? 0;
    const calls = (local?.stats.apiCalls ?? 0) + (local?.stats.urlInvocations ?? 0);
    await local?.close();
    const total = performance.now() - started;
    process.stdout.write(`\n${'Report'.padEnd(62)}${'time'.padStart(8)}\n`);
    for (const s of steps) process.stdout.write(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(56)}${(s.ms / 1000).toFixed(1).padStart(7)} s\n`);
    process.stdout.write(`  stand-in: ${calls} requests answered in ${(handling / 1000).toFixed(2)} s in all (terraform and the provider's fixed 5 s wait for a new function are the rest)\n`);
    process.stdout.write(`  total ${(total / 1000).toFixed(1)} s: ${exitCode === 0 ? 'the whole flow behaved as expected' : 'FAILED'}\n`);
  }
  return exitCode;
}

main().then((code) => {
  process.exitCode = code;
});
