import type { Construct } from 'constructs';
import { OidcProviders } from './oidc-providers';
import type { PolicyStatement } from './policy-document';
import { type PropChecker, isUnresolved } from './prop-validation';
import { type OidcIssuer, checkAudiences, checkSubjects, parseIssuerUrl, parseProviderArn } from './web-identity-rules';

/** How a trust finds the IAM OIDC provider of its issuer; shared by every factory. */
export interface WebIdentityProviderOptions {
  /**
   * ARN of the account's existing IAM OIDC provider for the issuer,
   * `arn:aws:iam::<account>:oidc-provider/<issuer host/path>`. IAM holds one provider per issuer
   * URL in an account, so where another stack (or the console) created it, name it here.
   * @default - from the issuer URL: created by this stack, or looked up (see createProvider)
   */
  readonly providerArn?: string;
  /**
   * With an issuer URL: `true` creates the provider (`aws_iam_openid_connect_provider`) in this
   * stack, one per issuer however many trusts name it, its client IDs the union of their audiences;
   * `false` reads the ARN of the provider the account already has for the issuer at plan time
   * (`data.aws_iam_openid_connect_provider`). Not with `providerArn`.
   * @default true
   */
  readonly createProvider?: boolean;
  /**
   * SHA-1 thumbprints (40 hex digits) of the issuer's top intermediate CA, for a created provider
   * (at most 5 per provider). IAM fetches it itself when none is given, and does not use it for
   * issuers whose certificate comes from a CA it trusts (IAM User Guide, "Create an OpenID
   * Connect (OIDC) identity provider in IAM").
   * @default - none
   */
  readonly thumbprints?: string[];
  /**
   * The issuer runs on this machine (a local stand-in's issuer): its host must be loopback
   * (`127.x.x.x`, `[::1]`, `localhost`), and it may use a port and, through `providerArn` only,
   * `http://` (the Terraform provider accepts `https://` URLs only). Every other issuer must be an
   * `https://` URL without a port that AWS can reach.
   * @default false
   */
  readonly localIssuer?: boolean;
}

/** Any OIDC issuer: its URL or provider, the audiences and the subjects allowed. */
export interface OidcTrustOptions extends WebIdentityProviderOptions {
  /**
   * The issuer URL, exactly as the tokens' `iss` claim holds it (`https://host[/path]`). Required
   * unless `providerArn` is a literal ARN (which names the issuer).
   * @default - the issuer named by providerArn
   */
  readonly issuerUrl?: string;
  /** The `aud` values allowed (`StringEquals`); at least one, no wildcards. */
  readonly audiences: string[];
  /**
   * The `sub` values allowed: exact, or with `*`/`?` wildcards (then all are matched with
   * `StringLike`). A wildcard may only follow the part of the subject that names its owner: by
   * default at least two complete `:`-separated fields (`repo:<owner>/<repo>:…`,
   * `project_path:<group>/<project>:…`, `system:serviceaccount:<namespace>:…`).
   */
  readonly subjects: string[];
  /**
   * The owner part of your issuer's subjects, where it is not two `:`-fields (e.g.
   * `org/<org-id>/project/<project-id>/` for CircleCI). Every subject must start with it and may
   * hold wildcards only after it; it must end with `:` or `/`. Setting it to a shorter prefix
   * (`repo:my-org/`) is how a wider trust (every repository of an organisation) is declared on purpose.
   * @default - the first two `:`-separated fields of each subject
   */
  readonly subjectOwnerPrefix?: string;
}

/** GitHub Actions workflows of one repository (or, on purpose, of every repository of an organisation). */
export interface GitHubActionsTrustOptions extends WebIdentityProviderOptions {
  /** `owner/repo`, as GitHub spells it (the `sub` claim is compared case-sensitively). No wildcards. */
  readonly repository?: string;
  /**
   * Every repository of this owner, instead of `repository`: anyone who can create or push to a
   * repository of the organisation may then assume the role, so `ref` or `environment` is required.
   * @default - only `repository`
   */
  readonly organization?: string;
  /**
   * Only workflows of this full Git ref, `refs/heads/main` or `refs/tags/v*` (wildcards allowed).
   * GitHub's `sub` holds the ref only for jobs without an environment.
   * @default - any ref (with neither ref nor environment: any workflow of the repository)
   */
  readonly ref?: string;
  /** Only jobs that run in this GitHub environment (wildcards allowed). Not with `ref`. @default - any environment */
  readonly environment?: string;
  /** @default ["sts.amazonaws.com"] (what aws-actions/configure-aws-credentials asks for) */
  readonly audiences?: string[];
  /** For GitHub Enterprise Server or a customized issuer. @default "https://token.actions.githubusercontent.com" */
  readonly issuerUrl?: string;
}

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** A trust statement's inputs once a trust is bound to a role's stack. */
export interface BoundWebIdentityTrust {
  /** The provider ARN (a Terraform reference when the stack creates or looks it up). */
  readonly providerArn: string;
  /** The issuer URL without its scheme: what IAM prefixes the claim keys with (`<prefix>:sub`). */
  readonly claimKeyPrefix: string;
  readonly audiences: readonly string[];
  readonly subjects: readonly string[];
}

