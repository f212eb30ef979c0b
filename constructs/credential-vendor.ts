import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { Lazy, TerraformOutput } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { handlerPackage } from './handler-package';
import { IamFunctionUrl, PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL } from './iam-function-url';
import type { FunctionUrlInvokeGrant, InvokeGrantee } from './invoke-grant';
import { type PolicyStatement, policyDocument, renderPolicy } from './policy-document';
import { MANAGED_POLICY_ARN, PropChecker, isUnresolved } from './prop-validation';
import { VEND_CONFIG_VARIABLE, type VendEntitlement, checkEntitlement, checkEnvironmentSize, vendConfig } from './vend-entitlements';
import { VendRole, executionPolicy } from './vend-role';

export type { VendEntitlement } from './vend-entitlements';
export { VendRole, vendRoleTrustPolicy } from './vend-role';

/** Names of the outputs `CredentialVendor` declares (construct ids, so stable). */
export const CREDENTIAL_VENDOR_OUTPUTS = { vendorUrl: 'vendor_url', vendRoleArn: 'vend_role_arn' } as const;

/** Node.js runtimes whose Lambda images include the AWS SDK v3 the vending function imports. */
export const VENDOR_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;

export interface CredentialVendorProps {
  /** Who may receive credentials, for which URLs. At least one. */
  readonly entitlements: VendEntitlement[];
  /** Prepended to the function, role and log group names. @default - no prefix */
  readonly namePrefix?: string;
  /** @default "credential-vendor" */
  readonly functionName?: string;
  /** The role the vending function assumes for each caller. @default "credential-vend" */
  readonly vendRoleName?: string;
  /** @default "credential-vendor-execution" */
  readonly executionRoleName?: string;
  /** IAM path of both roles. @default "/" */
  readonly path?: string;
  /** Boundary of both roles. @default - none */
  readonly permissionsBoundary?: string;
  /** @default "nodejs22.x" */
  readonly runtime?: (typeof VENDOR_RUNTIMES)[number];
  /** Days the vending function's log (every vend and refusal, never a secret) is kept. @default 90 */
  readonly logRetentionDays?: number;
  /** @default - no tags */
  readonly tags?: Record<string, string>;
  /** Declare the `vendor_url` and `vend_role_arn` outputs. @default true */
  readonly outputs?: boolean;
}

/**
 * A credential vending endpoint: a function behind an AWS_IAM function URL that gives each
 * entitled caller temporary credentials of one vend role, scoped down by a session policy to the
 * function URLs of its entitlement, with the caller as SourceIdentity. One vend role serves many
 * callers; revoking a caller is removing its entitlement.
 *
 * The vending function's execution role may only assume (tag, set the source identity of) the
 * vend role; the vend role trusts only that execution role, and may do what the entitlements
 * together name. Each caller gets a resource permission for `lambda:InvokeFunctionUrl` on the
 * vendor's URL; see `resourcePolicyCoversInvokeFunction` for `lambda:InvokeFunction`.
 */
export class CredentialVendor extends Construct {
  readonly functionUrl: IamFunctionUrl;
  /** The vendor's URL (`https://<id>.lambda-url.<region>.on.aws/`). */
  readonly url: string;
  readonly function: LambdaFunction;
  readonly vendRole: VendRole;
  readonly executionRoleArn: string;
  /**
   * True when each caller's `lambda:InvokeFunction` permission is written into the function's
   * resource policy, limited to calls through the URL (`invoked_via_function_url`, hashicorp/aws
   * 6.28+, the cdktn target). On older providers (5.100, the cdktf target) that limit cannot be
   * written, and an unlimited InvokeFunction permission would let a caller invoke the vending
   * function directly with an event it wrote itself, naming any other caller: so none is written,
   * and callers need `invokeStatements()` in their own identity policy (same account only).
   */
  readonly resourcePolicyCoversInvokeFunction: boolean = PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL;

