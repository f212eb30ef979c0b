import { createHash, randomBytes } from 'node:crypto';

/**
 * The emulated account's data: IAM users, keys, roles, policies, STS sessions, Lambda functions
 * with URLs and permissions, and log groups, as plain records (the snapshot file is this state as
 * JSON). Only World (world.ts) changes it.
 */

export interface Tag {
  Key: string;
  Value: string;
}

export interface User {
  name: string;
  path: string;
  arn: string;
  userId: string;
  createDate: string;
  tags: Tag[];
  permissionsBoundary?: string;
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  status: 'Active' | 'Inactive';
  createDate: string;
}

export interface Role {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  createDate: string;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  tags: Tag[];
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface ManagedPolicy {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  createDate: string;
  updateDate: string;
  description?: string;
  defaultVersionId: string;
  versions: { versionId: string; document: string; createDate: string }[];
  tags: Tag[];
}

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  /** aws:TokenIssueTime: what "revoke older sessions" (DateLessThan on it) tests. Optional: a snapshot's session may lack it. */
  issuedAt?: string;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  assumedRoleArn: string;
  /** Inline Policy and the documents of PolicyArns, merged at AssumeRole (their statements together). */
  sessionPolicy?: string;
  /** Session tags (AssumeRole Tags), the keys passed on to chained sessions, and SourceIdentity. */
  tags?: Tag[];
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
  /** A function's execution-role session: Lambda sets `lambda:SourceFunctionArn` on its requests. */
  sourceFunctionArn?: string;
  /** A GetSessionToken session: the user (or the root) it stands for; the role fields are then empty. */
  // userId: a user deleted and recreated under the same name is another user (AWS keys
  // credentials to the unique id), so the old user's sessions must not act as the new one.
  issuedTo?: { kind: 'user'; userName: string; userId?: string } | { kind: 'root' };
}

export interface FunctionUrlConfig {
  urlId: string;
  qualifier?: string;
  authType: 'AWS_IAM' | 'NONE';
  invokeMode: string;
  cors?: Record<string, unknown>;
  creationTime: string;
  lastModifiedTime: string;
}

export interface LambdaFunctionState {
  name: string;
  arn: string;
  role: string;
  handler: string;
  runtime: string;
  timeout: number;
  memorySize: number;
  description: string;
  environment: Record<string, string>;
  zipBase64: string;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  revisionId: string;
  createdAt: number;
  tags: Record<string, string>;
  architectures: string[];
  /** Resource-based policy statements (aws_lambda_permission). */
  permissions: Record<string, unknown>[];
  /** Function URL configs by qualifier ("" = unqualified). */
  urls: Record<string, FunctionUrlConfig>;
  aliases: Record<string, { name: string; functionVersion: string }>;
}

export interface LogGroup {
  name: string;
  arn: string;
  retentionInDays?: number;
  creationTime: number;
  tags: Record<string, string>;
}

/**
 * An IAM OIDC identity provider (CreateOpenIDConnectProvider): keyed by its ARN,
 * `arn:aws:iam::<account>:oidc-provider/<url without scheme>`. `url` is kept as given, scheme
 * included (the stand-in also accepts `http://` on loopback); IAM answers it without `https://`.
 */
export interface OidcProvider {
  arn: string;
  url: string;
  clientIds: string[];
  thumbprints: string[];
  createDate: string;
  tags: Tag[];
}

export interface WorldState {
  accountId: string;
  region: string;
  users: Record<string, User>;
  accessKeys: Record<string, AccessKey>;
  roles: Record<string, Role>;
  policies: Record<string, ManagedPolicy>;
  sessions: Record<string, Session>;
  functions: Record<string, LambdaFunctionState>;
  logGroups: Record<string, LogGroup>;
  oidcProviders: Record<string, OidcProvider>;
}
export function newId(prefix: string, length = 17): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length);
  let id = prefix;
  for (let i = 0; i < length; i++) id += alphabet[bytes[i] % alphabet.length];
  return id;
}

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A record keyed by names that come from callers (users, roles, policy ARNs, statement ids, tags):
 * null prototype, so `constructor`, `toString` or `__proto__` are ordinary names, never a lookup
 * into Object.prototype.
 */
export function dictionary<T>(entries?: Record<string, T>): Record<string, T> {
  const record: Record<string, T> = Object.create(null);
  if (entries !== undefined) for (const key of Object.keys(entries)) record[key] = entries[key];
  return record;
}

export function emptyState(accountId: string, region: string): WorldState {
  return {
    accountId,
    region,
    users: dictionary(),
    accessKeys: dictionary(),
    roles: dictionary(),
    policies: dictionary(),
    sessions: dictionary(),
    functions: dictionary(),
    logGroups: dictionary(),
    oidcProviders: dictionary(),
  };
}
export function sha256Base64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}
