import { GetFunctionCommand, InvokeCommand, LambdaClient, ListAliasesCommand, ListFunctionUrlConfigsCommand, ListFunctionsCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { GetUserCommand, IAMClient, ListGroupsCommand, ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import type { Principal } from '../local-aws/authorization';
import { resourcePolicyOf } from '../local-aws/lambda-api';
import { dictionary } from '../local-aws/world-state';
import { SeededWorld, callApi, query, seedWorld, xmlValue } from './support/local-aws-fixtures';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';

/**
 * The emulation gaps of issue 8 (part B), each shown with a real AWS SDK client or the wire
 * format such a client sends: the Invoke API and the URL-only permission, authorization before
 * lookup, the read operations tools call first, and AssumeRole's session policies, tags and
 * source identity.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

const account = () => world.local.world.accountId;
const clientConfig = (credentials: AwsCredentialIdentity) => ({ endpoint: world.local.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const lambda = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new LambdaClient(clientConfig(credentials));
const iam = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new IAMClient(clientConfig(credentials));

async function assumeRole(params: Record<string, string> = {}, credentials: AwsCredentialIdentity = world.userKey, roleArn = world.roleArn) {
  // The seeded role wants its external ID; the roles a test creates do not.
  const externalId: Record<string, string> = roleArn === world.roleArn ? { ExternalId: world.externalId } : {};
  const r = await query(world.local, 'sts', { Action: 'AssumeRole', RoleArn: roleArn, RoleSessionName: 'emulation', ...externalId, ...params }, credentials);
  const credentialsOf = () => ({ accessKeyId: xmlValue(r.text, 'AccessKeyId'), secretAccessKey: xmlValue(r.text, 'SecretAccessKey'), sessionToken: xmlValue(r.text, 'SessionToken') });
  return { ...r, credentials: credentialsOf };
}

/** The error name and HTTP status a v3 SDK client reports, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.$metadata?.httpStatusCode} ${e.name}`;
  }
}

const callUrl = (name: string, credentials: AwsCredentialIdentity) => new FunctionUrlClient({ url: world.urls[name], region: 'us-east-1', credentials: { getCredentials: async () => credentials }, retries: 0 }).invoke();

beforeAll(async () => {
  world = await seedWorld();
  session = (await assumeRole()).credentials();
});
afterAll(async () => {
  await world.local.close();
});

describe('the Lambda Invoke API', () => {
  const payload = new TextEncoder().encode(JSON.stringify({ queryStringParameters: { mode: 'bare' } }));

  it("refuses the role's session (the URL-only permission) and answers the admin with the function's result", async () => {
    expect((await callUrl('echo', session)).status).toBe(200);
    expect(await outcome(lambda(session).send(new InvokeCommand({ FunctionName: 'echo', Payload: payload })))).toBe('403 AccessDeniedException');
    const answer = await lambda().send(new InvokeCommand({ FunctionName: 'contract', Payload: payload }));
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toEqual({ hello: 'world', n: 1 });
  });

  it("reports a handler's error as Lambda does (200 with X-Amz-Function-Error), accepts DryRun and refuses Event loudly", async () => {
    const failed = await lambda().send(new InvokeCommand({ FunctionName: 'contract', Payload: new TextEncoder().encode(JSON.stringify({ queryStringParameters: { mode: 'throw' } })) }));
    expect([failed.StatusCode, failed.FunctionError]).toEqual([200, 'Unhandled']);
    expect(JSON.parse(new TextDecoder().decode(failed.Payload)).errorMessage).toBe('boom');
    const dryRun = await lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(dryRun.StatusCode).toBe(204);
    expect(await outcome(lambda(session).send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' })))).toBe('403 AccessDeniedException');
    expect(await outcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event' })))).toBe('400 InvalidParameterValueException');
    expect(await outcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{not json') })))).toBe('400 InvalidRequestContentException');
    expect(await outcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'no such' })))).toBe('400 InvalidParameterValueException');
    expect(await outcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'missing-alias' })))).toBe('404 ResourceNotFoundException');
  });

  it('a principal named in the function policy with InvokedViaFunctionUrl may call the URL but not the Invoke API', async () => {
    await query(world.local, 'iam', { Action: 'CreateUser', UserName: 'url-only' });
    const keyXml = (await query(world.local, 'iam', { Action: 'CreateAccessKey', UserName: 'url-only' })).text;
    const key = { accessKeyId: xmlValue(keyXml, 'AccessKeyId'), secretAccessKey: xmlValue(keyXml, 'SecretAccessKey') };
    const principal = `arn:aws:iam::${account()}:user/url-only`;
    const addPermission = (body: Record<string, unknown>) =>
      callApi(world.local, 'lambda', { path: '/2015-03-31/functions/other/policy', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Principal: principal, ...body }) });
    expect((await callUrl('other', key)).status).toBe(403);
    expect((await addPermission({ StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'AWS_IAM' })).status).toBe(201);
    const added = await addPermission({ StatementId: 'via-url', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true });
    expect(added.status).toBe(201);
    expect(JSON.parse(JSON.parse(added.text).Statement).Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } });

    const policy = JSON.parse(JSON.parse((await callApi(world.local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/other/policy' })).text).Policy);
    expect(policy.Statement.find((s: { Sid: string }) => s.Sid === 'via-url')).toEqual({
      Sid: 'via-url', Effect: 'Allow', Principal: { AWS: principal }, Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:us-east-1:${account()}:function:other`, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    });
    expect((await callUrl('other', key)).status).toBe(200);
    expect(await outcome(lambda(key).send(new InvokeCommand({ FunctionName: 'other' })))).toBe('403 AccessDeniedException');
  });

  it('cross-account: a partner account given the URL pair in the function policy may use the URL, not the Invoke API', async () => {
    // The stand-in holds one account, so the partner's principal is built here and decided with
    // the same calls the URL and the Invoke API make, against the policy AddPermission rendered.
    for (const body of [
      { StatementId: 'partner-url', Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'AWS_IAM' },
      { StatementId: 'partner-invoke', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true },
    ]) {
      const r = await callApi(world.local, 'lambda', { path: '/2015-03-31/functions/contract/policy', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Principal: '210987654321', ...body }) });
      expect(r.status).toBe(201);
    }
    const arn = 'arn:aws:iam::210987654321:user/partner';
    const partner: Principal = {
      kind: 'user', arn, accessKeyId: 'AKIAPARTNER000000000',
      user: { name: 'partner', path: '/', arn, userId: 'AIDAPARTNER', createDate: '2026-01-01T00:00:00Z', tags: [], inlinePolicies: dictionary({ all: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }) }), attachedPolicies: [] },
    };
    const fn = world.local.world.state.functions.contract;
    const policy = resourcePolicyOf(fn);
    const decide = (action: string, context: Record<string, string>, resourcePolicy = policy) => world.local.authorizer.decide(partner, action, fn.arn, context, resourcePolicy);
    expect(await decide('lambda:InvokeFunctionUrl', { 'lambda:FunctionUrlAuthType': 'AWS_IAM' })).toBe('Allowed');
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'true' })).toBe('Allowed');
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'false' })).toBe('ImplicitlyDenied');
    // It is the Bool condition that refuses: the same grant without it lets the Invoke API through.
    const unconditioned = JSON.parse(policy!);
    for (const statement of unconditioned.Statement) if (statement.Sid === 'partner-invoke') delete statement.Condition;
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'false' }, JSON.stringify(unconditioned))).toBe('Allowed');
  });

  it('refuses each URL condition on an action it does not belong to (InvalidParameterValueException)', async () => {
    const add = (body: Record<string, unknown>) => callApi(world.local, 'lambda', { path: '/2015-03-31/functions/other/policy', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Principal: account(), ...body }) });
    for (const body of [
      { StatementId: 'auth-type-on-invoke', Action: 'lambda:InvokeFunction', FunctionUrlAuthType: 'AWS_IAM' },
      { StatementId: 'via-url-on-url', Action: 'lambda:InvokeFunctionUrl', InvokedViaFunctionUrl: true },
      { StatementId: 'via-url-not-bool', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: 'yes' },
    ]) {
      const r = await add(body);
      expect([r.status, r.headers.get('x-amzn-errortype')], body.StatementId).toEqual([400, 'InvalidParameterValueException']);
    }
  });
});

describe('authorization comes first', () => {
  it('a caller without rights gets AccessDenied for a missing user, role or function exactly as for an existing one', async () => {
    for (const [existing, missing] of [
      [{ Action: 'GetUser', UserName: 'lambda_invoker' }, { Action: 'GetUser', UserName: 'nobody' }],
      [{ Action: 'GetRole', RoleName: 'function_invoker' }, { Action: 'GetRole', RoleName: 'no_role' }],
      [{ Action: 'ListAttachedRolePolicies', RoleName: 'function_invoker' }, { Action: 'ListAttachedRolePolicies', RoleName: 'no_role' }],
      [{ Action: 'DeleteUser', UserName: 'lambda_invoker' }, { Action: 'DeleteUser', UserName: 'nobody' }],
    ] as Record<string, string>[][]) {
      for (const params of [existing, missing]) {
        const r = await query(world.local, 'iam', params, world.userKey);
        expect([r.status, xmlValue(r.text, 'Code')], JSON.stringify(params)).toEqual([403, 'AccessDenied']);
      }
      const admin = await query(world.local, 'iam', missing);
      expect([admin.status, xmlValue(admin.text, 'Code')]).toEqual([404, 'NoSuchEntity']);
    }
    for (const name of ['echo', 'no-such-function']) {
      expect(await outcome(lambda(session).send(new GetFunctionCommand({ FunctionName: name })))).toBe('403 AccessDeniedException');
      expect(await outcome(lambda(session).send(new InvokeCommand({ FunctionName: name })))).toBe('403 AccessDeniedException');
    }
    expect(await outcome(lambda().send(new GetFunctionCommand({ FunctionName: 'no-such-function' })))).toBe('404 ResourceNotFoundException');
    const logs = (operation: string, input: unknown, credentials?: AwsCredentialIdentity) =>
      callApi(world.local, 'logs', { headers: { 'x-amz-target': `Logs_20140328.${operation}`, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(input) }, credentials);
    expect((await logs('CreateLogGroup', { logGroupName: '/aws/lambda/echo' })).status).toBe(200);
    for (const name of ['/aws/lambda/echo', '/aws/lambda/no-such-group']) {
      const r = await logs('PutRetentionPolicy', { logGroupName: name, retentionInDays: 7 }, session);
      expect([r.status, JSON.parse(r.text).__type], name).toEqual([403, 'AccessDeniedException']);
    }
    expect(JSON.parse((await logs('PutRetentionPolicy', { logGroupName: '/aws/lambda/no-such-group', retentionInDays: 7 })).text).__type).toBe('ResourceNotFoundException');
    expect(JSON.parse((await logs('GetLogEvents', { logGroupName: '/aws/lambda/echo' }, session)).text).__type).toBe('AccessDeniedException');
    expect(JSON.parse((await logs('GetLogEvents', { logGroupName: '/aws/lambda/echo' })).text).__type).toBe('UnknownOperationException');
    expect(await outcome(lambda().send(new InvokeCommand({ FunctionName: 'no-such-function' })))).toBe('404 ResourceNotFoundException');
  });

  it('an operation the stand-in does not emulate is AccessDenied for a caller without the right; only the admin learns it is not emulated', async () => {
    // IAM's model has no AccessDenied shape: the SDK names the error by its code.
    expect(await outcome(iam(world.userKey).send(new ListGroupsCommand({})))).toBe('403 AccessDenied');
    expect(await outcome(iam(world.userKey).send(new ListUsersCommand({})))).toBe('403 AccessDenied');
    const zip = new TextEncoder().encode('not a zip');
    expect(await outcome(lambda(session).send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zip })))).toBe('403 AccessDeniedException');
    expect(await outcome(lambda(session).send(new ListAliasesCommand({ FunctionName: 'echo' })))).toBe('403 AccessDeniedException');
    expect(await outcome(lambda().send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zip })))).toBe('400 UnknownOperationException');
    const admin = await query(world.local, 'iam', { Action: 'ListGroups' });
    expect([admin.status, xmlValue(admin.text, 'Code')]).toEqual([400, 'InvalidAction']);
    const sts = await query(world.local, 'sts', { Action: 'GetFederationToken', Name: 'x' }, session);
    expect([sts.status, xmlValue(sts.text, 'Code')]).toEqual([403, 'AccessDenied']);
    // A name no AWS service has is not an operation at all: InvalidAction for everyone.
    const bogus = await query(world.local, 'iam', { Action: 'NoSuchOperationAnywhere' }, world.userKey);
    expect([bogus.status, xmlValue(bogus.text, 'Code')]).toEqual([400, 'InvalidAction']);
  });
});

describe('the read operations tools call first', () => {
  it('ListUsers, ListRoles, ListFunctions and ListFunctionUrlConfigs answer the admin through the SDK', async () => {
    const users = await iam().send(new ListUsersCommand({}));
    expect(users.Users?.map((u) => u.UserName)).toContain('lambda_invoker');
    const roles = await iam().send(new ListRolesCommand({}));
    expect(roles.Roles?.map((r) => r.RoleName).sort()).toEqual(expect.arrayContaining(['exec', 'function_invoker']));
    expect(roles.Roles?.find((r) => r.RoleName === 'function_invoker')?.Arn).toBe(world.roleArn);
    const functions = await lambda().send(new ListFunctionsCommand({}));
    expect(functions.Functions?.map((f) => f.FunctionName).sort()).toEqual(expect.arrayContaining(['contract', 'echo', 'open', 'other']));
    const urls = await lambda().send(new ListFunctionUrlConfigsCommand({ FunctionName: 'echo' }));
    expect(urls.FunctionUrlConfigs?.map((u) => [u.FunctionUrl, u.AuthType])).toEqual([[world.urls.echo, 'AWS_IAM']]);
    expect(await outcome(lambda(session).send(new ListFunctionsCommand({})))).toBe('403 AccessDeniedException');
  });

  it('GetUser without a UserName resolves the caller: the user itself, or the root for the admin', async () => {
    await query(world.local, 'iam', { Action: 'PutUserPolicy', UserName: 'lambda_invoker', PolicyName: 'SelfRead', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${account()}:user/lambda_invoker` }] }) });
    try {
      const self = await iam(world.userKey).send(new GetUserCommand({}));
      expect(self.User?.Arn).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    } finally {
      await query(world.local, 'iam', { Action: 'DeleteUserPolicy', UserName: 'lambda_invoker', PolicyName: 'SelfRead' });
    }
    const root = await iam().send(new GetUserCommand({}));
    expect(root.User?.Arn).toBe(`arn:aws:iam::${account()}:root`);
    expect(root.User?.UserId).toBe(account());
  });

  it('GetSessionToken gives the user temporary credentials that act as the user, outside IAM and most of STS', async () => {
    const r = await query(world.local, 'sts', { Action: 'GetSessionToken', DurationSeconds: '900' }, world.userKey);
    expect(r.status, r.text).toBe(200);
    const temporary = { accessKeyId: xmlValue(r.text, 'AccessKeyId'), secretAccessKey: xmlValue(r.text, 'SecretAccessKey'), sessionToken: xmlValue(r.text, 'SessionToken') };
    expect(temporary.accessKeyId).toMatch(/^ASIA/);
    const identity = await new STSClient(clientConfig(temporary)).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:iam::${account()}:user/lambda_invoker`);
    // It carries the user's rights: AssumeRole of the function_invoker role works.
    const chained = await assumeRole({}, temporary);
    expect(chained.status, chained.text).toBe(200);
    const iamCall = await query(world.local, 'iam', { Action: 'GetUser', UserName: 'lambda_invoker' }, temporary);
    expect([iamCall.status, xmlValue(iamCall.text, 'Code')]).toEqual([403, 'AccessDenied']);
    for (const [params, credentials, code] of [
      [{}, temporary, 'AccessDenied'],
      [{}, session, 'AccessDenied'],
      [{ DurationSeconds: '129601' }, world.userKey, 'ValidationError'],
      [{ SerialNumber: 'arn:aws:iam::123456789012:mfa/x', TokenCode: '123456' }, world.userKey, 'InvalidParameterValue'],
    ] as const) {
      const refused = await query(world.local, 'sts', { Action: 'GetSessionToken', ...params }, credentials);
      expect(xmlValue(refused.text, 'Code'), JSON.stringify(params)).toBe(code);
    }
    const root = await query(world.local, 'sts', { Action: 'GetSessionToken', DurationSeconds: '7200' });
    expect(xmlValue(root.text, 'Message')).toMatch(/3600/);
  });

  it('GetCallerIdentity through the SDK client', async () => {
    const identity = await new STSClient(clientConfig(session)).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${account()}:assumed-role/function_invoker/emulation`);
  });
});

describe('AssumeRole session policies, tags and source identity', () => {
  // sts:ExternalId is a key of sts:AssumeRole only (the simulator sets it for no other action), so
  // the tagging rights get their own statement, as AWS's examples write them.
  const invoker = () => ({ AWS: `arn:aws:iam::${account()}:user/lambda_invoker` });
  const trustFor = (sessionActions: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: invoker(), Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': world.externalId } } },
        ...(sessionActions.length > 0 ? [{ Effect: 'Allow', Principal: invoker(), Action: sessionActions }] : []),
      ],
    });
  const setTrust = (sessionActions: string[]) => query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: trustFor(sessionActions) });

  it('PolicyArns scope the session down: a session limited to a read-only policy cannot call the URL', async () => {
    const readOnly = await query(world.local, 'iam', { Action: 'CreatePolicy', PolicyName: 'LambdaReadOnly', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' }] }) });
    const arn = xmlValue(readOnly.text, 'Arn');
    const scoped = await assumeRole({ 'PolicyArns.member.1.arn': arn });
    expect(scoped.status).toBe(200);
    expect((await callUrl('echo', scoped.credentials())).status).toBe(403);
    const invokePolicy = Object.keys(world.local.world.state.policies).find((p) => p.endsWith('/InvokeSingleLambdaPolicy'))!;
    const both = await assumeRole({ 'PolicyArns.member.1.arn': arn, 'PolicyArns.member.2.arn': invokePolicy });
    expect((await callUrl('echo', both.credentials())).status).toBe(200);
  });

  it('an unknown policy ARN is refused, and an AWS-managed one loudly (its document is not known here)', async () => {
    const unknown = await assumeRole({ 'PolicyArns.member.1.arn': `arn:aws:iam::${account()}:policy/NoSuchPolicy` });
    expect([unknown.status, xmlValue(unknown.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const managed = await assumeRole({ 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect([managed.status, xmlValue(managed.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    expect(xmlValue(managed.text, 'Message')).toMatch(/AWS-managed/);
    // Looked up after the trust policy: a caller it refuses learns nothing about which policies exist.
    const outsider = await assumeRole({ 'PolicyArns.member.1.arn': `arn:aws:iam::${account()}:policy/NoSuchPolicy` }, session);
    expect([outsider.status, xmlValue(outsider.text, 'Code')]).toEqual([403, 'AccessDenied']);
  });

  it('session tags need sts:TagSession and a source identity sts:SetSourceIdentity in the trust policy', async () => {
    const tagged = { 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' };
    try {
      const noTagSession = await assumeRole(tagged);
      expect([noTagSession.status, xmlValue(noTagSession.text, 'Code')]).toEqual([403, 'AccessDenied']);
      expect(xmlValue(noTagSession.text, 'Message')).toMatch(/sts:TagSession/);
      const noSetSource = await assumeRole({ SourceIdentity: 'alice' });
      expect([noSetSource.status, xmlValue(noSetSource.text, 'Message')]).toEqual([403, expect.stringMatching(/sts:SetSourceIdentity/)]);

      expect((await setTrust(['sts:TagSession', 'sts:SetSourceIdentity'])).status).toBe(200);
      const ok = await assumeRole({ ...tagged, SourceIdentity: 'alice' });
      expect(ok.status, ok.text).toBe(200);
      expect(xmlValue(ok.text, 'SourceIdentity')).toBe('alice');
      // The tags become aws:PrincipalTag/*, which a policy can test.
      await query(world.local, 'iam', { Action: 'PutRolePolicy', RoleName: 'function_invoker', PolicyName: 'DenyBlueTeam', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'lambda:InvokeFunctionUrl', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue', 'aws:SourceIdentity': 'alice' } } }] }) });
      expect((await callUrl('echo', ok.credentials())).status).toBe(403);
      expect((await callUrl('echo', (await assumeRole()).credentials())).status).toBe(200);
    } finally {
      await query(world.local, 'iam', { Action: 'DeleteRolePolicy', RoleName: 'function_invoker', PolicyName: 'DenyBlueTeam' });
      await setTrust([]);
    }
  });

  it('TagSession is decided on the tags requested: aws:TagKeys and aws:RequestTag/<key>', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: invoker(), Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': world.externalId } } },
        { Effect: 'Allow', Principal: invoker(), Action: 'sts:TagSession', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] }, StringEquals: { 'aws:RequestTag/team': 'blue' } } },
      ],
    });
    expect((await query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'function_invoker', PolicyDocument: trust })).status).toBe(200);
    try {
      expect((await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue' })).status).toBe(200);
      expect((await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'red' })).status).toBe(403);
      expect((await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue', 'Tags.member.2.Key': 'project', 'Tags.member.2.Value': 'x' })).status).toBe(403);
    } finally {
      await setTrust([]);
    }
  });

  it('along a role chain the source identity and transitive tags are kept, cannot be changed, and need the next trust policy too', async () => {
    const account_ = account();
    const trust = (principal: string, actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: actions }] });
    const all = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'];
    await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'chain-a', AssumeRolePolicyDocument: trust(`arn:aws:iam::${account_}:user/lambda_invoker`, all) });
    await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'chain-b', AssumeRolePolicyDocument: trust(`arn:aws:iam::${account_}:role/chain-a`, all) });
    await query(world.local, 'iam', { Action: 'PutRolePolicy', RoleName: 'chain-a', PolicyName: 'NextHop', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${account_}:role/chain-b` }] }) });
    await query(world.local, 'iam', { Action: 'PutUserPolicy', UserName: 'lambda_invoker', PolicyName: 'ChainStart', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${account_}:role/chain-a` }] }) });
    const chainB = `arn:aws:iam::${account_}:role/chain-b`;
    const first = await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue', 'TransitiveTagKeys.member.1': 'team', SourceIdentity: 'alice' }, world.userKey, `arn:aws:iam::${account_}:role/chain-a`);
    expect(first.status).toBe(200);
    const hop = first.credentials();
    const changed = await assumeRole({ SourceIdentity: 'bob' }, hop, chainB);
    expect([changed.status, xmlValue(changed.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const retagged = await assumeRole({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'red' }, hop, chainB);
    expect([retagged.status, xmlValue(retagged.text, 'Code')]).toEqual([400, 'InvalidParameterValue']);
    const second = await assumeRole({}, hop, chainB);
    expect(second.status).toBe(200);
    expect(xmlValue(second.text, 'SourceIdentity')).toBe('alice');
    const chained = world.local.world.state.sessions[xmlValue(second.text, 'AccessKeyId')];
    expect([chained.sourceIdentity, chained.tags]).toEqual(['alice', [{ Key: 'team', Value: 'blue' }]]);
    await query(world.local, 'iam', { Action: 'UpdateAssumeRolePolicy', RoleName: 'chain-b', PolicyDocument: trust(`arn:aws:iam::${account_}:role/chain-a`, ['sts:AssumeRole', 'sts:TagSession']) });
    const noSetSource = await assumeRole({}, hop, chainB);
    expect([noSetSource.status, xmlValue(noSetSource.text, 'Message')]).toEqual([403, expect.stringMatching(/sts:SetSourceIdentity/)]);
  });

  it('refuses malformed tags and source identities with the field named', async () => {
    for (const [params, field] of [
      [{ 'Tags.member.1.Key': 'bad key!', 'Tags.member.1.Value': 'x' }, /tags\.1\.member\.key/],
      [{ SourceIdentity: 'x' }, /sourceIdentity/],
      [{ 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': 'x', 'Tags.member.2.Key': 'A', 'Tags.member.2.Value': 'y' }, /case insensitive/],
      [{ 'TransitiveTagKeys.member.1': 'missing' }, /transitive/],
    ] as const) {
      const r = await assumeRole(params);
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(xmlValue(r.text, 'Message')).toMatch(field);
    }
  });
});