type TrustSpec =
  | { readonly kind: 'oidc'; readonly options: OidcTrustOptions }
  | { readonly kind: 'gitHubActions'; readonly options: GitHubActionsTrustOptions };

/**
 * Callers that hold an OIDC token instead of an AWS key (a CI job, a Kubernetes service account):
 * they call `sts:AssumeRoleWithWebIdentity`, and the role trusts the issuer's IAM OIDC provider
 * for the audiences and subjects given here. Pass to `trustedWebIdentities`; the options are
 * checked when a role uses the trust, and errors name that role.
 */
export class WebIdentityTrust {
  /** Tokens of any OIDC issuer. */
  static oidc(options: OidcTrustOptions): WebIdentityTrust {
    return new WebIdentityTrust({ kind: 'oidc', options });
  }

  /** Tokens of GitHub Actions (`permissions: id-token: write` in the workflow). */
  static gitHubActions(options: GitHubActionsTrustOptions): WebIdentityTrust {
    return new WebIdentityTrust({ kind: 'gitHubActions', options });
  }

  private constructor(private readonly spec: TrustSpec) {}

  /** `oidc` or `gitHubActions`: which factory made the trust (in error messages). */
  get kind(): string {
    return this.spec.kind;
  }

  /**
   * Checks the options and finds (or creates, once per issuer in `scope`'s stack) the OIDC
   * provider. Called by `FunctionInvokerRole`; `prop` names the trust in error messages.
   */
  bind(scope: Construct, check: PropChecker, prop: string): BoundWebIdentityTrust {
    const options = (this.spec.options ?? {}) as Partial<OidcTrustOptions & GitHubActionsTrustOptions>;
    if (typeof options !== 'object') check.fail(prop, options, `must be created with WebIdentityTrust.${this.spec.kind}({ … })`);
    const at = `${prop}.`;
    const github = this.spec.kind === 'gitHubActions';
    const subjects = github ? gitHubSubjects(check, at, options) : options.subjects;
    const ownerPrefix = github ? gitHubOwnerPrefix(options) : options.subjectOwnerPrefix;
    const audiences = options.audiences ?? (github ? ['sts.amazonaws.com'] : undefined);
    checkAudiences(check, `${at}audiences`, audiences);
    checkSubjects(check, `${at}subjects`, subjects, ownerPrefix, github ? undefined : `${at}subjectOwnerPrefix`);
    check.boolean(`${at}createProvider`, options.createProvider);
    check.boolean(`${at}localIssuer`, options.localIssuer);
    const local = options.localIssuer ?? false;

    // A literal provider ARN names its issuer; otherwise GitHub's preset assumes GitHub's issuer.
    const arnNamesIssuer = options.providerArn !== undefined && !isUnresolved(options.providerArn);
    const issuerUrl = options.issuerUrl ?? (github && !arnNamesIssuer ? GITHUB_ACTIONS_ISSUER : undefined);
    const fromUrl = issuerUrl === undefined ? undefined : parseIssuerUrl(check, `${at}issuerUrl`, issuerUrl, local);
    const fromArn = options.providerArn === undefined ? undefined : parseProviderArn(check, `${at}providerArn`, options.providerArn, local);
    const issuer: OidcIssuer | undefined = fromUrl ?? fromArn;
    if (issuer === undefined) {
      check.fail(
        `${at}issuerUrl`,
        undefined,
        options.providerArn === undefined
          ? 'must be given, or providerArn (the issuer names the condition keys, <host/path>:aud and :sub)'
          : 'must be given when providerArn is a Terraform reference (the condition keys are named after the issuer)',
      );
    }
    if (fromUrl !== undefined && fromArn !== undefined && fromArn.claimKeyPrefix !== fromUrl.claimKeyPrefix) {
      check.fail(`${at}providerArn`, options.providerArn, `must name the provider of issuerUrl (oidc-provider/${fromUrl.claimKeyPrefix})`);
    }

    let providerArn: string;
    if (options.providerArn !== undefined) {
      if (options.createProvider === true)
        check.fail(`${at}createProvider`, true, 'cannot be true with providerArn (the provider exists already)');
      if (options.thumbprints !== undefined)
        check.fail(
          `${at}thumbprints`,
          options.thumbprints,
          'have no effect with providerArn: they belong to the provider where it was created',
        );
      providerArn = options.providerArn;
    } else {
      const providers = OidcProviders.of(scope);
      if (issuer.scheme === 'http') {
        check.fail(
          `${at}issuerUrl`,
          issuerUrl,
          'is an http:// issuer, which the Terraform provider refuses (hashicorp/aws validOpenIDURL): register the provider through the IAM API and pass providerArn, or serve the issuer over https',
        );
      }
      providerArn =
        (options.createProvider ?? true)
          ? providers.created(check, at, issuer, audiences!, options.thumbprints)
          : providers.lookedUp(check, at, issuer, options.thumbprints);
    }
    return { providerArn, claimKeyPrefix: issuer.claimKeyPrefix, audiences: [...audiences!], subjects: [...subjects!] };
  }
}

