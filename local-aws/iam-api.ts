import { randomBytes } from 'node:crypto';
import { validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import type { Principal } from './authorization';
import { AwsError, noSuchEntity } from './aws-error';
import { World } from './world';
import { ManagedPolicy, Role, Tag, User, dictionary } from './world-state';
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

/**
 * Put/Get/List/Delete of inline policies: the same four operations for users and roles, with
 * AWS's names (PutUserPolicy, ListRolePolicies, …), authorized on the entity's ARN.
 */
function inlinePolicyOperations(kind: 'User' | 'Role'): Record<string, Operation> {
  const entityOf = (world: World, params: URLSearchParams): User | Role => (kind === 'User' ? world.user(required(params, 'UserName')) : world.role(required(params, 'RoleName')));
  const missing = (name: string) => noSuchEntity(`The ${kind.toLowerCase()} policy with name ${name} cannot be found.`);
  return {
    async [`Put${kind}Policy`](world: World, { params, authorize }: QueryCall) {
      const entity = entityOf(world, params);
      await authorize(`iam:Put${kind}Policy`, entity.arn);
      const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
      world.putInlinePolicy(entity, name, checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument'));
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
      world.deleteInlinePolicy(kind, entity, name);
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
    await authorize('iam:CreateUser', world.iamArn('user', path, name));
    const user = world.createUser({ name, path, tags: parseTags(params), permissionsBoundary: params.get('PermissionsBoundary') ?? undefined });
    return [el('User', renderUser(user))];
  },
  async GetUser(world, { params, authorize, principal }) {
    const name = params.get('UserName') ?? (principal?.kind === 'user' ? principal.user.name : null);
    // Without a UserName AWS answers for the caller: a user, or the root (whose answer is how the
    // provider learns the account id); a role session must name a user.
    if (name === null && principal?.kind === 'admin') return [el('User', [el('UserId', world.accountId), el('Arn', principal.arn), el('CreateDate', '2020-01-01T00:00:00Z')])];
    if (name === null) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
    const user = world.user(name);
    await authorize('iam:GetUser', user.arn);
    return [el('User', renderUser(user))];
  },
  ListUsers: listOperation('Users'),
  ListRoles: listOperation('Roles'),
  async ListGroupsForUser(world, { params, authorize }) {
    const user = world.user(required(params, 'UserName'));
    await authorize('iam:ListGroupsForUser', user.arn);
    return [el('Groups', []), el('IsTruncated', 'false')];
  },
  async DeleteUser(world, { params, authorize }) {
    const user = world.user(required(params, 'UserName'));
    await authorize('iam:DeleteUser', user.arn);
    world.deleteUser(user.name);
    return undefined;
  },
  async CreateAccessKey(world, { params, authorize }) {
    const user = world.user(required(params, 'UserName'));
    await authorize('iam:CreateAccessKey', user.arn);
    const key = world.createAccessKey(user.name, randomSecret());
    return [el('AccessKey', [el('UserName', key.userName), el('AccessKeyId', key.accessKeyId), el('Status', key.status), el('SecretAccessKey', key.secretAccessKey), el('CreateDate', key.createDate)])];
  },
  async ListAccessKeys(world, { params, authorize }) {
    const user = world.user(required(params, 'UserName'));
    await authorize('iam:ListAccessKeys', user.arn);
    const keys = world.accessKeysOf(user.name);
    return [el('AccessKeyMetadata', members(keys.map((k) => [el('UserName', k.userName), el('AccessKeyId', k.accessKeyId), el('Status', k.status), el('CreateDate', k.createDate)]))), el('IsTruncated', 'false')];
  },
  async DeleteAccessKey(world, { params, authorize, principal }) {
    const id = required(params, 'AccessKeyId');
    const key = world.state.accessKeys[id];
    // AWS: "If you do not specify a user name, IAM determines the user name implicitly based on
    // the AWS access key ID signing the request": the caller's own keys, not the key's owner's.
    const userName = params.get('UserName') ?? (principal?.kind === 'user' ? principal.user.name : undefined);
    if (key === undefined || key.userName !== userName) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await authorize('iam:DeleteAccessKey', world.user(key.userName).arn);
    world.deleteAccessKey(id, userName);
    return undefined;
  },
  async CreateRole(world, { params, authorize }) {
    const name = checkName(required(params, 'RoleName'), 'RoleName', 64);
    const path = checkPath(params.get('Path'));
    const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, 3600);
    // Authorized before the document is parsed: a caller without the right costs no parsing.
    await authorize('iam:CreateRole', world.iamArn('role', path, name));
    const trust = checkPolicyDocument(required(params, 'AssumeRolePolicyDocument'), 'trust', 'assumeRolePolicyDocument');
    const role = world.createRole({ name, path, assumeRolePolicyDocument: trust, description: params.get('Description') ?? undefined, maxSessionDuration, permissionsBoundary: params.get('PermissionsBoundary') ?? undefined, tags: parseTags(params) });
    return [el('Role', renderRole(role))];
  },
  async GetRole(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:GetRole', role.arn);
    return [el('Role', renderRole(role))];
  },
  async UpdateAssumeRolePolicy(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:UpdateAssumeRolePolicy', role.arn);
    world.updateAssumeRolePolicy(role, checkPolicyDocument(required(params, 'PolicyDocument'), 'trust', 'policyDocument'));
    return undefined;
  },
  async UpdateRole(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:UpdateRole', role.arn);
    const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, role.maxSessionDuration);
    const description = params.get('Description');
    if (description !== null && description.length > 1000) throw new AwsError('ValidationError', `1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000`);
    world.updateRole(role, { maxSessionDuration, description: description ?? undefined });
    return undefined;
  },
  async ListAttachedRolePolicies(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:ListAttachedRolePolicies', role.arn);
    const attached = role.attachedPolicies.map((arn) => [el('PolicyName', world.state.policies[arn]?.name ?? arn.split('/').pop()!), el('PolicyArn', arn)]);
    return [el('AttachedPolicies', members(attached)), el('IsTruncated', 'false')];
  },
  async ListInstanceProfilesForRole(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:ListInstanceProfilesForRole', role.arn);
    return [el('InstanceProfiles', []), el('IsTruncated', 'false')];
  },
  async DeleteRole(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    await authorize('iam:DeleteRole', role.arn);
    world.deleteRole(role.name);
    return undefined;
  },
  async CreatePolicy(world, { params, authorize }) {
    const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
    const path = checkPath(params.get('Path'));
    await authorize('iam:CreatePolicy', world.iamArn('policy', path, name));
    const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
    const policy = world.createPolicy({ name, path, document, description: params.get('Description') ?? undefined, tags: parseTags(params) });
    return [el('Policy', renderPolicy(policy, 0))];
  },
  async GetPolicy(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    await authorize('iam:GetPolicy', policy.arn);
    return [el('Policy', renderPolicy(policy, world.attachmentCount(policy.arn)))];
  },
  async GetPolicyVersion(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    const versionId = required(params, 'VersionId');
    await authorize('iam:GetPolicyVersion', policy.arn);
    const version = policy.versions.find((v) => v.versionId === versionId);
    if (version === undefined) throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
    return [el('PolicyVersion', [el('Document', encodeURIComponent(version.document)), el('VersionId', version.versionId), el('IsDefaultVersion', String(version.versionId === policy.defaultVersionId)), el('CreateDate', version.createDate)])];
  },
  async ListPolicyVersions(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    await authorize('iam:ListPolicyVersions', policy.arn);
    return [el('Versions', members(policy.versions.map((v) => [el('VersionId', v.versionId), el('IsDefaultVersion', String(v.versionId === policy.defaultVersionId)), el('CreateDate', v.createDate)]))), el('IsTruncated', 'false')];
  },
  async CreatePolicyVersion(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    await authorize('iam:CreatePolicyVersion', policy.arn);
    const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
    const version = world.createPolicyVersion(policy, document, params.get('SetAsDefault') === 'true');
    return [el('PolicyVersion', [el('VersionId', version.versionId), el('IsDefaultVersion', String(policy.defaultVersionId === version.versionId)), el('CreateDate', version.createDate)])];
  },
  async DeletePolicyVersion(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    const versionId = required(params, 'VersionId');
    await authorize('iam:DeletePolicyVersion', policy.arn);
    world.deletePolicyVersion(policy, versionId);
    return undefined;
  },
  async DeletePolicy(world, { params, authorize }) {
    const policy = world.policy(required(params, 'PolicyArn'));
    await authorize('iam:DeletePolicy', policy.arn);
    world.deletePolicy(policy);
    return undefined;
  },
  async AttachRolePolicy(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    const policy = world.policy(required(params, 'PolicyArn'));
    await authorize('iam:AttachRolePolicy', role.arn);
    world.attachRolePolicy(role, policy);
    return undefined;
  },
  async DetachRolePolicy(world, { params, authorize }) {
    const role = world.role(required(params, 'RoleName'));
    const arn = required(params, 'PolicyArn');
    await authorize('iam:DetachRolePolicy', role.arn);
    world.detachRolePolicy(role, arn);
    return undefined;
  },
  async ListAttachedUserPolicies(world, { params, authorize }) {
    const user = world.user(required(params, 'UserName'));
    await authorize('iam:ListAttachedUserPolicies', user.arn);
    return [el('AttachedPolicies', members(user.attachedPolicies.map((arn) => [el('PolicyName', arn.split('/').pop()!), el('PolicyArn', arn)]))), el('IsTruncated', 'false')];
  },
});

function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('');
}
