import { randomBytes } from 'node:crypto';
import { validateSessionPolicy } from '@cloud-copilot/iam-policy';
import { Authorizer, Principal } from './authorization';
import { AwsError, Session, World, newId } from './world';
import { integerParameter } from './iam-api';
import { el } from './xml';

/** STS over the Query protocol: AssumeRole and GetCallerIdentity, with AWS's rules. */

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export async function stsOperation(action: string, params: URLSearchParams, world: World, authorizer: Authorizer, principal: Principal, now: Date): Promise<string[]> {
  switch (action) {
    case 'GetCallerIdentity':
      return callerIdentity(world, principal);
    case 'AssumeRole':
      return assumeRole(params, world, authorizer, principal, now);
    default:
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }
}

function callerIdentity(world: World, principal: Principal): string[] {
  const userId = principal.kind === 'admin' ? world.accountId : principal.kind === 'user' ? principal.user.userId : `${principal.session.roleId}:${principal.session.sessionName}`;
  return [el('UserId', userId), el('Account', world.accountId), el('Arn', principal.arn)];
}

async function assumeRole(params: URLSearchParams, world: World, authorizer: Authorizer, principal: Principal, now: Date): Promise<string[]> {
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  if (roleArn.length < 20) throw new AwsError('ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`);
  if (!SESSION_NAME.test(sessionName)) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`);
  }
  const externalId = params.get('ExternalId') ?? undefined;
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw new AwsError('ValidationError', `1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*`);
  }
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) {
    if (policy.length > 2048) throw new AwsError('ValidationError', `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
    }
    const errors = validateSessionPolicy(parsed);
    if (errors.length > 0) throw new AwsError('MalformedPolicyDocument', errors[0].message);
  }
  const duration = integerParameter(params, 'DurationSeconds', 900, 43200, 3600);

  const roleName = roleArn.split('/').pop() ?? '';
  const role = world.state.roles[roleName];
  const denied = () => new AwsError('AccessDenied', `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  // AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist.
  if (role === undefined || role.arn !== roleArn) throw denied();
  const context: Record<string, string> = externalId === undefined ? {} : { 'sts:ExternalId': externalId };
  if ((await authorizer.decide(principal, 'sts:AssumeRole', role.arn, context, role.assumeRolePolicyDocument)) !== 'Allowed') throw denied();
  // Role chaining caps a session at one hour.
  const maxDuration = principal.kind === 'session' ? 3600 : role.maxSessionDuration;
  if (duration > maxDuration) {
    throw new AwsError('ValidationError', `The requested DurationSeconds exceeds the ${principal.kind === 'session' ? '1 hour session limit for roles assumed by role chaining' : 'MaxSessionDuration set for this role'}.`);
  }

  const session: Session = {
    accessKeyId: newId('ASIA', 16),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(180).toString('base64')}`,
    expiration: new Date(now.getTime() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    roleArn: role.arn,
    roleName: role.name,
    roleId: role.roleId,
    sessionName,
    assumedRoleArn: `arn:aws:sts::${world.accountId}:assumed-role/${role.name}/${sessionName}`,
    sessionPolicy: policy,
  };
  world.addSession(session, now);
  return [
    el('Credentials', [el('AccessKeyId', session.accessKeyId), el('SecretAccessKey', session.secretAccessKey), el('SessionToken', session.sessionToken), el('Expiration', session.expiration)]),
    el('AssumedRoleUser', [el('AssumedRoleId', `${role.roleId}:${sessionName}`), el('Arn', session.assumedRoleArn)]),
    ...(policy === undefined ? [] : [el('PackedPolicySize', Math.min(100, Math.ceil((policy.length / 2048) * 100)))]),
  ];
}
