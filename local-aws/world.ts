import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { AwsError, noSuchEntity } from './aws-error';
import { awsManagedPolicy, isAwsManagedPolicyArn } from './aws-managed-policies';
import { appendToJournal, loadSnapshot, saveSnapshot } from './snapshot';
import {
  type AccessKey,
  type FunctionUrlConfig,
  type LambdaFunctionState,
  type LogGroup,
  type ManagedPolicy,
  type OidcProvider,
  type Role,
  type Session,
  type Tag,
  type User,
  type WorldState,
  dictionary,
  emptyState,
  isoNow,
  newId,
} from './world-state';

/**
 * The emulated account, as moto's backends hold one: every state change the wire APIs make is a
 * method here. A method checks what the state decides (the entity exists, the name is free, the
 * quota allows it) before it changes anything, then applies the change in one step (`commit`):
 * the generation the decision cache keys on is bumped and the snapshot written. A failed call
 * leaves nothing behind. The wire APIs parse requests, check their format and render answers.
 */

/** Sessions that expired less than this ago are kept, so a call with one gets ExpiredToken (as on AWS) rather than InvalidClientTokenId. */
const EXPIRED_SESSION_GRACE_MS = 60 * 60 * 1000;

/** IAM's quotas (IAM and STS quotas, IAM User Guide). */
const ACCESS_KEYS_PER_USER = 2;
const VERSIONS_PER_POLICY = 5;
/** Managed policies attached to one role or to one user (the default quota; GetAccountSummary reports it). */
const ATTACHED_POLICIES_PER_ENTITY = 10;

export type InlinePolicyOwner = 'User' | 'Role';

export class World {
  /** Bumped by every change an IAM decision may depend on (authorization caches key on it). */
  generation = 0;
  private nextSweep = 0;

  constructor(
    readonly state: WorldState,
    private readonly snapshotFile?: string,
  ) {}

  static open(options: { accountId: string; region: string; snapshotFile?: string }): World {
    if (options.snapshotFile === undefined || !fs.existsSync(options.snapshotFile))
      return new World(emptyState(options.accountId, options.region), options.snapshotFile);
    const { state, journalReplayed } = loadSnapshot(options.snapshotFile);
    const world = new World(state, options.snapshotFile);
    if (journalReplayed) world.save();
    world.dropExpiredSessions(new Date());
    return world;
  }

  get accountId(): string {
    return this.state.accountId;
  }

  get region(): string {
    return this.state.region;
  }

  /** True when nothing but the bootstrap admin exists (after a full destroy). */
  isEmpty(): boolean {
    const s = this.state;
    return [s.users, s.accessKeys, s.roles, s.policies, s.functions, s.logGroups, s.oidcProviders].every(
      (r) => Object.keys(r).length === 0,
    );
  }

  // ---- IAM: lookups ----------------------------------------------------------------------

  user(name: string): User {
    const user = this.state.users[name];
    if (user === undefined) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return user;
  }

