import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssumeRoleCredentials,
  type AssumeRoleOptions,
  type CredentialEvent,
  type Credentials,
  type RefreshEvent,
  refreshingCredentials,
} from '../client/credentials';
import { AssumeRoleError, ClientOptionError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import { exitCodeOf } from '../scripts/invoke/errors';
import { FAKE_ROLE_ARN, FakeSts, connectionRefused, fakeKeyId, stsError } from './support/fake-sts';
import { type SilentServer, startSilentServer } from './support/loopback-servers';

/**
 * The credentials layer: the refreshing cache every source plugs into, and the AssumeRole source
 * on it. STS is the fake in test/support/fake-sts.ts, on a fake clock, unless a test says otherwise.
 */

const ROLE = FAKE_ROLE_ARN;
const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: Partial<AssumeRoleOptions> = {}, fake: { latencyMs?: number } = {}) {
  const clock = { now: Date.UTC(2026, 10, 22, 12, 0, 0) };
  const sts = new FakeSts({ clock: () => clock.now, ...fake });
  const events: CredentialEvent[] = [];
  const sleeps: number[] = [];
  const provider = new AssumeRoleCredentials({
    roleArn: ROLE,
    sessionName: 'test-session',
    sts,
    clock: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { clock, sts, provider, events, sleeps };
}

/** A source for the cache alone: each fetch answers key n, valid `lifetimeMs` from the clock (none without). */
function countingSource(clock: { now: number }, lifetimeMs?: number) {
  const source = { fetched: 0, failures: [] as Error[] };
  const fetch = async (): Promise<Credentials> => {
    source.fetched++;
    const failure = source.failures.shift();
    if (failure !== undefined) throw failure;
    return {
      accessKeyId: fakeKeyId(source.fetched),
      secretAccessKey: 's',
      expiration: lifetimeMs === undefined ? undefined : new Date(clock.now + lifetimeMs),
    };
  };
  return { source, fetch };
}

describe('refreshingCredentials: any function that fetches, cached and refreshed', () => {
  it('credentials without an expiry are fetched once and kept until invalidate()', async () => {
    const clock = { now: 0 };
    const { source, fetch } = countingSource(clock);
    const cache = refreshingCredentials(fetch, { clock: () => clock.now });
    clock.now += 365 * 86400_000;
    expect((await cache.getCredentials()).accessKeyId).toBe(fakeKeyId(1));
    expect((await cache.getCredentials({ validForSeconds: 604_800 })).accessKeyId).toBe(fakeKeyId(1));
    cache.invalidate();
    expect((await cache.getCredentials()).accessKeyId).toBe(fakeKeyId(2));
    expect([source.fetched, cache.fetches]).toEqual([2, 2]);
  });

  it('concurrent callers share one fetch', async () => {
    const clock = { now: 0 };
    let fetched = 0;
    const cache = refreshingCredentials(
      async () => {
        fetched++;
        await flush();
        return { accessKeyId: 'AKIDSHARED', secretAccessKey: 's', expiration: new Date(clock.now + 3600_000) };
      },
      { clock: () => clock.now },
    );
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.getCredentials()));
    expect(fetched).toBe(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['AKIDSHARED']));
  });

  it('refreshes in the background within refreshBeforeExpirySeconds; a failed refresh is an event carrying the error, and the valid credentials stay', async () => {
    const clock = { now: 0 };
    const { source, fetch } = countingSource(clock, 600_000);
    const events: RefreshEvent[] = [];
    const cache = refreshingCredentials(fetch, { clock: () => clock.now, refreshBeforeExpirySeconds: 120, onEvent: (e) => events.push(e) });
    const first = await cache.getCredentials();
    clock.now += 400_000; // 200 s left: outside the 120 s window
    expect(await cache.getCredentials()).toBe(first);
    expect(source.fetched).toBe(1);
    clock.now += 100_000; // 100 s left: inside it
    const refusal = new Error('vending endpoint said no');
    source.failures.push(refusal);
    expect(await cache.getCredentials()).toBe(first);
    await flush();
    expect(events).toEqual([{ type: 'refresh-failed', error: refusal, keptUntil: first.expiration }]);
    clock.now += 30_000;
    expect(await cache.getCredentials()).toBe(first);
    await flush();
    expect((await cache.getCredentials()).accessKeyId).toBe(fakeKeyId(3));
  });

  it('a negative refreshBeforeExpirySeconds is refused naming the option', () => {
    expect(() =>
      refreshingCredentials(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), { refreshBeforeExpirySeconds: -1 }),
    ).toThrow(ClientOptionError);
    expect(() =>
      refreshingCredentials(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), { refreshBeforeExpirySeconds: -1 }),
    ).toThrow(/^refreshBeforeExpirySeconds must be a number of seconds, 0 or more \(got -1\)$/);
  });
});

