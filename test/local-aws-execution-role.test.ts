import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { createFunctionCall, deployFunction, mustSucceed, query, userWithKey } from './support/local-aws-fixtures';

/**
 * Functions in the stand-in run with their execution role, as on Lambda: CreateFunction accepts
 * only a role that trusts lambda.amazonaws.com, and the function's unchanged AWS SDK v3 code signs
 * with a session of that role (assumed-role/<role>/<function>), sent to the stand-in by
 * AWS_ENDPOINT_URL, and is allowed exactly what that role may do.
 */

const ACCOUNT = '123456789012';
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const LAMBDA_TRUST = { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' };
const document = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** A handler that uses the SDK the runtime provides, unchanged: region, credentials and endpoint from the environment. */
const STS_CALLER = `import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
const sts = new STSClient({ maxAttempts: 1 });
const iam = new IAMClient({ maxAttempts: 1 });
const answer = async (q) => {
  try {
    if (q.getRole) return { arn: (await iam.send(new GetRoleCommand({ RoleName: q.getRole }))).Role.Arn };
    if (q.assume) {
      const r = await sts.send(new AssumeRoleCommand({ RoleArn: q.assume, RoleSessionName: 'hop', DurationSeconds: q.duration ? Number(q.duration) : undefined }));
      return { arn: r.AssumedRoleUser.Arn };
    }
    return { arn: (await sts.send(new GetCallerIdentityCommand({}))).Arn };
  } catch (e) {
    return { error: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
};
export const handler = async (event) => {
  const q = event.queryStringParameters ?? {};
  if (q.sleep) await new Promise((resolve) => setTimeout(resolve, Number(q.sleep)));
  return { ...(await answer(q)), keyId: process.env.AWS_ACCESS_KEY_ID, pid: process.pid };
};`;

/** Another function's view of the first one's process, and a CommonJS handler requiring the SDK. */
const SNOOP = `import * as fs from 'node:fs';
import { createRequire } from 'node:module';
export const handler = async (event) => {
  const pid = event.queryStringParameters?.pid;
  let environ;
  try { environ = fs.readFileSync('/proc/' + pid + '/environ', 'utf8'); } catch (e) { environ = 'ERR:' + e.code; }
  const required = typeof createRequire(process.env.LAMBDA_TASK_ROOT + '/')('@aws-sdk/client-sts').STSClient;
  return { environ, required };
};`;

/** Functions run as users of their own only when the stand-in can switch users (root). */
const separateUsers = process.getuid?.() === 0;

let local: LocalAws;
let clock = Date.now();
const urls: Record<string, string> = {};

async function createRole(name: string, trust: string, policy?: string, maxSessionDuration = '3600') {
  await mustSucceed(
    query(local, 'iam', { Action: 'CreateRole', RoleName: name, AssumeRolePolicyDocument: trust, MaxSessionDuration: maxSessionDuration }),
  );
  if (policy !== undefined)
    await mustSucceed(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: name, PolicyName: 'p', PolicyDocument: policy }));
}