  role(name: string): Role {
    const role = this.state.roles[name];
    if (role === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  /** This account's managed policy, or an AWS-managed one (aws-managed-policies.ts). */
  policy(arn: string): ManagedPolicy {
    const policy = this.state.policies[arn] ?? awsManagedPolicy(arn);
    if (policy === undefined) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    return policy;
  }

  /** The default version's document of a managed policy (this account's or AWS's), if it exists. */
  defaultPolicyDocument(arn: string): string | undefined {
    const policy = this.state.policies[arn] ?? awsManagedPolicy(arn);
    return policy?.versions.find((v) => v.versionId === policy.defaultVersionId)?.document;
  }

  /** The ARN IAM gives an entity of this account: a user's or role's path is part of it. */
  iamArn(kind: 'user' | 'role' | 'policy', path: string, name: string): string {
    return `arn:aws:iam::${this.accountId}:${kind}${path}${name}`;
  }

  accessKeysOf(userName: string): AccessKey[] {
    return Object.values(this.state.accessKeys).filter((key) => key.userName === userName);
  }

  /** How many users and roles have the policy attached. */
  attachmentCount(arn: string): number {
    return [...Object.values(this.state.roles), ...Object.values(this.state.users)].filter((entity) =>
      entity.attachedPolicies.includes(arn),
    ).length;
  }

  // ---- IAM: changes ----------------------------------------------------------------------

  createUser(input: { name: string; path: string; tags: Tag[]; permissionsBoundary?: string }): User {
    // IAM names are unique case-insensitively (IAM User Guide, "IAM identifiers").
    if (Object.keys(this.state.users).some((n) => n.toLowerCase() === input.name.toLowerCase()))
      throw new AwsError('EntityAlreadyExists', `User with name ${input.name} already exists.`, 409);
    const user: User = {
      ...input,
      arn: this.iamArn('user', input.path, input.name),
      userId: newId('AIDA'),
      createDate: isoNow(),
      inlinePolicies: dictionary(),
      attachedPolicies: [],
    };
    return this.commit(() => (this.state.users[user.name] = user));
  }

  /** Deletes a user without keys or policies (DeleteConflict otherwise); its GetSessionToken sessions end with it. */
  deleteUser(name: string): void {
    const user = this.user(name);
    if (this.accessKeysOf(user.name).length > 0 || Object.keys(user.inlinePolicies).length > 0 || user.attachedPolicies.length > 0) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete access keys and policies first.', 409);
    }
    this.commit(() => {
      delete this.state.users[user.name];
      this.dropSessions((session) => session.issuedTo?.kind === 'user' && session.issuedTo.userName === user.name);
    });
  }

  createAccessKey(userName: string, secretAccessKey: string): AccessKey {
    const user = this.user(userName);
    if (this.accessKeysOf(user.name).length >= ACCESS_KEYS_PER_USER)
      throw new AwsError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`, 409);
    const key: AccessKey = { accessKeyId: newId('AKIA', 16), secretAccessKey, userName: user.name, status: 'Active', createDate: isoNow() };
    return this.commit(() => (this.state.accessKeys[key.accessKeyId] = key));
  }

  /** Deletes a key of `userName`; a key of any other user is NoSuchEntity, as a key that does not exist. */
  deleteAccessKey(accessKeyId: string, userName: string | undefined): void {
    const key = this.state.accessKeys[accessKeyId];
    if (key === undefined || key.userName !== userName) throw noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
    this.commit(() => delete this.state.accessKeys[accessKeyId]);
  }

  putInlinePolicy(owner: User | Role, policyName: string, document: string): void {
    this.commit(() => (owner.inlinePolicies[policyName] = document));
  }

  deleteInlinePolicy(kind: InlinePolicyOwner, owner: User | Role, policyName: string): void {
    if (owner.inlinePolicies[policyName] === undefined)
      throw noSuchEntity(`The ${kind.toLowerCase()} policy with name ${policyName} cannot be found.`);
    this.commit(() => delete owner.inlinePolicies[policyName]);
  }

  createRole(input: {
    name: string;
    path: string;
    assumeRolePolicyDocument: string;
    description?: string;
    maxSessionDuration: number;
    permissionsBoundary?: string;
    tags: Tag[];
  }): Role {
    if (Object.keys(this.state.roles).some((n) => n.toLowerCase() === input.name.toLowerCase()))
      throw new AwsError('EntityAlreadyExists', `Role with name ${input.name} already exists.`, 409);
    const role: Role = {
      ...input,
      arn: this.iamArn('role', input.path, input.name),
      roleId: newId('AROA'),
      createDate: isoNow(),
      inlinePolicies: dictionary(),
      attachedPolicies: [],
    };
    return this.commit(() => (this.state.roles[role.name] = role));
  }

  updateRole(role: Role, changes: { maxSessionDuration: number; description?: string }): void {
    this.commit(() => {
      role.maxSessionDuration = changes.maxSessionDuration;
      if (changes.description !== undefined) role.description = changes.description;
    });
  }

  updateAssumeRolePolicy(role: Role, document: string): void {
    this.commit(() => (role.assumeRolePolicyDocument = document));
  }

  /** Deletes a role without policies (DeleteConflict otherwise); its sessions end with it. */
  deleteRole(name: string): void {
    const role = this.role(name);
    if (role.attachedPolicies.length > 0 || Object.keys(role.inlinePolicies).length > 0)
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    this.commit(() => {
      delete this.state.roles[role.name];
      this.dropSessions((session) => session.roleName === role.name);
    });
  }

  createPolicy(input: { name: string; path: string; document: string; description?: string; tags: Tag[] }): ManagedPolicy {
    if (Object.values(this.state.policies).some((p) => p.name.toLowerCase() === input.name.toLowerCase() && p.path === input.path)) {
      throw new AwsError('EntityAlreadyExists', `A policy called ${input.name} already exists. Duplicate names are not allowed.`, 409);
    }
    const now = isoNow();
    const policy: ManagedPolicy = {
      name: input.name,
      path: input.path,
      arn: this.iamArn('policy', input.path, input.name),
      policyId: newId('ANPA'),
      createDate: now,
      updateDate: now,
      description: input.description,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: input.document, createDate: now }],
      tags: input.tags,
    };
    return this.commit(() => (this.state.policies[policy.arn] = policy));
  }

  createPolicyVersion(policy: ManagedPolicy, document: string, setAsDefault: boolean): { versionId: string; createDate: string } {
    refuseAwsManaged(policy);
    if (policy.versions.length >= VERSIONS_PER_POLICY)
      throw new AwsError('LimitExceeded', `A managed policy can have up to ${VERSIONS_PER_POLICY} versions.`, 409);
    const version = {
      versionId: `v${Math.max(...policy.versions.map((v) => Number(v.versionId.slice(1)))) + 1}`,
      document,
      createDate: isoNow(),
    };
    return this.commit(() => {
      policy.versions.push(version);
      if (setAsDefault) policy.defaultVersionId = version.versionId;
      policy.updateDate = version.createDate;
      return version;
    });
  }

  deletePolicyVersion(policy: ManagedPolicy, versionId: string): void {
    refuseAwsManaged(policy);
    if (versionId === policy.defaultVersionId) throw new AwsError('DeleteConflict', 'Cannot delete the default version of a policy.', 409);
    if (!policy.versions.some((v) => v.versionId === versionId))
      throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist.`);
    this.commit(() => (policy.versions = policy.versions.filter((v) => v.versionId !== versionId)));
  }

