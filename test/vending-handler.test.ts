import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { vendorHandlerDirectory } from '../constructs/credential-vendor';
import { FakeSts, stsError } from './support/fake-sts';

/**
 * The vending function's logic, run as Lambda runs it (the shipped .mjs), against the one fake STS:
 * who is entitled, what is refused, what STS is asked for, and what the caller gets back.
 */

interface VendingModule {
  parseVendConfig(text: string): unknown;
  createVendingHandler(options: {
    config: unknown;
    assumeRole: (params: Record<string, unknown>) => Promise<unknown>;
    log?: (record: Record<string, unknown>) => void;
  }): (event: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
  callerIdentity(arn: string): string;
}

const ACCOUNT = '111122223333';
const VEND_ROLE = `arn:aws:iam::${ACCOUNT}:role/credential-vend`;
const ORDERS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`;
const REPORTS = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reports:live`;
const PARTNER_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/partner-batch`;
const AUDITOR = `arn:aws:iam::${ACCOUNT}:user/auditors/auditor`;
const CONFIG = JSON.stringify({
  vendRoleArn: VEND_ROLE,
  entitlements: [
    { caller: PARTNER_ROLE, invokeArns: [ORDERS], maxSessionDuration: 1800, sessionTags: { tenant: 'partner' } },
    { caller: AUDITOR, invokeArns: [ORDERS, REPORTS], maxSessionDuration: 3600, sessionTags: {} },
  ],
});

function urlEvent(userArn: string | undefined, query?: Record<string, string>) {
  return {
    version: '2.0',
    rawPath: '/',
    rawQueryString: new URLSearchParams(query).toString(),
    queryStringParameters: query,
    requestContext: {
      http: { method: 'GET', path: '/' },
      ...(userArn === undefined
        ? {}
        : {
            authorizer: {
              iam: { accessKey: 'ASIAEXAMPLE', accountId: ACCOUNT, callerId: 'AROAEXAMPLE:s', userArn, userId: 'AROAEXAMPLE:s' },
            },
          }),
    },
  };
}

describe('the vending function', () => {
  let vending: VendingModule;
  beforeAll(async () => {
    vending = (await import(pathToFileURL(path.join(vendorHandlerDirectory(), 'vending.mjs')).href)) as VendingModule;
  });

  function setUp() {
    const sts = new FakeSts();
    const logs: Record<string, unknown>[] = [];
    const handler = vending.createVendingHandler({
      config: vending.parseVendConfig(CONFIG),
      assumeRole: (params) => sts.assumeRole(params as never),
      log: (record) => logs.push(record),
    });
    const call = async (event: unknown) => {
      const answer = await handler(event);
      return { ...answer, json: JSON.parse(answer.body) };
    };
    return { sts, logs, call, params: () => sts.calls as unknown as Record<string, any>[] };
  }

  it("a role's session gets its role's entitlement: only its URLs, its tags, the caller as SourceIdentity", async () => {
    const { call, params } = setUp();
    const answer = await call(urlEvent(`arn:aws:sts::${ACCOUNT}:assumed-role/partner-batch/nightly`));
    expect(answer.statusCode).toBe(200);
    const [sent] = params();
    expect(sent).toMatchObject({
      RoleArn: VEND_ROLE,
      RoleSessionName: 'partner-batch@nightly',
      SourceIdentity: 'partner-batch@nightly',
      DurationSeconds: 1800,
      Tags: [{ Key: 'tenant', Value: 'partner' }],
    });
    const policy = JSON.parse(sent.Policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'InvokeFunctionUrl',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: ORDERS,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Sid: 'InvokeFunctionViaUrl',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: ORDERS,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ]);
  });

  it('answers in the credential_process format by default', async () => {
    const { call } = setUp();
    const answer = await call(urlEvent(AUDITOR));
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(Object.keys(answer.json)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(answer.json).toMatchObject({
      Version: 1,
      AccessKeyId: 'ASIA0000000000000001',
      SecretAccessKey: 'secret-1',
      SessionToken: 'token-1',
    });
    expect(new Date(answer.json.Expiration).toISOString()).toBe(answer.json.Expiration);
  });

  it('answers the container-credentials shape for ?format=container', async () => {
    const { call } = setUp();
    const answer = await call(urlEvent(AUDITOR, { format: 'container' }));
    expect(Object.keys(answer.json)).toEqual(['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration']);
    expect(answer.json.Token).toBe('token-1');
  });

  it('a user matches its entitlement whatever its path, and gets every URL of it', async () => {
    const { call, params } = setUp();
    expect((await call(urlEvent(AUDITOR, { durationSeconds: '900' }))).statusCode).toBe(200);
    expect(params()[0]).toMatchObject({ SourceIdentity: 'auditor', DurationSeconds: 900, Tags: [] });
    expect(JSON.parse(params()[0].Policy).Statement.map((s: { Resource: string }) => s.Resource)).toEqual([
      ORDERS,
      ORDERS,
      REPORTS,
      REPORTS,
    ]);
  });

  it.each([
    ['an unlisted user', `arn:aws:iam::${ACCOUNT}:user/mallory`],
    ['a role of the same name in another account', `arn:aws:sts::444455556666:assumed-role/partner-batch/nightly`],
    ['a user named like the entitled role', `arn:aws:iam::${ACCOUNT}:user/partner-batch`],
  ])('refuses %s with 403 NotEntitled, and calls no STS', async (_, arn) => {
    const { call, sts, logs } = setUp();
    const answer = await call(urlEvent(arn));
    expect(answer.statusCode).toBe(403);
    expect(answer.json).toEqual({ error: 'NotEntitled', reason: 'this caller has no entitlement at this credential vendor' });
    expect(sts.calls).toEqual([]);
    expect(logs).toEqual([{ event: 'refused', reason: 'not entitled', caller: arn }]);
  });

  it.each([
    ['no IAM caller (an event without authorizer)', urlEvent(undefined)],
    ['a federated user', urlEvent(`arn:aws:sts::${ACCOUNT}:federated-user/bob`)],
    ['no event at all', undefined],
  ])('refuses %s with 403 AccessDenied', async (_, event) => {
    const { call, sts } = setUp();
    const answer = await call(event);
    expect(answer.statusCode).toBe(403);
    expect(answer.json.error).toBe('AccessDenied');
    expect(sts.calls).toEqual([]);
  });

  it.each([
    ['{"durationSeconds":"3601"}', /durationSeconds must be a whole number from 900 to 3600/],
    ['{"durationSeconds":"899"}', /from 900 to 3600/],
    ['{"durationSeconds":"1e3"}', /from 900 to 3600/],
    ['{"format":"xml"}', /format must be credential_process or container/],
    ['{"__proto__":"x"}', /unknown query parameter "__proto__"/],
    ['{"constructor":"1"}', /unknown query parameter "constructor"/],
  ])('refuses a bad query %s with 400 InvalidRequest', async (query, reason) => {
    const { call, sts } = setUp();
    // JSON.parse makes "__proto__" an own key, as a parsed query string does.
    const answer = await call(urlEvent(AUDITOR, JSON.parse(query)));
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error).toBe('InvalidRequest');
    expect(answer.json.reason).toMatch(reason);
    expect(sts.calls).toEqual([]);
  });

  it("caps the duration at the caller's entitlement, not the vend role's", async () => {
    const { call } = setUp();
    expect((await call(urlEvent(`arn:aws:sts::${ACCOUNT}:assumed-role/partner-batch/x1`, { durationSeconds: '3600' }))).statusCode).toBe(
      400,
    );
  });

  it('answers 502 without STS detail when STS refuses, and logs the code but no secret', async () => {
    const { call, sts, logs } = setUp();
    sts.failures.push(stsError('AccessDenied', 403));
    const answer = await call(urlEvent(AUDITOR));
    expect(answer.statusCode).toBe(502);
    expect(answer.json).toEqual({ error: 'VendingFailed', reason: 'the credentials could not be issued; the vendor has logged why' });
    expect(logs[0]).toMatchObject({ event: 'failed', caller: AUDITOR, code: 'AccessDenied' });
  });

  it('answers 502 when STS answers without credentials, instead of failing the invocation', async () => {
    const handler = vending.createVendingHandler({
      config: vending.parseVendConfig(CONFIG),
      assumeRole: async () => ({ AssumedRoleUser: { Arn: 'x' } }),
      log: () => undefined,
    });
    const answer = await handler(urlEvent(AUDITOR));
    expect(answer.statusCode).toBe(502);
    expect(JSON.parse(answer.body).error).toBe('VendingFailed');
  });

  it('logs each vend without the secret, the token or the session policy', async () => {
    const { call, logs } = setUp();
    await call(urlEvent(AUDITOR));
    const line = JSON.stringify(logs);
    expect(logs[0]).toMatchObject({ event: 'vended', caller: AUDITOR, sourceIdentity: 'auditor', durationSeconds: 3600 });
    for (const secret of ['secret-1', 'token-1', 'ASIA0000000000000001', 'lambda:InvokeFunction']) expect(line).not.toContain(secret);
  });

  it('derives a SourceIdentity of STS characters, at most 64, distinct for long callers', () => {
    const long = `arn:aws:sts::${ACCOUNT}:assumed-role/${'r'.repeat(64)}/${'s'.repeat(60)}`;
    const other = `arn:aws:sts::${ACCOUNT}:assumed-role/${'r'.repeat(64)}/${'s'.repeat(59)}t`;
    for (const arn of [long, other, AUDITOR]) expect(vending.callerIdentity(arn)).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(vending.callerIdentity(long)).not.toBe(vending.callerIdentity(other));
    expect(vending.callerIdentity(`arn:aws:iam::${ACCOUNT}:user/a`)).toHaveLength(2);
  });
});
