import { describe, expect, it } from 'vitest';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { FunctionInvokerRole, IamFunctionUrl, InvalidPropError, ProtectedFunctionUrl, ProtectedFunctionUrlProps } from '../constructs';
import { useTempDir } from './support/temp-dir';

/**
 * The unsafe or impossible trust shapes are refused when the construct is created, before anything
 * is synthesized: an InvalidPropError naming the construct's path, the prop and the value.
 */

const temp = useTempDir('trust-validation-');
const ACCOUNT = '111122223333';

/** Builds ProtectedFunctionUrl bad/P with `props`; returns the error it throws. */
function refusal(props: Partial<ProtectedFunctionUrlProps>): Error {
  const stack = new TerraformStack(new App({ outdir: temp() }), 'bad');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  try {
    new ProtectedFunctionUrl(stack, 'P', { function: 'fn', ...props } as ProtectedFunctionUrlProps);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropError);
    return error as Error;
  }
  throw new Error('expected the construct to throw');
}

// [case, props, prop named, value shown, rule]
const CASES: [string, Partial<ProtectedFunctionUrlProps>, string, string, RegExp][] = [
  // The invoker user's networks
  ['a source IP without a prefix length', { allowedSourceIps: ['203.0.113.7'] }, 'allowedSourceIps[0]', '"203.0.113.7"', /CIDR range such as/],
  ['a /0 source range', { allowedSourceIps: ['0.0.0.0/0'] }, 'allowedSourceIps[0]', '"0.0.0.0/0"', /allows every address/],
  ['host bits after the prefix', { allowedSourceIps: ['203.0.113.7/24'] }, 'allowedSourceIps[0]', '"203.0.113.7/24"', /write the network address \(203\.0\.113\.0\/24\)/],
  ['IPv6 host bits after the prefix', { allowedSourceIps: ['2001:db8::1/32'] }, 'allowedSourceIps[0]', '2001:db8::1/32', /\(2001:db8::\/32\)/],
  ['a private source range', { allowedSourceIps: ['10.1.0.0/16'] }, 'allowedSourceIps[0]', '"10.1.0.0/16"', /private range.*allowedVpcEndpoints/],
  ['an empty source range list', { allowedSourceIps: [] }, 'allowedSourceIps', 'an array of 0', /at least one CIDR range/],
  ['a VPC endpoint id of another kind', { allowedVpcEndpoints: ['vpc-0123456789abcdef0'] }, 'allowedVpcEndpoints[0]', '"vpc-0123456789abcdef0"', /"vpce-" and 8 or 17/],
  ['networks without the user', { createInvokerUser: false, trustedPrincipals: [`arn:aws:iam::${ACCOUNT}:root`], allowedSourceIps: ['203.0.113.0/24'] }, 'allowedSourceIps', 'an array of 1', /no effect when createInvokerUser is false/],
];

describe('unsafe or impossible trusts are refused at construction, naming the construct path and the value', () => {
  it.each(CASES)('%s', (_, props, prop, shown, rule) => {
    const message = refusal(props).message;
    expect(message).toMatch(/^(ProtectedFunctionUrl at bad\/P|FunctionInvokerRole at bad\/P\/InvokerRole|InvokerUser at bad\/P\/InvokerUser): /);
    expect(message).toContain(prop);
    expect(message).toContain(shown);
    expect(message).toMatch(rule);
  });

  it('a principal trusted twice with different networks is refused by the role', () => {
    const stack = new TerraformStack(new App({ outdir: temp() }), 'bad');
    const role = new FunctionInvokerRole(stack, 'R', { functionUrls: [new IamFunctionUrl(stack, 'U', { function: 'fn' })] });
    const user = `arn:aws:iam::${ACCOUNT}:user/bot`;
    role.addTrustedPrincipal(user, { allowedSourceIps: ['203.0.113.0/24'] });
    role.addTrustedPrincipal(user, { allowedSourceIps: ['203.0.113.0/24'] });
    expect(() => role.addTrustedPrincipal(user)).toThrow(/^FunctionInvokerRole at bad\/R: trustedPrincipals is trusted already with other allowed networks/);
  });
});