describe('AssumeRoleCredentials: the AssumeRole source', () => {
  it('passes role, session name, duration, external ID and session policy to STS', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: '*' }],
    });
    const { sts, provider } = setup({
      durationSeconds: 900,
      externalId: 'partner-4711',
      sessionPolicy: policy,
      refreshBeforeExpirySeconds: 120,
    });
    const credentials = await provider.getCredentials();
    expect(sts.calls).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'test-session', DurationSeconds: 900, ExternalId: 'partner-4711', Policy: policy },
    ]);
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIA0000000000000001',
      sessionToken: 'token-1',
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/function_invoker/test-session',
    });
  });

  it('calls STS once for many calls within the credential lifetime', async () => {
    const { sts, provider, clock } = setup();
    for (let i = 0; i < 50; i++) {
      await provider.getCredentials();
      clock.now += 60_000; // 50 minutes in all: still before the 5-minute refresh window
    }
    expect(sts.calls).toHaveLength(1);
    expect(provider.assumeRoleCalls).toBe(1);
  });

  it('100 concurrent first calls share one AssumeRole', async () => {
    const { sts, provider } = setup({}, { latencyMs: 20 });
    const all = await Promise.all(Array.from({ length: 100 }, () => provider.getCredentials()));
    expect(sts.calls).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA0000000000000001']));
  });

  it('refreshes in the background 5 minutes before expiry, without making callers wait', async () => {
    const { sts, provider, clock } = setup({}, { latencyMs: 20 });
    await provider.getCredentials();
    clock.now += (3600 - 299) * 1000; // inside the refresh window, still valid
    const during = await Promise.all(Array.from({ length: 20 }, () => provider.getCredentials()));
    expect(during.every((c) => c.accessKeyId === 'ASIA0000000000000001')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sts.calls).toHaveLength(2);
    expect((await provider.getCredentials()).accessKeyId).toBe('ASIA0000000000000002');
  });

  it('expired credentials trigger exactly one refresh, shared by concurrent callers', async () => {
    const { sts, provider, clock } = setup({}, { latencyMs: 10 });
    await provider.getCredentials();
    clock.now += 3601 * 1000;
    const after = await Promise.all(Array.from({ length: 30 }, () => provider.getCredentials()));
    expect(sts.calls).toHaveLength(2);
    expect(new Set(after.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA0000000000000002']));
  });

  it('a failed refresh keeps the old credentials while they are valid, and says so', async () => {
    const { sts, provider, clock, events } = setup({ transientRetries: 0, propagationWaitSeconds: 0 });
    const first = await provider.getCredentials();
    clock.now += 3400 * 1000;
    sts.failures.push(stsError('InternalFailure', 500));
    expect(await provider.getCredentials()).toBe(first);
    await flush();
    expect(
      events.some((e) => e.type === 'refresh-failed' && e.error instanceof AssumeRoleError && e.error.stsCode === 'InternalFailure'),
    ).toBe(true);
    // The next call still gets the valid old key at once, without asking STS again right away.
    expect(await provider.getCredentials()).toBe(first);
    await flush();
    expect(sts.calls).toHaveLength(2);
    // 30 s later a call starts another refresh, which works.
    clock.now += 30 * 1000;
    expect(await provider.getCredentials()).toBe(first);
    await flush();
    expect((await provider.getCredentials()).accessKeyId).toBe('ASIA0000000000000003');
    expect(sts.calls).toHaveLength(3);
  });

  it('after a refused background refresh, calls for the next 30 s use the current session without asking STS again', async () => {
    const { sts, provider, clock, events } = setup({ propagationWaitSeconds: 0, transientRetries: 0 });
    const first = await provider.getCredentials();
    for (let i = 0; i < 30; i++) sts.failures.push(stsError('AccessDenied', 403));
    clock.now += 3400_000; // 200 s left: inside the default 300 s refresh window
    for (let i = 0; i < 20; i++) {
      expect(await provider.getCredentials()).toBe(first);
      await flush();
      clock.now += 1000;
    }
    expect(sts.calls).toHaveLength(2);
    expect(events.filter((e) => e.type === 'refresh-failed')).toHaveLength(1);
    clock.now += 15_000; // 35 s after the failure: try again
    await provider.getCredentials();
    await flush();
    expect(sts.calls).toHaveLength(3);
  });

  it('invalidate() during an AssumeRole under way: that answer is not cached, and the next caller asks STS again', async () => {
    const sts = new FakeSts({ held: true });
    const credentials = new AssumeRoleCredentials({ roleArn: ROLE, sts });
    const before = credentials.getCredentials();
    await flush();
    credentials.invalidate();
    const after = credentials.getCredentials();
    await flush();
    expect(sts.calls).toHaveLength(2);
    // The answer asked for before invalidate() arrives last: caching it would replace the new one.
    sts.release(2);
    expect((await after).accessKeyId).toBe(fakeKeyId(2));
    sts.release(1);
    expect((await before).accessKeyId).toBe(fakeKeyId(1));
    expect((await credentials.getCredentials()).accessKeyId).toBe(fakeKeyId(2));
    expect(sts.calls).toHaveLength(2);
  });

  it('retries STS throttling with backoff, then succeeds', async () => {
    const { sts, provider, sleeps, events } = setup();
    sts.failures.push(stsError('Throttling', 400), stsError('Throttling', 400));
    const credentials = await provider.getCredentials();
    expect(credentials.accessKeyId).toBe('ASIA0000000000000003');
    expect(sleeps).toEqual([250, 500]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason)).toEqual(['transient', 'transient']);
  });

  it('retries AccessDenied for a bounded time right after a deploy (IAM propagation), then succeeds', async () => {
    const { sts, provider, events } = setup();
    sts.failures.push(stsError('InvalidClientTokenId', 403), stsError('AccessDenied', 403));
    await provider.getCredentials();
    expect(sts.calls).toHaveLength(3);
    expect(events.filter((e) => e.type === 'retry' && e.reason === 'iam-propagation')).toHaveLength(2);
  });

  it('gives up on AccessDenied after the propagation wait, pointing at the trust policy and the external ID option', async () => {
    const { sts, provider, clock } = setup({ propagationWaitSeconds: 10 });
    const started = clock.now;
    for (let i = 0; i < 50; i++) sts.failures.push(stsError('AccessDenied', 403));
    const error = await provider.getCredentials().catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.stsCode).toBe('AccessDenied');
    expect(error.code).toBe('assume-role-failed');
    expect(exitCodeOf(error)).toBe(4);
    expect(error.hints.join(' ')).toMatch(/trust policy/);
    expect(error.hints.join(' ')).toMatch(/external ID.*`externalId`/);
    expect(error.message).toMatch(/after retrying for \d+ s/);
    expect(clock.now - started).toBeLessThanOrEqual(10_000);
    expect(sts.calls.length).toBeLessThan(10);
  });

  it('reports a network failure after its retries, as STS unreachable', async () => {
    const { sts, provider } = setup({ transientRetries: 2 });
    for (let i = 0; i < 3; i++) sts.failures.push(connectionRefused());
    const error = await provider.getCredentials().catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.code).toBe('sts-unreachable');
    expect(exitCodeOf(error)).toBe(5);
    expect(sts.calls).toHaveLength(3);
  });

  it('does not retry errors that will not go away', async () => {
    const { sts, provider } = setup();
    sts.failures.push(stsError('ValidationError', 400));
    const error = await provider.getCredentials().catch((e) => e);
    expect(error.stsCode).toBe('ValidationError');
    expect(error.hints[0]).toMatch(/max session duration/);
    expect(sts.calls).toHaveLength(1);
  });

  it.each([
    [{ roleArn: 'function_invoker' }, 'roleArn', /IAM role ARN/],
    [{ roleArn: 'arn:aws:iam::111122223333:user/bob' }, 'roleArn', /IAM role ARN/],
    [{ sessionName: 'x' }, 'sessionName', /2 to 64/],
    [{ sessionName: 'has space' }, 'sessionName', /letters, digits/],
    [{ durationSeconds: 899 }, 'durationSeconds', /900 to 43200/],
    [{ durationSeconds: 43201 }, 'durationSeconds', /900 to 43200/],
    [{ externalId: 'a' }, 'externalId', /2 to 1224/],
    [{ sessionPolicy: 'not json' }, 'sessionPolicy', /JSON IAM policy/],
    [{ sessionPolicy: JSON.stringify({ Statement: [{ Sid: 'x'.repeat(2100) }] }) }, 'sessionPolicy', /at most 2048/],
    [{ refreshBeforeExpirySeconds: 3600 }, 'refreshBeforeExpirySeconds', /less than the session duration/],
    [{ stsTimeoutMs: 0 }, 'stsTimeoutMs', /1 to 120000/],
    [{ stsTimeoutMs: 1.5 }, 'stsTimeoutMs', /whole number/],
  ] as [Partial<AssumeRoleOptions>, string, RegExp][])('refuses %j naming the option', (bad, option, rule) => {
    let error: unknown;
    try {
      setup(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ClientOptionError);
    expect(error).toMatchObject({ code: 'invalid-option', option });
    expect((error as Error).message).toMatch(new RegExp(`^${option} .*${rule.source}`));
  });

  it('an STS that never answers: each call is abandoned after stsTimeoutMs, retried, then STS unreachable naming the endpoint', async () => {
    const sts = new FakeSts({ silent: true });
    const events: CredentialEvent[] = [];
    const provider = new AssumeRoleCredentials({
      roleArn: ROLE,
      sts,
      stsEndpoint: 'https://sts.example.test',
      stsTimeoutMs: 30,
      transientRetries: 2,
      sleep: async () => undefined,
      onEvent: (e) => events.push(e),
    });
    const error = await provider.getCredentials().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ stsCode: 'TimeoutError', code: 'sts-unreachable' });
    expect(exitCodeOf(error)).toBe(5);
    expect((error as Error).message).toBe(
      'AssumeRole failed (TimeoutError): STS at https://sts.example.test did not answer AssumeRole within 30 ms (3 attempt(s))',
    );
    expect((error as AssumeRoleError).hints.join(' ')).toMatch(/`stsTimeoutMs` sets the limit per call/);
    expect(provider.assumeRoleCalls).toBe(3);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { code: string }).code)).toEqual(['TimeoutError', 'TimeoutError']);
    // The signal handed to STS fired, so a real client drops the socket too.
    expect(sts.signals).toHaveLength(3);
    expect(sts.signals.every((signal) => signal.aborted)).toBe(true);
  });
});

