import { createHash } from 'node:crypto';
import { createDeflateRaw } from 'node:zlib';
import {
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionUrlConfigsCommand,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import type { AwsCredentialIdentity } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { zipFiles, zipOfDeflated } from '../constructs/zip-writer';
import type { Principal } from '../local-aws/authorization';
import { resourcePolicyOf } from '../local-aws/lambda-api';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';
import { dictionary } from '../local-aws/world-state';
import {
  type SeededWorld,
  callApi,
  createFunctionCall,
  deployFunction,
  invokeSeededUrl,
  sdkConfig,
  sdkOutcome,
  seedWorld,
  userWithKey,
} from './support/local-aws-fixtures';
import { useSeededSession } from './support/seeded-world-hooks';

/**
 * Lambda's control plane and Invoke API (local-aws/lambda-api.ts, lambda-invoke-api.ts): functions,
 * URL configurations and function policies as the AWS SDK and the hashicorp/aws provider use them.
 */

let world: SeededWorld;
let session: AwsCredentialIdentity;

useSeededSession('emulation', (seeded) => {
  ({ world, session } = seeded);
});

const account = () => world.local.world.accountId;
const clientConfig = (credentials: AwsCredentialIdentity) => sdkConfig(world.local, credentials);
const lambda = (credentials: AwsCredentialIdentity = DEFAULT_ADMIN_KEY) => new LambdaClient(clientConfig(credentials));

const callUrl = (name: string, credentials: AwsCredentialIdentity) => invokeSeededUrl(world, name, credentials);

describe('the Lambda Invoke API', () => {
  const payload = new TextEncoder().encode(JSON.stringify({ queryStringParameters: { mode: 'bare' } }));

  it("refuses the role's session (the URL-only permission) and answers the admin with the function's result", async () => {
    expect((await callUrl('echo', session)).status).toBe(200);
    expect(await sdkOutcome(lambda(session).send(new InvokeCommand({ FunctionName: 'echo', Payload: payload })))).toBe(
      '403 AccessDeniedException',
    );
    const answer = await lambda().send(new InvokeCommand({ FunctionName: 'contract', Payload: payload }));
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toEqual({ hello: 'world', n: 1 });
  });

  it("reports a handler's error as Lambda does (200 with X-Amz-Function-Error), accepts DryRun and refuses Event loudly", async () => {
    const failed = await lambda().send(
      new InvokeCommand({
        FunctionName: 'contract',
        Payload: new TextEncoder().encode(JSON.stringify({ queryStringParameters: { mode: 'throw' } })),
      }),
    );
    expect([failed.StatusCode, failed.FunctionError]).toEqual([200, 'Unhandled']);
    expect(JSON.parse(new TextDecoder().decode(failed.Payload)).errorMessage).toBe('boom');
    const dryRun = await lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(dryRun.StatusCode).toBe(204);
    expect(await sdkOutcome(lambda(session).send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' })))).toBe(
      '403 AccessDeniedException',
    );
    expect(await sdkOutcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event' })))).toBe(
      '400 InvalidParameterValueException',
    );
    expect(
      await sdkOutcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Payload: new TextEncoder().encode('{not json') }))),
    ).toBe('400 InvalidRequestContentException');
    expect(await sdkOutcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'no such' })))).toBe(
      '400 InvalidParameterValueException',
    );
    expect(await sdkOutcome(lambda().send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'missing-alias' })))).toBe(
      '404 ResourceNotFoundException',
    );
  });

  it('a principal named in the function policy with InvokedViaFunctionUrl may call the URL but not the Invoke API', async () => {
    const key = await userWithKey(world.local, 'url-only');
    const principal = `arn:aws:iam::${account()}:user/url-only`;
    const addPermission = (body: Record<string, unknown>) =>
      callApi(world.local, 'lambda', {
        path: '/2015-03-31/functions/other/policy',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Principal: principal, ...body }),
      });
    expect((await callUrl('other', key)).status).toBe(403);
    expect((await addPermission({ StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'AWS_IAM' })).status).toBe(
      201,
    );
    const added = await addPermission({ StatementId: 'via-url', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true });
    expect(added.status).toBe(201);
    expect(JSON.parse(JSON.parse(added.text).Statement).Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } });

    const policy = JSON.parse(
      JSON.parse((await callApi(world.local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/other/policy' })).text).Policy,
    );
    expect(policy.Statement.find((s: { Sid: string }) => s.Sid === 'via-url')).toEqual({
      Sid: 'via-url',
      Effect: 'Allow',
      Principal: { AWS: principal },
      Action: 'lambda:InvokeFunction',
      Resource: `arn:aws:lambda:us-east-1:${account()}:function:other`,
      Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
    });
    expect((await callUrl('other', key)).status).toBe(200);
    expect(await sdkOutcome(lambda(key).send(new InvokeCommand({ FunctionName: 'other' })))).toBe('403 AccessDeniedException');
  });

  it('cross-account: a partner account given the URL pair in the function policy may use the URL, not the Invoke API', async () => {
    // The stand-in holds one account, so the partner's principal is built here and decided with
    // the same calls the URL and the Invoke API make, against the policy AddPermission rendered.
    for (const body of [
      { StatementId: 'partner-url', Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'AWS_IAM' },
      { StatementId: 'partner-invoke', Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true },
    ]) {
      const r = await callApi(world.local, 'lambda', {
        path: '/2015-03-31/functions/contract/policy',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Principal: '210987654321', ...body }),
      });
      expect(r.status).toBe(201);
    }
    const arn = 'arn:aws:iam::210987654321:user/partner';
    const partner: Principal = {
      kind: 'user',
      arn,
      accessKeyId: 'AKIAPARTNER000000000',
      user: {
        name: 'partner',
        path: '/',
        arn,
        userId: 'AIDAPARTNER',
        createDate: '2026-01-01T00:00:00Z',
        tags: [],
        inlinePolicies: dictionary({
          all: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }),
        }),
        attachedPolicies: [],
      },
    };
    const fn = world.local.world.state.functions.contract;
    const policy = resourcePolicyOf(fn);
    const decide = (action: string, context: Record<string, string>, resourcePolicy = policy) =>
      world.local.authorizer.decide(partner, action, fn.arn, context, resourcePolicy);
    expect(await decide('lambda:InvokeFunctionUrl', { 'lambda:FunctionUrlAuthType': 'AWS_IAM' })).toBe('Allowed');
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'true' })).toBe('Allowed');
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'false' })).toBe('ImplicitlyDenied');
    // It is the Bool condition that refuses: the same grant without it lets the Invoke API through.
    const unconditioned = JSON.parse(policy!);
    for (const statement of unconditioned.Statement) if (statement.Sid === 'partner-invoke') delete statement.Condition;
    expect(await decide('lambda:InvokeFunction', { 'lambda:InvokedViaFunctionUrl': 'false' }, JSON.stringify(unconditioned))).toBe(
      'Allowed',
    );
  });

  it('refuses each URL condition on an action it does not belong to (InvalidParameterValueException)', async () => {
    const add = (body: Record<string, unknown>) =>
      callApi(world.local, 'lambda', {
        path: '/2015-03-31/functions/other/policy',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Principal: account(), ...body }),
      });
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

