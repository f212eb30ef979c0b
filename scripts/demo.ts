import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ADMIN_KEY, type LocalAws, startLocalAws } from '../local-aws/server';
import { synthDemo } from '../stacks/main';
import { type DemoCaller, type DemoCallerKind, invokerUserCaller } from './demo/callers';
import { type DemoStep, type Step, printReport, stepRunner } from './demo/steps';
import { webIdentityCaller } from './demo/web-identity-caller';
import { vendCaller } from './demo/vend-flow';
import { DEMO_USAGE, demoArguments } from './demo/arguments';
import { destroy, narrowState, prepareWorkDir } from './demo/work-dir';
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
 * prints a report. Exit code 0 only if every step behaved as expected. With `--caller
 * web-identity` the callers are OIDC tokens of a local issuer instead (scripts/demo/web-identity-caller.ts).
 */

const PROJECT = projectRoot();

export type { DemoStep } from './demo/steps';

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
  /** Who calls the URL. @default 'invoker-user' */
  caller?: DemoCallerKind;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export interface DemoReport {
  exitCode: number;
  steps: DemoStep[];
  standIn: { requests: number; handlingMs: number; worldEmptyAfterDestroy: boolean };
  totalMs: number;
}

/** What one run works with, filled in as the steps go. */
interface DemoRun {
  options: DemoOptions;
  out: (text: string) => void;
  err: (text: string) => void;
  step: Step;
  work: string;
  statePath: string;
  outputsFile: string;
  local?: LocalAws;
  caller?: DemoCaller;
  stackDir: string;
  env: NodeJS.ProcessEnv;
  deployed: boolean;
  worldEmptyAfterDestroy: boolean;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const steps: DemoStep[] = [];
  const work = options.workDir ?? path.join(PROJECT, '.demo');
  const run: DemoRun = {
    options,
    out,
    err,
    step: stepRunner(out, steps),
    work,
    statePath: path.join(work, 'terraform.tfstate'),
    outputsFile: path.join(work, 'outputs.json'),
    stackDir: '',
    env: {},
    deployed: false,
    worldEmptyAfterDestroy: false,
  };
  const started = performance.now();
  prepareWorkDir(run.work, run.statePath, run.outputsFile);
  let exitCode = 1;
  try {
    await deploy(run);
    await run.caller!.prove({ step: run.step, outputsFile: run.outputsFile, endpoint: run.local!.endpoint, workDir: work, out, err });
    await afterProof(run);
    exitCode = 0;
  } catch (error) {
    err(`\nerror: ${(error as Error).message}\n`);
    await cleanUp(run);
  }
  const requests = (run.local?.stats.apiCalls ?? 0) + (run.local?.stats.urlInvocations ?? 0);
  const handlingMs = run.local?.stats.handlingMs ?? 0;
  await run.local?.close();
  await run.caller?.close();
  const totalMs = performance.now() - started;
  printReport(out, { steps, requests, handlingMs, totalMs, exitCode });
  return { exitCode, steps, standIn: { requests, handlingMs, worldEmptyAfterDestroy: run.worldEmptyAfterDestroy }, totalMs };
}

/** The caller, the stand-in, synth, init, apply and the outputs file. */
async function deploy(run: DemoRun): Promise<void> {
  const { step, work, statePath } = run;
  run.caller = await callerFor(run.options.caller ?? 'invoker-user', step);
  const standIn = { snapshotFile: path.join(work, 'world.json'), ...run.caller.standIn };
  run.local = await step(
    'start the local stand-in for AWS',
    () => startLocalAws(standIn),
    (l) => l.endpoint,
  );
  const endpoint = run.local.endpoint;
  const synth = run.caller.synth ?? synthDemo;
  const stackName = await step(`synthesize the ${run.caller.synth ? 'vend ' : ''}demo stack (local mode)`, async () =>
    synth(path.join(work, 'cdktf.out'), {
      ...process.env,
      ...run.caller!.stackSettings,
      DEMO_AWS_ENDPOINT: endpoint,
      DEMO_STATE_PATH: statePath,
    }),
  );
  run.stackDir = path.join(work, 'cdktf.out', 'stacks', stackName);
  run.env = {
    ...terraformEnv(work),
    AWS_ACCESS_KEY_ID: DEFAULT_ADMIN_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEFAULT_ADMIN_KEY.secretAccessKey,
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
  };
  const mirror = findProviderMirror();
  await step(
    'terraform init',
    () => initIfNeeded(run.stackDir, run.env),
    (ran) =>
      ran
        ? mirror
          ? `provider from the local mirror ${mirror}`
          : 'provider from the registry'
        : 'already initialised for this stack: skipped',
  );
  run.deployed = true;
  await step(
    'terraform apply (the real hashicorp/aws provider)',
    () =>
      terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: run.stackDir, env: run.env }).finally(() =>
        narrowState(run.statePath),
      ),
    (r) => /Resources: \d+ added/.exec(r.stdout)?.[0] ?? '',
  );
  await step(
    'write the deployment outputs',
    async () => {
      const stackJson = JSON.parse(fs.readFileSync(path.join(run.stackDir, 'cdk.tf.json'), 'utf8'));
      fs.writeFileSync(run.outputsFile, JSON.stringify(cdktfOutputsFile(stackJson, readStateFile(statePath).outputs), null, 2), {
        mode: 0o600,
      });
      return run.outputsFile;
    },
    (file) =>
      `${path.relative(PROJECT, file)} (${run.caller === invokerUserCaller ? 'holds the invoker secret: ' : ''}mode 600, git-ignored)`,
  );
}

