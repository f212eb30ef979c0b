import { assumeRoleRequestContext } from './assume-role-context';
import { AwsError } from './aws-error';
import { type AuthorizationInput, type OperationCall, type QueryOperation, everyResource } from './operation';
import { integerParameter, listParameter, tagParameters } from './query-parameters';
import {
  assumableRole,
  assumedRoleUserElement,
  credentialsElement,
  inlineSessionPolicy,
  issueRoleSession,
  newSessionKeys,
  packedPolicySizeElement,
  sessionPolicyArns,
  sessionPolicyDocuments,
} from './sts-session';
import type { Role, Session, Tag } from './world-state';
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

/**
 * AssumeRole, in AWS's order: the parameters checked, the role (already authorized by its trust
 * policy), a chained session's inherited values, the permissions to pass tags and a source
 * identity, the duration limit, then the session.
 */
const assumeRole: Handler = async ({ request: { params }, world, principal, now, isAlsoAllowed }) => {
  const request = assumeRoleParameters(params);
  // Authorized with its trust policy before the handler ran; gone since, it is refused as a role that never was.
  const role = assumableRole(world, request.roleArn);
  if (role === undefined)
    throw new AwsError(
      'AccessDenied',
      `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`,
      403,
    );
  const context = assumeRoleRequestContext(params, principal);
  // Looked up only now, so a caller the trust policy refuses learns nothing about which policies exist.
  const sessionPolicy = sessionPolicyDocuments(request.policyArns, world, request.policy);
  const chained = chainedValues(principal.kind === 'session' ? principal.session : undefined, request);
  const check = (action: string, context: Record<string, string | string[]>) =>
    checkSessionPermission(isAlsoAllowed, principal.arn, role, action, context);
  await authorizeSessionValues(check, context, chained);
  // Role chaining caps a session at one hour.
  const maxDuration = principal.kind === 'session' ? 3600 : role.maxSessionDuration;
  if (request.duration > maxDuration) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the ${principal.kind === 'session' ? '1 hour session limit for roles assumed by role chaining' : 'MaxSessionDuration set for this role'}.`,
    );
  }
  const session = issueRoleSession(world, role, request.sessionName, now, request.duration, {
    sessionPolicy,
    ...(chained.tags.length > 0 ? { tags: chained.tags } : {}),
    ...(chained.transitiveTagKeys.length > 0 ? { transitiveTagKeys: chained.transitiveTagKeys } : {}),
    ...(chained.sourceIdentity !== undefined ? { sourceIdentity: chained.sourceIdentity } : {}),
  });
  return [
    credentialsElement(session),
    assumedRoleUserElement(session),
    ...(sessionPolicy === undefined && chained.tags.length === 0 ? [] : [packedPolicySizeElement(sessionPolicy)]),
    ...(chained.sourceIdentity === undefined ? [] : [el('SourceIdentity', chained.sourceIdentity)]),
  ];
};

/** AssumeRole's parameters, each checked with AWS's wording before the role is looked at. */
function assumeRoleParameters(params: URLSearchParams) {
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  if (!SESSION_NAME.test(sessionName)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
    );
  }
  const externalId = params.get('ExternalId') ?? undefined;
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
    );
  }
  const policy = inlineSessionPolicy(params);
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
  const duration = integerParameter(params, 'DurationSeconds', 900, 43200, 3600);
  return { roleArn, sessionName, policy, policyArns, tags, transitiveTagKeys, sourceIdentity, duration };
}

/**
 * The tags, transitive keys and source identity of the new session. Chained sessions keep the
 * source identity and the transitive tags of the session they come from; AWS refuses a request
 * that tries to change either.
 */
function chainedValues(
  parent: Session | undefined,
  request: { tags: Tag[]; transitiveTagKeys: string[]; sourceIdentity: string | undefined },
): { tags: Tag[]; transitiveTagKeys: string[]; sourceIdentity: string | undefined } {
  const { sourceIdentity, tags } = request;
  if (parent?.sourceIdentity !== undefined && sourceIdentity !== undefined && sourceIdentity !== parent.sourceIdentity) {
    throw new AwsError(
      'InvalidParameterValue',
      `SourceIdentity cannot be changed in a role chain: the session has SourceIdentity ${parent.sourceIdentity}.`,
    );
  }
  const inherited = (parent?.tags ?? []).filter((t) => parent?.transitiveTagKeys?.some((k) => k.toLowerCase() === t.Key.toLowerCase()));
  for (const tag of inherited) {
    if (tags.some((t) => t.Key.toLowerCase() === tag.Key.toLowerCase()))
      throw new AwsError(
        'InvalidParameterValue',
        `The session tag ${tag.Key} is transitive from the calling session and cannot be set again.`,
      );
  }
  return {
    tags: [...inherited, ...tags],
    transitiveTagKeys: [...inherited.map((t) => t.Key), ...request.transitiveTagKeys],
    sourceIdentity: sourceIdentity ?? parent?.sourceIdentity,
  };
}

/**
 * Passing session tags needs sts:TagSession, and a source identity sts:SetSourceIdentity, both
 * allowed by the role's trust policy (and the caller's identity policies): AWS refuses the whole
 * AssumeRole otherwise. Inherited values count as passed (AWS checks them on every hop).
 */
async function authorizeSessionValues(
  check: (action: string, context: Record<string, string | string[]>) => Promise<void>,
  context: Record<string, string | string[]>,
  values: { tags: Tag[]; sourceIdentity: string | undefined },
): Promise<void> {
  if (values.tags.length > 0) {
    const tagContext: Record<string, string | string[]> = { ...context, 'aws:TagKeys': values.tags.map((t) => t.Key) };
    for (const tag of values.tags) tagContext[`aws:RequestTag/${tag.Key}`] = tag.Value;
    await check('sts:TagSession', tagContext);
  }
  if (values.sourceIdentity !== undefined)
    await check('sts:SetSourceIdentity', { ...context, 'sts:SourceIdentity': values.sourceIdentity });
}

/** AccessDenied unless the caller may also do `action` on the role, its trust policy included. */
async function checkSessionPermission(
  isAlsoAllowed: OperationCall['isAlsoAllowed'],
  callerArn: string,
  role: Role,
  action: string,
  context: Record<string, string | string[]>,
): Promise<void> {
  if (!(await isAlsoAllowed(action, role.arn, { context, resourcePolicy: role.assumeRolePolicyDocument })))
    throw new AwsError('AccessDenied', `User: ${callerArn} is not authorized to perform: ${action} on resource: ${role.arn}`, 403);
}

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
      assumableRole(world, request.params.get('RoleArn') ?? '')?.assumeRolePolicyDocument,
    resourcePolicyRequired: true,
    context: ({ request, principal }) => assumeRoleRequestContext(request.params, principal),
    credentials: 'any',
    handle: assumeRole,
  }),
];
