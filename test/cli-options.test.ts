import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

/**
 * The CLI's options, from the table in scripts/invoke/options.ts: values from flags, environment
 * variables and the outputs file, each checked before any call. A usage error exits 2 with one
 * line on stderr that names the flag, variable or file the value came from, the value and what is
 * allowed; no stack trace (only --debug prints one). None of these reaches the network: the URL is
 * a closed loopback port, so a check that slipped through would exit 5, not 2.
 */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/function_invoker';
const URL_ARGS = ['--url', 'http://127.0.0.1:9/lambda-url/x/', '--region', 'us-east-1', '--role-arn', ROLE_ARN];
const temp = useTempDir('cli-options-');
let tempDir: string;

let goodOutputs: string;
beforeAll(() => {
  tempDir = temp();
  goodOutputs = path.join(tempDir, 'good.json');
  fs.writeFileSync(
    goodOutputs,
    JSON.stringify({ s: { u: { function_url: 'http://127.0.0.1:9/lambda-url/x/', invoker_role_arn: ROLE_ARN, region: 'us-east-1' } } }),
  );
});

const cli = runCli;

function writeOutputs(name: string, text: string): string {
  const file = path.join(tempDir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('every usage error exits 2 with one line and no stack trace', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown flag', () => [...URL_ARGS, '--nope'], /--nope is not an option/],
    ['an unknown short flag', () => [...URL_ARGS, '-x'], /-x is not an option/],
    ['a stray positional argument', () => [...URL_ARGS, 'extra'], /argument is not expected.*\(got "extra"\)/],
    ['--repeat -1', () => [...URL_ARGS, '--repeat', '-1'], /--repeat takes a value that starts with "-" only as --repeat=-1/],
    ['--repeat=-1', () => [...URL_ARGS, '--repeat=-1'], /--repeat must be a whole number from 1 to 100000 \(got "-1"\)/],
    ['--repeat 0', () => [...URL_ARGS, '--repeat', '0'], /--repeat must be a whole number from 1 to 100000 \(got "0"\)/],
    ['--interval -1', () => [...URL_ARGS, '--interval', '-1'], /--interval takes a value that starts with "-"/],
    ['--interval=-1', () => [...URL_ARGS, '--interval=-1'], /--interval must be a number of seconds from 0 to 3600 \(got "-1"\)/],
    ['--interval abc', () => [...URL_ARGS, '--interval', 'abc'], /--interval must be a number of seconds/],
    ['--timeout 0', () => [...URL_ARGS, '--timeout', '0'], /--timeout must be a whole number from 1 to 900000 \(got "0"\)/],
    ['--sts-timeout 1e3', () => [...URL_ARGS, '--sts-timeout', '1e3'], /--sts-timeout must be a whole number from 1 to 120000/],
    ['--max-bytes -5', () => [...URL_ARGS, '--max-bytes=-5'], /--max-bytes must be a whole number/],
    ['--max-time 0', () => [...URL_ARGS, '--max-time', '0'], /--max-time must be a number of seconds from 1/],
    ['--presign 0', () => [...URL_ARGS, '--presign', '0'], /--presign must be a whole number from 1 to 604800/],
    ['--presign 700000', () => [...URL_ARGS, '--presign', '700000'], /--presign must be a whole number from 1 to 604800/],
    ['--prove with --repeat', () => [...URL_ARGS, '--prove', '--repeat', '2'], /--prove cannot be combined with --repeat/],
    ['--presign with --prove', () => [...URL_ARGS, '--prove', '--presign', '60'], /--prove cannot be combined with --presign/],
    ['a value for a switch', () => [...URL_ARGS, '--json=yes'], /--json is a switch and takes no value/],
    ['a flag without its value', () => [...URL_ARGS, '--path'], /--path needs a value/],
    [
      '--no-assume-role with --role-arn',
      () => [...URL_ARGS, '--no-assume-role'],
      /--role-arn only applies when the client assumes the role/,
    ],
    ['a bad method', () => [...URL_ARGS, '--method', 'BREW'], /method must be one of GET/],
    ['a path without /', () => [...URL_ARGS, '--path', 'x'], /path must start with "\/"/],
    ['a path with a ?', () => [...URL_ARGS, '--path', '/a?b=1'], /path must not contain "\?" or "#"/],
    ['a query with half an emoji', () => [...URL_ARGS, '--query', 'a=\ud83d'], /query must be a valid query string/],
    ['a malformed query', () => [...URL_ARGS, '--query', 'a=%zz'], /query must be a valid query string.*%zz/],
    [
      'a bad region',
      () => [...URL_ARGS.slice(0, 2), '--region', 'mars', ...URL_ARGS.slice(4)],
      /region must be an AWS region.*\(got "mars"\)/,
    ],
    [
      'a Host header',
      () => [...URL_ARGS, '-H', 'Host: evil.example'],
      /header name cannot be set: fetch sends the Host of the URL, and that is the one signed \(got "Host"\)/,
    ],
    [
      'a mixed-case X-Amz-Security-Token header (it would go out beside the session token: 403)',
      () => [...URL_ARGS, '-H', 'X-Amz-Security-Token: zz'],
      /header name cannot be set: the SigV4 signer writes it for every attempt \(got "X-Amz-Security-Token"\)/,
    ],
    [
      'an x-amz-content-sha256 header (it would be signed in place of the body hash: 403)',
      () => [...URL_ARGS, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'],
      /header name cannot be set: the SigV4 signer writes it/,
    ],
    [
      'an Authorization header',
      () => [...URL_ARGS, '-H', 'Authorization: Bearer x'],
      /header name cannot be set: the SigV4 signer writes it.*\(got "Authorization"\)/,
    ],
    [
      'a Content-Length header (fetch computes it: 403)',
      () => [...URL_ARGS, '-H', 'Content-Length: 5'],
      /header name cannot be set: Node's fetch sets or refuses it itself.*\(got "Content-Length"\)/,
    ],
    [
      "a Transfer-Encoding header (Node's fetch refuses it)",
      () => [...URL_ARGS, '-H', 'Transfer-Encoding: chunked'],
      /header name cannot be set: Node's fetch sets or refuses it itself/,
    ],
    [
      'a bad --role-arn, named as the flag (not the library option roleArn)',
      () => ['--url', 'http://127.0.0.1:9/lambda-url/x/', '--region', 'us-east-1', '--role-arn', 'nope'],
      /^error: usage: --role-arn must be an IAM role ARN .*\(got "nope"\)/,
    ],
    [
      'a bad --session-name, named as the flag',
      () => [...URL_ARGS, '--session-name', 'a'],
      /^error: usage: --session-name must be 2 to 64 characters/,
    ],
    [
      'a function URL host that only looks like one, without --region',
      () => ['--url', 'https://abc.lambda-url.eu-west-1.on.aws/', '--role-arn', 'arn:aws:iam::111122223333:role/r'],
      /^error: usage: --region must be given: .*32 lower-case letters and digits/,
    ],
    [
      '-H with --presign (a presigned URL carries no headers)',
      () => [...URL_ARGS, '--presign', '60', '-H', 'x-custom: 1'],
      /^error: usage: -H cannot be combined with --presign: a presigned URL carries no headers/,
    ],
    [
      'an AWS function URL over plain http (signature and session token in clear text)',
      () => [
        '--url',
        'http://abcdefghijabcdefghijabcdefghij12.lambda-url.eu-west-1.on.aws/',
        '--role-arn',
        'arn:aws:iam::111122223333:role/r',
      ],
      /^error: usage: --url must use https: AWS function URLs are https:\/\/<url-id>\.lambda-url\.<region>\.on\.aws, and plain http would send/,
    ],
    [
      'a header without a colon',
      () => [...URL_ARGS, '-H', 'no-colon'],
      /-H must look like 'Name: value' \(got one starting "no-colon"; its value is not shown\)/,
    ],
    [
      'a URL that is not one',
      () => ['--url', 'not a url', '--role-arn', 'arn:aws:iam::111122223333:role/r'],
      /--url must be an absolute URL/,
    ],
    ['a missing outputs file', () => ['--outputs', path.join(tempDir, 'missing.json')], /--outputs does not exist/],
    ['an outputs file that is a directory', () => ['--outputs', tempDir], /--outputs is a directory/],
    ['an outputs file that is not JSON', () => ['--outputs', writeOutputs('bad.json', '{"a":')], /--outputs is not JSON/],
    [
      "an outputs file with a bare (unquoted) secret: not quoted back (Node's JSON error message quotes the text around the error)",
      () => [
        '--outputs',
        writeOutputs(
          'bare-secret.json',
          '{"s":{"u":{"function_url":"http://127.0.0.1:9/","invoker_secret_access_key":wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}}}',
        ),
      ],
      /^error: usage: --outputs is not JSON \(a syntax error; its text is not shown(?![\s\S]*wJalr)/,
    ],
    [
      'an outputs file nested 12,000 levels deep',
      () => ['--outputs', writeOutputs('deep.json', `${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}`)],
      /--outputs nests objects more than 64 levels deep/,
    ],
    [
      'an outputs file without function_url',
      () => ['--outputs', writeOutputs('none.json', '{"constructor":{"toString":1}}')],
      /--outputs holds no function_url output/,
    ],
    [
      '--outputs-path with --url and no --outputs (no file is read, so it would be ignored)',
      () => [...URL_ARGS, '--outputs-path', 'stack.construct'],
      /^error: usage: --outputs-path picks a deployment in an outputs file, and none is read when --url is given/,
    ],
    [
      'an --outputs-path that matches nothing',
      () => ['--outputs', goodOutputs, '--outputs-path', 'other'],
      /--outputs-path matches none of s\.u/,
    ],
  ];

  it.each(cases)('%s', async (_, args, message) => {
    const result = await cli(args());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^error: usage: /);
    expect(result.stderr).not.toMatch(/see --help.*see --help/);
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError|RangeError|ERR_PARSE_ARGS|\(got undefined\)/);
  });

  it.each([
    [
      'INVOKE_DURATION',
      () => [...URL_ARGS],
      { INVOKE_DURATION: 'abc' },
      /^error: usage: INVOKE_DURATION must be a whole number from 900 to 43200 \(got "abc"\)/,
    ],
    ['INVOKE_ROLE_ARN', () => URL_ARGS.slice(0, 4), { INVOKE_ROLE_ARN: 'nope' }, /^error: usage: INVOKE_ROLE_ARN must be an IAM role ARN/],
    [
      'INVOKE_REGION',
      () => ['--url', 'http://127.0.0.1:9/lambda-url/x/', '--role-arn', 'arn:aws:iam::111122223333:role/r'],
      { INVOKE_REGION: 'mars' },
      /^error: usage: INVOKE_REGION must be an AWS region/,
    ],
    [
      'a region in the outputs file',
      () => [
        '--outputs',
        writeOutputs(
          'bad-region.json',
          JSON.stringify({
            s: {
              u: { function_url: 'http://127.0.0.1:9/lambda-url/x/', invoker_role_arn: 'arn:aws:iam::111122223333:role/r', region: 'mars' },
            },
          }),
        ),
      ],
      {},
      /^error: usage: region \(from .*bad-region\.json\) must be an AWS region/,
    ],
  ])('a bad value from %s is named as such, not as a flag the user did not type', async (_, args, env, message) => {
    const result = await cli(args(), env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('values from the environment and the outputs file', () => {
  it('a variable gives the value when the flag is absent, and the flag wins over it', async () => {
    const fromEnv = await cli(URL_ARGS, { INVOKE_DURATION: '60' });
    expect(fromEnv.stderr).toMatch(/^error: usage: INVOKE_DURATION must be a whole number from 900 to 43200 \(got "60"\)/);
    const flagWins = await cli([...URL_ARGS, '--duration', '30'], { INVOKE_DURATION: '60' });
    expect(flagWins.stderr).toMatch(/^error: usage: --duration must be a whole number from 900 to 43200 \(got "30"\)/);
  });

  it('an --outputs-path naming a deployment whose function URL is bad names the output and the file', async () => {
    const file = writeOutputs('bad-url.json', JSON.stringify({ s: { u: { function_url: 'not a url', invoker_role_arn: ROLE_ARN } } }));
    const result = await cli(['--outputs', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: usage: function_url \(from .*bad-url\.json\) must be an absolute URL/);
  });

  it('an outputs file with an impossible max_session_duration and --presign: exit 2 naming the file, not --duration', async () => {
    const file = writeOutputs(
      'msd.json',
      JSON.stringify({ s: { u: { function_url: URL_OF_FUNCTION, invoker_role_arn: ROLE_ARN, max_session_duration: 600 } } }),
    );
    const run = await cli(['--outputs', file, '--presign', '300'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/max_session_duration 600/);
    expect(run.stderr).not.toMatch(/--duration/);
  });
});

describe('a header fetch cannot send as signed', () => {
  it('exit 2 naming the header, before any STS call', async () => {
    const run = await cli(['--url', URL_OF_FUNCTION, '--role-arn', ROLE_ARN, '-H', 'X-Name: €uro'], {
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: usage: -H header X-Name must be printable ASCII/);
  });
});

describe('messages that do not mislead', () => {
  it('--url with ./outputs.json present says why the role was not taken from it', async () => {
    const cwd = process.cwd();
    process.chdir(tempDir);
    try {
      fs.copyFileSync(goodOutputs, path.join(tempDir, 'outputs.json'));
      const result = await cli(['--url', 'http://127.0.0.1:9/lambda-url/x/', '--region', 'us-east-1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /--role-arn is required with --url: \.\/outputs\.json is not read when --url is given \(pass --outputs outputs\.json/,
      );
    } finally {
      process.chdir(cwd);
    }
  });
});
