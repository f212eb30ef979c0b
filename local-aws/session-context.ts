import { Session, World } from './world';

/**
 * The condition keys a role session carries: `aws:PrincipalTag/<key>` from the role's tags,
 * overridden by the session's tags (AWS: a session tag wins over a role tag with the same key),
 * and `aws:SourceIdentity` when one was set.
 */
export function sessionContext(world: World, session: Session): Record<string, string> {
  const context: Record<string, string> = Object.create(null);
  for (const tag of world.state.roles[session.roleName]?.tags ?? []) context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
  for (const tag of session.tags ?? []) context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
  if (session.sourceIdentity !== undefined) context['aws:SourceIdentity'] = session.sourceIdentity;
  return context;
}
