import type { StsApi } from '../../client/sts';

type AssumeRoleInput = Parameters<StsApi['assumeRole']>[0];
type AssumeRoleAnswer = Awaited<ReturnType<StsApi['assumeRole']>>;

export const FAKE_ROLE_ARN = 'arn:aws:iam::111122223333:role/function_invoker';

/**
 * The one fake STS of the tests. The n-th AssumeRole answers access key id `ASIA` + n padded to 16
 * digits (ASIA0000000000000001, …), secret `secret-n`, token `token-n`, valid DurationSeconds from
 * `clock()`. What it does besides, per call, in order:
 * - `failures`: the next calls throw these (an STS error from `stsError`, a network error);
 * - `latencyMs`: each call takes this long first;
 * - `held: true`: each call waits until `release()` answers it (in any order);
 * - `silent: true`: no call ever answers, whatever its abort signal says (`signals` keeps them).
 */
export class FakeSts implements StsApi {
  readonly calls: AssumeRoleInput[] = [];
  readonly failures: unknown[] = [];
  readonly signals: AbortSignal[] = [];
  private readonly waiting = new Map<number, () => void>();

  constructor(private readonly options: { clock?: () => number; latencyMs?: number; held?: boolean; silent?: boolean } = {}) {}

  async assumeRole(input: AssumeRoleInput, options?: { abortSignal?: AbortSignal }): Promise<AssumeRoleAnswer> {
    this.calls.push(input);
    const n = this.calls.length;
    if (options?.abortSignal !== undefined) this.signals.push(options.abortSignal);
    if (this.options.silent) return new Promise(() => undefined);
    if (this.options.held) await new Promise<void>((resolve) => this.waiting.set(n, resolve));
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const now = (this.options.clock ?? Date.now)();
    return {
      Credentials: {
        AccessKeyId: fakeKeyId(n),
        SecretAccessKey: `secret-${n}`,
        SessionToken: `token-${n}`,
        Expiration: new Date(now + input.DurationSeconds * 1000),
      },
      AssumedRoleUser: { Arn: `arn:aws:sts::111122223333:assumed-role/function_invoker/${input.RoleSessionName}` },
    };
  }

  /** With `held`: lets the n-th call (1-based) answer. */
  release(n: number): void {
    const resolve = this.waiting.get(n);
    if (resolve === undefined)
      throw new Error(`AssumeRole call ${n} is not waiting (waiting: ${[...this.waiting.keys()].join(', ') || 'none'})`);
    this.waiting.delete(n);
    resolve();
  }
}

/** The access key id of the fake's n-th answer. */
export function fakeKeyId(n: number): string {
  return `ASIA${String(n).padStart(16, '0')}`;
}

/** An error as the AWS SDK throws it for an STS error response. */
export function stsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from STS`), { name, $metadata: { httpStatusCode: status } });
}

/** A connection refused, as Node reports it. */
export function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
}
