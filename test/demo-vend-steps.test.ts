import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DemoStep, printReport, stepRunner } from '../scripts/demo/steps';
import { awsCliCredentialProcess } from '../scripts/demo/vend-aws-cli';
import { Checks, readVendOutputs, sessionArn } from '../scripts/demo/vend-outputs';
import { useTempDir } from './support/temp-dir';

/** The --vend demo's pieces that need no deployment: its outputs, its PASS/FAIL lines, a step that cannot run. */
describe('the --vend demo', () => {
  const temp = useTempDir('demo-vend-steps-');
  const outputs = {
    '//': 'ignored',
    'lambda-url-iam-demo-vend': {
      url_a: 'https://a.lambda-url.us-east-1.on.aws/',
      url_b: 'https://b.lambda-url.us-east-1.on.aws/',
      demo_vendor_url: 'https://v.lambda-url.us-east-1.on.aws/',
      demo_vend_role_arn: 'arn:aws:iam::123456789012:role/team-credential-vend',
      invoker_access_key_id: 'AKIAINVOKER',
      invoker_secret_access_key: 'invoker-secret',
      unlisted_access_key_id: 'AKIAUNLISTED',
      unlisted_secret_access_key: 'unlisted-secret',
    },
  };

  it('reads its outputs wherever cdktf nests them, and expects the session named after the prefixed invoker', () => {
    const file = path.join(temp(), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify(outputs));
    const read = readVendOutputs(file);
    expect(read).toMatchObject({ urlA: outputs['lambda-url-iam-demo-vend'].url_a, invoker: { accessKeyId: 'AKIAINVOKER' } });
    expect(sessionArn(read)).toBe('arn:aws:sts::123456789012:assumed-role/team-credential-vend/team-lambda_invoker');
    const { url_b: _, ...missing } = outputs['lambda-url-iam-demo-vend'];
    fs.writeFileSync(file, JSON.stringify({ stack: missing }));
    expect(() => readVendOutputs(file)).toThrow(`the outputs file ${file} has no "url_b"`);
  });

  it('prints PASS and FAIL lines and fails with the names of the failed expectations', () => {
    let text = '';
    const checks = new Checks((t) => (text += t));
    checks.expect('URL A: 200', true, '200');
    checks.expect('URL B: 403', false, '200');
    expect(text).toMatch(/PASS\s+URL A: 200\s+got 200\n.*FAIL\s+URL B: 403\s+got 200/s);
    expect(() => checks.throwIfFailed('the session reached too far')).toThrow('the session reached too far: URL B: 403');
  });

  it('reports the AWS CLI step NOT RUN, with what to install, when the AWS CLI is missing', async () => {
    const steps: DemoStep[] = [];
    let text = '';
    const out = (t: string) => (text += t);
    const read = { ...readVendOutputsOf(temp(), outputs) };
    await stepRunner(out, steps)('prove: AWS CLI credential_process -> vend role', () =>
      awsCliCredentialProcess({
        outputs: read,
        endpoint: 'http://127.0.0.1:9',
        workDir: temp(),
        region: 'us-east-1',
        checks: new Checks(out),
        awsCli: '/nonexistent/aws',
      }),
    );
    expect(steps).toMatchObject([{ ok: true, notRun: true, note: expect.stringContaining('apt-get install awscli') }]);
    printReport(out, { steps, requests: 0, handlingMs: 0, totalMs: 0, exitCode: 0 });
    expect(text).toMatch(/NOT RUN prove: AWS CLI credential_process -> vend role/);
    expect(text).not.toMatch(/PASS/);
  });
});

function readVendOutputsOf(dir: string, outputs: unknown) {
  const file = path.join(dir, 'outputs.json');
  fs.writeFileSync(file, JSON.stringify(outputs));
  return readVendOutputs(file);
}
