import { isIPv4 } from 'node:net';
import { type PropChecker, isUnresolved, PARTITION } from './prop-validation';

/**
 * The rules a web-identity trust must keep: what an issuer URL or provider ARN may look like, and
 * which audiences and subjects are narrow enough to trust.
 */

/** An OIDC issuer as IAM names it. */
export interface OidcIssuer {
  /** `https` or `http` (local issuers only); undefined when known from a provider ARN. */
  readonly scheme?: 'https' | 'http';
  /** The URL for `aws_iam_openid_connect_provider.url`. */
  readonly url: string;
  /**
   * The URL without `https://`: the provider ARN ends with it, and IAM names the token's claims
   * after it (`<prefix>:aud`, `<prefix>:sub`) (IAM User Guide, "Available keys for AWS web
   * identity federation").
   */
  readonly claimKeyPrefix: string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** host[:port][/path]: what follows the scheme of an issuer URL, or `oidc-provider/` in an ARN. */
const HOST_AND_PATH = /^(\[[0-9a-fA-F:]+\]|[^/:[\]]+)(?::(\d{1,5}))?(\/[^?#\s]*)?$/;

/** Parses an issuer URL; IAM allows `https://` URLs of at most 255 characters, without a query. */
export function parseIssuerUrl(check: PropChecker, prop: string, url: string, local: boolean): OidcIssuer {
  if (isUnresolved(url)) check.fail(prop, url, 'must be a literal URL, not a Terraform reference: the condition keys are named after it');
  const match = typeof url === 'string' ? /^(https?):\/\/(.*)$/.exec(url) : null;
  if (match === null || url.length > 255)
    check.fail(prop, url, "must be an https:// URL of at most 255 characters, as the tokens' iss claim holds it");
  const scheme = match[1] as 'https' | 'http';
  if (scheme === 'http' && !local) {
    check.fail(
      prop,
      url,
      "must use https:// (AWS fetches the issuer's keys over TLS); http:// is accepted only for a loopback issuer with localIssuer: true",
    );
  }
  checkHostAndPath(check, prop, url, match[2], local);
  return { scheme, url, claimKeyPrefix: match[2] };
}

/** Parses a literal IAM OIDC provider ARN; a Terraform reference gives undefined. */
export function parseProviderArn(check: PropChecker, prop: string, arn: string, local: boolean): OidcIssuer | undefined {
  if (isUnresolved(arn)) return undefined;
  const match = typeof arn === 'string' ? new RegExp(`^arn:${PARTITION}:iam::\\d{12}:oidc-provider/(.+)$`).exec(arn) : null;
  if (match === null)
    check.fail(prop, arn, 'must be an IAM OIDC provider ARN: arn:<partition>:iam::<12-digit account>:oidc-provider/<issuer host/path>');
  checkHostAndPath(check, prop, arn, match[2], local);
  return { url: `https://${match[2]}`, claimKeyPrefix: match[2] };
}

function checkHostAndPath(check: PropChecker, prop: string, value: string, hostAndPath: string, local: boolean): void {
  const parts = HOST_AND_PATH.exec(hostAndPath);
  const host = parts?.[1] ?? '';
  const port = parts?.[2];
  if (parts === null || !(DNS_NAME.test(host) || isIPv4(host) || host === '[::1]')) {
    check.fail(
      prop,
      value,
      'must name the issuer as host[/path]: a lowercase DNS name or IP address, then an optional path without query or fragment',
    );
  }
  const loopback = host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
  if (local && !loopback) check.fail(prop, value, 'must name a loopback host (127.x.x.x, [::1], localhost) when localIssuer is true');
  if (!local && loopback)
    check.fail(prop, value, "names a loopback host, which AWS cannot reach: set localIssuer: true for a local stand-in's issuer");
  if (port !== undefined && (!local || Number(port) < 1 || Number(port) > 65535)) {
    check.fail(
      prop,
      value,
      local ? 'has a port outside 1 to 65535' : 'must not hold a port (IAM: "The URL should not contain a port number")',
    );
  }
}

/** The `aud` values: 1 to 100 (an IAM OIDC provider's client ID quota), each 1 to 255 characters, exact. */
export function checkAudiences(check: PropChecker, prop: string, audiences: readonly string[] | undefined): void {
  if (audiences === undefined || (Array.isArray(audiences) && audiences.length === 0)) {
    check.fail(
      prop,
      audiences,
      "must name at least one audience (the token's aud claim): without it any client of the issuer could assume the role",
    );
  }
  check.list(prop, audiences, '["sts.amazonaws.com"]', 'a list of audiences');
  if (audiences.length > 100) check.fail(prop, audiences, "may hold at most 100 audiences (IAM's client ID quota per OIDC provider)");
  audiences.forEach((audience, index) => {
    if (typeof audience !== 'string' || !/^[\u0021-\u007e]{1,255}$/.test(audience) || audience.includes('${')) {
      check.fail(`${prop}[${index}]`, audience, 'must be 1 to 255 printable characters without spaces or "${"');
    }
    if (/[*?]/.test(audience))
      check.fail(
        `${prop}[${index}]`,
        audience,
        "must be exact: audiences are compared with StringEquals (and IAM checks aud against the provider's client IDs)",
      );
  });
}

/**
 * The `sub` values. A wildcard may only follow the owner part of a subject: `ownerPrefix` where
 * given, otherwise the first two `:`-separated fields. A bare `*` (every token of the issuer) and
 * `repo:org/*` (every repository of org) are the classic holes of GitHub OIDC trust policies.
 */
export function checkSubjects(
  check: PropChecker,
  prop: string,
  subjects: readonly string[] | undefined,
  ownerPrefix: string | undefined,
  ownerPrefixProp?: string,
): void {
  if (subjects === undefined || (Array.isArray(subjects) && subjects.length === 0)) {
    check.fail(
      prop,
      subjects,
      "must name at least one subject (the token's sub claim): without a sub condition every identity of the issuer could assume the role",
    );
  }
  check.list(prop, subjects, '["repo:my-org/my-repo:ref:refs/heads/main"]', 'a list of subjects');
  if (subjects.length > 50)
    check.fail(prop, subjects, 'may hold at most 50 subjects (a role trust policy holds 2,048 characters by default)');
  if (ownerPrefix !== undefined && ownerPrefixProp !== undefined) {
    if (
      typeof ownerPrefix !== 'string' ||
      !/^[\u0021-\u007e]*[^:/*?][:/]$/.test(ownerPrefix) ||
      /[*?]/.test(ownerPrefix) ||
      !/^[^:/]/.test(ownerPrefix)
    ) {
      check.fail(
        ownerPrefixProp,
        ownerPrefix,
        'must be the literal start of your subjects up to the end of the owner part, ending with ":" or "/" (e.g. "org/1234/project/5678/"), without wildcards',
      );
    }
  }
  subjects.forEach((subject, index) => {
    const at = `${prop}[${index}]`;
    if (typeof subject !== 'string' || !/^[\u0020-\u007e]{1,255}$/.test(subject) || subject.includes('${')) {
      check.fail(at, subject, 'must be 1 to 255 printable characters without "${" (OIDC Core: sub is at most 255 ASCII characters)');
    }
    if (ownerPrefix !== undefined && !subject.startsWith(ownerPrefix))
      check.fail(at, subject, `must start with the owner part "${ownerPrefix}"`);
    const wildcard = subject.search(/[*?]/);
    if (wildcard === -1) return;
    if (wildcard === 0)
      check.fail(at, subject, 'must not start with a wildcard: it would match the tokens of every owner the issuer signs for');
    if (ownerPrefix !== undefined) {
      if (wildcard < ownerPrefix.length) check.fail(at, subject, `has a wildcard inside its owner part "${ownerPrefix}"`);
      return;
    }
    if ((subject.slice(0, wildcard).match(/:/g) ?? []).length < 2) {
      check.fail(
        at,
        subject,
        'has its first wildcard before the owner part: the text before it must hold two complete ":"-fields, as in "repo:<owner>/<repo>:*" ("repo:org/*" would trust every repository of org); to trust a wider owner on purpose, set subjectOwnerPrefix',
      );
    }
  });
}
