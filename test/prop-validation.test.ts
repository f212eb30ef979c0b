import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import {
  FunctionInvokerRole,
  IamFunctionUrl,
  InvalidPropError,
  InvokerUser,
  ProtectedFunctionUrl,
  type ProtectedFunctionUrlProps,
} from '../constructs';
import { useTempDir } from './support/temp-dir';

/**
 * Every construct prop is checked when the construct is created (constructs/prop-validation.ts):
 * a refusal is an InvalidPropError naming the construct's path, the prop, the value and the rule,
 * and nothing is synthesized.
 */

const temp = useTempDir('prop-validation-');

const USER = 'arn:aws:iam::111122223333:user/lambda_invoker';

/** Builds a ProtectedFunctionUrl with `props` and synthesizes; returns the outdir. */
function buildAndSynth(props: Partial<ProtectedFunctionUrlProps>): string {
  const outdir = temp();
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bad');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  new ProtectedFunctionUrl(stack, 'P', { function: 'fn', ...props } as ProtectedFunctionUrlProps);
  app.synth();
  return outdir;
}

function expectRejected(build: () => unknown, prop: string, shown: string, rule: RegExp) {
  let error: unknown;
  try {
    build();
  } catch (caught) {
    error = caught;
  }
  expect(error, 'expected the construct to throw').toBeInstanceOf(InvalidPropError);
  const message = (error as Error).message;
  expect(message).toContain(prop);
  expect(message).toContain(shown);
  expect(message).toMatch(rule);
  // Which construct: its class and its path in the tree (the cases build `bad/P` and its children).
  expect(message).toMatch(/^(ProtectedFunctionUrl|IamFunctionUrl|FunctionInvokerRole|InvokerUser) at bad\/P(\/\w+)?: /);
  expect(message).not.toContain('undefined');
}