beforeAll(async () => {
  local = await startLocalAws({ port: 0, now: () => new Date(clock) });
  // The function's role may assume "reachable" only; "unreachable" trusts the account, so only an
  // identity policy could allow it, and the role has none for it.
  await createRole(
    'caller',
    document(LAMBDA_TRUST),
    document(
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn('reachable') },
      // Each role readable only from the function its condition names (lambda:SourceFunctionArn).
      ...[
        ['caller', 'sts-caller'],
        ['reachable', 'another-function'],
      ].map(([role, fn]) => ({
        Effect: 'Allow',
        Action: 'iam:GetRole',
        Resource: roleArn(role),
        Condition: { ArnEquals: { 'lambda:SourceFunctionArn': `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}` } },
      })),
    ),
  );
  await createRole(
    'reachable',
    document({ Effect: 'Allow', Principal: { AWS: roleArn('caller') }, Action: 'sts:AssumeRole' }),
    undefined,
    '43200',
  );
  await createRole(
    'unreachable',
    document({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }),
  );
  await createRole('not-for-lambda', document({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }));
  await createRole(
    'only-for-vendor',
    document({ ...LAMBDA_TRUST, Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${ACCOUNT}:function:vendor` } } }),
  );
  urls.caller = await deployFunction(local, 'sts-caller', STS_CALLER, { settings: { Role: roleArn('caller'), Timeout: 20 } });
  urls.snoop = await deployFunction(local, 'snoop', SNOOP, { settings: { Role: roleArn('caller'), Timeout: 20 } });
});
afterAll(async () => {
  await local?.close();
});

const call = async (name: string, params: Record<string, string> = {}) => {
  const r = await fetch(`${urls[name]}?${new URLSearchParams(params)}`);
  expect(r.status).toBe(200);
  return (await r.json()) as Record<string, string>;
};

const createFunction = (name: string, role: string | undefined, credentials?: AwsCredentialIdentity) =>
  createFunctionCall(local, name, { Role: role }, credentials);

describe('CreateFunction and the execution role', () => {
  it.each([
    ['a role that trusts another service', 'not-for-lambda'],
    ['a role that does not exist', 'missing'],
    ['a role whose trust names another function (aws:SourceArn)', 'only-for-vendor'],
  ])('refuses %s with Lambda 400 and its text; nothing is created', async (_, role) => {
    const r = await createFunction('refused', roleArn(role));
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterValueException']);
    expect(JSON.parse(r.text).message).toBe('The role defined for the function cannot be assumed by Lambda.');
    expect(local.world.state.functions.refused).toBeUndefined();
  });

  it.each([
    ['a role name instead of an ARN', 'caller'],
    ['a user ARN', `arn:aws:iam::${ACCOUNT}:user/caller`],
    ['an ARN without an account', 'arn:aws:iam::role/caller'],
  ])('refuses %s as Lambda validates Role: 400 ValidationException naming the value and the pattern', async (_, role) => {
    const r = await createFunction('malformed-role', role);
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([400, 'ValidationException']);
    expect(JSON.parse(r.text).message).toBe(
      `1 validation error detected: Value '${role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
    );
    expect(local.world.state.functions['malformed-role']).toBeUndefined();
  });

  it('refuses a missing Role as Lambda does: 400 ValidationException, must not be null', async () => {
    const r = await createFunction('no-role', undefined);
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([400, 'ValidationException']);
    expect(JSON.parse(r.text).message).toBe(
      "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
    );
  });

  it('refuses a role of another account as Lambda does: 403 AccessDeniedException, cross-account pass role', async () => {
    const r = await createFunction('cross-account', 'arn:aws:iam::210987654321:role/caller');
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'AccessDeniedException']);
    expect(JSON.parse(r.text).message).toBe('Cross-account pass role is not allowed.');
    expect(local.world.state.functions['cross-account']).toBeUndefined();
  });

  it('needs iam:PassRole on the role, for Lambda (iam:PassedToService), from a caller that is not the root', async () => {
    const create = { Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: '*' };
    const passTo = (service: string) => ({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roleArn('caller'),
      Condition: { StringEquals: { 'iam:PassedToService': service } },
    });
    const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
    const withoutPass = await userWithKey(local, 'deployer-without-pass', policy(create));
    const passToEc2 = await userWithKey(local, 'deployer-pass-to-ec2', policy(create, passTo('ec2.amazonaws.com')));
    const passToLambda = await userWithKey(local, 'deployer-pass-to-lambda', policy(create, passTo('lambda.amazonaws.com')));
    for (const credentials of [withoutPass, passToEc2]) {
      const r = await createFunction('passed', roleArn('caller'), credentials);
      expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'AccessDeniedException']);
      expect(JSON.parse(r.text).message).toMatch(
        /not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role\/caller/,
      );
    }
    expect(local.world.state.functions.passed).toBeUndefined();
    expect((await createFunction('passed', roleArn('caller'), passToLambda)).status).toBe(201);
  });

  it('accepts a role whose trust lets Lambda assume it for this very function', async () => {
    expect((await createFunction('vendor', roleArn('only-for-vendor'))).status).toBe(201);
  });
});

