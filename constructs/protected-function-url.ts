import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { TerraformOutput } from 'cdktf';
import { FunctionInvokerRole, type FunctionInvokerRoleOptions } from './function-invoker-role';
import { IamFunctionUrl, type IamFunctionUrlProps } from './iam-function-url';
import { InvokerUser } from './invoker-user';
import { PropChecker } from './prop-validation';
import type { SourceNetworkOptions } from './source-network';

/** Names of the outputs `ProtectedFunctionUrl` declares (they are construct ids, so stable). */
export const PROTECTED_FUNCTION_URL_OUTPUTS = {
  functionUrl: 'function_url',
  functionArn: 'function_arn',
  region: 'region',
  roleArn: 'invoker_role_arn',
  externalId: 'external_id',
  maxSessionDuration: 'max_session_duration',
  userName: 'invoker_user_name',
  accessKeyId: 'invoker_access_key_id',
  secretAccessKey: 'invoker_secret_access_key',
  encryptedSecretAccessKey: 'invoker_encrypted_secret_access_key',
  rolesAnywhereProfileArn: 'roles_anywhere_profile_arn',
  rolesAnywhereTrustAnchorArn: 'roles_anywhere_trust_anchor_arn',
} as const;

/**
 * `allowedSourceIps` / `allowedVpcEndpoints` (SourceNetworkOptions) narrow where the invoker
 * user's key works; they need the user.
 */
export interface ProtectedFunctionUrlProps extends IamFunctionUrlProps, FunctionInvokerRoleOptions, SourceNetworkOptions {
  /** @default "lambda_invoker" */
  readonly userName?: string;
  /**
   * Create the invoker user (with its access key). Turn off when only `trustedPrincipals` (your
   * own roles, SSO users, another account), `trustedWebIdentities` or `trustedX509` callers
   * should assume the role: then no IAM user and no long-lived key exist at all.
   * @default true
   */
  readonly createInvokerUser?: boolean;
  /** @default true (see InvokerUserOptions.createAccessKey) */
  readonly createAccessKey?: boolean;
  /** @default - plain secret in state (see InvokerUserOptions.pgpKey) */
  readonly pgpKey?: string;
  /**
   * More principals (ARNs) that may assume the role, besides the invoker user. They may live in
   * other accounts; their session still belongs to this account, so no Lambda permission is needed.
   * @default - only the invoker user
   */
  readonly trustedPrincipals?: string[];
  /**
   * Principals of OTHER accounts that call the URL with their own credentials, without assuming
   * the role: each gets Lambda resource permissions (see IamFunctionUrl.allowCrossAccountInvoker).
   * @default - none
   */
  readonly crossAccountInvokers?: string[];
  /** Declare the Terraform outputs the client reads. @default true */
  readonly outputs?: boolean;
}

/**
 * Everything needed to call one Lambda function through an IAM-protected URL: the AWS_IAM URL,
 * the `function_invoker` role allowed to invoke exactly that URL, the invoker user that may only
 * assume the role (with its access key), and the outputs the client reads.
 */
export class ProtectedFunctionUrl extends Construct {
  readonly functionUrl: IamFunctionUrl;
  readonly role: FunctionInvokerRole;
  readonly user?: InvokerUser;

