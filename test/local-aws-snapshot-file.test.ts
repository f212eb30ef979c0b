import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalAws } from '../local-aws/server';
import { SnapshotError } from '../local-aws/snapshot';
import { projectRoot } from '../scripts/project-root';
import { useTempDir } from './support/temp-dir';

/** A snapshot file that cannot be read is named in the error, with what to do, and nothing starts. */
describe('a corrupt snapshot file', () => {
  const temp = useTempDir('snapshot-file-');
  const CASES: [string, string, RegExp][] = [
    ['truncated JSON', '{"users": [', /not valid JSON|Unexpected end|Expected/],
    ['not an object', '[]', /does not hold a JSON object/],
    ['no account', '{"users": {}}', /no accountId and region/],
    ['a record that is a list', '{"accountId":"123456789012","region":"us-east-1","users":["alice"]}', /"users" is not an object of entries/],
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
