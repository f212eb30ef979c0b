import { createHash } from 'node:crypto';
import { Construct, type IConstruct } from 'constructs';
import { Lazy, TerraformStack } from 'cdktf';
import { DataAwsIamOpenidConnectProvider } from '@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import type { PropChecker } from './prop-validation';
import type { OidcIssuer } from './web-identity-rules';

interface CreatedProvider {
  readonly kind: 'created';
  readonly arn: string;
  readonly audiences: Set<string>;
  readonly thumbprints: Set<string>;
}

interface LookedUpProvider {
  readonly kind: 'lookedUp';
  readonly arn: string;
}

/**
 * The IAM OIDC providers of one stack, one per issuer: IAM allows a single provider per issuer URL
 * in an account (CreateOpenIDConnectProvider answers EntityAlreadyExists for a second), so every
 * web-identity trust of the stack that names an issuer shares its provider. A created provider's
 * client IDs are the union of the audiences of the trusts that use it. Created once, at the root
 * of the stack, by the first trust that needs it.
 */
export class OidcProviders extends Construct {
  /** The stack's instance, created on first use. Its id is fixed: it is a Terraform address. */
  static of(scope: IConstruct): OidcProviders {
    const stack = TerraformStack.of(scope);
    // By shape, not instanceof: another copy of this package in the app has its own class.
    const existing = stack.node.tryFindChild(OIDC_PROVIDERS_ID) as Partial<OidcProviders> | undefined;
    return typeof existing?.created === 'function' ? (existing as OidcProviders) : new OidcProviders(stack, OIDC_PROVIDERS_ID);
  }

  private readonly byIssuer = new Map<string, CreatedProvider | LookedUpProvider>();

  /** The ARN of this stack's `aws_iam_openid_connect_provider` for `issuer`, created on first use. */
  created(
    check: PropChecker,
    at: string,
    issuer: OidcIssuer,
    audiences: readonly string[],
    thumbprints: readonly string[] | undefined,
  ): string {
    checkThumbprints(check, `${at}thumbprints`, thumbprints);
    let provider = this.byIssuer.get(issuer.claimKeyPrefix);
    if (provider?.kind === 'lookedUp') {
      check.fail(
        `${at}createProvider`,
        true,
        `conflicts with another trust of this stack that looks up the existing provider of ${issuer.url} (createProvider: false): an account holds one provider per issuer`,
      );
    }
    if (provider === undefined) {
      const state: CreatedProvider = { kind: 'created', arn: '', audiences: new Set(), thumbprints: new Set() };
      const resource = new IamOpenidConnectProvider(this, `Provider${issuerKey(issuer)}`, {
        url: issuer.url,
        clientIdList: Lazy.listValue({ produce: () => [...state.audiences] }),
        thumbprintList: Lazy.listValue({ produce: () => [...state.thumbprints] }, { omitEmpty: true }),
      });
      provider = { ...state, arn: resource.arn };
      this.byIssuer.set(issuer.claimKeyPrefix, provider);
    }
    const audienceUnion = new Set([...provider.audiences, ...audiences]);
    const thumbprintUnion = new Set([...provider.thumbprints, ...(thumbprints ?? []).map((t) => t.toLowerCase())]);
    if (audienceUnion.size > 100)
      check.fail(
        `${at}audiences`,
        audiences,
        `would give the provider of ${issuer.url} more than 100 client IDs (IAM's quota), counting the other trusts of this stack`,
      );
    if (thumbprintUnion.size > 5)
      check.fail(
        `${at}thumbprints`,
        thumbprints,
        `would give the provider of ${issuer.url} more than 5 thumbprints (IAM's quota), counting the other trusts of this stack`,
      );
    for (const audience of audiences) provider.audiences.add(audience);
    for (const thumbprint of thumbprintUnion) provider.thumbprints.add(thumbprint);
    return provider.arn;
  }

  /** The ARN of the provider the account already has for `issuer`, read at plan time. */
  lookedUp(check: PropChecker, at: string, issuer: OidcIssuer, thumbprints: readonly string[] | undefined): string {
    if (thumbprints !== undefined)
      check.fail(`${at}thumbprints`, thumbprints, 'have no effect with createProvider: false: they belong to the existing provider');
    const provider = this.byIssuer.get(issuer.claimKeyPrefix);
    if (provider?.kind === 'created') {
      check.fail(
        `${at}createProvider`,
        false,
        `conflicts with another trust of this stack that creates the provider of ${issuer.url}: leave createProvider out to share it`,
      );
    }
    if (provider !== undefined) return provider.arn;
    const lookup = new DataAwsIamOpenidConnectProvider(this, `Lookup${issuerKey(issuer)}`, { url: issuer.url });
    this.byIssuer.set(issuer.claimKeyPrefix, { kind: 'lookedUp', arn: lookup.arn });
    return lookup.arn;
  }
}

const OIDC_PROVIDERS_ID = 'LambdaUrlIamOidcProviders';

/**
 * The construct id suffix of an issuer's provider. It comes from the issuer URL, which is what
 * the resource is: `url` forces a new provider when it changes (ForceNew in hashicorp/aws), so
 * the id is as stable as the resource, and two issuers never share one.
 */
function issuerKey(issuer: OidcIssuer): string {
  return createHash('sha256').update(issuer.claimKeyPrefix).digest('hex').slice(0, 10);
}

function checkThumbprints(check: PropChecker, prop: string, thumbprints: readonly string[] | undefined): void {
  if (thumbprints === undefined) return;
  check.list(prop, thumbprints, '["6938fd4d98bab03faadb97b34396831e3780aea1"]', 'a list of thumbprints');
  if (thumbprints.length === 0 || thumbprints.length > 5)
    check.fail(prop, thumbprints, 'must hold 1 to 5 thumbprints (leave it out to let IAM fetch one)');
  thumbprints.forEach((thumbprint, index) => {
    if (typeof thumbprint !== 'string' || !/^[0-9a-fA-F]{40}$/.test(thumbprint)) {
      check.fail(`${prop}[${index}]`, thumbprint, 'must be a SHA-1 thumbprint: 40 hex digits');
    }
  });
}
