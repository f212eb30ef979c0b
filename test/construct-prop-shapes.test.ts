import { describe, expect, it } from 'vitest';
import { App, Testing, TerraformStack } from 'cdktf';
import { InvalidPropError, ProtectedFunctionUrl, ProtectedFunctionUrlProps } from '../constructs';
import { useTempDir } from './support/temp-dir';

/**
 * Props from JavaScript or a JSON config file need not have the shapes TypeScript promises: a
 * single string where a list belongs, a tag named __proto__. Each must be an InvalidPropError
 * naming the prop, never a value that synthesizes wrong (or vanishes) and fails later at plan.
 */

const temp = useTempDir('prop-shapes-');

function build(props: Record<string, unknown>): { error?: unknown; synth?: Record<string, any> } {
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
    ['cors.allowOrigins as one string (was synthesized as a string: Terraform wants a set)', { cors: { allowOrigins: 'https://app.example.com' } }, /cors\.allowOrigins must be a list of strings.*\(got "https:\/\/app\.example\.com"\)/],
    ['cors.allowMethods as one string (was checked letter by letter: got "G")', { cors: { allowMethods: 'GET' } }, /cors\.allowMethods must be a list of strings.*\(got "GET"\)/],
    ['cors.allowHeaders holding a number', { cors: { allowHeaders: [5] } }, /cors\.allowHeaders entries must be 1 to 1024 characters without spaces \(got 5\)/],
    ['tags as a string (was split into tags "0", "1", …)', { tags: 'team=a' }, /tags must be an object of tag keys to values.*\(got "team=a"\)/],
    ['a tag named __proto__ (was dropped from the synthesized JSON without a word)', { tags: JSON.parse('{"__proto__":"y","team":"a"}') }, /tags key cannot be carried through cdktf.*\(got "__proto__"\)/],
    ['createInvokerUser as "false" (was truthy: created the user and its long-lived key)', { createInvokerUser: 'false', trustedPrincipals: ['arn:aws:iam::111122223333:root'] }, /ProtectedFunctionUrl at Stack\/Api: createInvokerUser must be true or false.*\(got "false"\)/],
    ['createAccessKey as "false" (was truthy: created a key whose secret lands in state)', { createAccessKey: 'false' }, /createAccessKey must be true or false.*\(got "false"\)/],
    ['outputs as 0', { outputs: 0 }, /outputs must be true or false.*\(got 0\)/],
    ['cors.allowCredentials as "yes"', { cors: { allowCredentials: 'yes' } }, /IamFunctionUrl at Stack\/Api\/FunctionUrl: cors\.allowCredentials must be true or false.*\(got "yes"\)/],
    ['cors as null (was a TypeError on cors.maxAge)', { cors: null }, /cors must be an object of CORS settings.*\(got null\)/],
    ['trustedPrincipals as one string (was checked letter by letter: got "a")', { trustedPrincipals: 'arn:aws:iam::111122223333:root' }, /trustedPrincipals must be a list.*\(got "arn:aws:iam::111122223333:root"\)/],
    ['crossAccountInvokers as one string (was checked letter by letter: got "a")', { crossAccountInvokers: 'arn:aws:iam::111122223333:root' }, /crossAccountInvokers must be a list.*\(got "arn:aws:iam::111122223333:root"\)/],
  ])('%s: InvalidPropError naming it', (_, props, message) => {
    const { error } = build(props);
    expect(error).toBeInstanceOf(InvalidPropError);
    expect((error as Error).message).toMatch(message);
  });

  it('flags given as booleans are honoured: no user, no key, no outputs', () => {
    const { synth, error } = build({ createInvokerUser: false, trustedPrincipals: ['arn:aws:iam::111122223333:root'], outputs: false, cors: { allowCredentials: true } });
    expect(error).toBeUndefined();
    expect(synth!.resource.aws_iam_user).toBeUndefined();
    expect(synth!.resource.aws_iam_access_key).toBeUndefined();
    expect(synth!.output).toBeUndefined();
  });

  it('the same props in their right shapes synthesize as given', () => {
    const { synth, error } = build({ cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET'], allowHeaders: ['x-a'] }, tags: { team: 'a', constructor: 'c' } });
    expect(error).toBeUndefined();
    expect(Object.values(synth!.resource.aws_lambda_function_url)[0]).toMatchObject({ cors: { allow_origins: ['https://app.example.com'], allow_methods: ['GET'], allow_headers: ['x-a'] } });
    expect((Object.values(synth!.resource.aws_iam_role)[0] as { tags: unknown }).tags).toEqual({ team: 'a', constructor: 'c' });
  });
});
