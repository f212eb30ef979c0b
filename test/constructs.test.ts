import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { FunctionInvokerRole, IamFunctionUrl, InvokeMode, InvokerUser, ProtectedFunctionUrl } from '../constructs';
import { ACCOUNT, synthDemo, synthStack } from './support/synthesized-stack';

const FN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:url-iam-demo`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/function_invoker`;
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`;

describe('the demo stack', () => {
  const stack = synthDemo();

  it('creates exactly the resources of the design: function, logs, URL, role, policy, attachment, user, key, user policy', () => {
    const counts = Object.fromEntries(Object.entries(stack.json.resource).map(([type, byId]) => [type, Object.keys(byId as object).length]));
    expect(counts).toEqual({
      aws_cloudwatch_log_group: 1,
      aws_iam_access_key: 1,
      aws_iam_policy: 1,
      aws_iam_role: 2,
      aws_iam_role_policy: 1,
      aws_iam_role_policy_attachment: 1,
      aws_iam_user: 1,
      aws_iam_user_policy: 1,
      aws_lambda_function: 1,
      aws_lambda_function_url: 1,
    });
  });

  it('makes the function URL AWS_IAM, buffered, for the demo function', () => {
    const url = stack.only('aws_lambda_function_url');
    expect(url.authorization_type).toBe('AWS_IAM');
    expect(url.invoke_mode).toBe('BUFFERED');
    expect(url.function_name).toBe('${aws_lambda_function.Function.function_name}');
    expect(url.qualifier).toBeUndefined();
  });

  it('names the role, policy and user as the original design did', () => {
    const role = stack.resources('aws_iam_role');
    const invokerRole = Object.values(role).find((r) => r.name === 'function_invoker');
    expect(invokerRole).toMatchObject({ path: '/', max_session_duration: 3600 });
    expect(stack.only('aws_iam_policy').name).toBe('InvokeSingleLambdaPolicy');
    expect(stack.only('aws_iam_user').name).toBe('lambda_invoker');
  });

  it('writes the invoke policy as the two statements AWS requires, on the function ARN only', () => {
    const policy = stack.policy(stack.only('aws_iam_policy').policy);
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'InvokeFunctionUrl', Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: FN_ARN, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } },
        { Sid: 'InvokeFunctionViaUrl', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: FN_ARN, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } },
      ],
    });
  });

  it('lets only the invoker user assume the role, and the user do nothing but that', () => {
    const role = Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'function_invoker')!;
    expect(stack.policy(role.assume_role_policy).Statement).toEqual([
      { Sid: 'AllowTrustedPrincipalsToAssume', Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole' },
    ]);
    expect(stack.policy(stack.only('aws_iam_user_policy').policy).Statement).toEqual([
      { Sid: 'AssumeFunctionInvokerRoleOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN },
    ]);
  });

  // The simulator reads these policies by name; that they sit on the invoker user (and its key
  // belongs to it) is what makes "the key may only assume the role" true in AWS.
  it("puts the assume-role policy and the access key on the invoker user itself", () => {
    const userRef = (attribute: string) => new RegExp(`^\\$\\{aws_iam_user\\.ProtectedUrl_InvokerUser_[A-F0-9]+\\.${attribute}\\}$`);
    expect(stack.only('aws_iam_user_policy').user).toMatch(userRef('name'));
    expect(stack.only('aws_iam_access_key').user).toMatch(userRef('name'));
    expect(JSON.parse(Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'function_invoker')!.assume_role_policy).Statement[0].Principal.AWS).toMatch(userRef('arn'));
  });

  it('attaches the invoke policy to the invoker role', () => {
    const attachment = stack.only('aws_iam_role_policy_attachment');
    expect(attachment.role).toMatch(/^\$\{aws_iam_role\.ProtectedUrl_InvokerRole_[A-F0-9]+\.name\}$/);
    expect(attachment.policy_arn).toMatch(/^\$\{aws_iam_policy\.ProtectedUrl_InvokerRole_InvokePolicy_[A-F0-9]+\.arn\}$/);
  });

  it('gives the function an execution role that may only write its own log group, which has a retention', () => {
    const execRole = Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'url-iam-demo-execution')!;
    expect(stack.policy(execRole.assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(stack.policy(stack.only('aws_iam_role_policy').policy).Statement).toEqual([
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/url-iam-demo:*` },
    ]);
    expect(stack.only('aws_cloudwatch_log_group')).toMatchObject({ name: '/aws/lambda/url-iam-demo', retention_in_days: 14 });
    const fn = stack.only('aws_lambda_function');
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler', depends_on: ['aws_cloudwatch_log_group.LogGroup'] });
    expect(fn.filename).toMatch(/^assets\/HandlerCode\/[A-F0-9]+\/archive\.zip$/);
  });

  it('declares the outputs the client reads, with the secret marked sensitive', () => {
    const outputs = stack.outputsOf(['lambda-url-iam-demo', 'ProtectedUrl']);
    expect(Object.keys(outputs).sort()).toEqual(
      ['function_arn', 'function_url', 'invoker_access_key_id', 'invoker_role_arn', 'invoker_secret_access_key', 'invoker_user_name', 'max_session_duration', 'region'].sort(),
    );
    expect(outputs.invoker_secret_access_key).toMatchObject({ sensitive: true, value: expect.stringMatching(/aws_iam_access_key\..+\.secret\}$/) });
    for (const [name, output] of Object.entries(outputs)) if (name !== 'invoker_secret_access_key') expect(output.sensitive, name).toBe(false);
    expect(outputs.region.value).toBe('${element(split(":", aws_lambda_function.Function.arn), 3)}');
  });

  it('applies the settings given in the environment: prefix, external ID, session length, region, runtime', () => {
    const custom = synthDemo({ DEMO_NAME_PREFIX: 'team-a-', DEMO_EXTERNAL_ID: 'partner-4711', DEMO_MAX_SESSION_DURATION: '7200', DEMO_REGION: 'eu-west-1', DEMO_RUNTIME: 'nodejs20.x' });
    expect(custom.only('aws_iam_user').name).toBe('team-a-lambda_invoker');
    expect(custom.only('aws_iam_policy').name).toBe('team-a-InvokeSingleLambdaPolicy');
    const role = Object.values(custom.resources('aws_iam_role')).find((r) => r.name === 'team-a-function_invoker')!;
    expect(role.max_session_duration).toBe(7200);
    expect(JSON.parse(role.assume_role_policy).Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'partner-4711' } });
    expect(custom.json.provider.aws[0].region).toBe('eu-west-1');
    expect(custom.only('aws_lambda_function').runtime).toBe('nodejs20.x');
    const outputs = custom.outputsOf(['lambda-url-iam-demo', 'ProtectedUrl']);
    expect(outputs.external_id.value).toBe('partner-4711');
    expect(outputs.max_session_duration.value).toBe(7200);
  });

  it('points every AWS API at one endpoint in local mode, and not otherwise', () => {
    expect(stack.json.provider.aws[0].endpoints).toBeUndefined();
    const local = synthDemo({ DEMO_AWS_ENDPOINT: 'http://127.0.0.1:4566' });
    expect(local.json.provider.aws[0]).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_region_validation: true,
      skip_metadata_api_check: 'true',
      endpoints: [{ iam: 'http://127.0.0.1:4566', sts: 'http://127.0.0.1:4566', lambda: 'http://127.0.0.1:4566', cloudwatchlogs: 'http://127.0.0.1:4566' }],
    });
    expect(JSON.stringify(local.json.provider)).not.toMatch(/access_key|secret_key/);
  });

  it('stores state in an encrypted, locked S3 backend when asked', () => {
    const s3 = synthDemo({ DEMO_BACKEND: 's3', DEMO_STATE_BUCKET: 'team-tf-state', DEMO_STATE_REGION: 'eu-central-1' });
    expect(s3.json.terraform.backend).toEqual({
      s3: { bucket: 'team-tf-state', key: 'lambda-url-iam-demo/terraform.tfstate', region: 'eu-central-1', encrypt: true, use_lockfile: true },
    });
    const withTable = synthDemo({ DEMO_BACKEND: 's3', DEMO_STATE_BUCKET: 'team-tf-state', DEMO_STATE_LOCK_TABLE: 'tf-locks' });
    expect(withTable.json.terraform.backend.s3).toMatchObject({ dynamodb_table: 'tf-locks', region: 'us-east-1' });
    expect(withTable.json.terraform.backend.s3.use_lockfile).toBeUndefined();
  });
});

