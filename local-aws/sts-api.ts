import { randomBytes } from 'node:crypto';
import { validateSessionPolicy } from '@cloud-copilot/iam-policy';
import { assumeRoleRequestContext } from './assume-role-context';
import { AwsError } from './aws-error';
import { type AuthorizationInput, type QueryOperation, everyResource } from './operation';
import { integerParameter, listParameter, tagParameters } from './query-parameters';
import type { World } from './world';
import { type Role, type Session, type Tag, newId } from './world-state';
import { el } from './xml';

/** STS over the Query protocol: AssumeRole, GetSessionToken and GetCallerIdentity, with AWS's rules. */

type Handler = QueryOperation['handle'];

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const getCallerIdentity: Handler = async ({ world, principal }) => {
  const userId =
    principal.kind === 'admin'
      ? world.accountId
      : principal.kind === 'user'
        ? principal.user.userId
        : `${principal.session.roleId}:${principal.session.sessionName}`;
  return [el('UserId', userId), el('Account', world.accountId), el('Arn', principal.arn)];
};

/**
 * GetSessionToken for a user or the root (no permission needed, like AWS): temporary credentials
 * that act as the caller, 900 s to 36 h (the root: at most 1 h), default 12 h (root 1 h). MFA
 * (SerialNumber/TokenCode) is not emulated and refused loudly.
 */
const getSessionToken: Handler = async ({ request: { params }, world, principal, now }) => {
  // Declared for long-term keys only: a user's or the root's.
  if (principal.kind === 'session') throw new Error('GetSessionToken reached its handler with role session credentials');
  if (params.has('SerialNumber') || params.has('TokenCode'))
    throw new AwsError('InvalidParameterValue', 'MFA (SerialNumber, TokenCode) is not emulated by the local stand-in.');
  const root = principal.kind === 'admin';
  const duration = root
    ? integerParameter(params, 'DurationSeconds', 900, 3600, 3600)
    : integerParameter(params, 'DurationSeconds', 900, 129600, 43200);
  const session: Session = {
    ...newSessionKeys(now, duration),
    roleArn: '',
    roleName: '',
    roleId: '',
    sessionName: '',
    assumedRoleArn: principal.arn,
    issuedTo: root ? { kind: 'root' } : { kind: 'user', userName: principal.user.name, userId: principal.user.userId },
  };
  world.addSession(session, now);
  return [credentialsElement(session)];
};

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

/** A session of `role` named `sessionName`, recorded in the world; `extra` adds its policy, tags and source identity. */
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

/** <PackedPolicySize>: the share of AWS's packed limit the session policy uses, in percent. */
export function packedPolicySizeElement(sessionPolicy: string | undefined) {
  return el('PackedPolicySize', Math.min(100, Math.ceil(((sessionPolicy?.length ?? 0) / 2048) * 100)));
}

/**
 * The role a RoleArn names, when it exists under exactly that ARN (its path included): its trust
 * policy decides, with the caller's identity policies, who may assume it. Without one nobody may:
 * AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist.
 */
export function roleWithArn(world: World, roleArn: string): Role | undefined {
  const role = world.state.roles[roleArn.split('/').pop() ?? ''];
  return role !== undefined && role.arn === roleArn ? role : undefined;
}

/** AssumeRole's parameters, each validated as STS validates it (ValidationError naming the field). */
interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  policy: string | undefined;
  policyArns: string[];
  tags: Tag[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
  duration: number;
}

/** RoleSessionName, as AssumeRole and AssumeRoleWithWebIdentity validate it: 2-64 of [\w+=,.@-]. */
export function sessionNameOf(params: URLSearchParams): string {
  const sessionName = params.get('RoleSessionName') ?? '';
  if (!SESSION_NAME.test(sessionName)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
    );
  }
  return sessionName;
}

