import { randomBytes } from 'node:crypto';
import { validateSessionPolicy } from '@cloud-copilot/iam-policy';
import { AwsError } from './aws-error';
import type { World } from './world';
import { type Role, type Session, newId } from './world-state';
import { el } from './xml';

/**
 * What every STS operation that issues a session shares (AssumeRole, AssumeRoleWithWebIdentity,
 * GetSessionToken, a function's execution role): new keys, the session policy (inline Policy and
 * PolicyArns), the role session recorded in the world, and the <Credentials> and
 * <AssumedRoleUser> elements of the answer.
 */

export function newSessionKeys(
  now: Date,
  durationSeconds: number,
): Pick<Session, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration' | 'issuedAt'> {
  return {
    accessKeyId: newId('ASIA', 16),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(180).toString('base64')}`,
    expiration: new Date(now.getTime() + durationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    issuedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** The <Credentials> element every STS operation that issues a session answers with. */
export function credentialsElement(session: Session) {
  return el('Credentials', [
    el('AccessKeyId', session.accessKeyId),
    el('SecretAccessKey', session.secretAccessKey),
    el('SessionToken', session.sessionToken),
    el('Expiration', session.expiration),
  ]);
}

/**
 * The role a RoleArn names, when it exists under exactly that ARN: its trust policy decides, with
 * the caller's identity policies, who may assume it. Without one nobody may: AWS answers
 * AccessDenied, not NoSuchEntity, for a role that does not exist.
 */
export function assumableRole(world: World, roleArn: string): Role | undefined {
  const role = world.state.roles[roleArn.split('/').pop() ?? ''];
  return role !== undefined && role.arn === roleArn ? role : undefined;
}

/** A session of `role` named `sessionName`, recorded in the world; `extra` adds policy, tags and source identity. */
export function issueRoleSession(
  world: World,
  role: Role,
  sessionName: string,
  now: Date,
  durationSeconds: number,
  extra: Pick<Session, 'sessionPolicy' | 'tags' | 'transitiveTagKeys' | 'sourceIdentity'> = {},
): Session {
  const session: Session = {
    ...newSessionKeys(now, durationSeconds),
    roleArn: role.arn,
    roleName: role.name,
    roleId: role.roleId,
    sessionName,
    assumedRoleArn: `arn:aws:sts::${world.accountId}:assumed-role/${role.name}/${sessionName}`,
    ...extra,
  };
  world.addSession(session, now);
  return session;
}

/** <AssumedRoleUser> of a role session's answer. */
export function assumedRoleUserElement(session: Session) {
  return el('AssumedRoleUser', [el('AssumedRoleId', `${session.roleId}:${session.sessionName}`), el('Arn', session.assumedRoleArn)]);
}

/** <PackedPolicySize>: the share of AWS's packed limit the session policy (and tags) use, in percent. */
export function packedPolicySizeElement(sessionPolicy: string | undefined) {
  return el('PackedPolicySize', Math.min(100, Math.ceil(((sessionPolicy?.length ?? 0) / 2048) * 100)));
}

/** The inline session policy (`Policy`): at most 2048 characters, JSON, a valid session policy. */
export function inlineSessionPolicy(params: URLSearchParams): string | undefined {
  const policy = params.get('Policy') ?? undefined;
  if (policy === undefined) return undefined;
  if (policy.length > 2048)
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
  }
  const errors = validateSessionPolicy(parsed);
  if (errors.length > 0) throw new AwsError('MalformedPolicyDocument', errors[0].message);
  return policy;
}

/** AssumeRole `PolicyArns.member.N.arn`: at most 10. */
export function sessionPolicyArns(params: URLSearchParams): string[] {
  const arns: string[] = [];
  for (let i = 1; params.has(`PolicyArns.member.${i}.arn`); i++) arns.push(params.get(`PolicyArns.member.${i}.arn`)!);
  if (arns.length > 10)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10`,
    );
  return arns;
}

/**
 * The session policy of AssumeRole: the inline Policy and the documents of PolicyArns (at most
 * 10) as one document. Their statements together are the session's ceiling: an action is allowed
 * when one of them allows it and none denies it, which is how AWS combines session policies.
 * This account's managed policies and AWS-managed ones (aws-managed-policies.ts) are known; an
 * unknown ARN is refused as AWS does.
 */
export function sessionPolicyDocuments(arns: string[], world: World, inline: string | undefined): string | undefined {
  if (arns.length === 0) return inline;
  const statements: unknown[] = [];
  const add = (document: string) => {
    const statement = (JSON.parse(document) as { Statement: unknown }).Statement;
    statements.push(...(Array.isArray(statement) ? statement : [statement]));
  };
  if (inline !== undefined) add(inline);
  for (const arn of arns) {
    const document = world.defaultPolicyDocument(arn);
    if (document === undefined) throw new AwsError('InvalidParameterValue', `Policy ${arn} does not exist or is not attachable.`);
    add(document);
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