describe('IamFunctionUrl', () => {
  it('accepts a function by name, and derives the unqualified ARN from the URL resource', () => {
    let url!: IamFunctionUrl;
    const stack = synthStack((s) => {
      url = new IamFunctionUrl(s, 'Url', { function: 'existing-fn' });
    });
    expect(stack.only('aws_lambda_function_url').function_name).toBe('existing-fn');
    expect(stack.json.output).toBeUndefined();
    expect(url.authType).toBe('AWS_IAM');
  });

  it('splits an aliased ARN into function and qualifier, and grants the qualified ARN only', () => {
    const arn = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`;
    const stack = synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: `${arn}:live`, invokeMode: InvokeMode.RESPONSE_STREAM });
      new FunctionInvokerRole(s, 'Role', { trustedPrincipals: [USER_ARN], functionUrls: [url] });
    });
    expect(stack.only('aws_lambda_function_url')).toMatchObject({ function_name: arn, qualifier: 'live', invoke_mode: 'RESPONSE_STREAM' });
    const policy = JSON.parse(stack.only('aws_iam_policy').policy);
    expect(policy.Statement.map((s: any) => s.Resource)).toEqual([`${arn}:live`, `${arn}:live`]);
  });

  it('renders CORS settings', () => {
    const stack = synthStack((s) => {
      new IamFunctionUrl(s, 'Url', { function: 'fn', cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'POST'], maxAge: 600, allowCredentials: true } });
    });
    expect(stack.only('aws_lambda_function_url').cors).toEqual({ allow_origins: ['https://app.example.com'], allow_methods: ['GET', 'POST'], max_age: 600, allow_credentials: true });
  });

  it('writes a Lambda permission pair for a cross-account invoker, as an ARN principal', () => {
    const partner = 'arn:aws:iam::444455556666:role/partner-caller';
    const stack = synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: 'fn', qualifier: 'prod' });
      url.allowCrossAccountInvoker(partner);
      url.allowCrossAccountInvoker(partner);
    });
    const permissions = Object.values(stack.resources('aws_lambda_permission'));
    expect(permissions).toHaveLength(2);
    expect(permissions.map((p) => [p.action, p.principal, p.qualifier, p.function_url_auth_type]).sort()).toEqual([
      ['lambda:InvokeFunction', partner, 'prod', undefined],
      ['lambda:InvokeFunctionUrl', partner, 'prod', 'AWS_IAM'],
    ]);
    // @cdktf/provider-aws 20.x wraps hashicorp/aws 5.100, whose permission has no
    // invoked_via_function_url: the Invoke API grant stays (the cdktn target narrows it).
    expect(permissions.every((p) => !('invoked_via_function_url' in p))).toBe(true);
  });

  it('accepts a LambdaFunction from another copy of the provider (a duplicated, linked or file: install)', () => {
    // A second evaluation of the module is what a second install gives: a different class.
    const nodeRequire = createRequire(__filename);
    const modulePath = nodeRequire.resolve('@cdktf/provider-aws/lib/lambda-function');
    const cached = nodeRequire.cache[modulePath];
    delete nodeRequire.cache[modulePath];
    const { LambdaFunction: CopiedLambdaFunction } = nodeRequire(modulePath) as typeof import('@cdktf/provider-aws/lib/lambda-function');
    if (cached !== undefined) nodeRequire.cache[modulePath] = cached;
    expect(CopiedLambdaFunction).not.toBe(LambdaFunction);

    const stack = synthStack((s) => {
      const fn = new CopiedLambdaFunction(s, 'Orders', { functionName: 'orders', role: 'arn:aws:iam::111122223333:role/x', runtime: 'nodejs22.x', handler: 'i.h', filename: 'a.zip' });
      expect(fn instanceof LambdaFunction).toBe(false);
      new IamFunctionUrl(s, 'Url', { function: fn });
    });
    expect(stack.only('aws_lambda_function_url').function_name).toBe('${aws_lambda_function.Orders.function_name}');
  });
});

describe('FunctionInvokerRole', () => {
  it('adds one statement pair per granted URL and none twice for the same URL', () => {
    const stack = synthStack((s) => {
      const fnA = new LambdaFunction(s, 'A', { functionName: 'a', role: 'arn:aws:iam::111122223333:role/x', runtime: 'nodejs22.x', handler: 'i.h', filename: 'a.zip' });
      const urlA = new IamFunctionUrl(s, 'UrlA', { function: fnA });
      const urlB = new IamFunctionUrl(s, 'UrlB', { function: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:b` });
      const role = new FunctionInvokerRole(s, 'Role', { trustedPrincipals: [USER_ARN], functionUrls: [urlA] });
      role.grantInvokeUrl(urlB);
      role.grantInvokeUrl(urlA);
      role.grantInvokeUrl(urlB);
    });
    const policy = stack.policy(stack.only('aws_iam_policy').policy);
    expect(policy.Statement.map((s: any) => `${s.Sid} ${s.Action} ${s.Resource}`)).toEqual([
      `InvokeFunctionUrl lambda:InvokeFunctionUrl arn:aws:lambda:us-east-1:${ACCOUNT}:function:a`,
      `InvokeFunctionViaUrl lambda:InvokeFunction arn:aws:lambda:us-east-1:${ACCOUNT}:function:a`,
      `InvokeFunctionUrl2 lambda:InvokeFunctionUrl arn:aws:lambda:us-east-1:${ACCOUNT}:function:b`,
      `InvokeFunctionViaUrl2 lambda:InvokeFunction arn:aws:lambda:us-east-1:${ACCOUNT}:function:b`,
    ]);
  });

  it('trusts several principals, each once, with path, boundary and tags', () => {
    const other = 'arn:aws:iam::444455556666:root';
    const stack = synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: 'fn' });
      const role = new FunctionInvokerRole(s, 'Role', {
        trustedPrincipals: [USER_ARN, other],
        functionUrls: [url],
        path: '/invokers/',
        permissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
        tags: { team: 'payments' },
      });
      role.addTrustedPrincipal(other);
    });
    const role = stack.only('aws_iam_role');
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ AWS: [USER_ARN, other] });
    expect(role).toMatchObject({ path: '/invokers/', permissions_boundary: 'arn:aws:iam::aws:policy/PowerUserAccess', tags: { team: 'payments' } });
    expect(stack.only('aws_iam_policy').path).toBe('/invokers/');
  });
});

