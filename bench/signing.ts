import { AwsV4Signer } from 'aws4fetch';
import { createSignedFetcher } from 'aws-sigv4-fetch';
import { FunctionUrlClient } from '../client/function-url-client';
import { signRequest } from '../client/sigv4';
import { median, row } from './measure';

/**
 * Build + sign one request, no network: the client's own cost per call, beside aws4fetch and
 * aws-sigv4-fetch signing the same request in the same process (ratios, so a loaded machine
 * shifts all alike). Goal: the project's build + sign ≤ 100 µs.
 *
 * Each variant signs `POST <function URL>/orders/<i>?a=1&b=x y` with a JSON body, a content-type
 * header and a session token. The fetch each library calls is a stub that answers at once.
 */

const ORIGIN = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';
const CREDENTIALS = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE00',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE'.repeat(20),
};
const GOAL_US = 100;

// One bodiless answer for every call: creating a Response costs tens of µs, which is not signing.
const ANSWER = new Response(null, { status: 200 });
const answerAtOnce = (async () => ANSWER) as unknown as typeof fetch;

async function perCallUs(iterations: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await call(i);
  return ((performance.now() - started) / iterations) * 1000;
}

export async function benchSigning(
  out: (line: string) => void,
  iterations = Number(process.env.BENCH_SIGN_ITERATIONS ?? 5000),
): Promise<void> {
  const client = new FunctionUrlClient({ url: `${ORIGIN}/`, credentials: async () => CREDENTIALS, retries: 0, fetch: answerAtOnce });
  const signedFetch = createSignedFetcher({ service: 'lambda', region: 'us-east-1', credentials: CREDENTIALS, fetch: answerAtOnce });
  const body = (i: number) => `{"order":${i}}`;
  const hostname = new URL(ORIGIN).hostname;

  const variants = {
    // The whole client path: canonical wire form, credentials, signing, headers for fetch, the (stub) send.
    'project: FunctionUrlClient.invoke': (i: number) =>
      client.invoke({
        method: 'POST',
        path: `/orders/${i}`,
        query: 'a=1&b=x y',
        headers: { 'content-type': 'application/json' },
        body: body(i),
      }),
    'project: target() + signRequest': (i: number) => {
      const wire = client.target({ path: `/orders/${i}`, query: 'a=1&b=x y' });
      return signRequest(
        {
          method: 'POST',
          hostname,
          path: wire.path,
          rawQuery: wire.rawQuery,
          headers: { 'content-type': 'application/json' },
          body: body(i),
        },
        CREDENTIALS,
        { region: 'us-east-1', service: 'lambda' },
      );
    },
    'aws4fetch: AwsV4Signer.sign': (i: number) =>
      new AwsV4Signer({
        url: `${ORIGIN}/orders/${i}?a=1&b=x%20y`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(i),
        ...CREDENTIALS,
        service: 'lambda',
        region: 'us-east-1',
      }).sign(),
    'aws-sigv4-fetch: signed fetcher': (i: number) =>
      signedFetch(`${ORIGIN}/orders/${i}?a=1&b=x%20y`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }),
  };
  type Name = keyof typeof variants;
  const names = Object.keys(variants) as Name[];
  for (const name of names) await perCallUs(iterations, variants[name]);
  // Alternate the variants over rounds and keep each one's median.
  const rounds = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let round = 0; round < 3; round++) for (const name of names) rounds[name].push(await perCallUs(iterations, variants[name]));
  const us = Object.fromEntries(names.map((n) => [n, median(rounds[n])])) as Record<Name, number>;

  const buildAndSign = us['project: target() + signRequest'];
  out(`Signing: build + sign one request, no network (${iterations} calls x 3 rounds, median)\n`);
  for (const name of names) out(`${row(name, `${us[name].toFixed(1)} µs`)}\n`);
  // Like for like: signing alone vs aws4fetch's signer; the whole call path vs aws-sigv4-fetch's fetcher.
  out(
    row('ratio project build+sign / aws4fetch sign', (buildAndSign / us['aws4fetch: AwsV4Signer.sign']).toFixed(2), '(lower is better)') +
      '\n',
  );
  out(
    `${row(
      'ratio project invoke / aws-sigv4-fetch fetcher',
      (us['project: FunctionUrlClient.invoke'] / us['aws-sigv4-fetch: signed fetcher']).toFixed(2),
      '(lower is better)',
    )}\n`,
  );
  out(
    `${row(`goal: project build + sign ≤ ${GOAL_US} µs`, buildAndSign <= GOAL_US ? 'met' : 'MISSED', `(${buildAndSign.toFixed(1)} µs)`)}\n`,
  );
}

if (require.main === module) {
  benchSigning((text) => process.stdout.write(text)).catch((error) => {
    process.stderr.write(`signing benchmark failed: ${(error as Error).stack}\n`);
    process.exitCode = 1;
  });
}
