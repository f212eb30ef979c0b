import { randomBytes } from 'node:crypto';
import { AwsError, noSuchEntity } from './aws-error';
import { getAccountSummary } from './iam-account-summary';
import {
  type Handler,
  type Resource,
  checkName,
  checkPath,
  checkPolicyDocument,
  iam,
  newEntity,
  parseTags,
  renderTags,
} from './iam-operation';
import { namedPolicy } from './iam-policy-api';
import { type QueryOperation, everyResource } from './operation';
import { integerParameter, required } from './query-parameters';
import type { InlinePolicyOwner, World } from './world';
import type { Role, User } from './world-state';
import { el, members } from './xml';

/**
 * IAM over the Query protocol, with AWS's validation and error codes: the operations the
 * hashicorp/aws provider 5.100 issues for aws_iam_user, aws_iam_access_key, aws_iam_user_policy,
 * aws_iam_role, aws_iam_policy and aws_iam_role_policy_attachment (observed from its request log:
 * CreateX, then the GetX and ListX reads on every plan, ListX checks before DeleteX), and the reads other
 * tools call first (ListUsers, ListRoles, GetUser without UserName).
 */

function renderUser(user: User): string[] {
  return [
    el('Path', user.path),
    el('UserName', user.name),
    el('UserId', user.userId),
    el('Arn', user.arn),
    el('CreateDate', user.createDate),
    user.permissionsBoundary
      ? el('PermissionsBoundary', [el('PermissionsBoundaryType', 'Policy'), el('PermissionsBoundaryArn', user.permissionsBoundary)])
      : '',
    renderTags(user.tags),
  ];
}

function renderRole(role: Role): string[] {
  return [
    el('Path', role.path),
    el('RoleName', role.name),
    el('RoleId', role.roleId),
    el('Arn', role.arn),
    el('CreateDate', role.createDate),
    el('AssumeRolePolicyDocument', encodeURIComponent(role.assumeRolePolicyDocument)),
    el('Description', role.description),
    el('MaxSessionDuration', role.maxSessionDuration),
    role.permissionsBoundary
      ? el('PermissionsBoundary', [el('PermissionsBoundaryType', 'Policy'), el('PermissionsBoundaryArn', role.permissionsBoundary)])
      : '',
    renderTags(role.tags),
    el('RoleLastUsed', []),
  ];
}

/** ListUsers / ListRoles: every entity under PathPrefix (default `/`), one page (MaxItems is not emulated). */
function listEntities(kind: 'Users' | 'Roles'): Handler {
  return async ({ request: { params }, world }) => {
    const prefix = params.get('PathPrefix') ?? '/';
    const entities = kind === 'Users' ? Object.values(world.state.users) : Object.values(world.state.roles);
    const render = (entity: User | Role) => (kind === 'Users' ? renderUser(entity as User) : renderRole(entity as Role));
    return [el(kind, members(entities.filter((e) => e.path.startsWith(prefix)).map(render))), el('IsTruncated', 'false')];
  };
}

/**
 * Put/Get/List/Delete of inline policies: the same four operations for users and roles, with
 * AWS's names (PutUserPolicy, ListRolePolicies, …).
 */
