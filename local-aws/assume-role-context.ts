import type { Principal } from './authorization';
import { tagParameters } from './query-parameters';

/**
 * The condition keys an AssumeRole request sets (IAM User Guide, "AWS STS condition keys" and
 * "Passing session tags in AWS STS"): `sts:ExternalId`, `sts:SourceIdentity`,
 * and for session tags `aws:TagKeys` and `aws:RequestTag/<key>`. They belong to the request, so
 * every action it is decided on sees them: `sts:AssumeRole` itself as well as `sts:TagSession` and
 * `sts:SetSourceIdentity`. Along a role chain the calling session's source identity and transitive
 * tags are passed again, so they are part of the request too. Read before the parameters are
 * validated (authorization comes first): the handler then refuses malformed values.
 */
export function assumeRoleRequestContext(params: URLSearchParams, principal: Principal): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = Object.create(null);
  const externalId = params.get('ExternalId');
  if (externalId !== null) context['sts:ExternalId'] = externalId;
  const parent = principal.kind === 'session' ? principal.session : undefined;
  const sourceIdentity = params.get('SourceIdentity') ?? parent?.sourceIdentity;
  if (sourceIdentity !== undefined) context['sts:SourceIdentity'] = sourceIdentity;
  const transitive = new Set((parent?.transitiveTagKeys ?? []).map((key) => key.toLowerCase()));
  const inherited = (parent?.tags ?? []).filter((tag) => transitive.has(tag.Key.toLowerCase()));
  const tags = [...inherited, ...tagParameters(params)];
  if (tags.length > 0) {
    context['aws:TagKeys'] = tags.map((tag) => tag.Key);
    for (const tag of tags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
  }
  return context;
}
