import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ADMIN_KEY, type LocalAws, startLocalAws } from '../local-aws/server';
import { synthDemo } from '../stacks/main';
import { runInvokeCli } from './invoke/run';
import { projectRoot } from './project-root';
import {
  cdktfOutputsFile,
  deployedResources,
  findProviderMirror,
  initIfNeeded,
  readStateFile,
  terraform,
  terraformEnv,
} from './terraform-cli';

/**
 * `npm run demo`: the whole flow on this machine, no AWS account needed.
 * Starts the local stand-in for AWS, synthesizes the demo stack in local mode, deploys it with the
 * real terraform and hashicorp/aws provider, runs the client's proof (unsigned -> 403, the invoker
 * user's own key -> 403, assumed role -> 200 with the caller's identity), destroys everything and
 * prints a report. Exit code 0 only if every step behaved as expected.
 */

const PROJECT = projectRoot();

export interface DemoStep {
  name: string;
  ms: number;
  ok: boolean;
  note?: string;
}

export interface DemoOptions {
  /**
   * Where state, synth output, the CLI config and outputs.json go. Kept between runs except the
   * state and the outputs, so an unchanged stack skips `terraform init`. @default <project>/.demo
   */
  workDir?: string;
  /** Also run a second `terraform plan` after apply and require "No changes". @default false */
  secondPlan?: boolean;
  /** Keep the deployment and the stand-in until Ctrl-C. @default false */
  keep?: boolean;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export interface DemoReport {
  exitCode: number;
  steps: DemoStep[];
  standIn: { requests: number; handlingMs: number; worldEmptyAfterDestroy: boolean };
  totalMs: number;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const work = options.workDir ?? path.join(PROJECT, '.demo');
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, run: () => Promise<T>, note?: (value: T) => string): Promise<T> => {
    out(`▶ ${name} …\n`);
    const started = performance.now();
    try {
      const value = await run();
      const ms = performance.now() - started;
      steps.push({ name, ms, ok: true, note: note?.(value) });
      out(`  done in ${(ms / 1000).toFixed(1)} s${note ? `: ${note(value)}` : ''}\n`);
      return value;
    } catch (error) {
      steps.push({ name, ms: performance.now() - started, ok: false, note: (error as Error).message.split('\n')[0] });
      throw error;
    }
  };

