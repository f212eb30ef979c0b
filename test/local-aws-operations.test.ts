import { IAMClient, ListGroupsCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, InvokeCommand, LambdaClient, ListAliasesCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Operation, UnemulatedOperation } from '../local-aws/operation';
import { OPERATIONS, type RequestKey, UNEMULATED_OPERATIONS, matches } from '../local-aws/operations';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';
import {
  type SeededWorld,
  callApi,
  logs,
  query,
  sdkConfig,
  sdkOutcome,
  seededSession,
  userWithKey,
  xmlValue,
} from './support/local-aws-fixtures';

/**
 * The table of operations is the one source of "who may call this": every operation is authorized
 * from its declaration (action, resource, resource policy, condition keys) before its handler runs.
 * Proven for all of them at once, so an operation added to the table is covered without a test
 * of its own.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;
let operator: AwsCredentialIdentity;
const account = () => world.local.world.accountId;
const clientConfig = (credentials: AwsCredentialIdentity) => sdkConfig(world.local, credentials);
const lambda = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new LambdaClient(clientConfig(credentials));
const iam = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new IAMClient(clientConfig(credentials));

beforeAll(async () => {
  ({ world, session } = await seededSession('emulation'));
  // A role this account's principals may assume when their identity policies allow it.
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account()}:root` }, Action: 'sts:AssumeRole' }],
  });
  expect((await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'open-trust', AssumeRolePolicyDocument: trust })).status).toBe(
    200,
  );
  operator = await userWithKey(world.local, 'operator');
});
afterAll(async () => {
  await world.local.close();
});

/** A well-formed request for the operation: the seeded world's names in every parameter a handler could read. */
function sampleRequest(operation: Pick<Operation, 'match'>): {
  service: 'iam' | 'sts' | 'lambda' | 'logs';
  request: Parameters<typeof callApi>[2];
} {
  const echo = `arn:aws:lambda:us-east-1:${account()}:function:echo`;
  const { match } = operation;
  switch (match.protocol) {
    case 'query': {
      const service = IAM_ACTIONS.has(match.action) ? 'iam' : 'sts';
      const params = {
        Action: match.action,
        Version: service === 'iam' ? '2010-05-08' : '2011-06-15',
        UserName: 'lambda_invoker',
        RoleName: 'open-trust',
        PolicyName: 'Sample',
        PolicyArn: `arn:aws:iam::${account()}:policy/InvokeSingleLambdaPolicy`,
        VersionId: 'v1',
        AccessKeyId: 'AKIAEXAMPLEEXAMPLE00',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        RoleArn: `arn:aws:iam::${account()}:role/open-trust`,
        RoleSessionName: 'sample',
      };
      return {
        service,
        request: { body: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      };
    }
    case 'rest-json': {
      const path = match.route
        .replace('{FunctionName}', 'echo')
        .replace('{Resource+}', encodeURIComponent(echo))
        .replace('{StatementId}', 'sample')
        .replace('{Name}', 'live');
      return {
        service: 'lambda',
        request: {
          method: match.method,
          path,
          headers: { 'content-type': 'application/json' },
          body: match.method === 'GET' ? undefined : JSON.stringify({ FunctionName: 'sample' }),
        },
      };
    }
    case 'json':
      return {
        service: 'logs',
        request: {
          headers: { 'x-amz-target': match.target, 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ logGroupName: '/sample', resourceArn: `arn:aws:logs:us-east-1:${account()}:log-group:/sample` }),
        },
      };
  }
}

const IAM_ACTIONS = new Set([...OPERATIONS, ...UNEMULATED_OPERATIONS].filter((o) => o.service === 'iam').map((o) => o.name));

/** The refusal code each protocol uses, and where it carries it. */
async function refusalOf(service: string, response: { status: number; text: string; headers: Headers }): Promise<[number, string]> {
  if (service === 'iam' || service === 'sts') return [response.status, xmlValue(response.text, 'Code')];
  if (service === 'lambda') return [response.status, response.headers.get('x-amzn-errortype') ?? ''];
  return [response.status, JSON.parse(response.text).__type];
}

/** What a stub handler answers in each protocol. */
const STUB_RESULTS = { query: undefined, 'rest-json': { status: 200, json: {} }, json: {} } as const;

/**
 * Sends `send` with the operation's handler replaced by a stub that answers success and counts its
 * calls (the real handler would change the seeded world); every other operation runs for real.
 */
async function withStubbedHandler<T>(operation: Operation, send: () => Promise<T>): Promise<{ response: T; handlerCalls: number }> {
  const handler = vi.spyOn(operation, 'handle').mockResolvedValue(STUB_RESULTS[operation.match.protocol] as never);
  try {
    const response = await send();
    return { response, handlerCalls: handler.mock.calls.length };
  } finally {
    handler.mockRestore();
  }
}

