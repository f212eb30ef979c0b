import { createStsApi } from '../client/sts';
import { vendedCredentials } from '../client/vended-credentials';
import { createVendorRoles, deployVendorFunction, vendorDocuments } from '../test/support/credential-vendor-fixture';
import { seedWorld } from '../test/support/local-aws-fixtures';
import { median, row } from './measure';

/**
 * Credential vending through the stand-in beside a plain AssumeRole, in the same run and process:
 * one vend (the invoker's signed call to the vendor's URL, the vending function's own signed
 * AssumeRole with its execution role's session, the session policy, SourceIdentity and tags) vs
 * one AssumeRole of the invoker key; sequential latency and throughput with CONCURRENCY in
 * flight. Then the vending function's cold start: the first call of a new vendor vs warm calls.
 * BENCH_VEND_CALLS (default 200) of each.
 */

const CONCURRENCY = 8;
const WARM_CALLS = 10;

export async function benchCredentialVending(out: (line: string) => void, runs: number): Promise<void> {
  const calls = Number(process.env.BENCH_VEND_CALLS ?? 200);
  const world = await seedWorld();
  try {
    const docs = vendorDocuments(world.local.world.accountId);
    await createVendorRoles(world, docs);
    const vendorUrl = await deployVendorFunction(world, docs);
    const sts = createStsApi('us-east-1', world.userKey, world.local.endpoint);
    const assumeRole = () =>
      sts.assumeRole({ RoleArn: world.roleArn, ExternalId: world.externalId, RoleSessionName: 'bench', DurationSeconds: 900 });
    const vend = (url = vendorUrl) =>
      vendedCredentials({
        vendorUrl: url,
        region: 'us-east-1',
        credentials: async () => world.userKey,
        retries: 0,
        timeoutMs: 30_000,
      }).getCredentials();
    for (let i = 0; i < 20; i++) await Promise.all([timed(assumeRole), timed(vend)]);
    const assumeMs: number[] = [];
    const vendMs: number[] = [];
    for (let i = 0; i < calls; i++) {
      assumeMs.push(await timed(assumeRole));
      vendMs.push(await timed(vend));
    }
    const assumeRate = await perSecond(assumeRole, calls);
    const vendRate = await perSecond(vend, calls);
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    out(`Credential vending through the stand-in (median of ${calls} sequential calls each; rates with ${CONCURRENCY} in flight)\n`);
    out(`${row('baseline: AssumeRole (signed, the invoker key)', ms(median(assumeMs)))}\n`);
    out(
      `${row("one vend: signed URL call + the function's AssumeRole", ms(median(vendMs)), `ratio ${(median(vendMs) / median(assumeMs)).toFixed(2)}`)}\n`,
    );
    out(`${row('baseline: AssumeRole sessions per second', assumeRate.toFixed(0))}\n`);
    out(`${row('vended credentials per second', vendRate.toFixed(0), `ratio ${(vendRate / assumeRate).toFixed(2)}`)}\n`);

    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const url = await deployVendorFunction(world, docs, `credential-vendor-cold-${i}`);
      cold.push(await timed(() => vend(url)));
      for (let call = 0; call < WARM_CALLS; call++) warm.push(await timed(() => vend(url)));
    }
    const whole = (value: number) => `${value.toFixed(0)} ms`;
    out(`${row(`vending function, first call (median of ${runs} new ones)`, whole(median(cold)))}\n`);
    out(`${row('vending function, warm call', ms(median(warm)), `first / warm ${(median(cold) / median(warm)).toFixed(1)}`)}\n`);
  } finally {
    await world.local.close();
  }
}

/** Completed calls per second with CONCURRENCY in flight, `total` calls in all. */
async function perSecond(call: () => Promise<unknown>, total: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total / ((performance.now() - started) / 1000);
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}
