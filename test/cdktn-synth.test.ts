import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitCdktnEntry, renameForCdktn, UnrenamableSpecifierError } from '../scripts/build-cdktn';
import { loadTarget, SCENARIO_PARTNER, synthScenario, synthTrustScenario } from './support/framework-targets';
import { useTempDir } from './support/temp-dir';

/**
 * One source, two entries: the cdktf entry and the CDK Terrain entry synthesize the same
 * Terraform, resource by resource. The only differences allowed are the documented ones
 * (docs/constructs.md, "CDK Terrain (cdktn)"): the provider version each prebuilt provider
 * package pins, and, with hashicorp/aws 6.28+, `invoked_via_function_url` on the cross-account
 * InvokeFunction permissions.
 */

type Json = Record<string, any>;

/** Every leaf that differs between two JSON values, as "path: before -> after". */
function differences(before: unknown, after: unknown, at = ''): string[] {
  const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => differences(before[key], after[key], at === '' ? key : `${at}.${key}`));
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [`${at}: ${JSON.stringify(before) ?? '(absent)'} -> ${JSON.stringify(after) ?? '(absent)'}`];
}

describe('the cdktf and cdktn entries synthesize the same stack', () => {
  const cdktf = loadTarget('cdktf');
  const cdktn = loadTarget('cdktn');
  const fromCdktf = synthScenario(cdktf);
  const fromCdktn = synthScenario(cdktn);

  it('loads each entry with its own framework and provider: hashicorp/aws 5.100.0 and 6.x', () => {
    expect(cdktf.providerVersion).toBe('5.100.0');
    expect(cdktn.providerVersion).toMatch(/^6\.\d+\.\d+$/);
    expect(cdktf.constructs.PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL).toBe(false);
    expect(cdktn.constructs.PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL).toBe(true);
    expect(cdktf.constructs.IamFunctionUrl).not.toBe(cdktn.constructs.IamFunctionUrl);
  });

  it('has the same resources, by type and logical id', () => {
    const inventory = (json: Json) =>
      Object.entries(json.resource)
        .flatMap(([type, byId]) => Object.keys(byId as Json).map((id) => `${type}.${id}`))
        .sort();
    expect(inventory(fromCdktn.json)).toEqual(inventory(fromCdktf.json));
    // function; URL, 2 permissions; role, policy, attachment; user, key, user policy (10); aliased URL, 2 permissions;
    // its role, policy, attachment; user, key, user policy (9); streaming URL, role, policy, attachment (4)
    expect(inventory(fromCdktf.json)).toHaveLength(23);
  });

  it('differs only in the provider version and invoked_via_function_url on the cross-account InvokeFunction permissions', () => {
    const permissions = fromCdktf.resources('aws_lambda_permission');
    const invokeFunctionIds = Object.keys(permissions)
      .filter((id) => permissions[id].action === 'lambda:InvokeFunction')
      .sort();
    expect(invokeFunctionIds).toHaveLength(2);
    expect(differences(fromCdktf.json, fromCdktn.json)).toEqual([
      `//.metadata.version: ${JSON.stringify(fromCdktf.json['//'].metadata.version)} -> ${JSON.stringify(fromCdktn.json['//'].metadata.version)}`,
      ...invokeFunctionIds.map((id) => `resource.aws_lambda_permission.${id}.invoked_via_function_url: (absent) -> true`),
      // Both name registry.terraform.io/hashicorp/aws: "aws" is Terraform's shorthand for it.
      `terraform.required_providers.aws.source: "aws" -> "hashicorp/aws"`,
      `terraform.required_providers.aws.version: "5.100.0" -> ${JSON.stringify(cdktn.providerVersion)}`,
    ]);
  });

  it('keeps function_url_auth_type on the InvokeFunctionUrl permissions only (AWS refuses it on InvokeFunction)', () => {
    for (const stack of [fromCdktf, fromCdktn]) {
      for (const permission of Object.values(stack.resources('aws_lambda_permission'))) {
        expect(permission.principal).toBe(SCENARIO_PARTNER);
        if (permission.action === 'lambda:InvokeFunctionUrl') expect(permission).toMatchObject({ function_url_auth_type: 'AWS_IAM' });
        else expect(permission).not.toHaveProperty('function_url_auth_type');
      }
    }
  });

  it('recognises the LambdaFunction of its own provider (no instanceof across copies)', () => {
    expect(Object.values(fromCdktn.resources('aws_lambda_function_url')).map((url) => url.function_name)).toContain(
      '${aws_lambda_function.Function.function_name}',
    );
  });

  const temp = useTempDir('cdktn-synth-');

  it('refuses a bad prop the same way in both, naming the construct path', () => {
    const messages = [cdktf, cdktn].map((target) => {
      // The App creates its outdir at once, so give it one that is removed.
      try {
        new target.constructs.IamFunctionUrl(new target.TerraformStack(new target.App({ outdir: temp() }), 'Stack') as never, 'Orders', {
          function: 'my.fn',
        });
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
      return 'no error';
    });
    expect(messages[0]).toMatch(/^InvalidPropError: IamFunctionUrl at Stack\/Orders: function must be/);
    expect(messages[1]).toBe(messages[0]);
  });

  it('refuses a flag given as a string and a second use of an IAM name the same way in both', () => {
    const refusals = [cdktf, cdktn].map((target) => {
      const stack = new target.TerraformStack(new target.App({ outdir: temp() }), 'Stack') as never;
      const attempt = (build: () => unknown) => {
        try {
          build();
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
        return 'no error';
      };
      return [
        attempt(() => new target.constructs.ProtectedFunctionUrl(stack, 'Flag', { function: 'flag', createAccessKey: 'false' as never })),
        attempt(() => new target.constructs.ProtectedFunctionUrl(stack, 'Orders', { function: 'orders' })),
        attempt(() => new target.constructs.ProtectedFunctionUrl(stack, 'Reports', { function: 'reports' })),
      ];
    });
    expect(refusals[0][0]).toMatch(/^InvalidPropError: ProtectedFunctionUrl at Stack\/Flag: createAccessKey must be true or false/);
    expect(refusals[0][1]).toBe('no error');
    expect(refusals[0][2]).toMatch(
      /^InvalidPropError: FunctionInvokerRole at Stack\/Reports\/InvokerRole: namePrefix \+ roleName must differ/,
    );
    expect(refusals[1]).toEqual(refusals[0]);
  });
});

describe('the cdktf and cdktn entries synthesize the same trusts: web identity, Roles Anywhere, narrowed key', () => {
  const fromCdktf = synthTrustScenario(loadTarget('cdktf'));
  const fromCdktn = synthTrustScenario(loadTarget('cdktn'));

  it('has the OIDC provider, its lookup, the trust anchor and the profile in both', () => {
    for (const stack of [fromCdktf, fromCdktn]) {
      expect(Object.keys(stack.resources('aws_iam_openid_connect_provider'))).toHaveLength(1);
      expect(Object.keys(stack.json.data.aws_iam_openid_connect_provider)).toHaveLength(1);
      expect(Object.keys(stack.resources('aws_rolesanywhere_trust_anchor'))).toHaveLength(1);
      expect(Object.keys(stack.resources('aws_rolesanywhere_profile'))).toHaveLength(1);
    }
  });

  it('differs only in the provider version', () => {
    expect(differences(fromCdktf.json, fromCdktn.json)).toEqual([
      `//.metadata.version: ${JSON.stringify(fromCdktf.json['//'].metadata.version)} -> ${JSON.stringify(fromCdktn.json['//'].metadata.version)}`,
      `terraform.required_providers.aws.source: "aws" -> "hashicorp/aws"`,
      `terraform.required_providers.aws.version: "5.100.0" -> ${JSON.stringify(loadTarget('cdktn').providerVersion)}`,
    ]);
  });
});

describe('the cdktn build step', () => {
  const temp = useTempDir('cdktn-emit-');

  it('renames cdktf and deep provider imports, in require calls, imports and import() types', () => {
    const compiled = [
      'const cdktf_1 = require("cdktf");',
      'const iam_role_1 = require("@cdktf/provider-aws/lib/iam-role");',
      "import { Lazy } from 'cdktf';",
      'readonly url: import("@cdktf/provider-aws/lib/lambda-function-url").LambdaFunctionUrl;',
      'const constructs_1 = require("constructs");',
      '// the cdktf token in a comment stays',
    ].join('\n');
    expect(renameForCdktn(compiled)).toBe(
      [
        'const cdktf_1 = require("cdktn");',
        'const iam_role_1 = require("@cdktn/provider-aws/lib/iam-role");',
        "import { Lazy } from 'cdktn';",
        'readonly url: import("@cdktn/provider-aws/lib/lambda-function-url").LambdaFunctionUrl;',
        'const constructs_1 = require("constructs");',
        '// the cdktf token in a comment stays',
      ].join('\n'),
    );
  });

  it.each([
    ['the provider root (4 s to load; the constructs import by deep path)', 'require("@cdktf/provider-aws")', '"@cdktf/provider-aws"'],
    ['another @cdktf package', 'require("@cdktf/provider-random/lib/id")', '"@cdktf/provider-random/lib/id"'],
    ['a cdktf subpath', "import x from 'cdktf/lib/tokens';", "'cdktf/lib/tokens'"],
  ])('refuses to emit when a specifier has no counterpart: %s', (_, text, specifier) => {
    expect(() => renameForCdktn(text, 'x.js')).toThrow(UnrenamableSpecifierError);
    expect(() => renameForCdktn(text, 'x.js')).toThrow(`x.js: ${specifier} has no cdktn counterpart`);
  });

  it('writes the whole entry or nothing: a failure leaves the previous entry as it was', () => {
    const work = temp();
    const from = path.join(work, 'constructs');
    const to = path.join(work, 'cdktn');
    fs.mkdirSync(from);
    fs.writeFileSync(path.join(from, 'index.js'), 'require("cdktf"); require("./role");');
    fs.writeFileSync(path.join(from, 'index.d.ts'), "export * from './role';");
    fs.writeFileSync(path.join(from, 'role.js'), 'require("@cdktf/provider-aws/lib/iam-role");');
    expect(emitCdktnEntry(from, to)).toEqual(['index.d.ts', 'index.js', 'role.js']);
    expect(fs.readFileSync(path.join(to, 'role.js'), 'utf8')).toBe('require("@cdktn/provider-aws/lib/iam-role");');

    fs.writeFileSync(path.join(from, 'role.js'), 'require("@cdktf/provider-aws");');
    expect(() => emitCdktnEntry(from, to)).toThrow(UnrenamableSpecifierError);
    expect(fs.readFileSync(path.join(to, 'role.js'), 'utf8')).toBe('require("@cdktn/provider-aws/lib/iam-role");');
    expect(fs.readdirSync(work).sort()).toEqual(['cdktn', 'constructs']);
  });
});