function assumeRoleInput(params: URLSearchParams): AssumeRoleInput {
  const sessionName = sessionNameOf(params);
  const externalId = params.get('ExternalId') ?? undefined;
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
    );
  }
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) validateInlineSessionPolicy(policy);
  const policyArns = sessionPolicyArns(params);
  const tags = sessionTags(params);
  const transitiveTagKeys = listParameter(params, 'TransitiveTagKeys');
  for (const key of transitiveTagKeys) {
    if (!tags.some((t) => t.Key.toLowerCase() === key.toLowerCase()))
      throw new AwsError('InvalidParameterValue', `The transitive tag key ${key} is not one of the session tags.`);
  }
  const sourceIdentity = params.get('SourceIdentity') ?? undefined;
  if (sourceIdentity !== undefined && !SOURCE_IDENTITY.test(sourceIdentity)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${sourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  }
  return {
    roleArn: params.get('RoleArn') ?? '',
    sessionName,
    policy,
    policyArns,
    tags,
    transitiveTagKeys,
    sourceIdentity,
    duration: integerParameter(params, 'DurationSeconds', 900, 43200, 3600),
  };
}

/** The inline session Policy of AssumeRole(WithWebIdentity): at most 2048 characters, JSON, a valid session policy. */
export function validateInlineSessionPolicy(policy: string): void {
  if (policy.length > 2048)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
  }
  const errors = validateSessionPolicy(parsed);
  if (errors.length > 0) throw new AwsError('MalformedPolicyDocument', errors[0].message);
}

/**
 * Chained sessions keep the source identity and the transitive tags of the session they come
 * from; AWS refuses a request that tries to change either. Returns the inherited tags.
 */
function inheritedFromChain(parent: Session | undefined, input: AssumeRoleInput): Tag[] {
  if (parent?.sourceIdentity !== undefined && input.sourceIdentity !== undefined && input.sourceIdentity !== parent.sourceIdentity) {
    throw new AwsError(
      'InvalidParameterValue',
      `SourceIdentity cannot be changed in a role chain: the session has SourceIdentity ${parent.sourceIdentity}.`,
    );
  }
  const inherited = (parent?.tags ?? []).filter((t) => parent?.transitiveTagKeys?.some((k) => k.toLowerCase() === t.Key.toLowerCase()));
  for (const tag of inherited) {
    if (input.tags.some((t) => t.Key.toLowerCase() === tag.Key.toLowerCase()))
      throw new AwsError(
        'InvalidParameterValue',
        `The session tag ${tag.Key} is transitive from the calling session and cannot be set again.`,
      );
  }
  return inherited;
}

/**
 * Passing session tags needs sts:TagSession, and a source identity sts:SetSourceIdentity, both
 * allowed by the role's trust policy (and the caller's identity policies): AWS refuses the whole
 * AssumeRole otherwise. Inherited values count as passed (AWS checks them on every hop).
 */
async function assertMaySetSessionAttributes(
  call: Pick<AuthorizationInput, 'principal'> & { isAlsoAllowed: Parameters<Handler>[0]['isAlsoAllowed'] },
  role: Role,
  context: Record<string, string | string[]>,
  tags: Tag[],
  sourceIdentity: string | undefined,
): Promise<void> {
  const refuse = (action: string) =>
    new AwsError('AccessDenied', `User: ${call.principal.arn} is not authorized to perform: ${action} on resource: ${role.arn}`, 403);
  const resourcePolicy = role.assumeRolePolicyDocument;
  if (tags.length > 0) {
    const tagContext: Record<string, string | string[]> = { ...context, 'aws:TagKeys': tags.map((t) => t.Key) };
    for (const tag of tags) tagContext[`aws:RequestTag/${tag.Key}`] = tag.Value;
    if (!(await call.isAlsoAllowed('sts:TagSession', role.arn, { context: tagContext, resourcePolicy }))) throw refuse('sts:TagSession');
  }
  if (sourceIdentity !== undefined) {
    const sourceContext = { ...context, 'sts:SourceIdentity': sourceIdentity };
    if (!(await call.isAlsoAllowed('sts:SetSourceIdentity', role.arn, { context: sourceContext, resourcePolicy })))
      throw refuse('sts:SetSourceIdentity');
  }
}

