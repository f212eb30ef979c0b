import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../scripts/demo';
import { AWS_CLI } from '../scripts/demo/vend-aws-cli';
import { projectRoot } from '../scripts/project-root';
import { useTempDir } from './support/temp-dir';

/**
 * `npm run demo -- --vend` end to end with the real terraform, hashicorp/aws 5.100.0 provider and
 * AWS CLI v2 against the stand-in: two URLs and a CredentialVendor entitling the invoker user to
 * URL A only. Where /usr/bin/aws or the built CLI is missing, the test FAILS with what to install.
 */
describe('npm run demo -- --vend', { timeout: 300_000 }, () => {
  const temp = useTempDir('demo-vend-');

  function requireTools(): void {
    if (!fs.existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} (the AWS CLI v2) is missing: apt-get install awscli`);
    const cli = path.join(projectRoot(), 'dist', 'scripts', 'invoke', 'main.js');
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npx tsc -b first`);
  }

  it('vends the invoker URL A only, refuses the unlisted caller, confines the session, serves the AWS CLI, destroys to nothing', async () => {
    requireTools();
    const work = temp();
    let output = '';
    const report = await runDemo({ workDir: work, caller: 'vend', out: (t) => (output += t), err: (t) => (output += t) });
    expect(report.exitCode, output).toBe(0);
    // Per URL: function, URL, log group, execution role and policy (10); the vendor's 8 (no output);
    // two users with their vendor policy and key (6).
    expect(report.steps.find((s) => s.name.startsWith('terraform apply'))?.note).toBe('Resources: 24 added');
    expect(report.steps.filter((s) => s.name.startsWith('prove:')).map((s) => [s.name, s.ok, s.notRun ?? false])).toEqual([
      ['prove: vended session -> URL A 200, URL B 403', true, false],
      ['prove: unlisted caller -> 403 from the vendor', true, false],
      ['prove: vended session cannot vend again nor assume', true, false],
      ['prove: AWS CLI credential_process -> vend role', true, false],
    ]);
    const session = 'arn:aws:sts::\\d{12}:assumed-role/credential-vend/lambda_invoker';
    for (const line of [
      `PASS\\s+vended session is the vend role, named after the caller\\s+got ${session}`,
      'PASS\\s+vended session -> URL A \\(entitled\\): 200\\s+got 200',
      'PASS\\s+vended session -> URL B \\(not entitled\\): 403\\s+got 403',
      'PASS\\s+unlisted caller \\(may call the vendor URL\\) -> vendor 403\\s+got vend-refused 403 NotEntitled',
      'PASS\\s+vended session -> the vendor URL: 403\\s+got 403',
      'PASS\\s+vended session assumes the vend role: AccessDenied\\s+got AccessDenied',
      "PASS\\s+vended session assumes the vendor's role: AccessDenied\\s+got AccessDenied",
      `PASS\\s+aws sts get-caller-identity --profile vended\\s+got ${session}`,
    ])
      expect(output).toMatch(new RegExp(line));
    expect(output).not.toMatch(/FAIL/);
    expect(report.standIn.worldEmptyAfterDestroy).toBe(true);
    // The AWS CLI's profile folder is removed; the state and outputs holding keys are gone.
    expect(fs.readdirSync(work).filter((f) => f.startsWith('aws-cli-') || f === 'outputs.json')).toEqual([]);
  });

  it('fails, and destroys, when the URL the entitlement names is not the one that answers 200', async () => {
    const work = temp();
    let output = '';
    let swapped = false;
    // As soon as the outputs are written, url_a and url_b trade places: the proof now expects the
    // entitlement to reach B, which the vendor's session policy refuses.
    const out = (text: string) => {
      output += text;
      if (!swapped && output.includes('▶ write the deployment outputs') && text.startsWith('  done')) {
        const file = path.join(work, 'outputs.json');
        const written = fs.readFileSync(file, 'utf8');
        fs.writeFileSync(
          file,
          written
            .replace(/"url_a"/, '"url_tmp"')
            .replace(/"url_b"/, '"url_a"')
            .replace(/"url_tmp"/, '"url_b"'),
        );
        swapped = true;
      }
    };
    const report = await runDemo({ workDir: work, caller: 'vend', out, err: (t) => (output += t) });
    expect(swapped).toBe(true);
    expect(report.exitCode, output).toBe(1);
    expect(output).toMatch(/FAIL\s+vended session -> URL A \(entitled\): 200\s+got 403/);
    expect(report.steps.find((s) => s.name === 'prove: vended session -> URL A 200, URL B 403')?.ok).toBe(false);
    expect(output).toMatch(/cleaning up: terraform destroy/);
  });
});