describe('the read operations tools call first', () => {
  it('ListFunctions and ListFunctionUrlConfigs answer the admin through the SDK, and not a session without the right', async () => {
    const functions = await lambda().send(new ListFunctionsCommand({}));
    expect(functions.Functions?.map((f) => f.FunctionName).sort()).toEqual(expect.arrayContaining(['contract', 'echo', 'open', 'other']));
    const urls = await lambda().send(new ListFunctionUrlConfigsCommand({ FunctionName: 'echo' }));
    expect(urls.FunctionUrlConfigs?.map((u) => [u.FunctionUrl, u.AuthType])).toEqual([[world.urls.echo, 'AWS_IAM']]);
    expect(await sdkOutcome(lambda(session).send(new ListFunctionsCommand({})))).toBe('403 AccessDeniedException');
  });
});

describe('functions', () => {
  it('a failed create leaves nothing behind', async () => {
    const badZip = await createFunctionCall(world.local, 'broken', {
      Role: `arn:aws:iam::${account()}:role/exec`,
      Code: { ZipFile: Buffer.from('not a zip').toString('base64') },
    });
    expect([badZip.status, badZip.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterValueException']);
    expect(world.local.world.state.functions.broken).toBeUndefined();
    const noRole = await createFunctionCall(world.local, 'orphan', { Role: `arn:aws:iam::${account()}:role/none` });
    expect(JSON.parse(noRole.text).message).toMatch(/cannot be assumed/);
    expect(world.local.world.state.functions.orphan).toBeUndefined();
  });

  it('a second URL for the same function is a ResourceConflictException', async () => {
    const urlAgain = await callApi(world.local, 'lambda', {
      path: '/2021-10-31/functions/echo/url',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ AuthType: 'AWS_IAM' }),
    });
    expect([urlAgain.status, urlAgain.headers.get('x-amzn-errortype')]).toEqual([409, 'ResourceConflictException']);
  });

  it('CreateFunction named constructor is created, not "already exists"', async () => {
    await deployFunction(world.local, 'constructor', 'export const handler = async () => ({ statusCode: 200, body: "ctor" });');
    const fn = await callApi(world.local, 'lambda', { method: 'GET', path: '/2015-03-31/functions/constructor' });
    expect(fn.status).toBe(200);
  });

  it.each([
    ['a malformed percent-encoding in a function name', 'GET', '/2015-03-31/functions/%E0%A4%A/configuration', undefined],
    ['a truncated escape in a function name', 'GET', '/2015-03-31/functions/echo%2/configuration', undefined],
    ['a malformed percent-encoding in a statement id', 'DELETE', '/2015-03-31/functions/echo/policy/%ZZ', undefined],
    ['a malformed percent-encoding in a tags ARN', 'GET', '/2017-03-31/tags/%E0%A4%A', undefined],
  ])('%s', async (_, method, path, body) => {
    const r = await callApi(world.local, 'lambda', { method, path, body });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
  });

  it("named by the ARN of another region or account, is not this account's function of the same name (Invoke, GetFunction, DeleteFunction)", async () => {
    const name = Object.keys(world.urls)[0];
    const local = `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
    for (const foreign of [
      `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
      `arn:aws:lambda:us-east-1:999999999999:function:${name}`,
    ]) {
      const invoked = await callApi(world.local, 'lambda', {
        path: `/2015-03-31/functions/${encodeURIComponent(foreign)}/invocations`,
        body: '{}',
      });
      expect(invoked.status, invoked.text).toBe(404);
      expect(invoked.text).toContain(foreign);
      const got = await callApi(world.local, 'lambda', { method: 'GET', path: `/2015-03-31/functions/${encodeURIComponent(foreign)}` });
      expect(got.status, got.text).toBe(404);
      const deleted = await callApi(world.local, 'lambda', {
        method: 'DELETE',
        path: `/2015-03-31/functions/${encodeURIComponent(foreign)}`,
      });
      expect(deleted.status, deleted.text).toBe(404);
    }
    expect(
      (await callApi(world.local, 'lambda', { path: `/2015-03-31/functions/${encodeURIComponent(local)}/invocations`, body: '{}' })).status,
    ).toBe(200);
    expect(world.local.world.state.functions[name]).toBeDefined();
  });

  it('environment variables are refused as Lambda refuses them (reserved keys, bad names, non-strings, over 4 KB); nothing is created', async () => {
    const create = (name: string, Environment: unknown) => createFunctionCall(world.local, name, { Environment });
    const refused: [unknown, RegExp][] = [
      [{ Variables: { AWS_ACCESS_KEY_ID: 'AKIAFAKE' } }, /reserved keys.*AWS_ACCESS_KEY_ID/],
      [{ Variables: { AWS_REGION: 'eu-west-1' } }, /reserved keys.*AWS_REGION/],
      [{ Variables: { 'NOT-A-NAME': 'x' } }, /regular expression pattern/],
      [{ Variables: { _PRIVATE: 'x' } }, /regular expression pattern/],
      [{ Variables: { COUNT: 3 } }, /must be a string/],
      [{ Variables: 'A=1' }, /map of names/],
      [{ Variables: { BIG: 'x'.repeat(4100) } }, /4KB/],
    ];
    for (const [environment, message] of refused) {
      const r = await create('env-check', environment);
      expect(r.status, `${JSON.stringify(environment).slice(0, 60)}: ${r.text}`).toBe(400);
      expect(r.text).toMatch(message);
      expect(world.local.world.state.functions['env-check']).toBeUndefined();
    }
    const ok = await create('env-check', { Variables: { GREETING: 'hi', NODE_OPTIONS: '--enable-source-maps' } });
    expect(ok.status, ok.text).toBe(201);
    await callApi(world.local, 'lambda', { method: 'DELETE', path: '/2015-03-31/functions/env-check' });
  });
});