  deletePolicy(policy: ManagedPolicy): void {
    refuseAwsManaged(policy);
    if (this.attachmentCount(policy.arn) > 0) throw new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    this.commit(() => delete this.state.policies[policy.arn]);
  }

  attachRolePolicy(role: Role, policy: ManagedPolicy): void {
    this.attachPolicy(role, policy, 'PoliciesPerRole');
  }

  detachRolePolicy(role: Role, arn: string): void {
    this.detachPolicy(role, arn);
  }

  attachUserPolicy(user: User, policy: ManagedPolicy): void {
    this.attachPolicy(user, policy, 'PoliciesPerUser');
  }

  detachUserPolicy(user: User, arn: string): void {
    this.detachPolicy(user, arn);
  }

  /** Attaches a managed policy once; IAM refuses more than its quota per role or user (409 LimitExceeded). */
  private attachPolicy(entity: User | Role, policy: ManagedPolicy, quota: 'PoliciesPerRole' | 'PoliciesPerUser'): void {
    if (entity.attachedPolicies.includes(policy.arn)) return;
    if (entity.attachedPolicies.length >= ATTACHED_POLICIES_PER_ENTITY)
      throw new AwsError('LimitExceeded', `Cannot exceed quota for ${quota}: ${ATTACHED_POLICIES_PER_ENTITY}`, 409);
    this.commit(() => entity.attachedPolicies.push(policy.arn));
  }

