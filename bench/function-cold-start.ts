import { startLocalAws } from '../local-aws/server';
import { deployFunction, query } from '../test/support/local-aws-fixtures';
import { median, row } from './measure';

/**
 * The cold start of a function in the stand-in that uses the AWS SDK v3 with its execution role,
 * as a ratio to one that imports nothing, in the same run: the first call of a new function
 * (process start, handler import, and for the SDK handler one GetCallerIdentity signed with the
 * function's session and authorized by the stand-in), then the same call warm (10 per function).
 */

const BASELINE = 'export const handler = async () => ({ ok: true });';
const WITH_SDK = `import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
const sts = new STSClient({ maxAttempts: 1 });
export const handler = async () => ({ arn: (await sts.send(new GetCallerIdentityCommand({}))).Arn });`;

/** Warm calls per function after its first. */
const WARM_CALLS = 10;

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

async function timedCall(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body.includes('"error')) throw new Error(`the function answered ${response.status}: ${body}`);
  return performance.now() - started;
}

export async function benchFunctionColdStart(out: (line: string) => void, runs: number): Promise<void> {
  const local = await startLocalAws({ port: 0 });
  try {
    const role = await query(local, 'iam', { Action: 'CreateRole', RoleName: 'exec', AssumeRolePolicyDocument: TRUST });
    if (role.status !== 200) throw new Error(`CreateRole answered ${role.status}: ${role.text}`);
    const settings = { Role: `arn:aws:iam::${local.world.accountId}:role/exec`, Timeout: 30 };
    const cold = { baseline: [] as number[], sdk: [] as number[] };
    const warm = { baseline: [] as number[], sdk: [] as number[] };
    for (let i = 0; i < runs; i++) {
      for (const [kind, code] of [
        ['baseline', BASELINE],
        ['sdk', WITH_SDK],
      ] as const) {
        const url = await deployFunction(local, `${kind}-${i}`, code, { settings });
        cold[kind].push(await timedCall(url));
        for (let call = 0; call < WARM_CALLS; call++) warm[kind].push(await timedCall(url));
      }
    }
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    const ratio = (kind: 'baseline' | 'sdk', of: typeof cold) => (median(of[kind]) / median(of.baseline)).toFixed(2);
    out(`Functions in the stand-in with their execution role (median of ${runs} new functions each)\n`);
    out(`${row('baseline: first call of a handler importing nothing', ms(median(cold.baseline)))}\n`);
    out(
      `${row('first call: client-sts import + GetCallerIdentity', ms(median(cold.sdk)), `ratio ${ratio('sdk', cold)} to the baseline`)}\n`,
    );
    out(`${row('baseline: warm call of a handler importing nothing', ms(median(warm.baseline)))}\n`);
    out(`${row('warm call: GetCallerIdentity with its session', ms(median(warm.sdk)), `ratio ${ratio('sdk', warm)} to the baseline`)}\n`);
  } finally {
    await local.close();
  }
}
