import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { Lazy } from 'cdktf';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { IamFunctionUrl } from './iam-function-url';
import type { FunctionUrlInvokeGrant, InvokeGrantee } from './invoke-grant';
import { type PolicyConditions, type PolicyStatement, mergeConditions, policyDocument, renderPolicy } from './policy-document';
import { EXTERNAL_ID, PropChecker } from './prop-validation';
import { RolesAnywhereTrust, type X509TrustOptions, checkX509Trust } from './roles-anywhere-trust';
import { type SourceNetworkOptions, checkSourceNetwork, sourceNetworkAlternatives } from './source-network';
import { type BoundWebIdentityTrust, type WebIdentityTrust, isWebIdentityTrust, webIdentityStatement } from './web-identity-trust';

/** Settings of the role session that callers must or may use; shared with the composite. */
export interface FunctionInvokerRoleOptions {
  /**
   * Prepended to the role and policy names (in ProtectedFunctionUrl also to the user's and its
   * policy's), so two deployments in one account cannot collide. Two constructs of one stack may
   * not end up with the same IAM name: that is refused at construction.
   * @default - no prefix
   */
  readonly namePrefix?: string;
  /** @default "function_invoker" */
  readonly roleName?: string;
  /** Name of the customer-managed invoke policy. @default "InvokeSingleLambdaPolicy" */
  readonly policyName?: string;
  /** IAM path of the role and the policy (in ProtectedFunctionUrl also of the user). @default "/" */
  readonly path?: string;
  /**
   * When set, AssumeRole must present this `sts:ExternalId` (2 to 1224 characters). It guards a
   * third party's role against the confused-deputy problem; it is not a secret.
   * @default - no external ID required
   */
  readonly externalId?: string;
  /** Longest session a caller may request, in seconds (3600 to 43200). @default 3600 */
  readonly maxSessionDuration?: number;
  /** ARN of a managed policy that bounds the role's permissions. @default - no boundary */
  readonly permissionsBoundary?: string;
  /** @default - no tags */
  readonly tags?: Record<string, string>;
  /**
   * Holders of OIDC tokens that may assume the role with `sts:AssumeRoleWithWebIdentity`, with no
   * AWS key at all: `WebIdentityTrust.gitHubActions({ repository: 'org/repo' })`,
   * `WebIdentityTrust.oidc({ issuerUrl, audiences, subjects })`. More with `addTrustedWebIdentity`.
   * @default - none
   */
  readonly trustedWebIdentities?: WebIdentityTrust[];
  /**
   * Holders of an X.509 certificate of your CA that may assume the role through IAM Roles
   * Anywhere: a trust anchor (existing, or created from your CA bundle), a profile for this role,
   * and a trust statement for the allowed certificate common names.
   * @default - no Roles Anywhere trust
   */
  readonly trustedX509?: X509TrustOptions;
}

export interface FunctionInvokerRoleProps extends FunctionInvokerRoleOptions {
  /**
   * ARNs of the IAM principals that may assume the role (users, roles, `arn:aws:iam::ID:root`,
   * in this or other accounts). More can be added with `addTrustedPrincipal`; at synth at least
   * one must be there. @default - none
   */
  readonly trustedPrincipals?: string[];
  /** Function URLs the role may invoke; more with `url.grantInvokeUrl(role)`. @default - none */
  readonly functionUrls?: IamFunctionUrl[];
}

/**
 * The `function_invoker` role: assumable only by the principals it trusts, and allowed only to
 * call the function URLs granted to it (`url.grantInvokeUrl(role)`), through a customer-managed
 * policy attached to it.
 */
export class FunctionInvokerRole extends Construct implements InvokeGrantee {
  readonly roleName: string;
  readonly roleArn: string;
  readonly policyArn: string;
  readonly externalId?: string;
  readonly maxSessionDuration: number;
  /** ARN of the Roles Anywhere profile that maps to this role; set with `trustedX509`. */
  readonly rolesAnywhereProfileArn?: string;
  /** ARN of the trust anchor whose certificates are trusted; set with `trustedX509`. */
  readonly rolesAnywhereTrustAnchorArn?: string;

  /** Trusted IAM principals by ARN, with the networks they must call from (undefined: any). */
  private readonly trustedPrincipals = new Map<string, SourceNetworkOptions | undefined>();
  private readonly webIdentities: BoundWebIdentityTrust[] = [];
  private readonly rolesAnywhere?: RolesAnywhereTrust;
  private readonly grants: FunctionUrlInvokeGrant[] = [];
  // Field initializers run after super(), so the node (and its path) exists here.
  private readonly check = new PropChecker('FunctionInvokerRole', this.node.path);

