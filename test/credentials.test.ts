import { describe, expect, it } from 'vitest';
import { AssumeRoleCredentials, AssumeRoleOptions, CredentialEvent, StsApi } from '../client/credentials';
import { AssumeRoleError, ClientOptionError } from '../client/errors';
import { exitCodeOf } from '../scripts/invoke/errors';

const ROLE = 'arn:aws:iam::111122223333:role/function_invoker';

/** A fake STS: answers with credentials valid for DurationSeconds from the fake clock's now. */
class FakeSts implements StsApi {
  calls: Parameters<StsApi['assumeRole']>[0][] = [];
  failures: unknown[] = [];
  constructor(private readonly now: () => number, private readonly latencyMs = 0) {}
  async assumeRole(input: Parameters<StsApi['assumeRole']>[0]) {
    this.calls.push(input);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const n = this.calls.length;
    return {
      Credentials: { AccessKeyId: `ASIA${String(n).padStart(16, '0')}`, SecretAccessKey: `secret-${n}`, SessionToken: `token-${n}`, Expiration: new Date(this.now() + input.DurationSeconds * 1000) },
      AssumedRoleUser: { Arn: `arn:aws:sts::111122223333:assumed-role/function_invoker/${input.RoleSessionName}` },
    };
  }
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from STS`), { name, $metadata: { httpStatusCode: status } });
}

function setup(options: Partial<AssumeRoleOptions> = {}, latencyMs = 0) {
  const clock = { now: Date.UTC(2026, 10, 22, 12, 0, 0) };
  const sts = new FakeSts(() => clock.now, latencyMs);
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

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('AssumeRoleCredentials', () => {
  it('passes role, session name, duration, external ID and session policy to STS', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: '*' }] });
    const { sts, provider } = setup({ durationSeconds: 900, externalId: 'partner-4711', sessionPolicy: policy, refreshBeforeExpirySeconds: 120 });
    const credentials = await provider.getCredentials();
    expect(sts.calls).toEqual([{ RoleArn: ROLE, RoleSessionName: 'test-session', DurationSeconds: 900, ExternalId: 'partner-4711', Policy: policy }]);
    expect(credentials).toMatchObject({ accessKeyId: 'ASIA0000000000000001', sessionToken: 'token-1', assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/function_invoker/test-session' });
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
    const { sts, provider } = setup({}, 20);
    const all = await Promise.all(Array.from({ length: 100 }, () => provider.getCredentials()));
    expect(sts.calls).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA0000000000000001']));
  });

  it('refreshes in the background 5 minutes before expiry, without making callers wait', async () => {
    const { sts, provider, clock } = setup({}, 20);
    await provider.getCredentials();
    clock.now += (3600 - 299) * 1000; // inside the refresh window, still valid
    const during = await Promise.all(Array.from({ length: 20 }, () => provider.getCredentials()));
    expect(during.every((c) => c.accessKeyId === 'ASIA0000000000000001')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sts.calls).toHaveLength(2);
    expect((await provider.getCredentials()).accessKeyId).toBe('ASIA0000000000000002');
  });

  it('expired credentials trigger exactly one refresh, shared by concurrent callers', async () => {
    const { sts, provider, clock } = setup({}, 10);
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
    sts.failures.push(awsError('InternalFailure', 500));
    expect(await provider.getCredentials()).toBe(first);
    await flush();
    expect(events.some((e) => e.type === 'refresh-failed' && e.error instanceof AssumeRoleError && e.error.stsCode === 'InternalFailure')).toBe(true);
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

  it('retries STS throttling with backoff, then succeeds', async () => {
    const { sts, provider, sleeps, events } = setup();
    sts.failures.push(awsError('Throttling', 400), awsError('Throttling', 400));
    const credentials = await provider.getCredentials();
    expect(credentials.accessKeyId).toBe('ASIA0000000000000003');
    expect(sleeps).toEqual([250, 500]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason)).toEqual(['transient', 'transient']);
  });

  it('retries AccessDenied for a bounded time right after a deploy (IAM propagation), then succeeds', async () => {
    const { sts, provider, events } = setup();
    sts.failures.push(awsError('InvalidClientTokenId', 403), awsError('AccessDenied', 403));
    await provider.getCredentials();
    expect(sts.calls).toHaveLength(3);
    expect(events.filter((e) => e.type === 'retry' && e.reason === 'iam-propagation')).toHaveLength(2);
  });

  it('gives up on AccessDenied after the propagation wait, pointing at the trust policy and the external ID', async () => {
    const { sts, provider, clock } = setup({ propagationWaitSeconds: 10 });
    const started = clock.now;
    for (let i = 0; i < 50; i++) sts.failures.push(awsError('AccessDenied', 403));
    const error = await provider.getCredentials().catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.stsCode).toBe('AccessDenied');
    expect(error.code).toBe('assume-role-failed');
    expect(exitCodeOf(error)).toBe(4);
    expect(error.hints.join(' ')).toMatch(/trust policy/);
    expect(error.hints.join(' ')).toMatch(/external ID/);
    expect(error.message).toMatch(/after retrying for \d+ s/);
    expect(clock.now - started).toBeLessThanOrEqual(10_000);
    expect(sts.calls.length).toBeLessThan(10);
  });

  it('reports a network failure after its retries, as a network error', async () => {
    const { sts, provider } = setup({ transientRetries: 2 });
    for (let i = 0; i < 3; i++) sts.failures.push(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const error = await provider.getCredentials().catch((e) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error.code).toBe('sts-unreachable');
    expect(exitCodeOf(error)).toBe(5);
    expect(sts.calls).toHaveLength(3);
  });

  it('does not retry errors that will not go away', async () => {
    const { sts, provider } = setup();
    sts.failures.push(awsError('ValidationError', 400));
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
    expect((error as Error).message).toMatch(new RegExp(`^${option} .*${rule.source}`));
  });

  it('an STS that never answers: each call is abandoned after stsTimeoutMs, retried, then exit code 5 naming the endpoint', async () => {
    const signals: AbortSignal[] = [];
    const hanging: StsApi = {
      assumeRole: (_input, options) => {
        if (options?.abortSignal) signals.push(options.abortSignal);
        return new Promise(() => undefined); // accepts and never answers, ignoring the signal
      },
    };
    const events: CredentialEvent[] = [];
    const provider = new AssumeRoleCredentials({ roleArn: ROLE, sts: hanging, stsEndpoint: 'https://sts.example.test', stsTimeoutMs: 30, transientRetries: 2, sleep: async () => undefined, onEvent: (e) => events.push(e) });
    const error = await provider.getCredentials().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ stsCode: 'TimeoutError', code: 'sts-unreachable' });
    expect(exitCodeOf(error)).toBe(5);
    expect((error as Error).message).toBe('AssumeRole failed (TimeoutError): STS at https://sts.example.test did not answer AssumeRole within 30 ms (3 attempt(s))');
    expect(provider.assumeRoleCalls).toBe(3);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { code: string }).code)).toEqual(['TimeoutError', 'TimeoutError']);
    // The signal handed to STS fired, so a real client drops the socket too.
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