function inlinePolicyHandlers(kind: InlinePolicyOwner): Record<'put' | 'get' | 'list' | 'remove', Handler> {
  const ownerOf = policyOwner(kind);
  return {
    async put({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
      world.putInlinePolicy(owner, name, checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument'));
      return undefined;
    },
    async get({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      const name = required(params, 'PolicyName');
      const document = owner.inlinePolicies[name];
      if (document === undefined) throw noSuchEntity(`The ${kind.toLowerCase()} policy with name ${name} cannot be found.`);
      return [el(`${kind}Name`, owner.name), el('PolicyName', name), el('PolicyDocument', encodeURIComponent(document))];
    },
    async list({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      return [el('PolicyNames', members(Object.keys(owner.inlinePolicies).map((n) => [n]))), el('IsTruncated', 'false')];
    },
    async remove({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      world.deleteInlinePolicy(kind, owner, required(params, 'PolicyName'));
      return undefined;
    },
  };
}

/**
 * Attach/Detach/ListAttached of managed policies: the same three operations for users and roles,
 * with AWS's names (AttachUserPolicy, ListAttachedRolePolicies, …).
 */
function attachedPolicyHandlers(kind: InlinePolicyOwner): Record<'attach' | 'detach' | 'list', Handler> {
  const ownerOf = policyOwner(kind);
  return {
    async attach({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      const policy = world.policy(required(params, 'PolicyArn'));
      if (kind === 'User') world.attachUserPolicy(owner as User, policy);
      else world.attachRolePolicy(owner as Role, policy);
      return undefined;
    },
    async detach({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      const arn = required(params, 'PolicyArn');
      if (kind === 'User') world.detachUserPolicy(owner as User, arn);
      else world.detachRolePolicy(owner as Role, arn);
      return undefined;
    },
    async list({ request: { params }, world }) {
      const owner = ownerOf(world, params);
      const attached = owner.attachedPolicies.map((arn) => [
        el('PolicyName', world.state.policies[arn]?.name ?? arn.split('/').pop()!),
        el('PolicyArn', arn),
      ]);
      return [el('AttachedPolicies', members(attached)), el('IsTruncated', 'false')];
    },
  };
}

/** The user or role a request names (UserName / RoleName), or NoSuchEntity. */
function policyOwner(kind: InlinePolicyOwner): (world: World, params: URLSearchParams) => User | Role {
  return (world, params) => (kind === 'User' ? world.user(required(params, 'UserName')) : world.role(required(params, 'RoleName')));
}

const createUser: Handler = async ({ request: { params }, world }) => {
  const name = checkName(required(params, 'UserName'), 'UserName', 64);
  const path = checkPath(params.get('Path'));
  const user = world.createUser({
    name,
    path,
    tags: parseTags(params),
    permissionsBoundary: params.get('PermissionsBoundary') ?? undefined,
  });
  return [el('User', renderUser(user))];
};

const getUser: Handler = async ({ request: { params }, world, principal }) => {
  const name = params.get('UserName') ?? (principal.kind === 'user' ? principal.user.name : null);
  // Without a UserName AWS answers for the caller: a user, or the root (whose answer is how the
  // provider learns the account id); a role session must name a user.
  if (name === null && principal.kind === 'admin')
    return [el('User', [el('UserId', world.accountId), el('Arn', principal.arn), el('CreateDate', '2020-01-01T00:00:00Z')])];
  if (name === null) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
  return [el('User', renderUser(world.user(name)))];
};

const listGroupsForUser: Handler = async ({ request: { params }, world }) => {
  world.user(required(params, 'UserName'));
  return [el('Groups', []), el('IsTruncated', 'false')];
};

const deleteUser: Handler = async ({ request: { params }, world }) => {
  world.deleteUser(required(params, 'UserName'));
  return undefined;
};

const createAccessKey: Handler = async ({ request: { params }, world }) => {
  const key = world.createAccessKey(required(params, 'UserName'), randomSecret());
  return [
    el('AccessKey', [
      el('UserName', key.userName),
      el('AccessKeyId', key.accessKeyId),
      el('Status', key.status),
      el('SecretAccessKey', key.secretAccessKey),
      el('CreateDate', key.createDate),
    ]),
  ];
};

const listAccessKeys: Handler = async ({ request: { params }, world }) => {
  const user = world.user(required(params, 'UserName'));
  const keys = world.accessKeysOf(user.name);
  return [
    el(
      'AccessKeyMetadata',
      members(
        keys.map((k) => [
          el('UserName', k.userName),
          el('AccessKeyId', k.accessKeyId),
          el('Status', k.status),
          el('CreateDate', k.createDate),
        ]),
      ),
    ),
    el('IsTruncated', 'false'),
  ];
};

const deleteAccessKey: Handler = async ({ request: { params }, world, principal }) => {
  const id = required(params, 'AccessKeyId');
  // AWS: "If you do not specify a user name, IAM determines the user name implicitly based on
  // the AWS access key ID signing the request": the caller's own keys, not the key's owner's.
  world.deleteAccessKey(id, params.get('UserName') ?? (principal.kind === 'user' ? principal.user.name : undefined));
  return undefined;
};

const createRole: Handler = async ({ request: { params }, world }) => {
  const name = checkName(required(params, 'RoleName'), 'RoleName', 64);
  const path = checkPath(params.get('Path'));
  const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, 3600);
  const trust = checkPolicyDocument(required(params, 'AssumeRolePolicyDocument'), 'trust', 'assumeRolePolicyDocument');
  const role = world.createRole({
    name,
    path,
    assumeRolePolicyDocument: trust,
    description: params.get('Description') ?? undefined,
    maxSessionDuration,
    permissionsBoundary: params.get('PermissionsBoundary') ?? undefined,
    tags: parseTags(params),
  });
  return [el('Role', renderRole(role))];
};

const getRole: Handler = async ({ request: { params }, world }) => [el('Role', renderRole(world.role(required(params, 'RoleName'))))];

const updateAssumeRolePolicy: Handler = async ({ request: { params }, world }) => {
  const role = world.role(required(params, 'RoleName'));
  world.updateAssumeRolePolicy(role, checkPolicyDocument(required(params, 'PolicyDocument'), 'trust', 'policyDocument'));
  return undefined;
};

const updateRole: Handler = async ({ request: { params }, world }) => {
  const role = world.role(required(params, 'RoleName'));
  const maxSessionDuration = integerParameter(params, 'MaxSessionDuration', 3600, 43200, role.maxSessionDuration);
  const description = params.get('Description');
  if (description !== null && description.length > 1000)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000`,
    );
  world.updateRole(role, { maxSessionDuration, description: description ?? undefined });
  return undefined;
};

const listInstanceProfilesForRole: Handler = async ({ request: { params }, world }) => {
  world.role(required(params, 'RoleName'));
  return [el('InstanceProfiles', []), el('IsTruncated', 'false')];
};

const deleteRole: Handler = async ({ request: { params }, world }) => {
  world.deleteRole(required(params, 'RoleName'));
  return undefined;
};

function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('');
}

// ---- the resources IAM authorizes on ------------------------------------------------------

/** The existing entity's ARN (its path is part of it), or the one the name would have at path `/`; `*` without a name. */
function entityArn(world: World, kind: 'user' | 'role', name: string | null): string {
  if (name === null) return '*';
  const existing = kind === 'user' ? world.state.users[name] : world.state.roles[name];
  return existing?.arn ?? world.iamArn(kind, '/', name);
}

const namedUser: Resource = ({ request, world }) => entityArn(world, 'user', request.params.get('UserName'));
const namedRole: Resource = ({ request, world }) => entityArn(world, 'role', request.params.get('RoleName'));

/**
 * Without a UserName, GetUser and the access key operations act on the caller itself (a user; the
 * root otherwise). Never on the owner of an AccessKeyId: a refusal naming that user would tell
 * anyone whose key it is.
 */
const namedUserOrCaller: Resource = (input) => (input.request.params.get('UserName') === null ? input.principal.arn : namedUser(input));

/** For an IAM action that is not emulated: the entity its parameters name (a role, a user, a policy), else `*`. */
export const namedIamEntity: Resource = (input) => {
  const { params } = input.request;
  if (params.has('RoleName')) return namedRole(input);
  if (params.has('UserName')) return namedUser(input);
  return namedPolicy(input);
};

// ---- the table ------------------------------------------------------------------------------

const userPolicies = inlinePolicyHandlers('User');
const rolePolicies = inlinePolicyHandlers('Role');
const userAttachments = attachedPolicyHandlers('User');
const roleAttachments = attachedPolicyHandlers('Role');

export const IAM_OPERATIONS: QueryOperation[] = [
  iam('CreateUser', newEntity('user', 'UserName'), createUser),
  iam('GetUser', namedUserOrCaller, getUser),
  iam('ListUsers', everyResource, listEntities('Users')),
  iam('GetAccountSummary', everyResource, getAccountSummary),
  iam('ListGroupsForUser', namedUser, listGroupsForUser),
  iam('DeleteUser', namedUser, deleteUser),
  iam('CreateAccessKey', namedUserOrCaller, createAccessKey),
  iam('ListAccessKeys', namedUserOrCaller, listAccessKeys),
  iam('DeleteAccessKey', namedUserOrCaller, deleteAccessKey),
  iam('PutUserPolicy', namedUser, userPolicies.put),
  iam('GetUserPolicy', namedUser, userPolicies.get),
  iam('ListUserPolicies', namedUser, userPolicies.list),
  iam('DeleteUserPolicy', namedUser, userPolicies.remove),
  iam('ListAttachedUserPolicies', namedUser, userAttachments.list),
  iam('AttachUserPolicy', namedUser, userAttachments.attach),
  iam('DetachUserPolicy', namedUser, userAttachments.detach),
  iam('CreateRole', newEntity('role', 'RoleName'), createRole),
  iam('GetRole', namedRole, getRole),
  iam('ListRoles', everyResource, listEntities('Roles')),
  iam('UpdateRole', namedRole, updateRole),
  iam('UpdateAssumeRolePolicy', namedRole, updateAssumeRolePolicy),
  iam('DeleteRole', namedRole, deleteRole),
  iam('PutRolePolicy', namedRole, rolePolicies.put),
  iam('GetRolePolicy', namedRole, rolePolicies.get),
  iam('ListRolePolicies', namedRole, rolePolicies.list),
  iam('DeleteRolePolicy', namedRole, rolePolicies.remove),
  iam('ListAttachedRolePolicies', namedRole, roleAttachments.list),
  iam('ListInstanceProfilesForRole', namedRole, listInstanceProfilesForRole),
  iam('AttachRolePolicy', namedRole, roleAttachments.attach),
  iam('DetachRolePolicy', namedRole, roleAttachments.detach),
];
