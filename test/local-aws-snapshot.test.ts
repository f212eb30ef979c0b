import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import { type LocalAws, startLocalAws } from '../local-aws/server';
import { SnapshotError } from '../local-aws/snapshot';
import { projectRoot } from '../scripts/project-root';
import { credentialsIn, mustSucceed, query, seed, xmlValue } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * The snapshot file and its session journal (local-aws/snapshot.ts): what a second process sees,
 * owner-only modes, sessions appended rather than rewritten, a crash's leftovers, and a corrupt file.
 */

const temp = useTempDir('snapshot-');
const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('snapshots', () => {
  it('a second process sees the world the first one left in the snapshot file', async () => {
    const file = path.join(temp(), 'world.json');
    const first = await startLocalAws({ snapshotFile: file });
    await query(first, 'iam', { Action: 'CreateUser', UserName: 'persisted' });
    const key = await query(first, 'iam', { Action: 'CreateAccessKey', UserName: 'persisted' });
    await first.close();
    const second = await startLocalAws({ snapshotFile: file });
    try {
      const credentials = credentialsIn(key.text);
      const who = await query(second, 'sts', { Action: 'GetCallerIdentity' }, credentials);
      expect(xmlValue(who.text, 'Arn')).toBe('arn:aws:iam::123456789012:user/persisted');
    } finally {
      await second.close();
    }
  });
});

