import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startLocalAws } from '../local-aws/server';
import { type SeededWorld, callApi, query } from './support/local-aws-fixtures';
import { useSeededWorld } from './support/seeded-world-hooks';
import { useTempDir } from './support/temp-dir';

/**
 * The server's request pipeline (local-aws/server.ts, dispatch.ts): every input gets an AWS error
 * in its protocol's shape and a 4xx, sizes are bounded before anything is parsed, and the server
 * stays up; a server that cannot listen leaves nothing behind.
 */

const makeTempDir = useTempDir('server-');

let world: SeededWorld;

useSeededWorld((seeded) => {
  world = seeded;
});

describe('bad input gets AWS errors and the server stays up', () => {
  it.each([
    [
      'an IAM call without Action',
      () => callApi(world.local, 'iam', { body: 'Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      400,
      /MissingAction/,
    ],
    ['an unknown IAM action', () => query(world.local, 'iam', { Action: 'CreateGroupOfDoom' }), 400, /InvalidAction/],
    [
      'an IAM call with a JSON content type',
      () => callApi(world.local, 'iam', { body: '{"Action":"GetUser"}', headers: { 'content-type': 'application/json' } }),
      400,
      /InvalidParameterValue/,
    ],
    [
      'malformed JSON to Lambda',
      () =>
        callApi(world.local, 'lambda', {
          path: '/2015-03-31/functions',
          headers: { 'content-type': 'application/json' },
          body: '{"FunctionName":',
        }),
      400,
      /SerializationException/,
    ],
    [
      'an unknown Lambda route',
      () => callApi(world.local, 'lambda', { method: 'GET', path: '/2099-01-01/gizmos' }),
      400,
      /UnknownOperationException/,
    ],
    [
      'malformed JSON to Logs',
      () => callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup' }, body: '{{' }),
      400,
      /SerializationException/,
    ],
    [
      'an unknown Logs operation',
      () => callApi(world.local, 'logs', { headers: { 'x-amz-target': 'Logs_20140328.Explode' }, body: '{}' }),
      400,
      /UnknownOperationException/,
    ],
    [
      'an unsigned API call',
      () =>
        fetch(`${world.local.endpoint}/`, {
          method: 'POST',
          body: 'Action=ListUsers&Version=2010-05-08',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }).then(async (r) => ({ status: r.status, text: await r.text() })),
      403,
      /MissingAuthenticationToken/,
    ],
    [
      'a wrong secret',
      () =>
        query(
          world.local,
          'iam',
          { Action: 'GetUser', UserName: 'lambda_invoker' },
          { accessKeyId: world.userKey.accessKeyId, secretAccessKey: 'wrong' },
        ),
      403,
      /SignatureDoesNotMatch/,
    ],
    [
      'an unknown access key',
      () =>
        query(
          world.local,
          'iam',
          { Action: 'GetUser', UserName: 'lambda_invoker' },
          { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
        ),
      403,
      /InvalidClientTokenId/,
    ],
  ])('%s', async (_, send, status, code) => {
    const r: { status: number; text: string; headers?: Headers } = await send();
    expect(r.status).toBe(status);
    // Query and JSON 1.1 protocols name the error in the body; Lambda's REST protocol in x-amzn-errortype.
    expect(`${r.text} ${r.headers?.get('x-amzn-errortype') ?? ''}`).toMatch(code);
    const health = await fetch(`${world.local.endpoint}/_local/health`);
    expect(health.status).toBe(200);
  });

  it("a 24 MB trust policy from the invoker's key is refused before it is read", async () => {
    const huge = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Sid: 'x'.repeat(24 * 1024 * 1024) }],
    });
    const started = performance.now();
    const r = await query(world.local, 'iam', { Action: 'CreateRole', RoleName: 'huge', AssumeRolePolicyDocument: huge }, world.userKey);
    expect(r.status).toBe(413);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(world.local.world.state.roles.huge).toBeUndefined();
  });
});

describe('a stand-in that cannot listen', () => {
  it("throws and leaves nothing in the temp dir (the handlers' code directory is removed)", async () => {
    const temp = { dir: makeTempDir() }; // removed after the file, pass or fail
    const tmpdir = process.env.TMPDIR;
    try {
      process.env.TMPDIR = temp.dir;
      await expect(startLocalAws({ port: world.local.port })).rejects.toThrow(/EADDRINUSE/);
      expect(fs.readdirSync(temp.dir)).toEqual([]);
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
  });
});
