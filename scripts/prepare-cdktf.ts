import * as path from 'node:path';
import { synthDemo } from '../stacks/main';
import { projectRoot } from './project-root';
import { findProviderMirror, initIfNeeded, terraformEnv } from './terraform-cli';

/**
 * `npm run cdktf:prepare`: makes `npx cdktf deploy` work where no Terraform registry is reachable.
 * cdktf runs `terraform providers lock` when a stack directory has no .terraform.lock.hcl, and that
 * command asks the origin registry whatever the CLI config says. So: synthesize, run
 * `terraform init` in the stack directory with our filesystem-mirror CLI config (it writes the lock
 * file from the mirror), and print the TF_CLI_CONFIG_FILE to export. With a registry in reach none
 * of this is needed. We do not commit a lock file: one made from a mirror holds only this
 * platform's checksum and would break `init` on other platforms.
 */
async function main(): Promise<void> {
  const project = projectRoot();
  const mirror = findProviderMirror();
  if (mirror === undefined) {
    process.stdout.write(
      'No local mirror of hashicorp/aws was found: `npx cdktf deploy` will use the registry as usual. Nothing to prepare.\n',
    );
    return;
  }
  const stack = synthDemo(path.join(project, 'cdktf.out'));
  const env = terraformEnv(project);
  await initIfNeeded(path.join(project, 'cdktf.out', 'stacks', stack), env);
  process.stdout.write(
    `Prepared cdktf.out/stacks/${stack} with hashicorp/aws from ${mirror}.\nNow:\n  export TF_CLI_CONFIG_FILE=${env.TF_CLI_CONFIG_FILE}\n  npx cdktf deploy ${stack} --outputs-file outputs.json --outputs-file-include-sensitive-outputs\n(Keep the same DEMO_* settings for both commands.)\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
