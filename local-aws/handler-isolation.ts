import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where handlers' code lives and which users they run as. A function runs as a user of its own
 * (FunctionUsers: a uid no other stand-in's function has) when the stand-in is root and may switch
 * users; its code then lives in
 * `<code root>/fn-<uid>` (0700, that user's), under a code root the stand-in creates (root's,
 * 0711: others pass through it, never list it). The code root is made in the OS temp dir when every
 * folder above it lets other users pass (o+x); under a private temp dir (0700, the usual per-user
 * TMPDIR of macOS and many CI runners) it is made in the first system temp dir that does, so a
 * private TMPDIR never weakens isolation.
 *
 * When separate users are impossible (not root, or root without CAP_SETUID/CAP_SETGID) handlers run
 * as the stand-in's own user: that is said once, on stderr, naming what a handler can then read;
 * with `requireIsolation` it is a refusal instead (IsolationError).
 */

/** The lowest user id a function runs as (above the ids distributions give to people and daemons). */
export const FIRST_FUNCTION_UID = 200_000;
/** Function uids are taken in blocks of this many, one block per runner at a time. */
const UID_BLOCK = 1000;
/** Uids stay below 2^31: uid_t is 32 bits, and some tools read uids from 2^31 up as negative. */
const UID_LIMIT = 2 ** 31;
/** Blocks held by the runners of this process. */
const blocksInUse = new Set<number>();

/** System temp dirs a root stand-in may use when the OS temp dir is private (FHS: all o+x). */
const SHARED_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

export interface IsolationOptions {
  /** Refuse to run handlers as the stand-in's own user (IsolationError at start). @default false */
  readonly requireIsolation?: boolean;
  /** Where the one warning goes when functions cannot run as users of their own. @default stderr */
  readonly warn?: (message: string) => void;
}

export class IsolationError extends Error {
  override readonly name = 'IsolationError';
}

export interface CodeRoot {
  /** The folder holding every function's `fn-<uid>` folder (removed by the runner's close). */
  readonly dir: string;
  /** True when each function runs as a user of its own. */
  readonly separateUsers: boolean;
}

/** Chooses the code root and whether functions get users of their own; warns or refuses once. */
export function prepareCodeRoot(options: IsolationOptions = {}): CodeRoot {
  const reason = whySeparateUsersAreImpossible();
  if (reason !== undefined) {
    refuseOrWarn(reason, options);
    return { dir: makeRoot(os.tmpdir(), 0o700), separateUsers: false };
  }
  const base = [os.tmpdir(), ...SHARED_TEMP_DIRS].find((dir) => fs.existsSync(dir) && othersMayTraverse(dir));
  if (base === undefined) {
    refuseOrWarn(`no temp dir lets other users pass through (tried ${[os.tmpdir(), ...SHARED_TEMP_DIRS].join(', ')})`, options);
    return { dir: makeRoot(os.tmpdir(), 0o700), separateUsers: false };
  }
  return { dir: makeRoot(base, 0o711), separateUsers: true };
}

/**
 * Says (or refuses, with requireIsolation) that handlers run as the stand-in's own user, naming
 * what a handler can then read. Also used when a spawn fails with EPERM after all.
 */
export function refuseOrWarn(reason: string, options: IsolationOptions): void {
  const uid = process.getuid?.();
  const who = uid === undefined ? "the stand-in's own user" : `the stand-in's own user (uid ${uid})`;
  if (options.requireIsolation)
    throw new IsolationError(
      `refusing to run handlers as ${who}: ${reason}. Separate users need the stand-in to run as root with CAP_SETUID and CAP_SETGID (for example in a container); without requireIsolation it runs them as its own user instead`,
    );
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  warn(
    `local-aws: WARNING: handlers run as ${who}, not as users of their own, because ${reason}. ` +
      "A handler can therefore read everything the stand-in can: the snapshot file with every secret key, the stand-in's environment and command line (/proc/<pid>/environ, cmdline), every other function's unpacked code, and it can signal the stand-in. " +
      'Run only handlers you trust, or run the stand-in as root (for example in a container); require isolation (local-aws --require-isolation) to refuse to start instead.',
  );
}

function whySeparateUsersAreImpossible(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return 'this platform has no user ids';
  if (uid !== 0) return `the stand-in does not run as root (uid ${uid}), and only root may start a process as another user`;
  // A root without CAP_SETUID/CAP_SETGID (a container started without them) fails setuid() with
  // EPERM in the child before exec: tried once per process, so it is said at start, not at a call.
  setuidFailure ??= setuidProbe();
  return setuidFailure === ''
    ? undefined
    : `the stand-in runs as root but may not switch users (setuid failed: ${setuidFailure}; no CAP_SETUID/CAP_SETGID)`;
}

/** The error code of starting a process as a function's user ('' when it works); a process's capabilities do not come back. */
let setuidFailure: string | undefined;
function setuidProbe(): string {
  const probe = spawnSync(process.execPath, ['--version'], { uid: FIRST_FUNCTION_UID, gid: FIRST_FUNCTION_UID, stdio: 'ignore' });
  return (probe.error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

function makeRoot(base: string, mode: number): string {
  const dir = fs.mkdtempSync(path.join(base, 'local-aws-code-'));
  fs.chmodSync(dir, mode);
  return dir;
}

/** True when every folder from `dir` up to the root lets other users pass through (o+x). */
function othersMayTraverse(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/**
 * The uid each function runs as. A process's uid is its only boundary here: two functions sharing
 * one could read each other's environment (their credentials) and code, and signal each other,
 * including functions of two stand-ins on one machine (parallel test workers, a stand-in per
 * project) and processes a handler left behind. So each runner takes its uids in blocks chosen at
 * random among about two million, none held by another runner of this process nor by a running
 * process (/proc), and a function keeps its uid for the runner's life.
 */
export class FunctionUsers {
  private readonly uids = new Map<string, number>();
  private readonly blocks: number[] = [];

  /** The uid of this function, given now if it has none. */
  uidOf(name: string): number {
    let uid = this.uids.get(name);
    if (uid === undefined) {
      if (this.uids.size % UID_BLOCK === 0) this.blocks.push(freeBlock());
      uid = this.blocks[this.blocks.length - 1] + (this.uids.size % UID_BLOCK);
      this.uids.set(name, uid);
    }
    return uid;
  }

  /** The uid a function was given, if any. */
  given(name: string): number | undefined {
    return this.uids.get(name);
  }

  /** Gives the blocks back (once the runner's processes have ended). */
  release(): void {
    for (const block of this.blocks.splice(0)) blocksInUse.delete(block);
  }
}

function freeBlock(): number {
  const running = uidsOfRunningProcesses();
  const blocks = Math.max(1, Math.floor((Math.min(UID_LIMIT, mappedIdsEnd('uid'), mappedIdsEnd('gid')) - FIRST_FUNCTION_UID) / UID_BLOCK));
  for (let attempt = 0; ; attempt++) {
    const block = FIRST_FUNCTION_UID + randomInt(blocks) * UID_BLOCK;
    // A user namespace with few ids may have a single block: shared then, rather than none.
    if (attempt >= 100) return block;
    if (blocksInUse.has(block) || running.some((uid) => uid >= block && uid < block + UID_BLOCK)) continue;
    blocksInUse.add(block);
    return block;
  }
}

/**
 * Where the ids usable from FIRST_FUNCTION_UID on end in this process's user namespace
 * (/proc/self/uid_map, gid_map: "inside outside count" lines; a container may map only some ids).
 */
function mappedIdsEnd(kind: 'uid' | 'gid'): number {
  let map: string;
  try {
    map = fs.readFileSync(`/proc/self/${kind}_map`, 'utf8');
  } catch {
    return UID_LIMIT;
  }
  for (const line of map.trim().split('\n')) {
    const [inside, , count] = line.trim().split(/\s+/).map(Number);
    if (inside <= FIRST_FUNCTION_UID && FIRST_FUNCTION_UID < inside + count) return inside + count;
  }
  return UID_LIMIT;
}

/** The uids of the processes running now, from /proc (none where there is no /proc). */
function uidsOfRunningProcesses(): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const uids: number[] = [];
  for (const entry of entries) {
    try {
      uids.push(fs.statSync(path.join('/proc', entry)).uid);
    } catch {
      // ended meanwhile
    }
  }
  return uids;
}
