import type { TerraformStack } from 'cdktf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialVendor, type CredentialVendorProps, DuplicateConstructsError, IamFunctionUrl, InvalidPropError } from '../constructs';
import { MAX_SESSION_POLICY_CHARACTERS, entitlementSessionPolicy } from '../constructs/vend-entitlements';
import { readZip } from '../local-aws/zip-archive';
import { zipDirectory } from '../constructs/zip-writer';
import { vendorHandlerDirectory } from '../constructs/credential-vendor';
import { loadTarget, type TargetName } from './support/framework-targets';
import { ACCOUNT, REGION, synthStack, synthesizeInto } from './support/synthesized-stack';
import { AUDITOR_USER, PARTNER_ROLE, vendorStack } from './support/vendor-stack';
import { PROJECT_ROOT } from './support/leftover-guard';
import { useTempDir } from './support/temp-dir';
import { checkEntitlement } from '../constructs/vend-entitlements';
import { PropChecker } from '../constructs/prop-validation';

function construct(props: (urls: { orders: IamFunctionUrl; vendorUrl?: () => IamFunctionUrl }) => CredentialVendorProps) {
  return () =>
    synthStack((stack: TerraformStack) => {
      const orders = new IamFunctionUrl(stack, 'Orders', { function: 'orders' });
      new CredentialVendor(stack, 'Vendor', props({ orders }));
    });
}

