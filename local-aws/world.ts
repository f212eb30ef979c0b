import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The emulated account: IAM users, keys, roles, policies, STS sessions, Lambda functions with
 * URLs and permissions, and log groups. Every operation the wire APIs offer is a method here,
 * validated first and applied in one step, so a failed call never leaves half a resource.
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
  return { accountId, region, users: dictionary(), accessKeys: dictionary(), roles: dictionary(), policies: dictionary(), sessions: dictionary(), functions: dictionary(), logGroups: dictionary() };
}

/** A snapshot file that cannot be used: its message names the file and what to do. */
export class SnapshotError extends Error {
  constructor(file: string, reason: string) {
    super(`the snapshot file ${file} cannot be used: ${reason}. Fix it, or remove it to start with an empty account.`);
    this.name = 'SnapshotError';
  }
}

const SNAPSHOT_RECORDS = ['users', 'accessKeys', 'roles', 'policies', 'sessions', 'functions', 'logGroups'] as const;

function readSnapshot(file: string): WorldState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SnapshotError(file, (error as Error).message);
  }
  const isRecord = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isRecord(parsed)) throw new SnapshotError(file, 'it does not hold a JSON object');
  const state = parsed as Record<string, unknown>;
  if (typeof state.accountId !== 'string' || typeof state.region !== 'string') throw new SnapshotError(file, 'it has no accountId and region');
  for (const name of SNAPSHOT_RECORDS) {
    const record = state[name];
    if (record !== undefined && (!isRecord(record) || !Object.values(record as object).every(isRecord))) {
      throw new SnapshotError(file, `its "${name}" is not an object of entries`);
    }
  }
  return reviveState(parsed as WorldState);
}

/** A snapshot read back from JSON, with every caller-keyed record made null-prototype again. */
function reviveState(parsed: WorldState): WorldState {
  const records = <T>(record: Record<string, T> | undefined, each?: (value: T) => void): Record<string, T> => {
    const revived = dictionary(record ?? {});
    if (each !== undefined) for (const key of Object.keys(revived)) each(revived[key]);
    return revived;
  };
  const withInline = (entity: { inlinePolicies: Record<string, string> }) => {
    entity.inlinePolicies = records(entity.inlinePolicies);
  };
  return {
    accountId: parsed.accountId,
    region: parsed.region,
    users: records(parsed.users, withInline),
    accessKeys: records(parsed.accessKeys),
    roles: records(parsed.roles, withInline),
    policies: records(parsed.policies),
    sessions: records(parsed.sessions),
    functions: records(parsed.functions, (fn) => {
      fn.environment = records(fn.environment);
      fn.tags = records(fn.tags);
      fn.urls = records(fn.urls);
      fn.aliases = records(fn.aliases);
    }),
    logGroups: records(parsed.logGroups, (group) => {
      group.tags = records(group.tags);
    }),
  };
}

/**
 * Holds the state, bumps `generation` on every change (authorization caches key on it) and
 * writes the snapshot file, when one is configured, after each change (atomically: temp + rename).
 */
export class World {
  generation = 0;
  constructor(public state: WorldState, private readonly snapshotFile?: string) {}

  static open(options: { accountId: string; region: string; snapshotFile?: string }): World {
    if (options.snapshotFile !== undefined && fs.existsSync(options.snapshotFile)) {
      // The snapshot holds every live secret: owner-only, whatever mode the file had.
      fs.chmodSync(options.snapshotFile, 0o600);
      const state = readSnapshot(options.snapshotFile);
      const journal = sessionJournalOf(options.snapshotFile);
      const replayed = fs.existsSync(journal);
      for (const session of readSessionJournal(journal)) state.sessions[session.accessKeyId] = session;
      const world = new World(state, options.snapshotFile);
      // Folded into the snapshot at once: a line a crash cut short has no newline, and the next
      // appended session would be glued to it and lost at the following start.
      if (replayed) world.save();
      world.dropExpiredSessions(new Date());
      return world;
    }
    return new World(emptyState(options.accountId, options.region), options.snapshotFile);
  }

  /**
   * Adds an STS session. No IAM decision depends on a new access key, so the decision cache
   * stays; the snapshot gets one appended line, not a rewrite of every session there is.
   */
  addSession(session: Session, now: Date): void {
    this.dropExpiredSessions(now);
    this.state.sessions[session.accessKeyId] = session;
    if (this.snapshotFile !== undefined) appendSession(sessionJournalOf(this.snapshotFile), session);
  }

  private nextSweep = 0;

  /**
   * Forgets sessions that expired over an hour ago (until then a call with one gets ExpiredToken,
   * as on AWS, which a client answers by refreshing). At most once a minute: the sweep is O(sessions).
   */
  dropExpiredSessions(now: Date): void {
    if (now.getTime() < this.nextSweep) return;
    this.nextSweep = now.getTime() + 60_000;
    const cutoff = now.getTime() - EXPIRED_SESSION_GRACE_MS;
    let dropped = 0;
    for (const id of Object.keys(this.state.sessions)) {
      if (Date.parse(this.state.sessions[id].expiration) <= cutoff) {
        delete this.state.sessions[id];
        dropped++;
      }
    }
    // No decision depends on a dead key (it fails authentication first): the cache stays.
    if (dropped > 0) this.save();
  }

  get accountId(): string {
    return this.state.accountId;
  }

  get region(): string {
    return this.state.region;
  }

  /** Applies a change: the mutation runs only after all validation inside `change` passed. */
  changed(): void {
    this.generation++;
    this.save();
  }

  save(): void {
    if (this.snapshotFile === undefined) return;
    writeSnapshot(this.snapshotFile, JSON.stringify(this.state));
    // The full snapshot holds every session now; a crash before this line only replays duplicates.
    fs.rmSync(sessionJournalOf(this.snapshotFile), { force: true });
  }

  /** True when nothing but the bootstrap admin exists (after a full destroy). */
  isEmpty(): boolean {
    const s = this.state;
    return [s.users, s.accessKeys, s.roles, s.policies, s.functions, s.logGroups].every((r) => Object.keys(r).length === 0);
  }
}

/**
 * Writes the snapshot atomically (temp + rename) and readable by its owner only: it holds the
 * invoker's secret key and every live session secret. A directory this creates is 0700.
 */
export function writeSnapshot(file: string, text: string): void {
  const directory = path.dirname(file);
  if (!fs.existsSync(directory)) fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  // 'wx' with the mode: the file is created 0600, never briefly wider; a temp left by a crash goes first.
  fs.rmSync(temp, { force: true });
  fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temp, file);
}

const EXPIRED_SESSION_GRACE_MS = 60 * 60 * 1000;

/** Sessions issued since the last full snapshot, one JSON line each, next to it. */
const sessionJournalOf = (snapshotFile: string) => `${snapshotFile}.sessions`;

function appendSession(journal: string, session: Session): void {
  fs.appendFileSync(journal, `${JSON.stringify(session)}\n`, { mode: 0o600 });
}

function readSessionJournal(journal: string): Session[] {
  if (!fs.existsSync(journal)) return [];
  fs.chmodSync(journal, 0o600);
  const sessions: Session[] = [];
  for (const line of fs.readFileSync(journal, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      sessions.push(JSON.parse(line) as Session);
    } catch {
      // a line cut short by a crash: that session was never answered to its caller
    }
  }
  return sessions;
}

export function sha256Base64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}