  constructor(scope: Construct, id: string, props: FunctionInvokerRoleProps = {}) {
    super(sameConstructsCopy(scope), id);
    const check: PropChecker = this.check;
    const prefix = props.namePrefix ?? '';
    this.roleName = `${prefix}${props.roleName ?? 'function_invoker'}`;
    const policyName = `${prefix}${props.policyName ?? 'InvokeSingleLambdaPolicy'}`;
    const path = props.path ?? '/';
    this.externalId = props.externalId;
    this.maxSessionDuration = props.maxSessionDuration ?? 3600;

    this.checkProps(props, policyName, path);

    for (const principal of props.trustedPrincipals ?? []) this.addTrustedPrincipal(principal);
    for (const trust of props.trustedWebIdentities ?? []) this.addTrustedWebIdentity(trust);
    for (const url of props.functionUrls ?? []) this.grantUrl(url);

    check.uniqueIamName(this, 'role', props.roleName !== undefined ? 'roleName' : 'namePrefix + roleName', this.roleName);
    check.uniqueIamName(this, 'policy', props.policyName !== undefined ? 'policyName' : 'namePrefix + policyName', policyName);
    const role = new IamRole(this, 'Role', {
      name: this.roleName,
      path,
      description: 'Assumed by the function URL invoker; may only invoke its function URL(s).',
      assumeRolePolicy: Lazy.stringValue({ produce: () => renderPolicy(this.trustPolicy()) }),
      maxSessionDuration: this.maxSessionDuration,
      permissionsBoundary: props.permissionsBoundary,
      tags: props.tags,
    });
    const policy = new IamPolicy(this, 'InvokePolicy', {
      name: policyName,
      path,
      description: 'Invoke exactly the granted Lambda function URL(s), nothing else.',
      policy: Lazy.stringValue({ produce: () => renderPolicy(this.invokePolicy()) }),
      tags: props.tags,
    });
    new IamRolePolicyAttachment(this, 'InvokePolicyAttachment', { role: role.name, policyArn: policy.arn });
    this.roleArn = role.arn;
    this.policyArn = policy.arn;
    if (props.trustedX509 !== undefined) {
      this.rolesAnywhere = new RolesAnywhereTrust(this, 'RolesAnywhere', {
        ...props.trustedX509,
        roleArn: role.arn,
        roleName: this.roleName,
      });
      this.rolesAnywhereProfileArn = this.rolesAnywhere.profileArn;
      this.rolesAnywhereTrustAnchorArn = this.rolesAnywhere.trustAnchorArn;
    }

    this.node.addValidation({ validate: () => this.missingParts() });
  }

  /** The props' values checked before anything is created: each error names the prop, the value and the rule. */
  private checkProps(props: FunctionInvokerRoleProps, policyName: string, path: string): void {
    const check = this.check;
    check.iamName(props.roleName !== undefined ? 'roleName' : 'namePrefix + roleName', this.roleName, 64);
    check.iamName(props.policyName !== undefined ? 'policyName' : 'namePrefix + policyName', policyName, 128);
    check.iamPath('path', path);
    check.pattern('externalId', this.externalId, EXTERNAL_ID, 2, 1224, 'letters, digits and + = , . @ : / _ -');
    check.integerInRange('maxSessionDuration', this.maxSessionDuration, 3600, 43200, 'seconds');
    check.managedPolicyArn('permissionsBoundary', props.permissionsBoundary);
    check.tags('tags', props.tags);
    check.list('trustedPrincipals', props.trustedPrincipals, '["arn:aws:iam::111122223333:role/on-call"]');
    check.list('functionUrls', props.functionUrls, '[functionUrl]');
    check.list('trustedWebIdentities', props.trustedWebIdentities, '[WebIdentityTrust.gitHubActions({ repository: "org/repo" })]');
    if (props.trustedX509 !== undefined) checkX509Trust(check, 'trustedX509', props.trustedX509);
  }

  /** At synth: a role nobody may assume, or one with nothing to invoke, is an error. */
  private missingParts(): string[] {
    return [
      ...(this.trustedPrincipals.size === 0 && this.webIdentities.length === 0 && this.rolesAnywhere === undefined
        ? [
            'FunctionInvokerRole has no trusted principal: pass trustedPrincipals, trustedWebIdentities or trustedX509, or call addTrustedPrincipal (nobody could assume it)',
          ]
        : []),
      ...(this.grants.length === 0
        ? [
            'FunctionInvokerRole has no function URL to invoke: pass functionUrls or call url.grantInvokeUrl(role) (its policy would be empty)',
          ]
        : []),
    ];
  }