  constructor(scope: Construct, id: string, props: ProtectedFunctionUrlProps) {
    super(sameConstructsCopy(scope), id);
    // From JavaScript the props may be left out; then the message names the missing `function`.
    props = props ?? ({} as ProtectedFunctionUrlProps);
    const check: PropChecker = new PropChecker('ProtectedFunctionUrl', this.node.path);
    for (const prop of ['createInvokerUser', 'createAccessKey', 'outputs'] as const) check.boolean(prop, props[prop]);
    check.list('crossAccountInvokers', props.crossAccountInvokers, '["arn:aws:iam::111122223333:role/partner"]');
    const createUser = props.createInvokerUser ?? true;
    if (!createUser) {
      if (
        (props.trustedPrincipals ?? []).length === 0 &&
        (props.trustedWebIdentities ?? []).length === 0 &&
        props.trustedX509 === undefined
      ) {
        check.fail(
          'trustedPrincipals',
          props.trustedPrincipals ?? [],
          'must name at least one principal when createInvokerUser is false and there are no trustedWebIdentities or trustedX509 (nobody could assume the role)',
        );
      }
      for (const prop of ['userName', 'pgpKey', 'createAccessKey', 'allowedSourceIps', 'allowedVpcEndpoints'] as const) {
        if (props[prop] !== undefined)
          check.fail(prop, props[prop], 'has no effect when createInvokerUser is false: remove it, or create the user');
      }
    }

    this.functionUrl = new IamFunctionUrl(this, 'FunctionUrl', props);
    // The role's options are this construct's own props; the one URL it may call is granted by the URL.
    this.role = new FunctionInvokerRole(this, 'InvokerRole', { ...props, functionUrls: undefined });
    this.functionUrl.grantInvokeUrl(this.role);
    if (createUser) {
      this.user = new InvokerUser(this, 'InvokerUser', {
        role: this.role,
        namePrefix: props.namePrefix,
        userName: props.userName,
        path: props.path,
        createAccessKey: props.createAccessKey,
        pgpKey: props.pgpKey,
        permissionsBoundary: props.permissionsBoundary,
        tags: props.tags,
        allowedSourceIps: props.allowedSourceIps,
        allowedVpcEndpoints: props.allowedVpcEndpoints,
      });
    }
    for (const principal of props.crossAccountInvokers ?? []) this.functionUrl.allowCrossAccountInvoker(principal);
    if (props.outputs ?? true) this.declareOutputs();
  }

  private declareOutputs(): void {
    const names = PROTECTED_FUNCTION_URL_OUTPUTS;
    const output = (name: string, value: string | number, description: string, sensitive = false) =>
      new TerraformOutput(this, name, { value, description, sensitive });
    output(names.functionUrl, this.functionUrl.url, 'The AWS_IAM function URL; requests must be SigV4-signed for service "lambda".');
    output(names.functionArn, this.functionUrl.invokeArn, 'The function ARN IAM evaluates for calls to the URL.');
    output(names.region, this.functionUrl.region, 'Region of the function: the SigV4 signing region.');
    output(names.roleArn, this.role.roleArn, 'Role to assume (sts:AssumeRole) before calling the URL.');
    output(names.maxSessionDuration, this.role.maxSessionDuration, 'Longest session (seconds) AssumeRole may ask for.');
    if (this.role.externalId !== undefined) output(names.externalId, this.role.externalId, 'sts:ExternalId that AssumeRole must present.');
    if (this.role.rolesAnywhereProfileArn !== undefined && this.role.rolesAnywhereTrustAnchorArn !== undefined) {
      output(
        names.rolesAnywhereProfileArn,
        this.role.rolesAnywhereProfileArn,
        'Roles Anywhere profile for aws_signing_helper --profile-arn.',
      );
      output(
        names.rolesAnywhereTrustAnchorArn,
        this.role.rolesAnywhereTrustAnchorArn,
        'Roles Anywhere trust anchor for aws_signing_helper --trust-anchor-arn.',
      );
    }
    const user = this.user;
    if (user === undefined) return;
    output(names.userName, user.userName, 'IAM user whose only right is to assume the role.');
    if (user.accessKeyId !== undefined) output(names.accessKeyId, user.accessKeyId, 'Access key id of the invoker user.');
    if (user.secretAccessKey !== undefined)
      output(names.secretAccessKey, user.secretAccessKey, 'Secret access key of the invoker user.', true);
    if (user.encryptedSecretAccessKey !== undefined) {
      output(names.encryptedSecretAccessKey, user.encryptedSecretAccessKey, 'The secret access key, encrypted with pgpKey (base64).', true);
    }
  }
}