describe('InvokerUser', () => {
  it('outputs only the PGP-encrypted secret when a PGP key is given', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'P', { function: 'fn', pgpKey: 'keybase:someone' });
    });
    expect(stack.only('aws_iam_access_key').pgp_key).toBe('keybase:someone');
    const outputs = stack.outputsOf(['test', 'P']);
    expect(outputs.invoker_secret_access_key).toBeUndefined();
    expect(outputs.invoker_encrypted_secret_access_key).toMatchObject({ sensitive: true, value: expect.stringMatching(/\.encrypted_secret\}$/) });
  });

  // The demo stack passes every setting explicitly, so without this a changed default (a 12-hour
  // session, a key left out, a prefix) would fail no test; the values are the documented @defaults.
  it('synthesizes the documented defaults when only the function is given', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'P', { function: 'fn' });
    });
    expect(stack.only('aws_iam_role')).toMatchObject({ name: 'function_invoker', path: '/', max_session_duration: 3600 });
    expect(stack.only('aws_iam_role').permissions_boundary).toBeUndefined();
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0].Condition).toBeUndefined();
    expect(stack.only('aws_iam_policy')).toMatchObject({ name: 'InvokeSingleLambdaPolicy', path: '/' });
    expect(stack.only('aws_iam_user')).toMatchObject({ name: 'lambda_invoker', path: '/' });
    expect(stack.only('aws_iam_user_policy').name).toBe('AssumeFunctionInvokerRole');
    expect(stack.only('aws_iam_access_key').pgp_key).toBeUndefined();
    expect(stack.only('aws_lambda_function_url')).toMatchObject({ authorization_type: 'AWS_IAM', invoke_mode: 'BUFFERED' });
    expect(stack.only('aws_lambda_function_url').cors).toBeUndefined();
    expect(stack.only('aws_lambda_function_url').qualifier).toBeUndefined();
    expect(stack.resources('aws_lambda_permission')).toEqual({});
    const outputs = stack.outputsOf(['test', 'P']);
    expect(Object.keys(outputs).sort()).toEqual(['function_arn', 'function_url', 'invoker_access_key_id', 'invoker_role_arn', 'invoker_secret_access_key', 'invoker_user_name', 'max_session_duration', 'region']);
  });

  it('creates no key when asked, and then outputs none', () => {
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'P', { function: 'fn', createAccessKey: false });
    });
    expect(stack.resources('aws_iam_access_key')).toEqual({});
    expect(Object.keys(stack.outputsOf(['test', 'P']))).not.toContain('invoker_access_key_id');
  });

  it('can be used alone with a role of your own', () => {
    let user!: InvokerUser;
    const stack = synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: 'fn' });
      const role = new FunctionInvokerRole(s, 'Role', { functionUrls: [url], roleName: 'reports-invoker' });
      user = new InvokerUser(s, 'User', { role, userName: 'reports-bot' });
    });
    expect(stack.only('aws_iam_user').name).toBe('reports-bot');
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0].Principal.AWS).toMatch(/^\$\{aws_iam_user\.User_[A-F0-9]+\.arn\}$/);
    expect(user.accessKeyId).toBeDefined();
  });
});

describe('ProtectedFunctionUrl without an invoker user', () => {
  it('trusts only the principals named', () => {
    const ci = `arn:aws:iam::${ACCOUNT}:role/ci-deployer`;
    const stack = synthStack((s) => {
      new ProtectedFunctionUrl(s, 'P', { function: 'fn', createInvokerUser: false, trustedPrincipals: [ci] });
    });
    expect(stack.resources('aws_iam_user')).toEqual({});
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0].Principal).toEqual({ AWS: ci });
  });
});