/** The operator's only policy: `statement`. */
async function givePolicy(statement: Record<string, unknown>): Promise<void> {
  const document = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
  const r = await query(world.local, 'iam', {
    Action: 'PutUserPolicy',
    UserName: 'operator',
    PolicyName: 'Only',
    PolicyDocument: document,
  });
  expect(r.status, r.text).toBe(200);
}

describe('every operation of the table', () => {
  const guarded = OPERATIONS.filter((operation) => operation.requiresPermission !== false);

  it('is refused with 403 before its handler runs to a caller allowed everything but its declared action, and reaches its handler with that action alone', async () => {
    expect(guarded.length).toBeGreaterThanOrEqual(50);
    for (const operation of guarded) {
      const { service, request } = sampleRequest(operation);
      const what = `${operation.service}:${operation.name} (declared ${operation.action})`;
      await givePolicy({ Effect: 'Allow', NotAction: operation.action, Resource: '*' });
      const refused = await withStubbedHandler(operation, () => callApi(world.local, service, request, operator));
      expect(await refusalOf(service, refused.response), `${what}: ${refused.response.text}`).toEqual([
        403,
        service === 'iam' || service === 'sts' ? 'AccessDenied' : 'AccessDeniedException',
      ]);
      expect(refused.handlerCalls, what).toBe(0);

      await givePolicy({ Effect: 'Allow', Action: operation.action, Resource: '*' });
      const allowed = await withStubbedHandler(operation, () => callApi(world.local, service, request, operator));
      expect(allowed.response.status, `${what}: ${allowed.response.text}`).toBe(200);
      expect(allowed.handlerCalls, what).toBe(1);
    }
  });

  it('needs a permission, but for the two AWS lets every caller call (GetCallerIdentity, GetSessionToken): even an explicit Deny does not stop those', async () => {
    const free = OPERATIONS.filter((operation) => operation.requiresPermission === false);
    expect(free.map((operation) => `${operation.service}:${operation.name}`).sort()).toEqual([
      'sts:GetCallerIdentity',
      'sts:GetSessionToken',
    ]);
    await givePolicy({ Effect: 'Deny', Action: '*', Resource: '*' });
    for (const operation of free) {
      const { service, request } = sampleRequest(operation);
      const r = await callApi(world.local, service, request, operator);
      expect(r.status, `${operation.name}: ${r.text}`).toBe(200);
    }
  });

  it('has one name per service and answers one request shape that no other entry, emulated or not, answers', () => {
    const everything: (Operation | UnemulatedOperation)[] = [...OPERATIONS, ...UNEMULATED_OPERATIONS];
    const names = everything.map((operation) => `${operation.service}:${operation.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const operation of everything) {
      const { request } = sampleRequest(operation as Operation);
      const key: RequestKey =
        operation.match.protocol === 'query'
          ? { action: operation.match.action }
          : operation.match.protocol === 'json'
            ? { target: operation.match.target }
            : { method: request!.method!, path: request!.path! };
      const answering = everything.filter((other) => other.service === operation.service && matches(other.match, key) !== undefined);
      expect(
        answering.map((other) => other.name),
        `${operation.service}:${operation.name}`,
      ).toEqual([operation.name]);
    }
  });
});

describe('the unemulated operations', () => {
  it('do not overlap the table', () => {
    const emulated = new Set(OPERATIONS.map((operation) => `${operation.service}:${operation.name}`));
    expect(UNEMULATED_OPERATIONS.filter((operation) => emulated.has(`${operation.service}:${operation.name}`))).toEqual([]);
  });

  it('are AccessDenied for a caller without their action; a caller with it learns they are not emulated', async () => {
    for (const operation of UNEMULATED_OPERATIONS) {
      const { service, request } = sampleRequest(operation as Operation);
      await givePolicy({ Effect: 'Allow', NotAction: operation.action, Resource: '*' });
      const refused = await callApi(world.local, service, request, operator);
      expect(await refusalOf(service, refused), `${operation.name}: ${refused.text}`).toEqual([
        403,
        service === 'lambda' ? 'AccessDeniedException' : 'AccessDenied',
      ]);
      await givePolicy({ Effect: 'Allow', Action: operation.action, Resource: '*' });
      const unknown = await callApi(world.local, service, request, operator);
      expect(await refusalOf(service, unknown), `${operation.name}: ${unknown.text}`).toEqual([
        400,
        service === 'lambda' ? 'UnknownOperationException' : 'InvalidAction',
      ]);
    }
  });
});

describe('authorization comes first', () => {
  it('a caller without iam:CreateRole gets AccessDenied before its document is parsed', async () => {
    const r = await query(
      world.local,
      'iam',
      { Action: 'CreateRole', RoleName: 'sneaky', AssumeRolePolicyDocument: '{"not": "a policy"' },
      world.userKey,
    );
    expect([r.status, xmlValue(r.text, 'Code')]).toEqual([403, 'AccessDenied']);
    const policy = await query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: 'sneaky', PolicyDocument: '{' }, world.userKey);
    expect([policy.status, xmlValue(policy.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });

  it('a caller without rights gets AccessDenied for a missing user, role or function exactly as for an existing one', async () => {
    for (const [existing, missing] of [
      [
        { Action: 'GetUser', UserName: 'lambda_invoker' },
        { Action: 'GetUser', UserName: 'nobody' },
      ],
      [
        { Action: 'GetRole', RoleName: 'function_invoker' },
        { Action: 'GetRole', RoleName: 'no_role' },
      ],
      [
        { Action: 'ListAttachedRolePolicies', RoleName: 'function_invoker' },
        { Action: 'ListAttachedRolePolicies', RoleName: 'no_role' },
      ],
      [
        { Action: 'DeleteUser', UserName: 'lambda_invoker' },
        { Action: 'DeleteUser', UserName: 'nobody' },
      ],
    ] as Record<string, string>[][]) {
      for (const params of [existing, missing]) {
        const r = await query(world.local, 'iam', params, world.userKey);
        expect([r.status, xmlValue(r.text, 'Code')], JSON.stringify(params)).toEqual([403, 'AccessDenied']);
      }
      const admin = await query(world.local, 'iam', missing);
      expect([admin.status, xmlValue(admin.text, 'Code')]).toEqual([404, 'NoSuchEntity']);
    }
    for (const name of ['echo', 'no-such-function']) {
      expect(await sdkOutcome(lambda(session).send(new GetFunctionCommand({ FunctionName: name })))).toBe('403 AccessDeniedException');
      expect(await sdkOutcome(lambda(session).send(new InvokeCommand({ FunctionName: name })))).toBe('403 AccessDeniedException');
    }
    expect(await sdkOutcome(lambda().send(new GetFunctionCommand({ FunctionName: 'no-such-function' })))).toBe(
      '404 ResourceNotFoundException',
    );
    expect((await logs(world.local, 'CreateLogGroup', { logGroupName: '/aws/lambda/echo' })).status).toBe(200);
    for (const name of ['/aws/lambda/echo', '/aws/lambda/no-such-group']) {
      const r = await logs(world.local, 'PutRetentionPolicy', { logGroupName: name, retentionInDays: 7 }, session);
      expect([r.status, JSON.parse(r.text).__type], name).toEqual([403, 'AccessDeniedException']);
    }
    expect(
      JSON.parse((await logs(world.local, 'PutRetentionPolicy', { logGroupName: '/aws/lambda/no-such-group', retentionInDays: 7 })).text)
        .__type,
    ).toBe('ResourceNotFoundException');
    expect(JSON.parse((await logs(world.local, 'GetLogEvents', { logGroupName: '/aws/lambda/echo' }, session)).text).__type).toBe(
      'AccessDeniedException',
    );
    expect(JSON.parse((await logs(world.local, 'GetLogEvents', { logGroupName: '/aws/lambda/echo' })).text).__type).toBe(
      'UnknownOperationException',
    );
    expect(await sdkOutcome(lambda().send(new InvokeCommand({ FunctionName: 'no-such-function' })))).toBe('404 ResourceNotFoundException');
  });

  it('an operation the stand-in does not emulate is AccessDenied for a caller without the right; only the admin learns it is not emulated', async () => {
    // IAM's model has no AccessDenied shape: the SDK names the error by its code.
    expect(await sdkOutcome(iam(world.userKey).send(new ListGroupsCommand({})))).toBe('403 AccessDenied');
    expect(await sdkOutcome(iam(world.userKey).send(new ListUsersCommand({})))).toBe('403 AccessDenied');
    const zip = new TextEncoder().encode('not a zip');
    expect(await sdkOutcome(lambda(session).send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zip })))).toBe(
      '403 AccessDeniedException',
    );
    expect(await sdkOutcome(lambda(session).send(new ListAliasesCommand({ FunctionName: 'echo' })))).toBe('403 AccessDeniedException');
    expect(await sdkOutcome(lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zip })))).toBe(
      '400 UnknownOperationException',
    );
    const admin = await query(world.local, 'iam', { Action: 'ListGroups' });
    expect([admin.status, xmlValue(admin.text, 'Code')]).toEqual([400, 'InvalidAction']);
    const sts = await query(world.local, 'sts', { Action: 'GetFederationToken', Name: 'x' }, session);
    expect([sts.status, xmlValue(sts.text, 'Code')]).toEqual([403, 'AccessDenied']);
    // A name no AWS service has is not an operation at all: InvalidAction for everyone.
    const bogus = await query(world.local, 'iam', { Action: 'NoSuchOperationAnywhere' }, world.userKey);
    expect([bogus.status, xmlValue(bogus.text, 'Code')]).toEqual([400, 'InvalidAction']);
  });
});
