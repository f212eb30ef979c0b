import type { DemoCallerKind } from './callers';

/** `npm run demo`'s command line: its usage text and what the arguments ask for. */

export const DEMO_USAGE = `Usage: npm run demo [-- --keep] [-- --plan] [-- --caller invoker-user|web-identity | -- --vend]

Deploys the demo stack into the local stand-in for AWS, proves the refusals and the signed call, destroys it.
  --keep     leave the deployment and the stand-in running until Ctrl-C (outputs in .demo/outputs.json)
  --plan     also run a second terraform plan after apply and require "No changes"
  --caller   invoker-user (default): the invoker user's key assumes the role;
             web-identity: OIDC tokens of a local issuer, no invoker user and no key at all
  --vend     two URLs and a credential vendor entitling the invoker to one: vended session -> A 200,
             B 403; unlisted caller -> 403; the session cannot vend again; the AWS CLI's credential_process
`;

function callerOf(argv: string[]): DemoCallerKind | undefined {
  const i = argv.indexOf('--caller');
  if (argv.includes('--vend')) return i === -1 ? 'vend' : undefined;
  if (i === -1) return 'invoker-user';
  const value = argv[i + 1];
  return value === 'invoker-user' || value === 'web-identity' ? value : undefined;
}

export type DemoArguments =
  | { kind: 'help' }
  | { kind: 'error'; message: string }
  | { kind: 'run'; options: { keep: boolean; secondPlan: boolean; caller: DemoCallerKind } };

export function demoArguments(argv: string[]): DemoArguments {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const caller = callerOf(argv);
  if (caller === undefined)
    return { kind: 'error', message: '--caller must be invoker-user or web-identity, and cannot be combined with --vend' };
  return { kind: 'run', options: { keep: argv.includes('--keep'), secondPlan: argv.includes('--plan'), caller } };
}
