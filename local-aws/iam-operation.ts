import { validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { AwsError } from './aws-error';
import type { OperationAuthorization, QueryOperation } from './operation';
import { fieldName, tagParameters } from './query-parameters';
import type { Tag } from './world-state';
import { el, members } from './xml';

/**
 * How an IAM operation is declared (its action, its resource, its handler) and the checks and
 * renderings every IAM API module shares: names, paths, policy documents and tags, with AWS's
 * validation errors.
 */

export type Handler = QueryOperation['handle'];
export type Resource = OperationAuthorization['resource'];

/** An IAM operation: action `iam:<name>`; no IAM operation takes GetSessionToken credentials obtained without MFA. */
export function iam(name: string, resource: Resource, handle: Handler): QueryOperation {
  return {
    service: 'iam',
    name,
    match: { protocol: 'query', action: name },
    action: `iam:${name}`,
    resource,
    credentials: 'not-session-token',
    handle,
  };
}

/** What a Create operation would make: the ARN from its Path (default `/`) and name parameters, as given. */
export const newEntity =
  (kind: 'user' | 'role' | 'policy', nameParameter: string): Resource =>
  ({ request, world }) =>
    world.iamArn(kind, request.params.get('Path') ?? '/', request.params.get(nameParameter) ?? '');

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007e]+\/)$/;

export function checkName(value: string, field: string, max: number): string {
  if (value.length > max || !NAME.test(value)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at '${fieldName(field)}' failed to satisfy constraint: Member must have length less than or equal to ${max} and satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return value;
}

export function checkPath(value: string | null): string {
  const p = value ?? '/';
  if (p.length > 512 || !PATH.test(p))
    throw new AwsError(
      'ValidationError',
      `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
    );
  return p;
}

/**
 * IAM's API limit on any policy document parameter (PolicyDocument, AssumeRolePolicyDocument):
 * 131072 characters. Checked before anything parses it; the quota (2048/4096/6144 without
 * whitespace) is checked after.
 */
const MAX_POLICY_DOCUMENT = 131072;

export function checkPolicyDocument(text: string, kind: 'identity' | 'trust', field: string): string {
  if (text.length > MAX_POLICY_DOCUMENT) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_DOCUMENT}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsError('MalformedPolicyDocument', `Syntax errors in policy. (${field} is not JSON)`);
  }
  const errors = kind === 'trust' ? validateTrustPolicy(parsed) : validateIdentityPolicy(parsed);
  if (errors.length > 0) throw new AwsError('MalformedPolicyDocument', `${errors[0].message} (${errors[0].path})`);
  const limit = kind === 'trust' ? 4096 : 6144;
  if (text.replace(/\s/g, '').length > limit) throw new AwsError('LimitExceeded', `Cannot exceed quota for PolicySize: ${limit}`, 409);
  return text;
}

export function parseTags(params: URLSearchParams): Tag[] {
  const tags = tagParameters(params);
  if (tags.length > 50) throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerEntity: 50', 409);
  return tags;
}

export const renderTags = (tags: Tag[]) =>
  tags.length === 0 ? '' : el('Tags', members(tags.map((t) => [el('Key', t.Key), el('Value', t.Value)])));