/** Whether `value` is a WebIdentityTrust (by shape: another copy of this package has its own class). */
export function isWebIdentityTrust(value: unknown): value is WebIdentityTrust {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<WebIdentityTrust>).bind === 'function' &&
    typeof (value as { kind?: unknown }).kind === 'string'
  );
}

/**
 * The trust statement of a bound trust: AssumeRoleWithWebIdentity for the provider, the audiences
 * with `StringEquals`, the subjects with `StringEquals` or, when one holds a wildcard, all with
 * `StringLike` (the keys of one statement are AND-ed, so the subjects must share one operator).
 */
export function webIdentityStatement(trust: BoundWebIdentityTrust, sid: string): PolicyStatement {
  const one = (values: readonly string[]) => (values.length === 1 ? values[0] : [...values]);
  const subjectOperator = trust.subjects.some((subject) => /[*?]/.test(subject)) ? 'StringLike' : 'StringEquals';
  const audience = { [`${trust.claimKeyPrefix}:aud`]: one(trust.audiences) };
  const subject = { [`${trust.claimKeyPrefix}:sub`]: one(trust.subjects) };
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { Federated: trust.providerArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition:
      subjectOperator === 'StringEquals' ? { StringEquals: { ...audience, ...subject } } : { StringEquals: audience, StringLike: subject },
  };
}

const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * GitHub's subject formats (GitHub Docs, "OpenID Connect reference"): `repo:<owner>/<repo>:ref:<ref>`
 * for jobs without an environment, `repo:<owner>/<repo>:environment:<name>` for jobs with one
 * (a `:` in the name is written `%3A`), `repo:<owner>/<repo>:pull_request` for pull requests.
 */
function gitHubSubjects(check: PropChecker, at: string, options: Partial<GitHubActionsTrustOptions>): string[] {
  const { repository, organization, ref, environment } = options;
  if ((repository === undefined) === (organization === undefined)) {
    check.fail(
      `${at}repository`,
      repository,
      'must be given as "owner/repo" (or, to trust every repository of an owner on purpose, organization instead)',
    );
  }
  if (repository !== undefined && (typeof repository !== 'string' || !GITHUB_REPOSITORY.test(repository))) {
    const wildcard = typeof repository === 'string' && /[*?]/.test(repository);
    check.fail(
      `${at}repository`,
      repository,
      wildcard
        ? 'must name one repository, without wildcards: to trust every repository of an owner on purpose, write organization: "<owner>" (with a ref or environment)'
        : 'must be "owner/repo": the owner (letters, digits, -; at most 39) and the repository name (letters, digits, . _ -)',
    );
  }
  if (organization !== undefined && (typeof organization !== 'string' || !GITHUB_OWNER.test(organization))) {
    check.fail(
      `${at}organization`,
      organization,
      'must be a GitHub owner name: letters, digits and -, at most 39 characters, no wildcards',
    );
  }
  if (ref !== undefined && environment !== undefined) {
    check.fail(
      `${at}environment`,
      environment,
      "cannot be combined with ref: GitHub puts the environment in the subject instead of the ref (protect the environment's branches in GitHub instead)",
    );
  }
  if (organization !== undefined && ref === undefined && environment === undefined) {
    check.fail(`${at}ref`, undefined, 'must be given (or environment) when a whole organization is trusted');
  }
  if (ref !== undefined && (typeof ref !== 'string' || !/^refs\/[\u0021-\u007e]+$/.test(ref) || ref.includes(':'))) {
    check.fail(`${at}ref`, ref, 'must be a full Git ref such as "refs/heads/main" or "refs/tags/v*"');
  }
  if (environment !== undefined && (typeof environment !== 'string' || !/^[\u0020-\u007e]{1,255}$/.test(environment))) {
    check.fail(`${at}environment`, environment, 'must be a GitHub environment name: 1 to 255 printable characters');
  }
  const owner = repository ?? `${organization}/*`;
  if (ref !== undefined) return [`repo:${owner}:ref:${ref}`];
  if (environment !== undefined) return [`repo:${owner}:environment:${environment.replaceAll(':', '%3A')}`];
  return [`repo:${owner}:*`];
}

/** The owner part of a GitHub subject: the repository, or (on purpose) the organisation. */
function gitHubOwnerPrefix(options: Partial<GitHubActionsTrustOptions>): string {
  return options.repository !== undefined ? `repo:${options.repository}:` : `repo:${options.organization}/`;
}