/** Files (not directories: cdktf's App makes an empty stacks/ when created) below dir. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((entry) => fs.statSync(path.join(dir, entry)).isFile());
}

const long = (n: number, c = 'a') => c.repeat(n);

// [case, props, prop named in the message, value shown, rule]
const CASES: [string, Partial<ProtectedFunctionUrlProps>, string, string, RegExp][] = [
  ['role name with a space', { roleName: 'function invoker' }, 'roleName', '"function invoker"', /letters, digits and \+ = , \. @ _ -/],
  ['role name of 65 characters', { roleName: long(65) }, 'roleName', `"${long(65)}"`, /1 to 64 characters/],
  ['empty role name', { roleName: '' }, 'roleName', '""', /1 to 64/],
  ['prefix that makes the role name too long', { namePrefix: long(60) }, 'namePrefix + roleName', 'function_invoker', /1 to 64/],
  ['user name with a slash', { userName: 'team/bot' }, 'userName', '"team/bot"', /letters, digits/],
  ['user name of 65 characters', { userName: long(65) }, 'userName', `"${long(65)}"`, /1 to 64/],
  ['policy name with a colon', { policyName: 'Invoke:All' }, 'policyName', '"Invoke:All"', /letters, digits/],
  ['policy name of 129 characters', { policyName: long(129) }, 'policyName', '(129 characters)', /1 to 128/],
  ['path without the leading slash', { path: 'invokers/' }, 'path', '"invokers/"', /starts and ends with "\/"/],
  ['path without the trailing slash', { path: '/invokers' }, 'path', '"/invokers"', /starts and ends with "\/"/],
  ['path with a space', { path: '/my invokers/' }, 'path', '"/my invokers/"', /printable ASCII/],
  ['max session 3599 s', { maxSessionDuration: 3599 }, 'maxSessionDuration', '3599', /from 3600 to 43200/],
  ['max session 43201 s', { maxSessionDuration: 43201 }, 'maxSessionDuration', '43201', /from 3600 to 43200/],
  ['max session 3600.5 s', { maxSessionDuration: 3600.5 }, 'maxSessionDuration', '3600.5', /whole number of seconds/],
  ['external ID of 1 character', { externalId: 'x' }, 'externalId', '"x"', /2 to 1224 characters/],
  ['external ID of 1225 characters', { externalId: long(1225) }, 'externalId', '(1225 characters)', /2 to 1224/],
  ['external ID with a space', { externalId: 'partner 1' }, 'externalId', '"partner 1"', /\+ = , \. @ : \/ _ -/],
  [
    'trusted principal as a bare account ID',
    { trustedPrincipals: ['444455556666'] },
    'trustedPrincipals',
    '"444455556666"',
    /arn:aws:iam::444455556666:root.*30722/,
  ],
  ['trusted principal that is not an ARN', { trustedPrincipals: ['bob'] }, 'trustedPrincipals', '"bob"', /IAM principal ARN/],
  [
    'trusted principal with a short account',
    { trustedPrincipals: ['arn:aws:iam::1234:user/bob'] },
    'trustedPrincipals',
    '1234',
    /12-digit account/,
  ],
  [
    'trusted principal that is a service',
    { trustedPrincipals: ['lambda.amazonaws.com'] },
    'trustedPrincipals',
    'lambda.amazonaws.com',
    /IAM principal ARN/,
  ],
  [
    "cross-account invoker of the function's own account",
    { function: `arn:aws:lambda:us-east-1:111122223333:function:fn`, crossAccountInvokers: [`arn:aws:iam::111122223333:role/intern`] },
    'crossAccountInvoker',
    `"arn:aws:iam::111122223333:role/intern"`,
    /must belong to another account than the function's \(\d{12}\)/,
  ],
  [
    'cross-account invoker as a bare ID',
    { crossAccountInvokers: ['444455556666'] },
    'crossAccountInvoker',
    '444455556666',
    /not a bare account ID/,
  ],
  [
    'permissions boundary that is a role ARN',
    { permissionsBoundary: 'arn:aws:iam::111122223333:role/x' },
    'permissionsBoundary',
    'role/x',
    /managed policy ARN/,
  ],
  [
    'function ARN with a bad region',
    { function: 'arn:aws:lambda:moon-1:111122223333:function:fn' },
    'function',
    'moon-1',
    /Lambda function ARN/,
  ],
  [
    'function ARN for a version',
    { function: 'arn:aws:lambda:us-east-1:111122223333:function:fn:7' },
    'function',
    '"7"',
    /never at a version/,
  ],
  ['function name with a dot', { function: 'my.fn' }, 'function', '"my.fn"', /letters, digits, - and _/],
  ['function name of 65 characters', { function: long(65) }, 'function', `"${long(65)}"`, /1 to 64/],
  ['qualifier that is a version number', { qualifier: '3' }, 'qualifier', '"3"', /not all digits/],
  [
    'qualifier differing from the ARN alias',
    { function: 'arn:aws:lambda:us-east-1:111122223333:function:fn:live', qualifier: 'beta' },
    'qualifier',
    '"beta"',
    /must match the alias in the function ARN \("live"\)/,
  ],
  ['CORS max age over a day', { cors: { maxAge: 90000 } }, 'cors.maxAge', '90000', /from 0 to 86400/],
  ['CORS method that does not exist', { cors: { allowMethods: ['FETCH' as never] } }, 'cors.allowMethods', '"FETCH"', /one of GET, POST/],
  [
    'CORS origin with a space',
    { cors: { allowOrigins: ['https://a.example .com'] } },
    'cors.allowOrigins',
    'a.example .com',
    /without spaces/,
  ],
  [
    'invoke mode that does not exist',
    { invokeMode: 'STREAMING' as never },
    'invokeMode',
    '"STREAMING"',
    /one of BUFFERED, RESPONSE_STREAM/,
  ],
  [
    'PGP key without an access key',
    { pgpKey: 'keybase:alice', createAccessKey: false },
    'pgpKey',
    'keybase:alice',
    /needs createAccessKey: true/,
  ],
  [
    'PGP key that is ASCII-armored',
    { pgpKey: '-----BEGIN PGP PUBLIC KEY BLOCK-----' },
    'pgpKey',
    'BEGIN PGP',
    /base64-encoded PGP public key/,
  ],
  ['tag with an aws: key', { tags: { 'aws:owner': 'me' } }, 'tags key', '"aws:owner"', /must not start with "aws:"/],
  ['tag value of 257 characters', { tags: { team: long(257) } }, 'tags["team"]', '(257 characters)', /0 to 256/],
  ['no user and no trusted principal', { createInvokerUser: false }, 'trustedPrincipals', 'an array of 0', /at least one principal/],
  [
    'user name without a user',
    { createInvokerUser: false, trustedPrincipals: [USER], userName: 'bot' },
    'userName',
    '"bot"',
    /no effect when createInvokerUser is false/,
  ],
];

describe('bad construct props are refused with the prop, the value and the rule, and nothing is synthesized', () => {
  it('has at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));

  it.each(CASES)('%s', (_, props, prop, shown, rule) => {
    const outdir = temp();
    expectRejected(
      () => {
        const app = new App({ outdir });
        const stack = new TerraformStack(app, 'bad');
        new ProtectedFunctionUrl(stack, 'P', { function: 'fn', ...props } as ProtectedFunctionUrlProps);
        app.synth();
      },
      prop,
      shown,
      rule,
    );
    expect(filesUnder(outdir), 'nothing may be written on error').toEqual([]);
  });

  it('accepts the limits themselves', () => {
    expect(() => buildAndSynth({ maxSessionDuration: 43200, externalId: 'ab', roleName: long(64), cors: { maxAge: 86400 } })).not.toThrow();
    expect(() => buildAndSynth({ maxSessionDuration: 3600, externalId: long(1224, 'x'), path: '/a/b/' })).not.toThrow();
  });

  it('leaves values that are Terraform references to Terraform', () => {
    expect(() =>
      buildAndSynth({ function: '${var.function_name}', externalId: '${var.external_id}', trustedPrincipals: ['${var.partner_arn}'] }),
    ).not.toThrow();
    const outdir = temp();
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'tokens');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    const variable = (name: string) => new TerraformVariable(stack, name, { type: 'string' }).stringValue;
    new ProtectedFunctionUrl(stack, 'P', {
      function: variable('fn'),
      externalId: variable('ext'),
      roleName: variable('role'),
      trustedPrincipals: [variable('partner')],
    });
    expect(() => app.synth()).not.toThrow();
    const synthesized = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'tokens', 'cdk.tf.json'), 'utf8'));
    expect(Object.values(synthesized.resource.aws_iam_role)[0]).toMatchObject({ name: '${var.role}' });
  });
});

describe('errors say where the construct is and what is missing', () => {
  function thrownBy(build: (stack: TerraformStack) => void): string {
    // cdktf's App creates its outdir on construction.
    const outdir = temp();
    try {
      build(new TerraformStack(new App({ outdir }), 'Stack'));
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPropError);
      return (error as Error).message;
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
    throw new Error('expected the construct to throw');
  }

  it('names the nested construct by its path, as well as the prop', () => {
    const message = thrownBy((stack) => new ProtectedFunctionUrl(stack, 'PartnerApi', { function: 'fn', maxSessionDuration: 100 }));
    expect(message).toBe(
      'FunctionInvokerRole at Stack/PartnerApi/InvokerRole: maxSessionDuration must be a whole number of seconds from 3600 to 43200 (got 100)',
    );
  });

  it('says a required prop is missing instead of "(got undefined)"', () => {
    const message = thrownBy((stack) => new IamFunctionUrl(stack, 'Orders', {} as never));
    expect(message).toBe(
      'IamFunctionUrl at Stack/Orders: function is missing: it must be a LambdaFunction (an aws_lambda_function resource), a function name or a function ARN',
    );
  });

  it.each([
    [
      'IamFunctionUrl without props',
      (stack: TerraformStack) => new (IamFunctionUrl as any)(stack, 'Orders'),
      'IamFunctionUrl at Stack/Orders: function is missing: it must be a LambdaFunction',
    ],
    [
      'ProtectedFunctionUrl without props',
      (stack: TerraformStack) => new (ProtectedFunctionUrl as any)(stack, 'Api'),
      'IamFunctionUrl at Stack/Api/FunctionUrl: function is missing',
    ],
    [
      'InvokerUser without a role',
      (stack: TerraformStack) => new InvokerUser(stack, 'Bot', {} as never),
      'InvokerUser at Stack/Bot: role is missing: it must be the FunctionInvokerRole this user may assume',
    ],
    [
      'InvokerUser with a role ARN instead of the construct',
      (stack: TerraformStack) => new InvokerUser(stack, 'Bot', { role: 'arn:aws:iam::111122223333:role/x' as never }),
      'InvokerUser at Stack/Bot: role must be the FunctionInvokerRole this user may assume (got "arn:aws:iam::111122223333:role/x")',
    ],
    [
      'a role granted a URL name instead of the construct',
      (stack: TerraformStack) => new FunctionInvokerRole(stack, 'Role', { functionUrls: ['orders' as never] }),
      'FunctionInvokerRole at Stack/Role: functionUrls must hold IamFunctionUrl constructs (the URLs the role may invoke) (got "orders")',
    ],
  ])('%s: a clear InvalidPropError naming the construct', (_, build, message) => {
    const thrown = thrownBy(build);
    expect(thrown.startsWith(message), thrown).toBe(true);
    expect(thrown).not.toContain('undefined');
  });

  it('names the resource given where a function was expected, by type and path', () => {
    const message = thrownBy((stack) => {
      const role = new IamRole(stack, 'Orders', { assumeRolePolicy: '{}' });
      new IamFunctionUrl(stack, 'OrdersUrl', { function: role as never });
    });
    expect(message).toMatch(
      /^IamFunctionUrl at Stack\/OrdersUrl: function must be a LambdaFunction .*\(got the aws_iam_role resource Stack\/Orders\)$/,
    );
  });
});

describe('missing wiring is refused at synth, before anything is written', () => {
  it.each([
    [
      'a role nobody may assume',
      (s: TerraformStack) => new FunctionInvokerRole(s, 'R', { functionUrls: [new IamFunctionUrl(s, 'U', { function: 'fn' })] }),
      /no trusted principal/,
    ],
    [
      'a role with no URL to invoke',
      (s: TerraformStack) => new FunctionInvokerRole(s, 'R', { trustedPrincipals: [USER] }),
      /no function URL to invoke/,
    ],
  ])('%s', (_, build, message) => {
    const outdir = temp();
    const app = new App({ outdir });
    build(new TerraformStack(app, 'bad'));
    expect(() => app.synth()).toThrow(message);
    expect(filesUnder(outdir)).toEqual([]);
  });

  it('two constructs of one stack with the same IAM name (unique per account, so it would fail at apply)', () => {
    const app = new App({ outdir: temp() });
    const stack = new TerraformStack(app, 'bad');
    new ProtectedFunctionUrl(stack, 'Orders', { function: 'orders' });
    expect(() => new ProtectedFunctionUrl(stack, 'Reports', { function: 'reports' })).toThrow(
      /^FunctionInvokerRole at bad\/Reports\/InvokerRole: namePrefix \+ roleName must differ from the IAM role name bad\/Orders\/InvokerRole already uses in this stack .*set namePrefix or another name \(got "function_invoker"\)$/,
    );
    expect(
      () =>
        new ProtectedFunctionUrl(stack, 'Billing', {
          function: 'billing',
          roleName: 'billing_invoker',
          policyName: 'invokeSINGLElambdaPolicy',
        }),
    ).toThrow(/policyName must differ from the IAM policy name bad\/Orders\/InvokerRole/);
    expect(
      () =>
        new ProtectedFunctionUrl(stack, 'Audit', {
          function: 'audit',
          roleName: 'audit_invoker',
          policyName: 'audit',
          userName: 'LAMBDA_INVOKER',
        }),
    ).toThrow(/^InvokerUser at bad\/Audit\/InvokerUser: userName must differ from the IAM user name bad\/Orders\/InvokerUser already uses/);
    // With a prefix each deployment has its own names; another stack (maybe another account) may reuse them.
    expect(() => new ProtectedFunctionUrl(stack, 'Partner', { function: 'partner', namePrefix: 'partner-' })).not.toThrow();
    expect(() => new ProtectedFunctionUrl(new TerraformStack(app, 'other'), 'Orders', { function: 'orders' })).not.toThrow();
  });

  it('an invoker user alone names its role', () => {
    const app = new App({ outdir: temp() });
    const stack = new TerraformStack(app, 'bad');
    const role = new FunctionInvokerRole(stack, 'R', { functionUrls: [new IamFunctionUrl(stack, 'U', { function: 'fn' })] });
    expect(() => new InvokerUser(stack, 'U2', { role, userName: 'bad name' })).toThrow(/^InvokerUser at bad\/U2: userName .*"bad name"/);
  });
});

/**
 * Props from JavaScript or a JSON config file need not have the shapes TypeScript promises: a
 * single string where a list belongs, a tag named __proto__. Each must be an InvalidPropError
 * naming the prop, never a value that synthesizes wrong (or vanishes) and fails later at plan.
 */