describe("GetFunction's Code.Location: a presigned, expiring download of the zip (as S3's)", () => {
  it('downloads the deployed zip (its hash is CodeSha256); a changed signature is refused', async () => {
    const answer = await lambda().send(new GetFunctionCommand({ FunctionName: 'echo' }));
    const location = answer.Code?.Location ?? '';
    expect(location).toMatch(/X-Amz-Expires=600&X-Amz-Signature=[0-9a-f]{64}$/);
    const zip = await fetch(location);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    const bytes = Buffer.from(await zip.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('base64')).toBe(answer.Configuration?.CodeSha256);
    const forged = location.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    expect((await fetch(forged)).status).toBe(403);
    expect((await fetch(location.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000'))).status).toBe(403);
    const missing = await fetch(location.replace('/echo?', '/no-such-function?'));
    expect(missing.status).toBe(404);
  });

  it("is good for that function's code only: not for another function, nor once the code was replaced", async () => {
    const location = async (name: string) => (await lambda().send(new GetFunctionCommand({ FunctionName: name }))).Code?.Location ?? '';
    const echo = await location('echo');
    const other = await fetch(echo.replace('/echo?', '/contract?'));
    expect([other.status, await other.text()]).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);
    const code = (body: string) => ({ Code: { ZipFile: zipFiles({ 'index.mjs': body }).toString('base64') } });
    expect((await createFunctionCall(world.local, 'replaced', code('export const handler = async () => 1;'))).status).toBe(201);
    const before = await location('replaced');
    expect((await fetch(before)).status).toBe(200);
    expect((await callApi(world.local, 'lambda', { method: 'DELETE', path: '/2015-03-31/functions/replaced' })).status).toBe(204);
    expect((await fetch(before)).status).toBe(404);
    expect((await createFunctionCall(world.local, 'replaced', code('export const handler = async () => 2;'))).status).toBe(201);
    const stale = await fetch(before);
    expect([stale.status, await stale.text()]).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);
    expect((await fetch(await location('replaced'))).status).toBe(200);
  });

  it('expires after 10 minutes', async () => {
    let offsetMs = 0;
    const clocked = await seedWorld({ now: () => new Date(Date.now() + offsetMs) });
    try {
      const answer = await new LambdaClient(sdkConfig(clocked.local, DEFAULT_ADMIN_KEY)).send(
        new GetFunctionCommand({ FunctionName: 'echo' }),
      );
      const location = answer.Code?.Location ?? '';
      expect((await fetch(location)).status).toBe(200);
      offsetMs = 11 * 60 * 1000;
      const expired = await fetch(location);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('<Message>Request has expired</Message>');
    } finally {
      await clocked.local.close();
    }
  });
});

describe("Lambda's unzipped size limit is checked while inflating", () => {
  /** `size` bytes of zeros, deflated in a stream (the test never holds them either). */
  async function deflatedZeros(size: number): Promise<Buffer> {
    const deflate = createDeflateRaw({ level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => deflate.on('end', resolve));
    const block = Buffer.alloc(1024 * 1024);
    for (let written = 0; written < size; written += block.length) {
      if (!deflate.write(block)) await new Promise((resolve) => deflate.once('drain', resolve));
    }
    deflate.end();
    await done;
    return Buffer.concat(chunks);
  }

  it('a package declaring 300 MB unzipped is refused with AWS message; one that lies about its size is refused without inflating it', async () => {
    const admin = DEFAULT_ADMIN_KEY;
    const bomb = await deflatedZeros(300 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const create = (name: string, zip: Buffer) =>
      createFunctionCall(
        world.local,
        name,
        { Role: `arn:aws:iam::${world.local.world.accountId}:role/exec`, Code: { ZipFile: zip.toString('base64') } },
        admin,
      );
    const honest = await create('honest-bomb', zipOfDeflated([{ name: 'index.mjs', deflated: bomb, size: 300 * 1024 * 1024 }]));
    expect([honest.status, honest.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterValueException']);
    expect(JSON.parse(honest.text).message).toBe('Unzipped size must be smaller than 262144000 bytes');
    const before = process.memoryUsage().rss;
    const liar = await create('lying-bomb', zipOfDeflated([{ name: 'index.mjs', deflated: bomb, size: 1024 }]));
    expect([liar.status, liar.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterValueException']);
    expect(JSON.parse(liar.text).message).toMatch(/inflates to more than its declared 1024 bytes/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(world.local.world.state.functions['honest-bomb']).toBeUndefined();
    expect(world.local.world.state.functions['lying-bomb']).toBeUndefined();
  });
});
