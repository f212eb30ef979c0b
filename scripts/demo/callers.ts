import type { LocalAwsOptions } from '../../local-aws/server';
import { runInvokeCli } from '../invoke/run';
import type { Step } from './steps';

/**
 * Who calls the demo's URL. `invoker-user` (the default): the invoker user's key assumes the role.
 * `web-identity`: a CI job's OIDC token from a local issuer (scripts/demo/web-identity-caller.ts),
 * with no invoker user and no key at all. `vend`: a credential vendor entitles the invoker user to
 * one of two URLs (scripts/demo/vend-flow.ts).
 */

export type DemoCallerKind = 'invoker-user' | 'web-identity' | 'vend';

export interface DemoCaller {
  /** The stand-in's settings this caller needs (the issuer's certificate to trust). */
  readonly standIn: Pick<LocalAwsOptions, 'webIdentity'>;
  /** DEMO_* settings for the stack (the issuer, the subject allowed). */
  readonly stackSettings: Record<string, string>;
  /** Synthesizes this caller's stack into `outdir`; returns the stack name. @default the demo stack */
  readonly synth?: (outdir: string, env: NodeJS.ProcessEnv) => string;
  /** Proves the calls this caller must and must not be able to make; throws when one misbehaves. */
  prove(context: ProofContext): Promise<void>;
  close(): Promise<void>;
}

export interface ProofContext {
  step: Step;
  outputsFile: string;
  endpoint: string;
  workDir: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

export const indent = (text: string) => text.replace(/^(?=.)/gm, '    ');

/** The invoker user's key assumes the role; --prove shows unsigned 403, user key 403, session 200. */
export const invokerUserCaller: DemoCaller = {
  standIn: {},
  stackSettings: {},
  async prove({ step, outputsFile, endpoint, out, err }) {
    await step('prove: unsigned -> 403, user key -> 403, assumed role -> 200', async () => {
      const code = await runInvokeCli(['--outputs', outputsFile, '--prove', '--session-name', 'lambda-url-iam-demo'], {
        stdout: (t) => out(indent(t)),
        stderr: (t) => err(indent(t)),
        env: { ...process.env, AWS_ENDPOINT_URL_STS: endpoint },
      });
      if (code !== 0) throw new Error(`the proof failed (exit code ${code})`);
    });
  },
  close: async () => undefined,
};