  constructor(scope: Construct, id: string, props: CredentialVendorProps) {
    super(sameConstructsCopy(scope), id);
    props = props ?? ({} as CredentialVendorProps);
    const check = new PropChecker('CredentialVendor', this.node.path);
    const { names, entitlements } = checkVendorProps(this, check, props);

    const logGroup = new CloudwatchLogGroup(this, 'LogGroup', {
      name: `/aws/lambda/${names.functionName}`,
      retentionInDays: props.logRetentionDays ?? 90,
      tags: props.tags,
    });
    const common = { path: props.path, permissionsBoundary: props.permissionsBoundary, tags: props.tags };
    const executionRole = new IamRole(this, 'ExecutionRole', {
      ...common,
      name: names.executionRoleName,
      assumeRolePolicy: renderPolicy(
        policyDocument([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      ),
    });
    this.executionRoleArn = executionRole.arn;
    this.vendRole = new VendRole(this, 'VendRole', { ...common, name: names.vendRoleName, executionRoleArn: executionRole.arn });
    new IamRolePolicy(this, 'ExecutionRolePolicy', {
      name: 'AssumeVendRoleAndWriteOwnLogs',
      role: executionRole.id,
      policy: renderPolicy(executionPolicy(this.vendRole.roleArn, logGroup.arn)),
    });

    const code = handlerPackage(this, 'HandlerCode', vendorHandlerDirectory());
    // Rendered at synth: the entitlements are checked below, once the vendor's own URL exists.
    const config = Lazy.stringValue({ produce: () => vendConfig(this.vendRole.roleArn, entitlements) });
    this.function = new LambdaFunction(this, 'Function', {
      functionName: names.functionName,
      description: 'Vends scoped-down temporary credentials of the vend role to entitled IAM callers.',
      runtime: props.runtime ?? 'nodejs22.x',
      ...code.functionCode,
      role: executionRole.arn,
      timeout: 10,
      memorySize: 128,
      environment: { variables: { [VEND_CONFIG_VARIABLE]: config } },
      tags: props.tags,
      dependsOn: [logGroup],
    });
    this.functionUrl = new IamFunctionUrl(this, 'FunctionUrl', { function: this.function });
    this.url = this.functionUrl.url;

    this.entitle(check, entitlements);
    if (props.outputs ?? true) this.declareOutputs();
  }

  /** Checks each entitlement, grants its URLs to the vend role and lets its caller call the vendor. */
  private entitle(check: PropChecker, entitlements: readonly VendEntitlement[]): void {
    const callers = new Set<string>();
    entitlements.forEach((entitlement, index) => {
      checkEntitlement(check, `entitlements[${index}]`, entitlement, this.functionUrl);
      if (callers.has(entitlement.caller))
        check.fail(`entitlements[${index}].caller`, entitlement.caller, 'must appear in one entitlement only');
      callers.add(entitlement.caller);
      for (const url of entitlement.functionUrls) url.grantInvokeUrl(this.vendRole);
      this.allowCaller(entitlement.caller, index);
    });
    checkEnvironmentSize(check, vendConfig(this.vendRole.roleArn, entitlements));
  }

  private declareOutputs(): void {
    new TerraformOutput(this, CREDENTIAL_VENDOR_OUTPUTS.vendorUrl, {
      value: this.url,
      description: 'The credential vendor URL (AWS_IAM; sign for service "lambda").',
    });
    new TerraformOutput(this, CREDENTIAL_VENDOR_OUTPUTS.vendRoleArn, {
      value: this.vendRole.roleArn,
      description: 'The role whose scoped sessions the vendor hands out.',
    });
  }

  /**
   * What a caller's identity policy needs to call the vendor: both actions, on the vendor's URL
   * only. Needed by callers of the function's own account where `resourcePolicyCoversInvokeFunction`
   * is false; harmless elsewhere.
   */
  invokeStatements(): PolicyStatement[] {
    return this.functionUrl.invokeStatements('Vendor');
  }

  /** Puts `invokeStatements()` into a grantee's identity policy (a caller role of this stack). */
  grantInvoke(grantee: InvokeGrantee): FunctionUrlInvokeGrant {
    return this.functionUrl.grantInvokeUrl(grantee);
  }

  private allowCaller(caller: string, index: number): void {
    // Ids come from the caller: a different caller is a different permission.
    const key = isUnresolved(caller) ? String(index + 1) : createHash('sha256').update(caller).digest('hex').slice(0, 10);
    const common = { functionName: this.function.functionName, principal: caller };
    new LambdaPermission(this, `CallerInvokeUrl${key}`, {
      ...common,
      statementId: `VendorInvokeFunctionUrl-${key}`,
      action: 'lambda:InvokeFunctionUrl',
      functionUrlAuthType: 'AWS_IAM',
    });
    if (!this.resourcePolicyCoversInvokeFunction) return;
    const invoke = new LambdaPermission(this, `CallerInvokeFunction${key}`, {
      ...common,
      statementId: `VendorInvokeFunction-${key}`,
      action: 'lambda:InvokeFunction',
    });
    // The cdktf provider's types lack the attribute; the provider's own setter knows its Terraform name.
    (invoke as unknown as { invokedViaFunctionUrl: boolean }).invokedViaFunctionUrl = true;
  }
}

/** The props' own checks (the entitlements' are made once the vendor's URL exists). */
function checkVendorProps(scope: Construct, check: PropChecker, props: CredentialVendorProps) {
  const names = checkNames(scope, check, props);
  check.oneOf('runtime', props.runtime, VENDOR_RUNTIMES);
  check.integerInRange('logRetentionDays', props.logRetentionDays, 1, 3653, 'days');
  check.tags('tags', props.tags);
  check.boolean('outputs', props.outputs);
  if (
    props.permissionsBoundary !== undefined &&
    !isUnresolved(props.permissionsBoundary) &&
    !MANAGED_POLICY_ARN.test(props.permissionsBoundary)
  )
    check.fail('permissionsBoundary', props.permissionsBoundary, 'must be a managed policy ARN');
  check.list('entitlements', props.entitlements, '[{ caller: "arn:aws:iam::111122223333:role/partner", functionUrls: [api.functionUrl] }]');
  const entitlements = props.entitlements ?? [];
  if (entitlements.length === 0)
    check.fail('entitlements', props.entitlements, 'must name at least one caller: a vendor nobody may call vends nothing');

  return { names, entitlements };
}

function checkNames(scope: Construct, check: PropChecker, props: CredentialVendorProps) {
  const prefix = props.namePrefix ?? '';
  check.pattern('namePrefix', props.namePrefix, /^[\w-]*$/, 0, 32, 'letters, digits, - and _');
  check.iamPath('path', props.path);
  const functionName = `${prefix}${props.functionName ?? 'credential-vendor'}`;
  check.pattern('functionName', functionName, /^[\w-]+$/, 1, 64, 'letters, digits, - and _ (with namePrefix)');
  const vendRoleName = `${prefix}${props.vendRoleName ?? 'credential-vend'}`;
  const executionRoleName = `${prefix}${props.executionRoleName ?? 'credential-vendor-execution'}`;
  check.iamName('vendRoleName', vendRoleName, 64);
  check.iamName('executionRoleName', executionRoleName, 64);
  check.uniqueIamName(scope, 'role', 'vendRoleName', vendRoleName);
  check.uniqueIamName(scope, 'role', 'executionRoleName', executionRoleName);
  return { functionName, vendRoleName, executionRoleName };
}

/**
 * The vending function's sources: `constructs/vendor-handler/` of the package, found from the
 * compiled entries (`dist/constructs`, `dist/cdktn`) and from the TypeScript sources alike.
 */
export function vendorHandlerDirectory(): string {
  const candidates = [path.join(__dirname, 'vendor-handler'), path.join(__dirname, '..', '..', 'constructs', 'vendor-handler')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.mjs')));
  if (found === undefined)
    throw new Error(`the credential vendor's handler is missing from the package (looked in ${candidates.join(', ')})`);
  return found;
}
