/**
 * IAM policies as typed data.
 *
 * The constructs build every policy as a `PolicyDocument` and serialize it once with
 * `renderPolicy`. Terraform references (tokens) inside strings survive `JSON.stringify` and become
 * `${aws_x.y.arn}` interpolations in the synthesized JSON, so a test can read the stack back,
 * substitute the references and hand the exact document to a policy simulator. We deliberately do
 * not use the `aws_iam_policy_document` data source: its output exists only at plan time.
 */

export type PolicyEffect = 'Allow' | 'Deny';

/** Condition block: operator -> condition key -> value(s). */
export type PolicyConditions = Record<string, Record<string, string | string[]>>;

export interface PolicyPrincipal {
  readonly AWS?: string | string[];
  readonly Service?: string | string[];
  /** An IAM OIDC (or SAML) provider ARN: who may call AssumeRoleWithWebIdentity. */
  readonly Federated?: string | string[];
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: PolicyEffect;
  readonly Principal?: PolicyPrincipal;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: PolicyConditions;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * Joins condition blocks into one. Every key of a statement's condition must hold (AND), so two
 * blocks that use the same operator are merged key by key; a key given twice is a programming error.
 */
export function mergeConditions(...blocks: (PolicyConditions | undefined)[]): PolicyConditions | undefined {
  const merged: Record<string, Record<string, string | string[]>> = {};
  for (const block of blocks) {
    for (const [operator, keys] of Object.entries(block ?? {})) {
      merged[operator] ??= {};
      const into = merged[operator];
      for (const [key, value] of Object.entries(keys)) {
        if (key in into) throw new Error(`condition key ${key} is set twice under ${operator}`);
        into[key] = value;
      }
    }
  }
  return Object.keys(merged).length === 0 ? undefined : merged;
}

/** Serializes a policy for a Terraform string attribute (`policy`, `assume_role_policy`). */
export function renderPolicy(document: PolicyDocument): string {
  return JSON.stringify(document);
}
