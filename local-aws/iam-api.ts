import { randomBytes } from 'node:crypto';
import { validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import type { Principal } from './authorization';
import { AwsError, noSuchEntity } from './aws-error';
import { ManagedPolicy, Role, Tag, User, World, dictionary, isoNow, newId } from './world';
import { el, members } from './xml';
import { fieldName, integerParameter, required, tagParameters } from './query-parameters';

/**
 * IAM over the Query protocol, with AWS's validation and error codes: the operations the
 * hashicorp/aws provider 5.100 issues for aws_iam_user, aws_iam_access_key, aws_iam_user_policy,
 * aws_iam_role, aws_iam_policy and aws_iam_role_policy_attachment (observed from its request log:
 * CreateX, then the GetX and ListX reads on every plan, ListX checks before DeleteX), and the reads other
 * tools call first (ListUsers, ListRoles, GetUser without UserName).
 */

export interface QueryCall {
  params: URLSearchParams;
  /** Throws AccessDenied unless the caller may do `action` on `resource`. */
  authorize(action: string, resource: string): Promise<void>;
  /** The caller (GetUser without a UserName answers for it). */
  principal?: Principal;
}

type Operation = (world: World, call: QueryCall) => Promise<string[] | undefined>;

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007e]+\/)$/;

function checkName(value: string, field: string, max: number): string {
  if (value.length > max || !NAME.test(value)) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${fieldName(field)}' failed to satisfy constraint: Member must have length less than or equal to ${max} and satisfy regular expression pattern: [\\w+=,.@-]+`);
  }
  return value;
}