function buildWithLooseProps(props: Record<string, unknown>): { error?: unknown; synth?: Record<string, any> } {
  const stack = new TerraformStack(new App({ outdir: temp() }), 'Stack');
  try {
    new ProtectedFunctionUrl(stack, 'Api', { function: 'fn', ...props } as ProtectedFunctionUrlProps);
  } catch (error) {
    return { error };
  }
  return { synth: JSON.parse(Testing.synth(stack)) };
}

describe('prop shapes a JavaScript or JSON caller can get wrong', () => {
  it.each([
    [
      'cors.allowOrigins as one string (Terraform wants a set of strings)',
      { cors: { allowOrigins: 'https://app.example.com' } },
      /cors\.allowOrigins must be a list of strings.*\(got "https:\/\/app\.example\.com"\)/,
    ],
    [
      'cors.allowMethods as one string (refused whole, not checked letter by letter)',
      { cors: { allowMethods: 'GET' } },
      /cors\.allowMethods must be a list of strings.*\(got "GET"\)/,
    ],
    [
      'cors.allowHeaders holding a number',
      { cors: { allowHeaders: [5] } },
      /cors\.allowHeaders entries must be 1 to 1024 characters without spaces \(got 5\)/,
    ],
    [
      'tags as a string (not split into tags "0", "1", …)',
      { tags: 'team=a' },
      /tags must be an object of tag keys to values.*\(got "team=a"\)/,
    ],
    [
      'a tag named __proto__ (cdktf would drop it from the synthesized JSON)',
      { tags: JSON.parse('{"__proto__":"y","team":"a"}') },
      /tags key cannot be carried through cdktf.*\(got "__proto__"\)/,
    ],
    [
      'createInvokerUser as "false" (truthy: it would create the user and its long-lived key)',
      { createInvokerUser: 'false', trustedPrincipals: ['arn:aws:iam::111122223333:root'] },
      /ProtectedFunctionUrl at Stack\/Api: createInvokerUser must be true or false.*\(got "false"\)/,
    ],
    [
      'createAccessKey as "false" (truthy: it would create a key whose secret lands in state)',
      { createAccessKey: 'false' },
      /createAccessKey must be true or false.*\(got "false"\)/,
    ],
    ['outputs as 0', { outputs: 0 }, /outputs must be true or false.*\(got 0\)/],
    [
      'cors.allowCredentials as "yes"',
      { cors: { allowCredentials: 'yes' } },
      /IamFunctionUrl at Stack\/Api\/FunctionUrl: cors\.allowCredentials must be true or false.*\(got "yes"\)/,
    ],
    ['cors as null', { cors: null }, /cors must be an object of CORS settings.*\(got null\)/],
    [
      'trustedPrincipals as one string (refused whole, not checked letter by letter)',
      { trustedPrincipals: 'arn:aws:iam::111122223333:root' },
      /trustedPrincipals must be a list.*\(got "arn:aws:iam::111122223333:root"\)/,
    ],
    [
      'crossAccountInvokers as one string (refused whole, not checked letter by letter)',
      { crossAccountInvokers: 'arn:aws:iam::111122223333:root' },
      /crossAccountInvokers must be a list.*\(got "arn:aws:iam::111122223333:root"\)/,
    ],
  ])('%s: InvalidPropError naming it', (_, props, message) => {
    const { error } = buildWithLooseProps(props);
    expect(error).toBeInstanceOf(InvalidPropError);
    expect((error as Error).message).toMatch(message);
  });

  it('flags given as booleans are honoured: no user, no key, no outputs', () => {
    const { synth, error } = buildWithLooseProps({
      createInvokerUser: false,
      trustedPrincipals: ['arn:aws:iam::111122223333:root'],
      outputs: false,
      cors: { allowCredentials: true },
    });
    expect(error).toBeUndefined();
    expect(synth!.resource.aws_iam_user).toBeUndefined();
    expect(synth!.resource.aws_iam_access_key).toBeUndefined();
    expect(synth!.output).toBeUndefined();
  });

  it('the same props in their right shapes synthesize as given', () => {
    const { synth, error } = buildWithLooseProps({
      cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET'], allowHeaders: ['x-a'] },
      tags: { team: 'a', constructor: 'c' },
    });
    expect(error).toBeUndefined();
    expect(Object.values(synth!.resource.aws_lambda_function_url)[0]).toMatchObject({
      cors: { allow_origins: ['https://app.example.com'], allow_methods: ['GET'], allow_headers: ['x-a'] },
    });
    expect((Object.values(synth!.resource.aws_iam_role)[0] as { tags: unknown }).tags).toEqual({ team: 'a', constructor: 'c' });
  });
});
