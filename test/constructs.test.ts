import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import {
  FunctionInvokerRole,
  type FunctionUrlInvokeGrant,
  IamFunctionUrl,
  InvalidPropError,
  type InvokeGrantee,
  InvokeMode,
  InvokerUser,
  ProtectedFunctionUrl,
} from '../constructs';
import { ACCOUNT, synthStack, PROTECTED_URL_OUTPUTS } from './support/synthesized-stack';

const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`;

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
      new IamFunctionUrl(s, 'Url', {
        function: 'fn',
        cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'POST'], maxAge: 600, allowCredentials: true },
      });
    });
    expect(stack.only('aws_lambda_function_url').cors).toEqual({
      allow_origins: ['https://app.example.com'],
      allow_methods: ['GET', 'POST'],
      max_age: 600,
      allow_credentials: true,
    });
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
      const fn = new CopiedLambdaFunction(s, 'Orders', {
        functionName: 'orders',
        role: 'arn:aws:iam::111122223333:role/x',
        runtime: 'nodejs22.x',
        handler: 'i.h',
        filename: 'a.zip',
      });
      expect(fn instanceof LambdaFunction).toBe(false);
      new IamFunctionUrl(s, 'Url', { function: fn });
    });
    expect(stack.only('aws_lambda_function_url').function_name).toBe('${aws_lambda_function.Orders.function_name}');
  });
});

const TWO_URL_POLICY = [
  `InvokeFunctionUrl lambda:InvokeFunctionUrl arn:aws:lambda:us-east-1:${ACCOUNT}:function:a`,
  `InvokeFunctionViaUrl lambda:InvokeFunction arn:aws:lambda:us-east-1:${ACCOUNT}:function:a`,
  `InvokeFunctionUrl2 lambda:InvokeFunctionUrl arn:aws:lambda:us-east-1:${ACCOUNT}:function:b`,
  `InvokeFunctionViaUrl2 lambda:InvokeFunction arn:aws:lambda:us-east-1:${ACCOUNT}:function:b`,
];

/** A role granted URL `a` by its props and URL `b` by `grant`, which also grants both again. */
function synthTwoUrlRole(grant: (role: FunctionInvokerRole, urlA: IamFunctionUrl, urlB: IamFunctionUrl) => void) {
  return synthStack((s) => {
    const fnA = new LambdaFunction(s, 'A', {
      functionName: 'a',
      role: 'arn:aws:iam::111122223333:role/x',
      runtime: 'nodejs22.x',
      handler: 'i.h',
      filename: 'a.zip',
    });
    const urlA = new IamFunctionUrl(s, 'UrlA', { function: fnA });
    const urlB = new IamFunctionUrl(s, 'UrlB', { function: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:b` });
    const role = new FunctionInvokerRole(s, 'Role', { trustedPrincipals: [USER_ARN], functionUrls: [urlA] });
    grant(role, urlA, urlB);
  });
}

describe('granting a function URL to a principal', () => {
  it('url.grantInvokeUrl(role): one statement pair per URL, none twice for the same URL', () => {
    const stack = synthTwoUrlRole((role, urlA, urlB) => {
      urlB.grantInvokeUrl(role);
      urlA.grantInvokeUrl(role);
      urlB.grantInvokeUrl(role);
    });
    const policy = stack.policy(stack.only('aws_iam_policy').policy);
    expect(policy.Statement.map((s: any) => `${s.Sid} ${s.Action} ${s.Resource}`)).toEqual(TWO_URL_POLICY);
  });

  it('role.grantInvokeUrl(url), the deprecated spelling, writes the same policy', () => {
    const stack = synthTwoUrlRole((role, urlA, urlB) => {
      role.grantInvokeUrl(urlB);
      role.grantInvokeUrl(urlA);
      role.grantInvokeUrl(urlB);
    });
    const policy = stack.policy(stack.only('aws_iam_policy').policy);
    expect(policy.Statement.map((s: any) => `${s.Sid} ${s.Action} ${s.Resource}`)).toEqual(TWO_URL_POLICY);
  });

  it('hands any InvokeGrantee the two statements of invokeStatements(), on the invoke ARN, as data', () => {
    const received: FunctionUrlInvokeGrant[] = [];
    const grantee: InvokeGrantee = { addInvokeGrant: (grant) => received.push(grant) };
    synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`, qualifier: 'live' });
      const returned = url.grantInvokeUrl(grantee);
      expect(received).toEqual([returned]);
      expect(returned.invokeArn).toBe(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders:live`);
      expect(returned.statements).toEqual(url.invokeStatements());
      expect(returned.statements).toEqual([
        {
          Sid: 'InvokeFunctionUrl',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunctionUrl',
          Resource: returned.invokeArn,
          Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        },
        {
          Sid: 'InvokeFunctionViaUrl',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: returned.invokeArn,
          Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
        },
      ]);
    });
  });

  it('refuses a grantee that cannot take a grant, naming the URL construct', () => {
    synthStack((s) => {
      const url = new IamFunctionUrl(s, 'Url', { function: 'fn' });
      expect(() => url.grantInvokeUrl('arn:aws:iam::111122223333:role/x' as never)).toThrow(InvalidPropError);
      expect(() => url.grantInvokeUrl('arn:aws:iam::111122223333:role/x' as never)).toThrow(
        /^IamFunctionUrl at test\/Url: grantee must be an InvokeGrantee/,
      );
    });
  });
});

describe('FunctionInvokerRole', () => {
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
    expect(role).toMatchObject({
      path: '/invokers/',
      permissions_boundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
      tags: { team: 'payments' },
    });
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
    expect(outputs.invoker_encrypted_secret_access_key).toMatchObject({
      sensitive: true,
      value: expect.stringMatching(/\.encrypted_secret\}$/),
    });
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
    expect(Object.keys(outputs).sort()).toEqual(PROTECTED_URL_OUTPUTS);
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
    expect(JSON.parse(stack.only('aws_iam_role').assume_role_policy).Statement[0].Principal.AWS).toMatch(
      /^\$\{aws_iam_user\.User_[A-F0-9]+\.arn\}$/,
    );
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
