import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Session, type WorldState, dictionary } from './world-state';

/**
 * The snapshot file (the whole state as JSON, written atomically, owner-only) and its session
 * journal (STS sessions appended one JSON line each between two full writes).
 */

/** A snapshot file that cannot be used: its message names the file and what to do. */
export class SnapshotError extends Error {
  constructor(file: string, reason: string) {
    super(`the snapshot file ${file} cannot be used: ${reason}. Fix it, or remove it to start with an empty account.`);
    this.name = 'SnapshotError';
  }
}

const SNAPSHOT_RECORDS = ['users', 'accessKeys', 'roles', 'policies', 'sessions', 'functions', 'logGroups', 'oidcProviders'] as const;

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
  if (typeof state.accountId !== 'string' || typeof state.region !== 'string')
    throw new SnapshotError(file, 'it has no accountId and region');
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
    oidcProviders: records(parsed.oidcProviders),
  };
}
/**
 * The state a snapshot file holds, with the sessions its journal adds (a session of the journal
 * replaces the snapshot's one with the same key). `journalReplayed`: the journal had lines, which
 * the caller folds into the snapshot at once: a line a crash cut short has no newline, and the
 * next appended session would be glued to it and lost at the following start.
 */
export function loadSnapshot(file: string): { state: WorldState; journalReplayed: boolean } {
  // The snapshot holds every live secret: owner-only, whatever mode the file had.
  fs.chmodSync(file, 0o600);
  const state = readSnapshot(file);
  const journal = sessionJournalOf(file);
  const journalReplayed = fs.existsSync(journal);
  for (const session of readSessionJournal(journal)) state.sessions[session.accessKeyId] = session;
  return { state, journalReplayed };
}

/** Writes the whole state; the journal's sessions are in it now, so the journal goes. */
export function saveSnapshot(file: string, state: WorldState): void {
  writeSnapshot(file, JSON.stringify(state));
  // A crash before this line only replays duplicates at the next start.
  fs.rmSync(sessionJournalOf(file), { force: true });
}

/** Appends one session to the journal next to the snapshot (0600): one line, not a rewrite of every session. */
export function appendToJournal(file: string, session: Session): void {
  fs.appendFileSync(sessionJournalOf(file), `${JSON.stringify(session)}\n`, { mode: 0o600 });
}

/**
 * Writes the snapshot atomically (temp + rename) and readable by its owner only: it holds the
 * invoker's secret key and every live session secret. A directory this creates is 0700.
 */
function writeSnapshot(file: string, text: string): void {
  const directory = path.dirname(file);
  if (!fs.existsSync(directory)) fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  // 'wx' with the mode: the file is created 0600, never briefly wider; a temp left by a crash goes first.
  fs.rmSync(temp, { force: true });
  fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temp, file);
}

/** Sessions issued since the last full snapshot, one JSON line each, next to it. */
const sessionJournalOf = (snapshotFile: string) => `${snapshotFile}.sessions`;

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
