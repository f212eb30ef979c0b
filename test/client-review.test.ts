import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import type { InvokeResponse } from '../client/responses';
import { explainRefusal } from '../scripts/invoke/refusal';
import { readDeploymentOutputs } from '../client/deployment-outputs';
import { runCli } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

/**
 * Fresh-eyes review of the client: each test here failed before the fix it names.
 */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/function_invoker';
const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/**
 * A fetch whose answer has its whole body ready: the server never pauses. Like Node's fetch, an
 * abort of the request's signal errors the body (and drops what was not read yet).
 */
function fetchWithReadyBody(chunks: string[]): typeof fetch {
  return (async (_url: string, init: RequestInit) => {
    const pending = [...chunks];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
      },
      pull(controller) {
        const next = pending.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status: 200 });
  }) as unknown as typeof fetch;
}

describe('streaming: the idle timeout measures the server, not the reader', () => {
  it('a reader slower than the timeout (a pipe to a slow consumer, backpressure) still gets the whole body', async () => {
    // Before the fix the timer kept running while the reader held a chunk, so a slow stdout made a
    // healthy answer "break off" (exit 5).
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, timeoutMs: 50, retries: 0, fetch: fetchWithReadyBody(['first ', 'second ', 'third']) });
    const response = await client.invokeStreaming();
    const received: string[] = [];
    for await (const chunk of response.body) {
      received.push(Buffer.from(chunk).toString('utf8'));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(received.join('')).toBe('first second third');
  });

  it('a server that pauses longer than the timeout mid-body is still cut off', async () => {
    const fetchPausing = (async (_url: string, init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first'));
          init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
        },
      });
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, timeoutMs: 50, retries: 0, fetch: fetchPausing });
    const response = await client.invokeStreaming();
    const read = async () => {
      for await (const _ of response.body) void _;
    };
    await expect(read()).rejects.toThrow(/paused for more than its timeout/);
  });
});

describe('header values fetch cannot send as signed are usage errors', () => {
  it.each([
    ['a character above U+00FF (fetch threw a TypeError: seen as a network failure, retried, exit 5)', '€uro'],
    ['a Latin-1 character (sent as one byte, signed as two UTF-8 bytes: 403)', 'café'],
    ['DEL (undici refuses it: UND_ERR_INVALID_ARG, exit 5)', 'x\u007f'],
  ])('%s', async (_, value) => {
    let fetched = 0;
    const fetchCounting = (async () => {
      fetched++;
      return new Response('ok');
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, retries: 0, fetch: fetchCounting });
    await expect(client.invoke({ headers: { 'x-name': value } })).rejects.toThrow(/header x-name must be printable ASCII/);
    expect(fetched).toBe(0);
  });

  it('a tab and visible ASCII are still sent', async () => {
    const sent: [string, string][][] = [];
    const fetchRecording = (async (_url: string, init: RequestInit) => {
      sent.push(init.headers as [string, string][]);
      return new Response('ok');
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, fetch: fetchRecording });
    expect((await client.invoke({ headers: { 'x-name': 'a\tb ~!' } })).status).toBe(200);
    expect(sent[0]).toContainEqual(['x-name', 'a\tb ~!']);
  });

  it('the CLI: exit 2 naming the header, before any STS call', async () => {
    const run = await runCli(['--url', URL_OF_FUNCTION, '--role-arn', ROLE_ARN, '-H', 'X-Name: €uro'], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/header X-Name must be printable ASCII/);
  });
});

