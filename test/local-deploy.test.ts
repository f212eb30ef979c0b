import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../scripts/demo';
import { readStateFile } from '../scripts/terraform-cli';
import { useTempDir } from './support/temp-dir';

/**
 * The whole flow with the real terraform and the real hashicorp/aws 5.100.0 provider (from the
 * local mirror) against the local stand-in: apply, the client's proof, a second plan that must
 * say "No changes", destroy, and nothing left in the stand-in or the state. Runs in CI for real;
 * without terraform it fails saying what to install. The second plan is the one run the demo
 * itself skips: it is the only proof that the stand-in answers every read the way the provider
 * expects (a missing field shows up as a diff there and nowhere else), so it stays.
 */
describe('npm run demo, with a second plan', { timeout: 300_000 }, () => {
  const temp = useTempDir('demo-');

  it('deploys, proves the refusals and the signed call, plans no changes, destroys to nothing', async () => {
    let output = '';
    const work = temp();
    fs.chmodSync(work, 0o755); // as a folder made by hand would be: the demo must narrow it
    const report = await runDemo({ workDir: work, secondPlan: true, out: (t) => (output += t), err: (t) => (output += t) });
    expect(
      report.steps.filter((s) => !s.ok),
      output,
    ).toEqual([]);
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
    // Outputs and destroy came from the state file, not from more terraform runs; once the
    // deployment is gone, no file with its invoker secret is left.
    expect(readStateFile(path.join(work, 'terraform.tfstate')).resources).toEqual([]);
    expect(['outputs.json', 'terraform.tfstate.backup'].filter((f) => fs.existsSync(path.join(work, f)))).toEqual([]);
    // What stays is owner-only: the folder, the state (it held the secret) and the stand-in's snapshot.
    const mode = (file: string) => (fs.statSync(path.join(work, file)).mode & 0o777).toString(8);
    expect({ folder: mode('.'), state: mode('terraform.tfstate'), snapshot: mode('world.json') }).toEqual({
      folder: '700',
      state: '600',
      snapshot: '600',
    });
  });
});