const assumeRole: Handler = async ({ request: { params }, world, principal, now, isAlsoAllowed }) => {
  const input = assumeRoleInput(params);
  const { roleArn, sessionName, duration } = input;
  // Authorized with its trust policy before the handler ran; gone since, it is refused as a role that never was.
  const role = roleWithArn(world, roleArn);
  if (role === undefined)
    throw new AwsError('AccessDenied', `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  const context = assumeRoleRequestContext(params, principal);
  // Looked up only now, so a caller the trust policy refuses learns nothing about which policies exist.
  const sessionPolicies = sessionPolicyDocuments(input.policyArns, world, input.policy);
  const parent = principal.kind === 'session' ? principal.session : undefined;
  const inherited = inheritedFromChain(parent, input);
  const sessionTagsToSet = [...inherited, ...input.tags];
  const effectiveSourceIdentity = input.sourceIdentity ?? parent?.sourceIdentity;
  await assertMaySetSessionAttributes({ principal, isAlsoAllowed }, role, context, sessionTagsToSet, effectiveSourceIdentity);
  // Role chaining caps a session at one hour.
  const maxDuration = principal.kind === 'session' ? 3600 : role.maxSessionDuration;
  if (duration > maxDuration) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the ${principal.kind === 'session' ? '1 hour session limit for roles assumed by role chaining' : 'MaxSessionDuration set for this role'}.`,
    );
  }

  const session = issueRoleSession(world, role, sessionName, now, duration, {
    sessionPolicy: sessionPolicies,
    ...(sessionTagsToSet.length > 0 ? { tags: sessionTagsToSet } : {}),
    ...(input.transitiveTagKeys.length > 0 || inherited.length > 0
      ? { transitiveTagKeys: [...inherited.map((t) => t.Key), ...input.transitiveTagKeys] }
      : {}),
    ...(effectiveSourceIdentity !== undefined ? { sourceIdentity: effectiveSourceIdentity } : {}),
  });
  return [
    credentialsElement(session),
    assumedRoleUserElement(session),
    ...(sessionPolicies === undefined && sessionTagsToSet.length === 0 ? [] : [packedPolicySizeElement(sessionPolicies)]),
    ...(effectiveSourceIdentity === undefined ? [] : [el('SourceIdentity', effectiveSourceIdentity)]),
  ];
};

/** AssumeRole `Tags.member.N.Key/Value`: at most 50, AWS's character set, no key twice (keys are case-insensitive). */
function sessionTags(params: URLSearchParams): Tag[] {
  const tags: Tag[] = [];
  for (const [index, tag] of tagParameters(params).entries()) {
    const i = index + 1;
    if (!TAG_KEY.test(tag.Key))
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${tag.Key}' at 'tags.${i}.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`,
      );
    if (!TAG_VALUE.test(tag.Value))
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value at 'tags.${i}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`,
      );
    if (tags.some((t) => t.Key.toLowerCase() === tag.Key.toLowerCase()))
      throw new AwsError('InvalidParameterValue', `Duplicate tag keys found. Please note that Tag keys are case insensitive: ${tag.Key}.`);
    tags.push(tag);
  }
  if (tags.length > 50)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50`,
    );
  return tags;
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

function sts(name: string, declaration: Omit<QueryOperation, 'service' | 'name' | 'match' | 'action'>): QueryOperation {
  return { service: 'sts', name, match: { protocol: 'query', action: name }, action: `sts:${name}`, ...declaration };
}

export const STS_OPERATIONS: QueryOperation[] = [
  // "No permissions are required to perform this operation" (STS API reference): even an explicit Deny does not stop it.
  sts('GetCallerIdentity', { resource: everyResource, requiresPermission: false, credentials: 'any', handle: getCallerIdentity }),
  // No permission either; AWS refuses it to temporary credentials ("Cannot call GetSessionToken with session credentials").
  sts('GetSessionToken', { resource: everyResource, requiresPermission: false, credentials: 'long-term', handle: getSessionToken }),
  // Decided on the role with its trust policy, for a caller of this account as for one of another.
  sts('AssumeRole', {
    resource: ({ request }) => request.params.get('RoleArn') ?? '',
    resourcePolicy: ({ request, world }: AuthorizationInput) =>
      roleWithArn(world, request.params.get('RoleArn') ?? '')?.assumeRolePolicyDocument,
    resourcePolicyRequired: true,
    context: ({ request, principal }) => assumeRoleRequestContext(request.params, principal),
    credentials: 'any',
    handle: assumeRole,
  }),
];