  /**
   * Lets one more IAM principal (by ARN) assume this role; with `network`, only from those IP
   * ranges or VPC endpoints. Adding the same ARN twice is a no-op; with other networks, an error.
   */
  addTrustedPrincipal(principalArn: string, network?: SourceNetworkOptions): void {
    this.check.principalArn('trustedPrincipals', principalArn);
    checkSourceNetwork(this.check, network);
    const restricted = network?.allowedSourceIps !== undefined || network?.allowedVpcEndpoints !== undefined ? network : undefined;
    if (this.trustedPrincipals.has(principalArn)) {
      if (JSON.stringify(this.trustedPrincipals.get(principalArn)) !== JSON.stringify(restricted)) {
        this.check.fail(
          'trustedPrincipals',
          principalArn,
          'is trusted already with other allowed networks (one principal, one set of networks)',
        );
      }
      return;
    }
    this.trustedPrincipals.set(principalArn, restricted === undefined ? undefined : { ...restricted });
  }

  /**
   * Lets the holders of the tokens `trust` describes assume this role (AssumeRoleWithWebIdentity).
   * Its options are checked here; its issuer's OIDC provider is created (once per stack) or found.
   */
  addTrustedWebIdentity(trust: WebIdentityTrust): void {
    const prop = `trustedWebIdentities[${this.webIdentities.length}]`;
    if (!isWebIdentityTrust(trust))
      this.check.fail(prop, trust, 'must be a WebIdentityTrust: WebIdentityTrust.gitHubActions({ … }) or WebIdentityTrust.oidc({ … })');
    this.webIdentities.push(trust.bind(this, this.check, prop));
  }

  /**
   * Allows the role's sessions to call `url`.
   * @deprecated Write `url.grantInvokeUrl(role)`: the URL knows what to grant, the role is who.
   */
  grantInvokeUrl(url: IamFunctionUrl): void {
    this.grantUrl(url);
  }

  /**
   * Adds a URL's invoke statements to the role's policy (what `url.grantInvokeUrl(role)` calls).
   * One grant per invoke ARN: granting the same URL twice is a no-op.
   */
  addInvokeGrant(grant: FunctionUrlInvokeGrant): void {
    if (!this.grants.some((held) => held.invokeArn === grant.invokeArn)) this.grants.push(grant);
  }

  private grantUrl(url: IamFunctionUrl): void {
    const candidate = url as Partial<IamFunctionUrl> | undefined;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.grantInvokeUrl !== 'function' ||
      typeof candidate.invokeArn !== 'string'
    ) {
      this.check.fail('functionUrls', url, 'must hold IamFunctionUrl constructs (the URLs the role may invoke)');
    }
    url.grantInvokeUrl(this);
  }

  /** The trust policy as data (for tests and simulators); rendered into the role at synth. */
  trustPolicy() {
    const externalId: PolicyConditions | undefined =
      this.externalId !== undefined ? { StringEquals: { 'sts:ExternalId': this.externalId } } : undefined;
    const assume = (Sid: string, principals: string[], network?: PolicyConditions): PolicyStatement => {
      const Condition = mergeConditions(network, externalId);
      return {
        Sid,
        Effect: 'Allow',
        Principal: { AWS: principals.length === 1 ? principals[0] : principals },
        Action: 'sts:AssumeRole',
        ...(Condition !== undefined ? { Condition } : {}),
      };
    };
    const anywhere = [...this.trustedPrincipals].filter(([, network]) => network === undefined).map(([arn]) => arn);
    const restricted = [...this.trustedPrincipals].filter(([, network]) => network !== undefined);
    const numbered = (sid: string, index: number) => (index === 0 ? sid : `${sid}${index + 1}`);
    return policyDocument([
      ...(anywhere.length > 0 ? [assume('AllowTrustedPrincipalsToAssume', anywhere)] : []),
      // One statement per allowed network: a call has aws:SourceIp or aws:SourceVpce, never both.
      ...restricted.flatMap(([arn, network], index) =>
        sourceNetworkAlternatives(network).map(({ sidSuffix, condition }) =>
          assume(numbered(`AllowTrustedPrincipalsToAssume${sidSuffix}`, index), [arn], condition),
        ),
      ),
      ...this.webIdentities.map((trust, index) => webIdentityStatement(trust, numbered('AllowWebIdentity', index))),
      ...(this.rolesAnywhere !== undefined ? [this.rolesAnywhere.trustStatement('AllowRolesAnywhere')] : []),
    ]);
  }

  /**
   * The invoke policy as data; rendered into the managed policy at synth. The statements of the
   * second and later grants get a number after their Sid (`InvokeFunctionUrl2`): Sids must be
   * unique within a policy.
   */
  invokePolicy() {
    const statements: PolicyStatement[] = this.grants.flatMap((grant, index) =>
      grant.statements.map((statement) =>
        index === 0 || statement.Sid === undefined ? statement : { ...statement, Sid: `${statement.Sid}${index + 1}` },
      ),
    );
    return policyDocument(statements);
  }
}
