/**
 * The trust policy a role needs for AssumeRoleWithWebIdentity (IAM User Guide, "Creating a role for
 * web identity or OpenID Connect federation"): the account's OIDC provider for the issuer as the
 * federated principal, the token's `aud` and `sub` as conditions on `<issuer host/path>:aud|sub`.
 */
export interface WebIdentityTrustOptions {
  account: string;
  /** The issuer URL without its scheme, as the provider's ARN and the condition keys spell it. */
  hostAndPath: string;
  subject: string;
  /** @default 'sts.amazonaws.com' */
  audience?: string;
  /** `StringLike` for a subject with wildcards. @default 'StringEquals' */
  subjectOperator?: 'StringEquals' | 'StringLike';
  /** More condition operators, e.g. `{ IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } }`. */
  extraCondition?: Record<string, unknown>;
}

export function webIdentityTrust(options: WebIdentityTrustOptions) {
  const { hostAndPath, subjectOperator = 'StringEquals' } = options;
  const aud = { [`${hostAndPath}:aud`]: options.audience ?? 'sts.amazonaws.com' };
  const sub = { [`${hostAndPath}:sub`]: options.subject };
  const condition = subjectOperator === 'StringEquals' ? { StringEquals: { ...aud, ...sub } } : { StringEquals: aud, StringLike: sub };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${options.account}:oidc-provider/${hostAndPath}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { ...condition, ...options.extraCondition },
      },
    ],
  };
}