describe('a presigned URL given as the function URL', () => {
  const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKENvalue0123456789';
  const presigned = `${URL_OF_FUNCTION}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=${TOKEN}&X-Amz-SignedHeaders=host&X-Amz-Signature=${'a'.repeat(64)}`;

  it('is a usage error in the library, naming the parameters and not their values', () => {
    // Before: accepted, signed again on top (AWS refuses two SigV4 authentications) and its token
    // printed in the CLI's status line.
    expect(() => new FunctionUrlClient({ url: presigned, credentials: { getCredentials: async () => KEY } })).toThrow(/not a presigned URL \(it has X-Amz-Algorithm, X-Amz-Credential, X-Amz-Security-Token, X-Amz-Signature/);
    let message = '';
    try {
      new FunctionUrlClient({ url: presigned, unsigned: true });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/presigned URL/);
    expect(message).not.toContain(TOKEN);
  });

  it('the CLI: exit 2, and the token appears nowhere in its output (plain and --json)', async () => {
    for (const extra of [[], ['--json'], ['--verbose', '--debug']]) {
      const run = await runCli(['--url', presigned, '--role-arn', ROLE_ARN, ...extra], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9' });
      expect(run.code).toBe(2);
      expect(`${run.stdout}${run.stderr}`).toMatch(/presigned URL/);
      expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
    }
  });
});

describe('a malformed -H does not echo its value', () => {
  it('the colon forgotten after Authorization: exit 2 naming the header, the token nowhere', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig';
    const run = await runCli(['--url', URL_OF_FUNCTION, '--role-arn', ROLE_ARN, '-H', `Authorization Bearer ${token}`], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/-H must look like 'Name: value' \(got one starting "Authorization"/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(token);
  });
});

describe('outputs files with several deployments', () => {
  const temp = useTempDir('client-review-');
  const deployment = (url: string) => ({ function_url: url, invoker_role_arn: ROLE_ARN });

  it('--outputs-path naming one location exactly picks it, even when it is also the suffix of another', () => {
    const file = path.join(temp(), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify({ demo: { Url: deployment('https://a.example/') }, eu: { demo: { Url: deployment('https://b.example/') } } }), { mode: 0o600 });
    // Before: "must pick one of demo.Url, eu.demo.Url", with no way to pick demo.Url.
    expect(readDeploymentOutputs(file, 'demo.Url').functionUrl).toBe('https://a.example/');
    expect(readDeploymentOutputs(file, 'eu.demo.Url').functionUrl).toBe('https://b.example/');
    expect(() => readDeploymentOutputs(file, 'Url')).toThrow(/must pick one of demo\.Url, eu\.demo\.Url/);
  });

  it('prototype-named keys are data: a deployment under "__proto__" or "constructor" is found and named', () => {
    const file = path.join(temp(), 'outputs.json');
    fs.writeFileSync(file, `{"__proto__":{"constructor":${JSON.stringify(deployment('https://c.example/'))}}}`, { mode: 0o600 });
    const outputs = readDeploymentOutputs(file);
    expect(outputs.location).toBe('__proto__.constructor');
    expect(outputs.functionUrl).toBe('https://c.example/');
  });
});

describe('a refusal explained on the terminal carries no control characters from the server', () => {
  it('ESC sequences in the message, the plain text or x-amzn-ErrorType are shown as "?"', () => {
    // Before: printed as they came, so a hostile server could clear the screen or fake a line.
    const escape = '\u001b]0;owned\u0007\u001b[2J';
    const base = { status: 403, body: Buffer.alloc(0), truncated: false, attempts: 1, durationMs: 1 };
    const responses: InvokeResponse[] = [
      { ...base, headers: { 'x-amzn-errortype': `Forbidden${escape}` }, text: '', json: { Message: `denied${escape}` } },
      { ...base, headers: {}, text: `plain${escape}\r\nfake line`, json: undefined },
      { ...base, headers: {}, text: '', json: { message: { nested: true } } },
    ];
    for (const response of responses) {
      const text = explainRefusal(response, { region: 'us-east-1', signed: true, temporary: true }).join('\n');
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(text).toMatch(/^The function URL answered 403/);
      expect(text).not.toContain('[object Object]');
    }
  });
});

describe('an outputs file with an impossible max_session_duration', () => {
  const temp = useTempDir('client-review-msd-');
  it.each([[600], ['3600'], [1e9], [3600.5]])('%j is refused naming the field, not reported later as a bad --duration', (value) => {
    const file = path.join(temp(), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify({ s: { u: { function_url: 'https://a.example/', invoker_role_arn: ROLE_ARN, max_session_duration: value } } }), { mode: 0o600 });
    expect(() => readDeploymentOutputs(file)).toThrow(/has max_session_duration .* at s\.u: a role's max session duration is a whole number of seconds from 3600 to 43200/);
  });

  it('the CLI: --presign with such a file is exit 2 naming the file, not --duration', async () => {
    const file = path.join(temp(), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify({ s: { u: { function_url: URL_OF_FUNCTION, invoker_role_arn: ROLE_ARN, max_session_duration: 600 } } }), { mode: 0o600 });
    const run = await runCli(['--outputs', file, '--presign', '300'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/max_session_duration 600/);
    expect(run.stderr).not.toMatch(/--duration/);
  });
});

describe('--help tells that retries can repeat a call', () => {
  it('a retried call may run the function twice (a 5xx or a timeout can come after it ran)', async () => {
    const run = await runCli(['--help']);
    expect(run.stdout).toMatch(/--retries N .*\n.*may run the function twice: --retries 0 when it is not idempotent/);
  });
});

describe('stdout closed by its reader (`| head`)', () => {
  const temp = useTempDir('client-review-epipe-');
  it('exit 3 with one line, the answer cancelled, no "unexpected" error or stack trace', async () => {
    // Before: the EPIPE reached reportError as "unexpected: write EPIPE" (exit 1), and in the real
    // process an unhandled 'error' event on stdout printed a stack trace.
    let served = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const server = http.createServer((_req, res) => {
      res.on('error', () => undefined);
      const pump = () => {
        while (served < 400) {
          served++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      let writes = 0;
      const closedAfterTwo = async () => {
        if (++writes > 2) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      };
      // Static keys in a profile: signing needs some credentials, this server never checks them.
      const dir = temp();
      fs.writeFileSync(path.join(dir, 'credentials'), `[static]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`, { mode: 0o600 });
      fs.writeFileSync(path.join(dir, 'config'), '[profile static]\nregion = us-east-1\n');
      const env = { AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), AWS_CONFIG_FILE: path.join(dir, 'config') };
      const run = await runCli(['--url', url, '--region', 'us-east-1', '--no-assume-role', '--profile', 'static'], env, closedAfterTwo);
      expect(run.stderr).toMatch(/error: stdout was closed after \d+ bytes of the body; the rest was not read/);
      expect(run.stderr).not.toMatch(/unexpected|at .*\.ts:/);
      expect(run.code).toBe(3);
      expect(served).toBeLessThan(400);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
