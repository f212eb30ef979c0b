import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientOptionError } from '../client/errors';
import { readDeploymentOutputs } from '../client/deployment-outputs';
import { useTempDir } from './support/temp-dir';

/**
 * readDeploymentOutputs: the outputs of a ProtectedFunctionUrl in a `cdktf deploy --outputs-file`
 * file. A problem with the file is a ClientOptionError for option `outputsFile`, one with the
 * selection for option `outputsPath` (the CLI names them --outputs and --outputs-path).
 */

const ROLE_ARN = 'arn:aws:iam::111122223333:role/function_invoker';
const temp = useTempDir('deployment-outputs-');

function write(text: string): string {
  const file = path.join(temp(), 'outputs.json');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function thrown(read: () => unknown): ClientOptionError {
  try {
    read();
  } catch (error) {
    if (error instanceof ClientOptionError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('outputs files with several deployments', () => {
  const deployment = (url: string) => ({ function_url: url, invoker_role_arn: ROLE_ARN });

  it('a selection naming one location exactly picks it, even when it is also the suffix of another', () => {
    const file = write(
      JSON.stringify({ demo: { Url: deployment('https://a.example/') }, eu: { demo: { Url: deployment('https://b.example/') } } }),
    );
    expect(readDeploymentOutputs(file, 'demo.Url').functionUrl).toBe('https://a.example/');
    expect(readDeploymentOutputs(file, 'eu.demo.Url').functionUrl).toBe('https://b.example/');
    expect(() => readDeploymentOutputs(file, 'Url')).toThrow(/must pick one of demo\.Url, eu\.demo\.Url/);
    expect(thrown(() => readDeploymentOutputs(file, 'Url'))).toMatchObject({ option: 'outputsPath', value: 'Url' });
  });

  it('prototype-named keys are data: a deployment under "__proto__" or "constructor" is found and named', () => {
    const file = write(`{"__proto__":{"constructor":${JSON.stringify(deployment('https://c.example/'))}}}`);
    const outputs = readDeploymentOutputs(file);
    expect(outputs.location).toBe('__proto__.constructor');
    expect(outputs.functionUrl).toBe('https://c.example/');
  });

  it('outputs keys named like Object.prototype members are data, and a __proto__ key changes nothing', () => {
    const file = write(
      '{"__proto__":{"function_url":"http://evil/"},"constructor":{"function_url":"http://127.0.0.1:9/lambda-url/x/","invoker_role_arn":"arn:aws:iam::111122223333:role/r"}}',
    );
    expect(() => readDeploymentOutputs(file)).toThrow(/^outputsPath must pick one of __proto__, constructor/);
    expect(readDeploymentOutputs(file, 'constructor')).toMatchObject({
      functionUrl: 'http://127.0.0.1:9/lambda-url/x/',
      roleArn: 'arn:aws:iam::111122223333:role/r',
      location: 'constructor',
    });
  });
});

describe('an outputs file with an impossible max_session_duration', () => {
  it.each([[600], ['3600'], [1e9], [3600.5]])('%j is refused naming the field (IAM allows 3600 to 43200 s)', (value) => {
    const file = write(
      JSON.stringify({ s: { u: { function_url: 'https://a.example/', invoker_role_arn: ROLE_ARN, max_session_duration: value } } }),
    );
    expect(() => readDeploymentOutputs(file)).toThrow(
      /has max_session_duration .* at s\.u: a role's max session duration is a whole number of seconds from 3600 to 43200/,
    );
    expect(thrown(() => readDeploymentOutputs(file))).toMatchObject({ code: 'invalid-option', option: 'outputsFile', value: file });
  });
});

describe('a file that is not an outputs file', () => {
  it('a missing file says how to make one, as option outputsFile', () => {
    const missing = path.join(temp(), 'missing.json');
    const error = thrown(() => readDeploymentOutputs(missing));
    expect(error).toMatchObject({ option: 'outputsFile', value: missing });
    expect(error.rule).toMatch(
      /^does not exist: deploy with `npx cdktf deploy --outputs-file outputs.json --outputs-file-include-sensitive-outputs`/,
    );
  });

  it('a syntax error names where it is and never quotes the text (it may hold the invoker secret)', () => {
    const file = write('{"s":{"u":{"invoker_secret_access_key":wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}}}');
    const error = thrown(() => readDeploymentOutputs(file));
    expect(error.rule).toMatch(/^is not JSON \(a syntax error( at character \d+)?; its text is not shown/);
    expect(error.message).not.toContain('wJalr');
  });
});