describe('AssumeRoleCredentials with the real STS client and an endpoint that never answers', () => {
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(() => silent.close());

  it('an AssumeRoleError (STS unreachable) after the retries', async () => {
    const credentials = new AssumeRoleCredentials({
      roleArn: ROLE,
      sourceCredentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
      stsEndpoint: silent.url,
      stsTimeoutMs: 200,
      transientRetries: 1,
      sleep: async () => undefined,
    });
    const error = await credentials.getCredentials().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ stsCode: 'TimeoutError', code: 'sts-unreachable' });
    expect(exitCodeOf(error)).toBe(5);
    expect(credentials.assumeRoleCalls).toBe(2);
  });
});

describe('validForSeconds: credentials for a presigned URL outlive it when a new session can', () => {
  it('a cached session with 600 s left (before its refresh window) and a 900 s URL: AssumeRole again, then sign', async () => {
    // A server presigning 15-minute URLs must not be refused between "600 s left" and the
    // background refresh at 300 s left.
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const credentials = new AssumeRoleCredentials({ roleArn: ROLE, sts: new FakeSts({ clock }), clock, durationSeconds: 3600 });
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials });
    await client.presign({ expiresInSeconds: 900, signingDate: new Date(clock()) });
    expect(credentials.assumeRoleCalls).toBe(1);
    offsetMs += 3000_000;
    const signingDate = new Date(clock());
    const presigned = await client.presign({ expiresInSeconds: 900, signingDate });
    expect(credentials.assumeRoleCalls).toBe(2);
    expect(presigned.expiresAt.getTime()).toBe(signingDate.getTime() + 900_000);
    expect((await credentials.getCredentials()).expiration.getTime()).toBeGreaterThan(presigned.expiresAt.getTime());
  });

  it('a lifetime longer than a whole session is still refused, with one AssumeRole at most', async () => {
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const credentials = new AssumeRoleCredentials({ roleArn: ROLE, sts: new FakeSts({ clock }), clock, durationSeconds: 900 });
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials });
    await expect(client.presign({ expiresInSeconds: 1800, signingDate: new Date(clock()) })).rejects.toThrow(
      /remaining life of the credentials/,
    );
    offsetMs += 60_000;
    await expect(client.presign({ expiresInSeconds: 890, signingDate: new Date(clock()) })).rejects.toThrow(
      /remaining life of the credentials/,
    );
    expect(credentials.assumeRoleCalls).toBe(1);
  });
});