describe('a function calls AWS with its own role', () => {
  it('GetCallerIdentity from unchanged SDK code answers the session Lambda names after the function', async () => {
    const answer = await call('caller');
    expect(answer.error).toBeUndefined();
    expect(answer.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/caller/sts-caller`);
    expect(answer.keyId).toMatch(/^ASIA/);
  });

  it('may assume a role its execution role may assume, and is refused one it may not', async () => {
    expect(await call('caller', { assume: roleArn('reachable') })).toMatchObject({
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/reachable/hop`,
    });
    expect(await call('caller', { assume: roleArn('unreachable') })).toMatchObject({
      error: 'AccessDenied',
      status: 403,
      message: expect.stringContaining(`assumed-role/caller/sts-caller is not authorized to perform: sts:AssumeRole`),
    });
  });

  it('carries lambda:SourceFunctionArn, the function its session belongs to, into its decisions', async () => {
    expect(await call('caller', { getRole: 'caller' })).toMatchObject({ arn: roleArn('caller') });
    expect(await call('caller', { getRole: 'reachable' })).toMatchObject({ error: 'AccessDenied', status: 403 });
  });

  it('is capped at one hour when it assumes a role (role chaining), whatever the role allows', async () => {
    expect(await call('caller', { assume: roleArn('reachable'), duration: '3601' })).toMatchObject({
      error: 'ValidationError',
      status: 400,
      message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
    expect(await call('caller', { assume: roleArn('reachable'), duration: '3600' })).toHaveProperty('arn');
  });

  it('keeps its session from other functions: its process environment is readable by its own user only', async () => {
    const caller = await call('caller');
    const snooped = await call('snoop', { pid: caller.pid });
    if (separateUsers) expect(snooped.environ).toBe('ERR:EACCES');
    // Without users of their own (a stand-in not run as root) functions share one user: see local-aws/README.md.
    else expect(snooped.environ).toContain(caller.keyId);
  });

  it('finds the SDK with require() as with import', async () => {
    expect((await call('snoop', { pid: '0' })).required).toBe('function');
  });

  it('gets a fresh session (and a fresh process) before the session could expire during a call', async () => {
    const first = await call('caller');
    expect(await call('caller')).toMatchObject({ keyId: first.keyId, pid: first.pid });
    // 56 minutes on, less than the function's 20 s timeout plus 5 minutes would be left: renewed.
    clock += 56 * 60 * 1000;
    const session = local.world.state.sessions[first.keyId];
    expect(Date.parse(session.expiration) - clock).toBeLessThan((20 + 300) * 1000);
    const renewed = await fetch(urls.caller).then((r) => r.json() as Promise<Record<string, string>>);
    // The stand-in's clock ran ahead of the function's: the call is refused for its skew, yet made with the new key.
    expect(renewed.keyId).toMatch(/^ASIA/);
    expect(renewed.keyId).not.toBe(first.keyId);
    expect(renewed.pid).not.toBe(first.pid);
    clock -= 56 * 60 * 1000;
  });

  it('lets the calls in flight at a renewal finish in the process they started in', async () => {
    const before = await call('caller');
    const slow = fetch(`${urls.caller}?sleep=1500`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const saved = clock;
    clock = Date.parse(local.world.state.sessions[before.keyId].expiration) - 4 * 60 * 1000;
    try {
      expect((await call('caller')).keyId).not.toBe(before.keyId);
      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(await finished.json()).toMatchObject({ keyId: before.keyId, pid: before.pid });
    } finally {
      clock = saved;
    }
  });
});