function checkPath(value: string | null): string {
  const p = value ?? '/';
  if (p.length > 512 || !PATH.test(p)) throw new AwsError('ValidationError', `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  return p;
}

/**
 * IAM's API limit on any policy document parameter (PolicyDocument, AssumeRolePolicyDocument):
 * 131072 characters. Checked before anything parses it; the quota (2048/4096/6144 without
 * whitespace) is checked after.
 */
const MAX_POLICY_DOCUMENT = 131072;

function checkPolicyDocument(text: string, kind: 'identity' | 'trust', field: string): string {
  if (text.length > MAX_POLICY_DOCUMENT) {
    throw new AwsError('ValidationError', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_DOCUMENT}`);
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

function parseTags(params: URLSearchParams): Tag[] {
  const tags = tagParameters(params);
  if (tags.length > 50) throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerEntity: 50', 409);
  return tags;
}

const renderTags = (tags: Tag[]) => (tags.length === 0 ? '' : el('Tags', members(tags.map((t) => [el('Key', t.Key), el('Value', t.Value)]))));

function renderUser(user: User): string[] {
  return [el('Path', user.path), el('UserName', user.name), el('UserId', user.userId), el('Arn', user.arn), el('CreateDate', user.createDate),
    user.permissionsBoundary ? el('PermissionsBoundary', [el('PermissionsBoundaryType', 'Policy'), el('PermissionsBoundaryArn', user.permissionsBoundary)]) : '', renderTags(user.tags)];
}

function renderRole(role: Role): string[] {
  return [el('Path', role.path), el('RoleName', role.name), el('RoleId', role.roleId), el('Arn', role.arn), el('CreateDate', role.createDate),
    el('AssumeRolePolicyDocument', encodeURIComponent(role.assumeRolePolicyDocument)), el('Description', role.description), el('MaxSessionDuration', role.maxSessionDuration),
    role.permissionsBoundary ? el('PermissionsBoundary', [el('PermissionsBoundaryType', 'Policy'), el('PermissionsBoundaryArn', role.permissionsBoundary)]) : '', renderTags(role.tags), el('RoleLastUsed', [])];
}

function renderPolicy(policy: ManagedPolicy, attachmentCount: number): string[] {
  return [el('PolicyName', policy.name), el('PolicyId', policy.policyId), el('Arn', policy.arn), el('Path', policy.path), el('DefaultVersionId', policy.defaultVersionId),
    el('AttachmentCount', attachmentCount), el('PermissionsBoundaryUsageCount', 0), el('IsAttachable', 'true'), el('Description', policy.description),
    el('CreateDate', policy.createDate), el('UpdateDate', policy.updateDate), renderTags(policy.tags)];
}

/** ListUsers / ListRoles: every entity under PathPrefix (default `/`), one page (MaxItems is not emulated). */
function listOperation(kind: 'Users' | 'Roles'): Operation {
  return async (world, { params }) => {
    const prefix = params.get('PathPrefix') ?? '/';
    const entities = kind === 'Users' ? Object.values(world.state.users) : Object.values(world.state.roles);
    const render = (entity: User | Role) => (kind === 'Users' ? renderUser(entity as User) : renderRole(entity as Role));
    return [el(kind, members(entities.filter((e) => e.path.startsWith(prefix)).map(render))), el('IsTruncated', 'false')];
  };
}

export function userOf(world: World, name: string): User {
  const user = world.state.users[name];
  if (user === undefined) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

export function roleOf(world: World, name: string): Role {
  const role = world.state.roles[name];
  if (role === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

function policyOf(world: World, arn: string): ManagedPolicy {
  const policy = world.state.policies[arn];
  if (policy === undefined) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return policy;
}

function attachmentCount(world: World, arn: string): number {
  return [...Object.values(world.state.roles), ...Object.values(world.state.users)].filter((e) => e.attachedPolicies.includes(arn)).length;
}

const userArn = (world: World, path: string, name: string) => `arn:aws:iam::${world.accountId}:user${path}${name}`;
const roleArn = (world: World, path: string, name: string) => `arn:aws:iam::${world.accountId}:role${path}${name}`;

/**
 * Put/Get/List/Delete of inline policies: the same four operations for users and roles, with
 * AWS's names (PutUserPolicy, ListRolePolicies, …), authorized on the entity's ARN.
 */
function inlinePolicyOperations(kind: 'User' | 'Role'): Record<string, Operation> {
  const entityOf = (world: World, params: URLSearchParams): User | Role =>
    kind === 'User' ? userOf(world, required(params, 'UserName')) : roleOf(world, required(params, 'RoleName'));
  const missing = (name: string) => noSuchEntity(`The ${kind.toLowerCase()} policy with name ${name} cannot be found.`);
  return {
    async [`Put${kind}Policy`](world: World, { params, authorize }: QueryCall) {
      const entity = entityOf(world, params);
      await authorize(`iam:Put${kind}Policy`, entity.arn);
      const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
      entity.inlinePolicies[name] = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
      world.changed();
      return undefined;
    },
    async [`Get${kind}Policy`](world: World, { params, authorize }: QueryCall) {
      const entity = entityOf(world, params);
      const name = required(params, 'PolicyName');
      await authorize(`iam:Get${kind}Policy`, entity.arn);
      const document = entity.inlinePolicies[name];
      if (document === undefined) throw missing(name);
      return [el(`${kind}Name`, entity.name), el('PolicyName', name), el('PolicyDocument', encodeURIComponent(document))];
    },
    async [`List${kind}Policies`](world: World, { params, authorize }: QueryCall) {
      const entity = entityOf(world, params);
      await authorize(`iam:List${kind}Policies`, entity.arn);
      return [el('PolicyNames', members(Object.keys(entity.inlinePolicies).map((n) => [n]))), el('IsTruncated', 'false')];
    },
    async [`Delete${kind}Policy`](world: World, { params, authorize }: QueryCall) {
      const entity = entityOf(world, params);
      const name = required(params, 'PolicyName');
      await authorize(`iam:Delete${kind}Policy`, entity.arn);
      if (entity.inlinePolicies[name] === undefined) throw missing(name);
      delete entity.inlinePolicies[name];
      world.changed();
      return undefined;
    },
  };
}

export const IAM_OPERATIONS: Record<string, Operation> = dictionary<Operation>({
  ...inlinePolicyOperations('User'),
  ...inlinePolicyOperations('Role'),
  async CreateUser(world, { params, authorize }) {
    const name = checkName(required(params, 'UserName'), 'UserName', 64);
    const path = checkPath(params.get('Path'));
    await authorize('iam:CreateUser', userArn(world, path, name));
    if (Object.keys(world.state.users).some((n) => n.toLowerCase() === name.toLowerCase())) throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
    const user: User = { name, path, arn: userArn(world, path, name), userId: newId('AIDA'), createDate: isoNow(), tags: parseTags(params), permissionsBoundary: params.get('PermissionsBoundary') ?? undefined, inlinePolicies: dictionary(), attachedPolicies: [] };
    world.state.users[name] = user;
    world.changed();
    return [el('User', renderUser(user))];
  },
  async GetUser(world, { params, authorize, principal }) {
    const name = params.get('UserName') ?? (principal?.kind === 'user' ? principal.user.name : null);
    // Without a UserName AWS answers for the caller: a user, or the root (whose answer is how the
    // provider learns the account id); a role session must name a user.
    if (name === null && principal?.kind === 'admin') return [el('User', [el('UserId', world.accountId), el('Arn', principal.arn), el('CreateDate', '2020-01-01T00:00:00Z')])];
    if (name === null) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
    const user = userOf(world, name);
    await authorize('iam:GetUser', user.arn);
    return [el('User', renderUser(user))];
  },
  ListUsers: listOperation('Users'),
  ListRoles: listOperation('Roles'),
  async ListGroupsForUser(world, { params, authorize }) {
    const user = userOf(world, required(params, 'UserName'));
    await authorize('iam:ListGroupsForUser', user.arn);
    return [el('Groups', []), el('IsTruncated', 'false')];
  },
  async DeleteUser(world, { params, authorize }) {
    const user = userOf(world, required(params, 'UserName'));
    await authorize('iam:DeleteUser', user.arn);
    const keys = Object.values(world.state.accessKeys).filter((k) => k.userName === user.name);
    if (keys.length > 0 || Object.keys(user.inlinePolicies).length > 0 || user.attachedPolicies.length > 0) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete access keys and policies first.', 409);
    }
    delete world.state.users[user.name];
    // Its GetSessionToken sessions end with it, as the sessions of a deleted role do.
    for (const [id, session] of Object.entries(world.state.sessions)) if (session.issuedTo?.kind === 'user' && session.issuedTo.userName === user.name) delete world.state.sessions[id];
    world.changed();
    return undefined;
  },
  async CreateAccessKey(world, { params, authorize }) {
    const user = userOf(world, required(params, 'UserName'));
    await authorize('iam:CreateAccessKey', user.arn);
    if (Object.values(world.state.accessKeys).filter((k) => k.userName === user.name).length >= 2) {
      throw new AwsError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
    }
    const key = { accessKeyId: newId('AKIA', 16), secretAccessKey: randomSecret(), userName: user.name, status: 'Active' as const, createDate: isoNow() };
    world.state.accessKeys[key.accessKeyId] = key;
    world.changed();
    return [el('AccessKey', [el('UserName', key.userName), el('AccessKeyId', key.accessKeyId), el('Status', key.status), el('SecretAccessKey', key.secretAccessKey), el('CreateDate', key.createDate)])];
  },
  async ListAccessKeys(world, { params, authorize }) {
    const user = userOf(world, required(params, 'UserName'));
    await authorize('iam:ListAccessKeys', user.arn);
    const keys = Object.values(world.state.accessKeys).filter((k) => k.userName === user.name);
    return [el('AccessKeyMetadata', members(keys.map((k) => [el('UserName', k.userName), el('AccessKeyId', k.accessKeyId), el('Status', k.status), el('CreateDate', k.createDate)]))), el('IsTruncated', 'false')];
  },
  async DeleteAccessKey(world, { params, authorize, principal }) {
    const id = required(params, 'AccessKeyId');
    const key = world.state.accessKeys[id];
    // AWS: "If you do not specify a user name, IAM determines the user name implicitly based on
    // the AWS access key ID signing the request": the caller's own keys, not the key's owner's.
    const userName = params.get('UserName') ?? (principal?.kind === 'user' ? principal.user.name : undefined);
    if (key === undefined || key.userName !== userName) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await authorize('iam:DeleteAccessKey', userOf(world, key.userName).arn);
    delete world.state.accessKeys[id];
    world.changed();
    return undefined;
  },
  async CreateRole(world, { params, authorize }) {
    const name = checkName(required(params, 'RoleName'), 'RoleName', 64);
    const path = checkPath(params.get('Path'));
    const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, 3600);
    // Authorized before the document is parsed: a caller without the right costs no parsing.
    await authorize('iam:CreateRole', roleArn(world, path, name));
    const trust = checkPolicyDocument(required(params, 'AssumeRolePolicyDocument'), 'trust', 'assumeRolePolicyDocument');
    if (Object.keys(world.state.roles).some((n) => n.toLowerCase() === name.toLowerCase())) throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    const role: Role = { name, path, arn: roleArn(world, path, name), roleId: newId('AROA'), createDate: isoNow(), assumeRolePolicyDocument: trust, description: params.get('Description') ?? undefined,
      maxSessionDuration, permissionsBoundary: params.get('PermissionsBoundary') ?? undefined, tags: parseTags(params), inlinePolicies: dictionary(), attachedPolicies: [] };
    world.state.roles[name] = role;
    world.changed();
    return [el('Role', renderRole(role))];
  },
  async GetRole(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:GetRole', role.arn);
    return [el('Role', renderRole(role))];
  },
  async UpdateAssumeRolePolicy(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:UpdateAssumeRolePolicy', role.arn);
    const trust = checkPolicyDocument(required(params, 'PolicyDocument'), 'trust', 'policyDocument');
    role.assumeRolePolicyDocument = trust;
    world.changed();
    return undefined;
  },
  async UpdateRole(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:UpdateRole', role.arn);
    const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, role.maxSessionDuration);
    const description = params.get('Description');
    if (description !== null && description.length > 1000) throw new AwsError('ValidationError', `1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000`);
    role.maxSessionDuration = maxSessionDuration;
    if (description !== null) role.description = description;
    world.changed();
    return undefined;
  },
  async ListAttachedRolePolicies(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:ListAttachedRolePolicies', role.arn);
    const attached = role.attachedPolicies.map((arn) => [el('PolicyName', world.state.policies[arn]?.name ?? arn.split('/').pop()!), el('PolicyArn', arn)]);
    return [el('AttachedPolicies', members(attached)), el('IsTruncated', 'false')];
  },
  async ListInstanceProfilesForRole(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:ListInstanceProfilesForRole', role.arn);
    return [el('InstanceProfiles', []), el('IsTruncated', 'false')];
  },
  async DeleteRole(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    await authorize('iam:DeleteRole', role.arn);
    if (role.attachedPolicies.length > 0 || Object.keys(role.inlinePolicies).length > 0) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    }
    delete world.state.roles[role.name];
    for (const [id, session] of Object.entries(world.state.sessions)) if (session.roleName === role.name) delete world.state.sessions[id];
    world.changed();
    return undefined;
  },
  async CreatePolicy(world, { params, authorize }) {
    const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
    const path = checkPath(params.get('Path'));
    const arn = `arn:aws:iam::${world.accountId}:policy${path}${name}`;
    await authorize('iam:CreatePolicy', arn);
    const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
    if (Object.values(world.state.policies).some((p) => p.name.toLowerCase() === name.toLowerCase() && p.path === path)) {
      throw new AwsError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`, 409);
    }
    const now = isoNow();
    const policy: ManagedPolicy = { name, path, arn, policyId: newId('ANPA'), createDate: now, updateDate: now, description: params.get('Description') ?? undefined,
      defaultVersionId: 'v1', versions: [{ versionId: 'v1', document, createDate: now }], tags: parseTags(params) };
    world.state.policies[arn] = policy;
    world.changed();
    return [el('Policy', renderPolicy(policy, 0))];
  },
  async GetPolicy(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    await authorize('iam:GetPolicy', policy.arn);
    return [el('Policy', renderPolicy(policy, attachmentCount(world, policy.arn)))];
  },
  async GetPolicyVersion(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    const versionId = required(params, 'VersionId');
    await authorize('iam:GetPolicyVersion', policy.arn);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (version === undefined) throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
    return [el('PolicyVersion', [el('Document', encodeURIComponent(version.document)), el('VersionId', version.versionId), el('IsDefaultVersion', String(version.versionId === policy.defaultVersionId)), el('CreateDate', version.createDate)])];
  },
  async ListPolicyVersions(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    await authorize('iam:ListPolicyVersions', policy.arn);
    return [el('Versions', members(policy.versions.map((v) => [el('VersionId', v.versionId), el('IsDefaultVersion', String(v.versionId === policy.defaultVersionId)), el('CreateDate', v.createDate)]))), el('IsTruncated', 'false')];
  },
  async CreatePolicyVersion(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    await authorize('iam:CreatePolicyVersion', policy.arn);
    const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
    if (policy.versions.length >= 5) throw new AwsError('LimitExceeded', 'A managed policy can have up to 5 versions.', 409);
    const versionId = `v${Math.max(...policy.versions.map((v) => Number(v.versionId.slice(1)))) + 1}`;
    const now = isoNow();
    policy.versions.push({ versionId, document, createDate: now });
    if (params.get('SetAsDefault') === 'true') policy.defaultVersionId = versionId;
    policy.updateDate = now;
    world.changed();
    return [el('PolicyVersion', [el('VersionId', versionId), el('IsDefaultVersion', String(policy.defaultVersionId === versionId)), el('CreateDate', now)])];
  },
  async DeletePolicyVersion(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    const versionId = required(params, 'VersionId');
    await authorize('iam:DeletePolicyVersion', policy.arn);
    if (versionId === policy.defaultVersionId) throw new AwsError('DeleteConflict', 'Cannot delete the default version of a policy.', 409);
    const before = policy.versions.length;
    policy.versions = policy.versions.filter((v) => v.versionId !== versionId);
    if (policy.versions.length === before) throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist.`);
    world.changed();
    return undefined;
  },
  async DeletePolicy(world, { params, authorize }) {
    const policy = policyOf(world, required(params, 'PolicyArn'));
    await authorize('iam:DeletePolicy', policy.arn);
    if (attachmentCount(world, policy.arn) > 0) throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    delete world.state.policies[policy.arn];
    world.changed();
    return undefined;
  },
  async AttachRolePolicy(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    const policy = policyOf(world, required(params, 'PolicyArn'));
    await authorize('iam:AttachRolePolicy', role.arn);
    if (!role.attachedPolicies.includes(policy.arn)) role.attachedPolicies.push(policy.arn);
    world.changed();
    return undefined;
  },
  async DetachRolePolicy(world, { params, authorize }) {
    const role = roleOf(world, required(params, 'RoleName'));
    const arn = required(params, 'PolicyArn');
    await authorize('iam:DetachRolePolicy', role.arn);
    if (!role.attachedPolicies.includes(arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
    role.attachedPolicies = role.attachedPolicies.filter((a) => a !== arn);
    world.changed();
    return undefined;
  },
  async ListAttachedUserPolicies(world, { params, authorize }) {
    const user = userOf(world, required(params, 'UserName'));
    await authorize('iam:ListAttachedUserPolicies', user.arn);
    return [el('AttachedPolicies', members(user.attachedPolicies.map((arn) => [el('PolicyName', arn.split('/').pop()!), el('PolicyArn', arn)]))), el('IsTruncated', 'false')];
  },
});

function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('');
}
