import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/invoke-cli-run';
import { STATIC_PROFILE_ARGS, staticProfileEnv } from './support/static-profile';
import { useTempDir } from './support/temp-dir';

/**
 * Files named by flags (--outputs, --data @FILE, --session-policy) are read bounded, so a FIFO
 * or a device cannot exhaust memory, and a body file goes on the wire byte for byte. The FIFOs
 * are fed by a child `head -c`, so the bytes a reader may take are limited by what is written,
 * not by the code under test (the unbounded reader would otherwise eat /dev/zero).
 */

const makeTempDir = useTempDir('cli-files-');
let dir: string;
let server: http.Server;
let url: string;
let credentialsEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = makeTempDir();
  // Answers with the SHA-256 and length of the body it received; it never checks signatures.
  server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => res.end(JSON.stringify({ length, sha256: hash.digest('hex') })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/lambda-url/files/`;
  credentialsEnv = staticProfileEnv(dir);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const cli = runCli;

/**
 * A FIFO that a child process fills with `bytes` zero bytes, then closes. Returns once the writer
 * runs: the CLI's synchronous open blocks this event loop until a writer opens the FIFO.
 */
async function fifoWith(name: string, bytes: number): Promise<{ file: string; done: Promise<void> }> {
  const file = path.join(dir, name);
  await new Promise<void>((resolve, reject) => {
    const made = spawn('mkfifo', [file], { stdio: 'ignore' });
    made.on('error', reject);
    made.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo ${file} exited ${code}`))));
  });
  // The writer ends with EPIPE/SIGPIPE when the reader stops early: that is the point.
  const writer = spawn('sh', ['-c', 'head -c "$1" /dev/zero > "$0"', file, String(bytes)], { stdio: 'ignore' });
  const done = new Promise<void>((resolve, reject) => {
    writer.on('exit', () => resolve());
    writer.on('error', reject);
  });
  return { file, done };
}

describe('files named by flags are read bounded', () => {
  it('--outputs from a FIFO larger than an outputs file may be: exit 2 naming the limit (its size is 0 to stat)', async () => {
    const fifo = await fifoWith('outputs.fifo', 11 * 1024 * 1024);
    const result = await cli(['--outputs', fifo.file]);
    await fifo.done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: usage: --outputs is larger than 10485760 bytes, the most an outputs file may hold \(got ".*"\)/);
  });

  it("--data @FIFO over Lambda's 6 MB request payload: exit 2 before any call", async () => {
    const fifo = await fifoWith('data.fifo', 7 * 1024 * 1024);
    const result = await cli(['--url', url, ...STATIC_PROFILE_ARGS, '--data', `@${fifo.file}`], credentialsEnv);
    await fifo.done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: usage: --data is larger than 6291456 bytes: Lambda refuses a function URL request payload over 6 MB/,
    );
  });

  it('--session-policy from a FIFO far larger than a policy: exit 2', async () => {
    const fifo = await fifoWith('policy.fifo', 1024 * 1024);
    const result = await cli([
      '--url',
      url,
      '--region',
      'us-east-1',
      '--role-arn',
      'arn:aws:iam::111122223333:role/function_invoker',
      '--session-policy',
      fifo.file,
    ]);
    await fifo.done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: usage: --session-policy is larger than 65536 bytes: a session policy is at most 2048 characters/,
    );
  });
});

describe('--data @FILE sends the file byte for byte', () => {
  it('a binary file (invalid UTF-8) arrives with the same length and SHA-256', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x41]);
    const file = path.join(dir, 'body.bin');
    fs.writeFileSync(file, bytes);
    const result = await cli(['--url', url, ...STATIC_PROFILE_ARGS, '--data', `@${file}`], credentialsEnv);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  });
});

describe('an outputs file holding the invoker secret', () => {
  const outputs = (mode: number) => {
    const file = path.join(dir, `outputs-${mode.toString(8)}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        s: {
          u: {
            function_url: url,
            invoker_role_arn: 'arn:aws:iam::111122223333:role/function_invoker',
            region: 'us-east-1',
            invoker_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
            invoker_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          },
        },
      }),
    );
    fs.chmodSync(file, mode);
    return file;
  };
  // `-H` with `--presign` stops the run with a usage error right after the settings are read: no call.
  const stopEarly = ['--presign', '60', '-H', 'x: 1'];

  it('readable by other users (cdktf writes it 0644): a warning with the chmod that fixes it', async () => {
    const file = outputs(0o644);
    const result = await cli(['--outputs', file, ...stopEarly]);
    expect(result.stderr).toContain(
      `warning: ${file} holds the invoker's secret access key and other users can read it (mode 644); run: chmod 600 ${file}`,
    );
    expect(result.stderr).not.toContain('wJalr');
  });

  it('owner-only (0600): no warning', async () => {
    const result = await cli(['--outputs', outputs(0o600), ...stopEarly]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('warning');
  });
});
