import { AWS_PROVIDER_VERSION, findProviderMirror, initIfNeeded, terraform, terraformEnv } from '../../scripts/terraform-cli';

/**
 * Planning a synthesized stack with the real terraform and hashicorp/aws, offline: the provider is
 * pointed at a closed loopback port with dummy credentials, so a plan from empty state must not
 * need any AWS API and fails if it calls one.
 */

/** A loopback port nothing listens on: every AWS endpoint of an offline plan. */
export const CLOSED_PORT_ENDPOINT = 'http://127.0.0.1:9';

/** Terraform's env for a plan against a closed endpoint: AWS's documented example key, no profile or config file read. */
export function offlinePlanEnv(work: string): NodeJS.ProcessEnv {
  return {
    ...terraformEnv(work),
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** `initIfNeeded`, its failure saying which provider mirror was used (or that none was found). */
export async function initOffline(dir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    return await initIfNeeded(dir, env);
  } catch (error) {
    const mirror = findProviderMirror();
    throw new Error(
      `terraform init failed. ${mirror ? `The provider mirror used was ${mirror}.` : `No local mirror of hashicorp/aws ${AWS_PROVIDER_VERSION} was found (set TF_PROVIDER_MIRROR), so the registry had to be reachable.`}\n${(error as Error).message}`,
    );
  }
}

export interface OfflinePlan {
  /** Every message of `terraform plan -json`, one JSON object a line. */
  messages: any[];
  /** The diagnostics (errors and warnings) among them. */
  diagnostics: unknown[];
  /** `terraform show -json` of the saved plan. */
  shown: any;
  /** "<type> <actions>" of every planned resource change, sorted. */
  changes: string[];
}

/** `terraform plan -json` into `planFile`, then `terraform show -json` of it. */
export async function planOffline(dir: string, env: NodeJS.ProcessEnv, planFile: string): Promise<OfflinePlan> {
  const plan = await terraform(['plan', '-json', '-input=false', '-lock=false', `-out=${planFile}`], { cwd: dir, env });
  const messages = plan.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const shown = JSON.parse((await terraform(['show', '-json', planFile], { cwd: dir, env })).stdout);
  return {
    messages,
    diagnostics: messages.filter((m) => m.type === 'diagnostic').map((m) => m.diagnostic),
    shown,
    changes: shown.resource_changes.map((c: any) => `${c.type} ${c.change.actions.join(',')}`).sort(),
  };
}
