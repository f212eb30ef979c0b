import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientOptionError, VendedCredentialsError, credentialProcessOutput, vendedCredentials } from '../client';
import { FunctionUrlClient } from '../client/function-url-client';
import { parseVendedAnswer } from '../client/vended-credentials';
import { type FakeVendor, OTHER_KEY, startFakeVendor } from './support/fake-vendor';
import { STATIC_KEY } from './support/static-profile';

/** The vended source of the client library against a vendor running the shipped vending handler. */
describe('vendedCredentials', () => {
  let vendor: FakeVendor;
  beforeAll(async () => {
    vendor = await startFakeVendor();
  });
  afterAll(() => vendor.close());

  const source = (options: Partial<Parameters<typeof vendedCredentials>[0]> = {}) =>
    vendedCredentials({ vendorUrl: vendor.vendorUrl, region: 'us-east-1', credentials: async () => STATIC_KEY, retries: 0, ...options });

  it('signs a call to the vendor with the given credentials and returns the vended session', async () => {
    const credentials = await source().getCredentials();
    const sent = vendor.sts.calls.at(-1)!;
    expect(credentials.accessKeyId).toBe(`ASIA${String(vendor.sts.calls.length).padStart(16, '0')}`);
    expect(credentials.sessionToken).toMatch(/^token-\d+$/);
    expect(credentials.expiration.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(sent).toMatchObject({ RoleSessionName: 'auditor', DurationSeconds: 3600 });
  });

  it('the vended credentials sign calls the function accepts', async () => {
    const vended = source();
    const client = new FunctionUrlClient({ url: vendor.functionUrl, region: 'us-east-1', credentials: vended, retries: 0 });
    const answer = await client.invoke();
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ caller: (await vended.getCredentials()).accessKeyId });
  });

  it('is cached and refreshed like an AssumeRole session: one vend per lifetime, a new one near expiry', async () => {
    let now = Date.now();
    const vended = source({ clock: () => now, durationSeconds: 900 });
    const first = await vended.getCredentials();
    expect(await vended.getCredentials()).toBe(first);
    expect(vended.vendCalls).toBe(1);
    now = first.expiration.getTime() - 10_000;
    const second = await vended.getCredentials();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(vended.vendCalls).toBe(2);
    expect(vendor.sts.calls.at(-1)).toMatchObject({ DurationSeconds: 900 });
  });

  it('a caller without an entitlement gets vend-refused with what the vendor said', async () => {
    const error = await source({ credentials: async () => OTHER_KEY })
      .getCredentials()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendedCredentialsError);
    expect(error).toMatchObject({ code: 'vend-refused', details: { status: 403, vendorError: 'NotEntitled' } });
    expect((error as Error).message).toContain('this caller has no entitlement');
  });

  it('a signature the URL refuses is vend-refused, said to come from IAM', async () => {
    const error = await source({ credentials: async () => ({ ...STATIC_KEY, secretAccessKey: 'wrong' }) })
      .getCredentials()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'vend-refused', details: { status: 403, vendorError: undefined } });
    expect((error as Error).message).toMatch(/IAM did not let these credentials call it/);
  });

  it.each([
    [{ status: 502, body: '{"error":"VendingFailed","reason":"x"}' }, /the credential vendor failed \(HTTP 502 VendingFailed\)/],
    [{ status: 200, body: '{"hello":"world"}' }, /not credentials: Version is not 1/],
    [{ status: 200, body: '<html>' }, /not credentials/],
  ])('a broken vendor (%j) is vend-failed', async (override, message) => {
    vendor.override = override;
    try {
      const error = await source()
        .getCredentials()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'vend-failed' });
      expect((error as Error).message).toMatch(message);
    } finally {
      vendor.override = undefined;
    }
  });

  it('checks every field of an answer and never echoes a secret', () => {
    const good = {
      Version: 1,
      AccessKeyId: 'ASIA0000000000000001',
      SecretAccessKey: 's3cr3t',
      SessionToken: 't0k3n',
      Expiration: '2030-01-01T00:00:00.000Z',
    };
    expect(parseVendedAnswer(good, 0)).toMatchObject({ accessKeyId: 'ASIA0000000000000001', expiration: new Date(good.Expiration) });
    expect(credentialProcessOutput(parseVendedAnswer(good, 0))).toEqual(good);
    for (const [broken, rule] of [
      [{ ...good, AccessKeyId: 'asia lower' }, /AccessKeyId/],
      [{ ...good, SessionToken: '' }, /SessionToken/],
      [{ ...good, Expiration: 'soon' }, /Expiration is not a date/],
      [{ ...good, Expiration: '2001-01-01T00:00:00Z' }, /expired at 2001/],
    ] as const) {
      const error = (() => {
        try {
          parseVendedAnswer(broken, Date.now());
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error?.message).toMatch(rule);
      expect(error?.message).not.toContain('s3cr3t');
    }
  });

  it('refuses options that cannot work before any call', () => {
    expect(() => source({ durationSeconds: 3601 })).toThrow(ClientOptionError);
    expect(() => source({ durationSeconds: 3601 })).toThrow(/durationSeconds must be a whole number of seconds from 900 to 3600/);
    expect(() => source({ credentials: undefined as never })).toThrow(/credentials must be given/);
    expect(() => source({ vendorUrl: 'not a url' })).toThrow(ClientOptionError);
  });
});
