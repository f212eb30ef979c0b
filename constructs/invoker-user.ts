import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import type { FunctionInvokerRole } from './function-invoker-role';
import { type PolicyStatement, policyDocument, renderPolicy } from './policy-document';
import { PropChecker, isUnresolved } from './prop-validation';
import { type SourceNetworkOptions, checkSourceNetwork, sourceNetworkAlternatives } from './source-network';

/**
 * The user's settings. `allowedSourceIps` / `allowedVpcEndpoints` (from SourceNetworkOptions)
 * narrow where its long-lived key works: both its AssumeRole right and the role's trust in it
 * then hold the condition, so a leaked key is useless elsewhere.
 */
export interface InvokerUserOptions extends SourceNetworkOptions {
  /** Prepended to the user and policy names. @default - no prefix */
  readonly namePrefix?: string;
  /** @default "lambda_invoker" */
  readonly userName?: string;
  /** @default "/" */
  readonly path?: string;
  /**
   * Create an access key for the user. Its secret is stored in Terraform state (see
   * docs/security.md); turn this off to create keys out of band.
   * @default true
   */
  readonly createAccessKey?: boolean;
  /**
   * PGP public key (base64) or `keybase:<user>`: the secret is then encrypted with it and only
   * the encrypted form reaches state and outputs.
   * @default - the secret is stored in plain text in state
   */
  readonly pgpKey?: string;
  /** ARN of a managed policy that bounds the user's permissions. @default - no boundary */
  readonly permissionsBoundary?: string;
  /** @default - no tags */
  readonly tags?: Record<string, string>;
}

export interface InvokerUserProps extends InvokerUserOptions {
  /** The one role this user may assume; the user is added to its trust policy. */
  readonly role: FunctionInvokerRole;
}

/**
 * An IAM user whose only right is `sts:AssumeRole` on one role. Its long-lived key can do nothing
 * else: not invoke the function, not read IAM, not create keys. Calls go through the role's
 * short-lived session.
 */
export class InvokerUser extends Construct {
  readonly userName: string;
  readonly userArn: string;
  /** Undefined when `createAccessKey` is false. */
  readonly accessKeyId?: string;
  /** Plain secret (a sensitive Terraform value); undefined with a PGP key or without a key. */
  readonly secretAccessKey?: string;
  /** Base64 PGP-encrypted secret; set only with `pgpKey`. */
  readonly encryptedSecretAccessKey?: string;

  constructor(scope: Construct, id: string, props: InvokerUserProps) {
    super(sameConstructsCopy(scope), id);
    const check: PropChecker = new PropChecker('InvokerUser', this.node.path);
    const role: unknown = props?.role;
    if (!isFunctionInvokerRoleLike(role)) {
      check.fail('role', role, 'must be the FunctionInvokerRole this user may assume');
    }
    const prefix = props.namePrefix ?? '';
    this.userName = `${prefix}${props.userName ?? 'lambda_invoker'}`;
    check.boolean('createAccessKey', props.createAccessKey);
    const createAccessKey = props.createAccessKey ?? true;
    check.iamName(props.userName !== undefined ? 'userName' : 'namePrefix + userName', this.userName, 64);
    check.iamPath('path', props.path);
    check.managedPolicyArn('permissionsBoundary', props.permissionsBoundary);
    check.tags('tags', props.tags);
    checkSourceNetwork(check, props);
    if (props.pgpKey !== undefined) checkPgpKey(check, props.pgpKey, createAccessKey);

    check.uniqueIamName(this, 'user', props.userName !== undefined ? 'userName' : 'namePrefix + userName', this.userName);
    const user = new IamUser(this, 'User', {
      name: this.userName,
      path: props.path ?? '/',
      permissionsBoundary: props.permissionsBoundary,
      tags: props.tags,
    });
    this.userArn = user.arn;
    const network: SourceNetworkOptions = { allowedSourceIps: props.allowedSourceIps, allowedVpcEndpoints: props.allowedVpcEndpoints };
    const alternatives = sourceNetworkAlternatives(network);
    if (alternatives.length > 0 && props.role.addTrustedPrincipal.length < 2) {
      // A role of an older copy of this package would drop the networks from its trust policy.
      check.fail(
        'role',
        props.role,
        'cannot restrict its trust by network (it comes from an older copy of lambda-url-iam): allowedSourceIps and allowedVpcEndpoints need the same copy',
      );
    }
    new IamUserPolicy(this, 'AssumeRolePolicy', {
      name: `${prefix}AssumeFunctionInvokerRole`,
      user: user.name,
      policy: renderPolicy(policyDocument(assumeRoleStatements(props.role.roleArn, alternatives))),
    });
    props.role.addTrustedPrincipal(user.arn, network);

    if (createAccessKey) {
      const key = new IamAccessKey(this, 'AccessKey', { user: user.name, pgpKey: props.pgpKey });
      this.accessKeyId = key.id;
      if (props.pgpKey !== undefined) this.encryptedSecretAccessKey = key.encryptedSecret;
      else this.secretAccessKey = key.secret;
    }
  }
}

/** A PGP key for the secret: only with an access key, and in the form Terraform's aws_iam_access_key takes. */
function checkPgpKey(check: PropChecker, pgpKey: string, createAccessKey: boolean): void {
  if (!createAccessKey) check.fail('pgpKey', pgpKey, 'needs createAccessKey: true (there is no secret to encrypt without an access key)');
  if (!isUnresolved(pgpKey) && !/^(keybase:[a-zA-Z0-9_-]{1,64}|[A-Za-z0-9+/=\s]{64,})$/.test(pgpKey)) {
    check.fail('pgpKey', pgpKey, 'must be "keybase:<username>" or a base64-encoded PGP public key (binary, not ASCII-armored)');
  }
}

/** sts:AssumeRole on the one role: one statement, or one per allowed source network. */
function assumeRoleStatements(roleArn: string, alternatives: ReturnType<typeof sourceNetworkAlternatives>): PolicyStatement[] {
  const assumeRole: PolicyStatement = {
    Sid: 'AssumeFunctionInvokerRoleOnly',
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: roleArn,
  };
  if (alternatives.length === 0) return [assumeRole];
  return alternatives.map(({ sidSuffix, condition }) => ({
    ...assumeRole,
    Sid: `AssumeFunctionInvokerRole${sidSuffix}`,
    Condition: condition,
  }));
}

/** A FunctionInvokerRole from another copy of this package is still one (no instanceof across copies). */
function isFunctionInvokerRoleLike(value: unknown): boolean {
  const role = value as Partial<Record<'roleArn' | 'addTrustedPrincipal', unknown>> | null | undefined;
  return typeof role === 'object' && role !== null && typeof role.roleArn === 'string' && typeof role.addTrustedPrincipal === 'function';
}