describe('CredentialVendor', () => {
  const stack = vendorStack();

  it('runs the packaged vending handler on a current Node.js runtime behind an AWS_IAM URL', () => {
    const fn = stack.only('aws_lambda_function');
    expect(fn.runtime).toBe('nodejs22.x');
    expect(fn.handler).toBe('index.handler');
    const vendorUrl = Object.values(stack.resources('aws_lambda_function_url')).find((url) =>
      String(url.function_name).includes('aws_lambda_function.'),
    );
    expect(vendorUrl?.authorization_type).toBe('AWS_IAM');
    expect([...readZip(zipDirectory(vendorHandlerDirectory())).keys()]).toEqual(['index.mjs', 'vending.mjs']);
    expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('holds the entitlements in the function configuration: caller, invoke ARNs, duration, tags', () => {
    const config = JSON.parse(stack.resolveReferences(stack.only('aws_lambda_function').environment.variables.VEND_CONFIG));
    expect(config.vendRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/credential-vend`);
    expect(config.entitlements).toEqual([
      {
        caller: PARTNER_ROLE,
        invokeArns: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`],
        maxSessionDuration: 900,
        sessionTags: { tenant: 'partner' },
      },
      {
        caller: AUDITOR_USER,
        invokeArns: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:reports:live`],
        maxSessionDuration: 3600,
        sessionTags: {},
      },
    ]);
  });

  it('lets each caller call the vendor URL through a resource permission, and never the Invoke API on this provider', () => {
    const permissions = Object.values(stack.resources('aws_lambda_permission'));
    expect(permissions.map((p) => [p.principal, p.action, p.function_url_auth_type]).sort()).toEqual(
      [
        [PARTNER_ROLE, 'lambda:InvokeFunctionUrl', 'AWS_IAM'],
        [AUDITOR_USER, 'lambda:InvokeFunctionUrl', 'AWS_IAM'],
      ].sort(),
    );
  });

  it('the cdktn entry (hashicorp/aws 6.28+) writes the same vendor, plus InvokeFunction limited to calls through the URL', () => {
    const synth = (name: TargetName) => {
      const target = loadTarget(name);
      return synthesizeInto(undefined, 'vend', (outdir) => {
        const app = new target.App({ outdir });
        const s = new target.TerraformStack(app, 'vend');
        new target.AwsProvider(s, 'Aws', { region: REGION });
        const orders = new target.constructs.IamFunctionUrl(s as never, 'Orders', { function: 'orders' });
        new target.constructs.CredentialVendor(s as never, 'Vendor', { entitlements: [{ caller: PARTNER_ROLE, functionUrls: [orders] }] });
        app.synth();
      });
    };
    const [cdktf, cdktn] = [synth('cdktf'), synth('cdktn')];
    const invoke = Object.values(cdktn.resources('aws_lambda_permission')).filter((p) => p.action === 'lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(invoke[0]).toMatchObject({ principal: PARTNER_ROLE, invoked_via_function_url: true });
    expect(Object.values(cdktf.resources('aws_lambda_permission')).filter((p) => p.action === 'lambda:InvokeFunction')).toEqual([]);
    // Everything else is the same, the packaged handler included (same bytes, same hash).
    const withoutInvoke = (stack: typeof cdktf) => {
      const json = structuredClone(stack.json.resource);
      for (const [id, p] of Object.entries<Record<string, unknown>>(json.aws_lambda_permission))
        if (p.action === 'lambda:InvokeFunction') delete json.aws_lambda_permission[id];
      return json;
    };
    expect(withoutInvoke(cdktn)).toEqual(withoutInvoke(cdktf));
  });

  it('declares the vendor URL and the vend role as outputs', () => {
    expect(Object.keys(stack.outputsOf(['test', 'Vendor'])).sort()).toEqual(['vend_role_arn', 'vendor_url']);
  });

  it("builds each caller's session policy from the URLs' own invoke statements", () => {
    const orders = stack.resources('aws_lambda_function_url');
    expect(Object.keys(orders)).toHaveLength(3);
    synthStack((s) => {
      const url = new IamFunctionUrl(s, 'A', { function: 'a' });
      const other = new IamFunctionUrl(s, 'B', { function: 'b' });
      const policy = JSON.parse(entitlementSessionPolicy([url, other]));
      expect(policy.Statement.map((st: { Sid: string }) => st.Sid)).toEqual([
        'InvokeFunctionUrl',
        'InvokeFunctionViaUrl',
        'InvokeFunctionUrl2',
        'InvokeFunctionViaUrl2',
      ]);
      expect(policy.Statement[0]).toEqual(url.invokeStatements()[0]);
    });
  });
});

describe('CredentialVendor refuses at synth, naming its path', () => {
  const temp = useTempDir('vendor-copy-');
  const refusals: [string, ReturnType<typeof construct>, RegExp][] = [
    [
      'an empty caller list',
      construct(() => ({ entitlements: [] })),
      /CredentialVendor at test\/Vendor: entitlements must name at least one caller/,
    ],
    [
      'a duration over one hour',
      construct(({ orders }) => ({ entitlements: [{ caller: PARTNER_ROLE, functionUrls: [orders], maxSessionDuration: 3601 }] })),
      /entitlements\[0\]\.maxSessionDuration must be a whole number of seconds .* from 900 to 3600 \(got 3601\)/,
    ],
    [
      'a URL the vend role cannot be granted (not an IamFunctionUrl)',
      construct(() => ({ entitlements: [{ caller: PARTNER_ROLE, functionUrls: ['https://abc.lambda-url.us-east-1.on.aws/' as never] }] })),
      /entitlements\[0\]\.functionUrls must hold IamFunctionUrl constructs/,
    ],
    [
      'a caller that is not a user or role',
      construct(({ orders }) => ({ entitlements: [{ caller: `arn:aws:iam::${ACCOUNT}:root`, functionUrls: [orders] }] })),
      /entitlements\[0\]\.caller must be an IAM user or role ARN/,
    ],
    [
      'a caller listed twice',
      construct(({ orders }) => ({
        entitlements: [
          { caller: PARTNER_ROLE, functionUrls: [orders] },
          { caller: PARTNER_ROLE, functionUrls: [orders] },
        ],
      })),
      /entitlements\[1\]\.caller must appear in one entitlement only/,
    ],
    [
      'an entitlement without URLs',
      construct(() => ({ entitlements: [{ caller: PARTNER_ROLE, functionUrls: [] }] })),
      /entitlements\[0\]\.functionUrls must name at least one IamFunctionUrl/,
    ],
  ];
  it.each(refusals)('%s', (_, build, message) => {
    expect(build).toThrow(InvalidPropError);
    expect(build).toThrow(message);
  });

  it('a scope made with another copy of the constructs package that keeps its tree elsewhere', () => {
    // An older constructs (10.4.2), whose tree lives in a field of another name.
    const copy = path.join(temp(), 'node_modules', 'constructs');
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', 'constructs'), copy, { recursive: true });
    const file = path.join(copy, 'lib', 'construct.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('_scopes', '_scopeChain'));
    const manifest = path.join(copy, 'package.json');
    fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, 'utf8')), version: '10.4.2' }));
    const other = require(copy) as typeof import('constructs');
    const foreignStack = new other.Construct(new other.Construct(undefined as never, ''), 'stack');
    expect(() => new CredentialVendor(foreignStack as never, 'Vendor', { entitlements: [] })).toThrow(DuplicateConstructsError);
  });

  it("the vendor's own URL (a vended session could vend again)", () => {
    expect(() =>
      synthStack((stack) => {
        const vendor = new CredentialVendor(stack, 'Vendor', { entitlements: [{ caller: PARTNER_ROLE, functionUrls: [] }] });
        return vendor;
      }),
    ).toThrow(/at least one/);
    // The vendor's URL exists only inside the constructor, so the check is proven on the checker itself.
    synthStack((stack) => {
      const url = new IamFunctionUrl(stack, 'Own', { function: 'vendor' });
      expect(() =>
        checkEntitlement(
          new PropChecker('CredentialVendor', 'test/Vendor'),
          'entitlements[0]',
          { caller: PARTNER_ROLE, functionUrls: [url] },
          url,
        ),
      ).toThrow(/must not hold the vendor's own URL/);
    });
  });

  it("entitlements that would not fit in Lambda's 4 KB of environment", () => {
    const build = (callers: number) =>
      synthStack((stack) => {
        const url = new IamFunctionUrl(stack, 'Orders', { function: 'orders' });
        const entitlements = Array.from({ length: callers }, (_, i) => ({
          caller: `arn:aws:iam::${ACCOUNT}:role/partner-${i}`,
          functionUrls: [url],
        }));
        new CredentialVendor(stack, 'Vendor', { entitlements });
      });
    // Each entitlement is about 140 characters of ARN (counted at its longest) plus the caller and fields.
    expect(() => build(12)).not.toThrow();
    expect(() => build(30)).toThrow(
      /CredentialVendor at test\/Vendor: entitlements need up to \d+ bytes of the function's environment, more than Lambda's 4096/,
    );
  });

  it('a session policy over the STS limit, counted from the URLs and tags', () => {
    const build = (urlCount: number, tags: Record<string, string> = {}) =>
      synthStack((stack) => {
        const urls = Array.from(
          { length: urlCount },
          (_, i) => new IamFunctionUrl(stack, `Url${i}`, { function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f${i}` }),
        );
        new CredentialVendor(stack, 'Vendor', { entitlements: [{ caller: PARTNER_ROLE, functionUrls: urls, sessionTags: tags }] });
      });
    // Each URL adds two statements of about 430 characters with a literal ARN: four fit, five do not.
    expect(() => build(4)).not.toThrow();
    expect(() => build(5)).toThrow(
      new RegExp(
        `entitlements\\[0\\] would need a session policy of up to \\d+ characters plus 0 characters of session tags, more than the ${MAX_SESSION_POLICY_CHARACTERS}`,
      ),
    );
    expect(() => build(4, { note: 'x'.repeat(256), more: 'y'.repeat(256) })).toThrow(/plus 520 characters of session tags/);
  });
});