async function callerFor(kind: DemoCallerKind, step: Step): Promise<DemoCaller> {
  if (kind === 'web-identity') return webIdentityCaller(step);
  return kind === 'vend' ? vendCaller : invokerUserCaller;
}

/** The second plan (asked for), the pause (--keep), destroy, and the check that nothing is left. */
async function afterProof(run: DemoRun): Promise<void> {
  const { step, stackDir, env, statePath, outputsFile } = run;
  if (run.options.secondPlan) {
    await step('terraform plan again: must be "No changes"', async () => {
      const plan = await terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: stackDir, env });
      if (!plan.stdout.includes('No changes.')) throw new Error(`the second plan is not empty:\n${plan.stdout}`);
    });
  }
  if (run.options.keep) {
    const endpoint = run.local!.endpoint;
    const outputs = path.relative(PROJECT, outputsFile);
    const tryThis =
      run.caller === vendCaller
        ? `AWS_ACCESS_KEY_ID=<invoker_access_key_id> AWS_SECRET_ACCESS_KEY=<invoker_secret_access_key> npm run invoke -- --vendor-url <demo_vendor_url> --url <url_a> --region us-east-1 --verbose\n  (the values are in ${outputs})`
        : `AWS_ENDPOINT_URL_STS=${endpoint} npm run invoke -- --outputs ${outputs} --data '{"hello":"world"}' --verbose`;
    run.out(`\nKept running: ${endpoint}. Try:\n  ${tryThis}\nCtrl-C destroys the deployment and stops the stand-in.\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await step(
    'terraform destroy',
    () => destroy(stackDir, env).finally(() => narrowState(run.statePath)),
    (r) => /Resources: \d+ destroyed/.exec(r.stdout)?.[0] ?? '',
  );
  run.deployed = false;
  await step('check that nothing is left', async () => {
    run.worldEmptyAfterDestroy = run.local!.world.isEmpty();
    const left = deployedResources(readStateFile(statePath));
    if (!run.worldEmptyAfterDestroy || left.length > 0)
      throw new Error(`resources are left after destroy: ${left.join(', ') || 'in the stand-in'}`);
    // The key they hold is gone with the deployment; nothing secret stays on disk.
    for (const file of [outputsFile, `${statePath}.backup`]) fs.rmSync(file, { force: true });
  });
}

/** After a failed step: whatever was deployed is destroyed. */
async function cleanUp(run: DemoRun): Promise<void> {
  if (!run.deployed || run.stackDir === '') return;
  run.err('cleaning up: terraform destroy …\n');
  await destroy(run.stackDir, run.env)
    .catch((e) => run.err(`cleanup failed: ${(e as Error).message.split('\n')[0]}\n`))
    .finally(() => narrowState(run.statePath));
}

if (require.main === module) {
  const parsed = demoArguments(process.argv);
  if (parsed.kind === 'help') {
    process.stdout.write(DEMO_USAGE);
  } else if (parsed.kind === 'error') {
    process.stderr.write(`error: ${parsed.message}\n${DEMO_USAGE}`);
    process.exitCode = 2;
  } else {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    runDemo(parsed.options).then((report) => {
      process.exitCode = report.exitCode;
    });
  }
}