  private detachPolicy(entity: User | Role, arn: string): void {
    if (!entity.attachedPolicies.includes(arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
    this.commit(() => (entity.attachedPolicies = entity.attachedPolicies.filter((a) => a !== arn)));
  }

  // ---- STS -------------------------------------------------------------------------------

  /**
   * Adds an STS session. No IAM decision depends on a new access key, so the generation stays
   * (the decision cache is kept); the snapshot gets one appended line, not a rewrite of every
   * session there is.
   */
  addSession(session: Session, now: Date): void {
    this.dropExpiredSessions(now);
    this.state.sessions[session.accessKeyId] = session;
    if (this.snapshotFile !== undefined) appendToJournal(this.snapshotFile, session);
  }

  /**
   * Forgets sessions that expired over an hour ago (until then a call with one gets ExpiredToken,
   * as on AWS, which a client answers by refreshing). At most once a minute: the sweep is O(sessions).
   */
  dropExpiredSessions(now: Date): void {
    if (now.getTime() < this.nextSweep) return;
    this.nextSweep = now.getTime() + 60_000;
    const cutoff = now.getTime() - EXPIRED_SESSION_GRACE_MS;
    // No decision depends on a dead key (it fails authentication first): the generation stays.
    if (this.dropSessions((session) => Date.parse(session.expiration) <= cutoff) > 0) this.save();
  }

  // ---- Lambda ----------------------------------------------------------------------------

  /** The function of this account an unqualified ARN names, if it exists (another region's or account's is not one of these). */
  findFunction(unqualifiedArn: string): LambdaFunctionState | undefined {
    const fn = this.state.functions[unqualifiedArn.split(':')[6]];
    return fn !== undefined && fn.arn === unqualifiedArn ? fn : undefined;
  }

  lambdaFunction(unqualifiedArn: string): LambdaFunctionState {
    const fn = this.findFunction(unqualifiedArn);
    if (fn === undefined) throw new AwsError('ResourceNotFoundException', `Function not found: ${unqualifiedArn}`, 404);
    return fn;
  }

  /**
   * Creates a function whose configuration the caller validated. Only a role that truly does not
   * exist is refused: the hashicorp/aws provider retries this error while IAM propagates.
   */
  createFunction(fn: LambdaFunctionState): LambdaFunctionState {
    if (this.state.functions[fn.name] !== undefined)
      throw new AwsError('ResourceConflictException', `Function already exist: ${fn.name}`, 409);
    const role = this.state.roles[fn.role.split('/').pop() ?? ''];
    if (role === undefined || role.arn !== fn.role)
      throw new AwsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
    return this.commit(() => (this.state.functions[fn.name] = fn));
  }

  deleteFunction(fn: LambdaFunctionState): void {
    this.commit(() => delete this.state.functions[fn.name]);
  }

  /** `qualifier` "" is the unqualified function's URL. */
  functionUrl(fn: LambdaFunctionState, qualifier: string): FunctionUrlConfig {
    const url = fn.urls[qualifier];
    if (url === undefined) throw new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
    return url;
  }

  createFunctionUrl(fn: LambdaFunctionState, url: FunctionUrlConfig): FunctionUrlConfig {
    if (fn.urls[url.qualifier ?? ''] !== undefined) {
      throw new AwsError(
        'ResourceConflictException',
        `Failed to create function url config for [functionArn = ${fn.arn}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
        409,
      );
    }
    return this.commit(() => (fn.urls[url.qualifier ?? ''] = url));
  }

  updateFunctionUrl(
    fn: LambdaFunctionState,
    qualifier: string,
    changes: Pick<FunctionUrlConfig, 'authType' | 'invokeMode' | 'cors' | 'lastModifiedTime'>,
  ): FunctionUrlConfig {
    const url = this.functionUrl(fn, qualifier);
    return this.commit(() => Object.assign(url, changes));
  }

  deleteFunctionUrl(fn: LambdaFunctionState, qualifier: string): void {
    this.functionUrl(fn, qualifier);
    this.commit(() => delete fn.urls[qualifier]);
  }

  /** Adds a statement to the function's policy; its Sid must be new. A new RevisionId, as every policy change on Lambda. */
  addPermission(fn: LambdaFunctionState, statement: Record<string, unknown> & { Sid: string }): void {
    if (fn.permissions.some((s) => s.Sid === statement.Sid)) {
      throw new AwsError(
        'ResourceConflictException',
        `The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        409,
      );
    }
    this.commit(() => {
      fn.permissions.push(statement);
      fn.revisionId = randomUUID();
    });
  }

  /** Removes the statement `sid` on `resource` (the function, or one qualifier of it). */
  removePermission(fn: LambdaFunctionState, sid: string, resource: string): void {
    if (!fn.permissions.some((s) => s.Sid === sid && s.Resource === resource))
      throw new AwsError('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`, 404);
    this.commit(() => {
      fn.permissions = fn.permissions.filter((s) => !(s.Sid === sid && s.Resource === resource));
      fn.revisionId = randomUUID();
    });
  }

  // ---- CloudWatch Logs -------------------------------------------------------------------

  logGroupArn(name: string): string {
    return `arn:aws:logs:${this.region}:${this.accountId}:log-group:${name}`;
  }

  /** Logs answers a missing group with ResourceNotFoundException and HTTP 400 (JSON 1.1 protocol). */
  logGroup(name: unknown): LogGroup {
    const group = typeof name === 'string' ? this.state.logGroups[name] : undefined;
    if (group === undefined) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    return group;
  }

  /** The group an ARN names (with or without its `:*`): only this account's and region's, another's is not one here. */
  logGroupByArn(arn: unknown): LogGroup {
    const prefix = this.logGroupArn('');
    return this.logGroup(typeof arn === 'string' && arn.startsWith(prefix) ? arn.slice(prefix.length).replace(/:\*$/, '') : undefined);
  }

  createLogGroup(name: string, tags: Record<string, string>): LogGroup {
    if (this.state.logGroups[name] !== undefined)
      throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    const group: LogGroup = { name, arn: this.logGroupArn(name), creationTime: Date.now(), tags };
    return this.commit(() => (this.state.logGroups[name] = group));
  }

  /** `retentionInDays` undefined: kept forever (DeleteRetentionPolicy). */
  setRetention(group: LogGroup, retentionInDays: number | undefined): void {
    this.commit(() => {
      if (retentionInDays === undefined) delete group.retentionInDays;
      else group.retentionInDays = retentionInDays;
    });
  }

  tagLogGroup(group: LogGroup, tags: Record<string, string>): void {
    this.commit(() => Object.assign(group.tags, tags));
  }

  untagLogGroup(group: LogGroup, keys: string[]): void {
    this.commit(() => {
      for (const key of keys) delete group.tags[key];
    });
  }

  deleteLogGroup(group: LogGroup): void {
    this.commit(() => delete this.state.logGroups[group.name]);
  }

  // ---- IAM: OIDC identity providers -----------------------------------------------------

  oidcProvider(arn: string): OidcProvider {
    const provider = this.state.oidcProviders[arn];
    if (provider === undefined) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
    return provider;
  }

  /** One provider per URL and account (IAM: EntityAlreadyExists for a second). */
  createOidcProvider(provider: OidcProvider): OidcProvider {
    if (this.state.oidcProviders[provider.arn] !== undefined)
      throw new AwsError('EntityAlreadyExists', `Provider with url ${provider.url} already exists.`, 409);
    return this.commit(() => (this.state.oidcProviders[provider.arn] = provider));
  }

  /** Replaces a provider's client IDs, thumbprints or tags (the trust decisions read them: the generation moves). */
  changeOidcProvider(provider: OidcProvider, change: Partial<Pick<OidcProvider, 'clientIds' | 'thumbprints' | 'tags'>>): void {
    this.commit(() => Object.assign(provider, change));
  }

  deleteOidcProvider(provider: OidcProvider): void {
    this.commit(() => delete this.state.oidcProviders[provider.arn]);
  }

  // ---- applying and persisting -----------------------------------------------------------

  /** Applies a change whose checks all passed, then bumps the generation and writes the snapshot. */
  private commit<T>(apply: () => T): T {
    const result = apply();
    this.generation++;
    this.save();
    return result;
  }

  /** Removes the sessions `matches` selects; how many there were. */
  private dropSessions(matches: (session: Session) => boolean): number {
    let dropped = 0;
    for (const id of Object.keys(this.state.sessions)) {
      if (matches(this.state.sessions[id])) {
        delete this.state.sessions[id];
        dropped++;
      }
    }
    return dropped;
  }

  private save(): void {
    if (this.snapshotFile !== undefined) saveSnapshot(this.snapshotFile, this.state);
  }
}

/** AWS-managed policies belong to AWS: no account may change or delete them. */
function refuseAwsManaged(policy: ManagedPolicy): void {
  if (isAwsManagedPolicyArn(policy.arn))
    throw new AwsError('AccessDenied', `Policy ${policy.arn} is an AWS-managed policy: it cannot be changed or deleted.`, 403);
}
