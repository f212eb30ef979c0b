import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../scripts/demo';

/**
 * The whole flow with the real terraform and the real hashicorp/aws 5.100.0 provider (from the
 * local mirror) against the local stand-in: apply, the client's proof, a second plan that must
 * say "No changes", destroy, and nothing left in the stand-in or the state. Runs in CI for real;
 * without terraform it fails saying what to install.
 */
describe('npm run demo, with a second plan', { timeout: 300_000 }, () => {
  it('deploys, proves the refusals and the signed call, plans no changes, destroys to nothing', async () => {
    let output = '';
    const report = await runDemo({ workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'demo-')), secondPlan: true, out: (t) => (output += t), err: (t) => (output += t) });
    expect(report.steps.filter((s) => !s.ok), output).toEqual([]);
    expect(report.exitCode, output).toBe(0);
    expect(report.steps.map((s) => s.name)).toEqual([
      'start the local stand-in for AWS',
      'synthesize the demo stack (local mode)',
      'terraform init',
      'terraform apply (the real hashicorp/aws provider)',
      'write the deployment outputs',
      'prove: unsigned -> 403, user key -> 403, assumed role -> 200',
      'terraform plan again: must be "No changes"',
      'terraform destroy',
      'check that nothing is left',
    ]);
    expect(report.steps.find((s) => s.name.startsWith('terraform apply'))?.note).toBe('Resources: 11 added');
    expect(report.steps.find((s) => s.name === 'terraform destroy')?.note).toBe('Resources: 11 destroyed');
    expect(output).toMatch(/PASS\s+unsigned request/);
    expect(output).toMatch(/PASS\s+signed with the assumed role .*assumed-role\/function_invoker\/lambda-url-iam-demo/);
    expect(report.standIn.worldEmptyAfterDestroy).toBe(true);
    expect(report.standIn.requests).toBeGreaterThan(50);
  });
});
