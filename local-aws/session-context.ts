import type { World } from './world';
import type { Role, Session } from './world-state';

/**
 * The role a session was issued for, or undefined once that role is gone. A role deleted and
 * recreated under the same name has a new unique id (AROA…) and is another role: the old
 * sessions (e.g. replayed from the session journal after a crash) get none of its permissions.
 */
export function roleOfSession(world: World, session: Session): Role | undefined {
  const role = world.state.roles[session.roleName];
  return role !== undefined && role.roleId === session.roleId ? role : undefined;
}

/**
 * The condition keys a role session carries: `aws:PrincipalTag/<key>` from the role's tags,
 * overridden by the session's tags (AWS: a session tag wins over a role tag with the same key),
 * `aws:SourceIdentity` when one was set, and `lambda:SourceFunctionArn` for a function's session.
 */
export function sessionContext(world: World, session: Session): Record<string, string> {
  const context: Record<string, string> = Object.create(null);
  for (const tag of roleOfSession(world, session)?.tags ?? []) context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
  for (const tag of session.tags ?? []) {
    // Tag keys are case-insensitive: a session tag `team` replaces the role's `Team`, rather than
    // leaving both for the evaluation to pick from.
    for (const key of Object.keys(context)) if (key.toLowerCase() === `aws:principaltag/${tag.Key.toLowerCase()}`) delete context[key];
    context[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
  }
  if (session.sourceIdentity !== undefined) context['aws:SourceIdentity'] = session.sourceIdentity;
  // "Lambda injects the source function ARN into the credentials context" of the requests made
  // with a function's execution-role credentials (Lambda developer guide, lambda:SourceFunctionArn).
  if (session.sourceFunctionArn !== undefined) context['lambda:SourceFunctionArn'] = session.sourceFunctionArn;
  return context;
}