describe('object-prototype names', () => {
  it('a user named __proto__ survives a snapshot round trip', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-snapshot-'));
    try {
      const file = path.join(dir, 'world.json');
      const first = await startLocalAws({ snapshotFile: file });
      try {
        for (const name of NAMES) expect((await query(first, 'iam', { Action: 'CreateUser', UserName: name })).status).toBe(200);
      } finally {
        await first.close();
      }
      const second = await startLocalAws({ snapshotFile: file });
      try {
        for (const name of NAMES) {
          const r = await query(second, 'iam', { Action: 'GetUser', UserName: name });
          expect([r.status, r.status === 200 ? xmlValue(r.text, 'UserName') : r.text], name).toEqual([200, name]);
        }
        expect(Object.getPrototypeOf(second.world.state.users)).toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the snapshot holds secrets: owner-only on disk', () => {
  it('world.json is 0600 and a directory it creates is 0700, also when an old 0644 snapshot is reopened', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshot-mode-'));
    try {
      const file = path.join(root, 'state', 'world.json');
      const local = await startLocalAws({ snapshotFile: file });
      try {
        await query(local, 'iam', { Action: 'CreateUser', UserName: 'secretive' });
        await query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'secretive' });
      } finally {
        await local.close();
      }
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
      fs.chmodSync(file, 0o644);
      const again = await startLocalAws({ snapshotFile: file });
      await again.close();
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['world.json']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('AssumeRole stays cheap as sessions pile up', () => {
  it('a new session neither rewrites the snapshot nor drops cached decisions; expired ones are dropped; a restart still knows it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessions-'));
    try {
      const file = path.join(root, 'world.json');
      const local = await startLocalAws({ snapshotFile: file });
      let seeded: Awaited<ReturnType<typeof seed>>;
      let credentials: AwsCredentialIdentity;
      try {
        seeded = await seed(local);
        const stale = {
          accessKeyId: 'ASIASTALESESSION0000',
          secretAccessKey: 's',
          sessionToken: 't',
          expiration: new Date(Date.now() - 2 * 3600_000).toISOString(),
          roleArn: seeded.roleArn,
          roleName: 'function_invoker',
          roleId: 'AROAX',
          sessionName: 'stale',
          assumedRoleArn: 'arn',
        };
        local.world.state.sessions[stale.accessKeyId] = stale;
        const assume = (name: string) =>
          query(
            local,
            'sts',
            { Action: 'AssumeRole', RoleArn: seeded.roleArn, RoleSessionName: name, ExternalId: seeded.externalId },
            seeded.userKey,
          );
        const first = await assume('first');
        credentials = credentialsIn(first.text);
        expect(local.world.state.sessions[stale.accessKeyId]).toBeUndefined();
        const client = new FunctionUrlClient({
          url: seeded.urls.echo,
          region: 'us-east-1',
          credentials: { getCredentials: async () => credentials },
          retries: 0,
        });
        expect((await client.invoke()).status).toBe(200);
        const snapshot = fs.statSync(file);
        const simulations = local.authorizer.stats.simulations;
        for (let i = 0; i < 20; i++) expect((await assume(`more-${i}`)).status).toBe(200);
        expect((await client.invoke()).status).toBe(200);
        expect(local.authorizer.stats.simulations).toBe(simulations);
        const after = fs.statSync(file);
        expect([after.ino, after.mtimeMs, after.size]).toEqual([snapshot.ino, snapshot.mtimeMs, snapshot.size]);
        expect(fs.statSync(`${file}.sessions`).mode & 0o777).toBe(0o600);
      } finally {
        await local.close();
      }
      const restarted = await startLocalAws({ snapshotFile: file });
      try {
        const who = await query(restarted, 'sts', { Action: 'GetCallerIdentity' }, credentials);
        expect(xmlValue(who.text, 'Arn')).toMatch(/assumed-role\/function_invoker\/first$/);
        // The 21 sessions assumed here (the echo function's own execution-role session is one more).
        const invokerSessions = (sessions: Record<string, { roleName: string }>) =>
          Object.values(sessions).filter((session) => session.roleName === 'function_invoker');
        expect(invokerSessions(restarted.world.state.sessions)).toHaveLength(21);
        // A full write folds the journal into the snapshot.
        await query(restarted, 'iam', { Action: 'CreateUser', UserName: 'folds' });
        expect(fs.existsSync(`${file}.sessions`)).toBe(false);
        expect(invokerSessions(JSON.parse(fs.readFileSync(file, 'utf8')).sessions)).toHaveLength(21);
      } finally {
        await restarted.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the session journal after a crash', () => {
  it('a line cut short by a crash does not swallow the session appended after the restart', async () => {
    const snapshotFile = path.join(temp(), 'world.json'); // removed after the file, pass or fail
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }],
    });
    const assume = async (local: { endpoint: string }) => {
      const xml = await mustSucceed(
        query(local, 'sts', { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/journaled', RoleSessionName: 'torn' }),
      );
      return credentialsIn(xml);
    };
    let local: LocalAws | undefined;
    const restart = async () => {
      await local?.close();
      local = undefined;
      local = await startLocalAws({ snapshotFile });
      return local;
    };
    try {
      await mustSucceed(query(await restart(), 'iam', { Action: 'CreateRole', RoleName: 'journaled', AssumeRolePolicyDocument: trust }));
      await assume(local!);
      await local!.close();
      local = undefined;
      fs.appendFileSync(`${snapshotFile}.sessions`, '{"accessKeyId":"ASIATORN');
      const session = await assume(await restart());
      const r = await query(await restart(), 'sts', { Action: 'GetCallerIdentity' }, session);
      expect(r.status, r.text).toBe(200);
    } finally {
      await local?.close();
    }
  });
});

/** A snapshot file that cannot be read is named in the error, with what to do, and nothing starts. */
describe('a corrupt snapshot file', () => {
  const CASES: [string, string, RegExp][] = [
    ['truncated JSON', '{"users": [', /not valid JSON|Unexpected end|Expected/],
    ['not an object', '[]', /does not hold a JSON object/],
    ['no account', '{"users": {}}', /no accountId and region/],
    [
      'a record that is a list',
      '{"accountId":"123456789012","region":"us-east-1","users":["alice"]}',
      /"users" is not an object of entries/,
    ],
  ];

  it.each(CASES)('%s: the library throws a SnapshotError naming the file', async (_, text, reason) => {
    const file = path.join(temp(), 'world.json');
    fs.writeFileSync(file, text);
    const started = startLocalAws({ snapshotFile: file });
    await expect(started).rejects.toBeInstanceOf(SnapshotError);
    await expect(started).rejects.toThrow(file);
    await expect(started).rejects.toThrow(reason);
  });

  it('the CLI exits 2 with one line naming the file, and no stack trace', () => {
    const file = path.join(temp(), 'world.json');
    fs.writeFileSync(file, '{"users": [');
    const cli = path.join(projectRoot(), 'dist', 'local-aws', 'cli.js');
    const result = spawnSync(process.execPath, [cli, '--port', '0', '--snapshot', file], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/remove it to start with an empty account/);
  });
});