  const started = performance.now();
  const statePath = path.join(work, 'terraform.tfstate');
  const outputsFile = path.join(work, 'outputs.json');
  // A new stand-in starts empty: last run's state, outputs and world mean nothing to it.
  for (const file of [statePath, `${statePath}.backup`, outputsFile, path.join(work, 'world.json')]) fs.rmSync(file, { force: true });
  // The work folder holds the state (the invoker secret) and the stand-in's snapshot (live session
  // secrets): owner-only, and terraform's own state files (written 0644) are narrowed after each run.
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  fs.chmodSync(work, 0o700);
  const narrowState = () => {
    for (const file of [statePath, `${statePath}.backup`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  };
  let local: LocalAws | undefined;
  let stackDir = '';
  let env: NodeJS.ProcessEnv = {};
  let deployed = false;
  let exitCode = 1;
  let worldEmptyAfterDestroy = false;
  try {
    local = await step(
      'start the local stand-in for AWS',
      () => startLocalAws({ snapshotFile: path.join(work, 'world.json') }),
      (l) => l.endpoint,
    );
    const endpoint = local.endpoint;
    const stackName = await step('synthesize the demo stack (local mode)', async () =>
      synthDemo(path.join(work, 'cdktf.out'), { ...process.env, DEMO_AWS_ENDPOINT: endpoint, DEMO_STATE_PATH: statePath }),
    );
    stackDir = path.join(work, 'cdktf.out', 'stacks', stackName);
    env = {
      ...terraformEnv(work),
      AWS_ACCESS_KEY_ID: DEFAULT_ADMIN_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEFAULT_ADMIN_KEY.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    };
    const mirror = findProviderMirror();
    await step(
      'terraform init',
      () => initIfNeeded(stackDir, env),
      (ran) =>
        ran
          ? mirror
            ? `provider from the local mirror ${mirror}`
            : 'provider from the registry'
          : 'already initialised for this stack: skipped',
    );
    deployed = true;
    await step(
      'terraform apply (the real hashicorp/aws provider)',
      () => terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env }).finally(narrowState),
      (r) => /Resources: \d+ added/.exec(r.stdout)?.[0] ?? '',
    );
    await step(
      'write the deployment outputs',
      async () => {
        const stackJson = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
        fs.writeFileSync(outputsFile, JSON.stringify(cdktfOutputsFile(stackJson, readStateFile(statePath).outputs), null, 2), {
          mode: 0o600,
        });
        return outputsFile;
      },
      (file) => `${path.relative(PROJECT, file)} (holds the invoker secret: mode 600, git-ignored)`,
    );
    await step('prove: unsigned -> 403, user key -> 403, assumed role -> 200', async () => {
      const code = await runInvokeCli(['--outputs', outputsFile, '--prove', '--session-name', 'lambda-url-iam-demo'], {
        stdout: (t) => out(t.replace(/^(?=.)/gm, '    ')),
        stderr: (t) => err(t.replace(/^(?=.)/gm, '    ')),
        env: { ...process.env, AWS_ENDPOINT_URL_STS: endpoint },
      });
      if (code !== 0) throw new Error(`the proof failed (exit code ${code})`);
    });
    if (options.secondPlan) {
      await step('terraform plan again: must be "No changes"', async () => {
        const plan = await terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: stackDir, env });
        if (!plan.stdout.includes('No changes.')) throw new Error(`the second plan is not empty:\n${plan.stdout}`);
      });
    }
    if (options.keep) {
      out(
        `\nKept running: ${endpoint}. Try:\n  AWS_ENDPOINT_URL_STS=${endpoint} npm run invoke -- --outputs ${path.relative(PROJECT, outputsFile)} --data '{"hello":"world"}' --verbose\nCtrl-C destroys the deployment and stops the stand-in.\n`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await step(
      'terraform destroy',
      () => destroy(stackDir, env).finally(narrowState),
      (r) => /Resources: \d+ destroyed/.exec(r.stdout)?.[0] ?? '',
    );
    deployed = false;
    await step('check that nothing is left', async () => {
      worldEmptyAfterDestroy = local!.world.isEmpty();
      const left = deployedResources(readStateFile(statePath));
      if (!worldEmptyAfterDestroy || left.length > 0)
        throw new Error(`resources are left after destroy: ${left.join(', ') || 'in the stand-in'}`);
      // The key they hold is gone with the deployment; nothing secret stays on disk.
      for (const file of [outputsFile, `${statePath}.backup`]) fs.rmSync(file, { force: true });
    });
    exitCode = 0;
  } catch (error) {
    err(`\nerror: ${(error as Error).message}\n`);
    if (deployed && stackDir !== '') {
      err('cleaning up: terraform destroy …\n');
      await destroy(stackDir, env)
        .catch((e) => err(`cleanup failed: ${(e as Error).message.split('\n')[0]}\n`))
        .finally(narrowState);
    }
  }
  const requests = (local?.stats.apiCalls ?? 0) + (local?.stats.urlInvocations ?? 0);
  const handlingMs = local?.stats.handlingMs ?? 0;
  await local?.close();
  const totalMs = performance.now() - started;
  out(`\n${'Report'.padEnd(62)}${'time'.padStart(8)}\n`);
  for (const s of steps) out(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(56)}${(s.ms / 1000).toFixed(1).padStart(7)} s\n`);
  out(
    `  stand-in: ${requests} requests answered in ${(handlingMs / 1000).toFixed(2)} s in all (terraform and the provider's fixed 5 s wait for a new function are the rest)\n`,
  );
  out(`  total ${(totalMs / 1000).toFixed(1)} s: ${exitCode === 0 ? 'the whole flow behaved as expected' : 'FAILED'}\n`);
  return { exitCode, steps, standIn: { requests, handlingMs, worldEmptyAfterDestroy }, totalMs };
}

/**
 * -refresh=false: the state is what this run just applied to a stand-in nobody else touches, so
 * reading all 11 resources back first would only cost another provider start (~4 s).
 */
function destroy(stackDir: string, env: NodeJS.ProcessEnv) {
  return terraform(['destroy', '-auto-approve', '-input=false', '-no-color', '-refresh=false'], { cwd: stackDir, env });
}

if (require.main === module) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(
      'Usage: npm run demo [-- --keep] [-- --plan]\n\nDeploys the demo stack into the local stand-in for AWS, proves the refusals and the signed call, destroys it.\n  --keep  leave the deployment and the stand-in running until Ctrl-C (outputs in .demo/outputs.json)\n  --plan  also run a second terraform plan after apply and require "No changes"\n',
    );
  } else {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    runDemo({ keep: process.argv.includes('--keep'), secondPlan: process.argv.includes('--plan') }).then((report) => {
      process.exitCode = report.exitCode;
    });
  }
}
