import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleError, ClientOptionError, CredentialsUnavailableError, FunctionUrlNetworkError } from '../client/errors';
import type { InvokeResponse } from '../client/responses';
import { exitCodeOf, reportError } from '../scripts/invoke/errors';
import { explainRefusal } from '../scripts/invoke/refusal';
import { runCli, writeSeededOutputs } from './support/invoke-cli-run';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { type SilentServer, findClosedPort, startSilentServer } from './support/loopback-servers';
import { STATIC_PROFILE_ARGS, staticProfileEnv } from './support/static-profile';
import { useTempDir } from './support/temp-dir';

/**
 * How the CLI reports a failure: one line (and the library's hints, with flags for its option
 * names), or one JSON object with --json; an exit code per kind of failure (docs/cli.md lists
 * them); a stack trace only with --debug. Nothing hangs: an endpoint that never answers ends in
 * exit 5 within the timeouts.
 */

const ROLE = 'arn:aws:iam::111122223333:role/function_invoker';
const URL_ARGS = ['--url', 'http://127.0.0.1:9/lambda-url/x/', '--region', 'us-east-1', '--role-arn', ROLE];
const temp = useTempDir('cli-errors-');

function report(error: unknown, json = false) {
  let stdout = '';
  let stderr = '';
  const code = reportError({ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, error, { json, debug: false });
  return { code, stdout, stderr };
}

describe('exit codes', () => {
  it('each code of the library has its exit code; anything else is 1 (unexpected)', () => {
    expect(exitCodeOf(new ClientOptionError('url', 'x', 'is bad'))).toBe(2);
    expect(exitCodeOf(new AssumeRoleError('AccessDenied', 'no', []))).toBe(4);
    expect(exitCodeOf(new CredentialsUnavailableError('none', []))).toBe(4);
    expect(exitCodeOf(new AssumeRoleError('TimeoutError', 'no answer', [], { unreachable: true }))).toBe(5);
    expect(exitCodeOf(new FunctionUrlNetworkError('unreachable'))).toBe(5);
    expect(exitCodeOf(new Error('a bug'))).toBe(1);
  });
});

describe('the report', () => {
  it("names the library's options in hints by their flags", () => {
    const error = new AssumeRoleError('AccessDenied', 'not authorized', [
      'If the role requires an external ID, pass it (`externalId`, the external_id output).',
      '`stsTimeoutMs` sets the limit; `notAnOption` stays as it is.',
    ]);
    const { code, stderr } = report(error);
    expect(code).toBe(4);
    expect(stderr).toBe(
      'error: AssumeRole failed (AccessDenied): not authorized\n  - If the role requires an external ID, pass it (--external-id, the external_id output).\n  - --sts-timeout sets the limit; `notAnOption` stays as it is.\n',
    );
  });

  it('with --json: one object with the type, the code, the message, the hints and the exit code', () => {
    const { code, stdout, stderr } = report(new CredentialsUnavailableError('none here', ['set `profile`']), true);
    expect(code).toBe(4);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      error: { type: 'CredentialsUnavailableError', code: 'credentials-unavailable', message: 'none here', hints: ['set --profile'] },
      exitCode: 4,
    });
  });

  it('with --json the usage error is one JSON object on stdout', async () => {
    const result = await runCli([...URL_ARGS, '--json', '--bogus']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      exitCode: 2,
      error: { type: 'ClientOptionError', code: 'invalid-option', message: expect.stringMatching(/--bogus/) },
    });
  });

  it('--debug adds the stack trace', async () => {
    const result = await runCli([...URL_ARGS, '--bogus', '--debug']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

describe('a refusal explained on the terminal', () => {
  const base = { status: 403, body: Buffer.alloc(0), truncated: false, attempts: 1, durationMs: 1 };

  it("names the signing region as the one used, not as the function's", () => {
    const response = {
      ...base,
      headers: Object.create(null),
      body: Buffer.from(''),
      text: '{"Message":"Forbidden"}',
      json: { Message: 'Forbidden' },
    };
    const text = explainRefusal(response, { region: 'eu-west-1', signed: true, temporary: true }).join('\n');
    expect(text).toContain('signed for service "lambda" and region "eu-west-1"; that must be the region the function is in');
    expect(text).not.toContain("(the function's region)");
  });

  it('carries no control characters from the server: ESC sequences in the message, the plain text or x-amzn-ErrorType are shown as "?"', () => {
    const controlSequence = '\u001b]0;owned\u0007\u001b[2J';
    const responses: InvokeResponse[] = [
      { ...base, headers: { 'x-amzn-errortype': `Forbidden${controlSequence}` }, text: '', json: { Message: `denied${controlSequence}` } },
      { ...base, headers: {}, text: `plain${controlSequence}\r\nfake line`, json: undefined },
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

describe('an endpoint that accepts the connection and never answers', () => {
  let silent: SilentServer;
  let credentialsEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    silent = await startSilentServer();
    credentialsEnv = staticProfileEnv(temp());
  });
  afterAll(() => silent.close());

  it('STS: the CLI exits 5 within the STS timeout and its retries, naming the endpoint and the flag that sets the limit', async () => {
    const result = await runCli(
      [
        '--url',
        'http://127.0.0.1:9/lambda-url/x/',
        '--region',
        'us-east-1',
        '--role-arn',
        ROLE,
        '--sts-timeout',
        '300',
        '--profile',
        'static',
      ],
      { ...credentialsEnv, AWS_ENDPOINT_URL_STS: silent.url },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`STS at ${silent.url} did not answer AssumeRole within 300 ms (3 attempt(s))`);
    expect(result.stderr).toMatch(/--sts-timeout sets the limit per call/);
    // 3 attempts of 300 ms and two backoffs (250 + 500 ms), with room for a loaded machine.
    expect(result.ms).toBeLessThan(6000);
  });

  it('the function URL: --max-time bounds the whole run even with a long --timeout', async () => {
    const result = await runCli(
      ['--url', `${silent.url}/lambda-url/x/`, ...STATIC_PROFILE_ARGS, '--timeout', '900000', '--max-time', '1'],
      credentialsEnv,
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/gave up after 1 s \(--max-time 1\)/);
    expect(result.ms).toBeLessThan(4000);
  });

  it('the function URL: the per-attempt timeout ends in exit 5 with "no answer within"', async () => {
    const result = await runCli(
      ['--url', `${silent.url}/lambda-url/x/`, ...STATIC_PROFILE_ARGS, '--timeout', '300', '--retries', '0'],
      credentialsEnv,
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no answer within 300 ms/);
  });
});

describe('against the local stand-in', () => {
  let world: SeededWorld;
  let outputsFile: string;
  let closedPort: number;
  beforeAll(async () => {
    world = await seedWorld();
    outputsFile = writeSeededOutputs(temp(), world);
    closedPort = await findClosedPort();
  });
  afterAll(async () => {
    await world.local.close();
  });

  const cli = (args: string[]) => runCli(args, { AWS_ENDPOINT_URL_STS: world.local.endpoint });

  it('distinct exit codes: 4 for a refusal, 2 for usage errors, 5 for a network failure', async () => {
    expect((await cli(['--outputs', outputsFile, '--url', world.urls.other])).code).toBe(4);
    expect((await cli(['--outputs', outputsFile, '--duration', '60'])).code).toBe(2);
    expect((await cli(['--url', 'not a url', '--role-arn', world.roleArn])).code).toBe(2);
    expect((await cli(['--outputs', '/nonexistent/outputs.json'])).code).toBe(2);
    expect((await cli(['--outputs', outputsFile, '-H', 'no-colon'])).code).toBe(2);
    const network = await cli(['--outputs', outputsFile, '--url', `http://127.0.0.1:${closedPort}/lambda-url/x/`, '--retries', '0']);
    expect(network.code).toBe(5);
    expect(network.stderr).toMatch(/ECONNREFUSED/);
    const denied = await cli(['--outputs', outputsFile, '--external-id', 'wrong-id', '--propagation-wait', '0']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/external ID/);
  });

  it('a 403 from the URL is explained on stderr with the likely causes', async () => {
    const refused = await cli(['--outputs', outputsFile, '--url', world.urls.other]);
    expect(refused.stderr).toMatch(/-> 403 /);
    expect(refused.stderr).toMatch(/The function URL answered 403[\s\S]*Likely causes:/);
  });
});
