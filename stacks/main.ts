import { App } from 'cdktf';
import { InvalidPropError } from '../constructs/prop-validation';
import { readDemoConfig } from './demo-config';
import { DemoStack } from './demo-stack';

/**
 * Synthesizes the demo stack into cdktf.out (or CDKTF_OUTDIR, set by the cdktf CLI), with the
 * DEMO_* settings of `env`.
 */
export function synthDemo(outdir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const app = new App(outdir !== undefined ? { outdir } : {});
  const config = readDemoConfig(env, (key) => app.node.tryGetContext(key));
  new DemoStack(app, config.stackName, config);
  app.synth();
  return config.stackName;
}

if (require.main === module) {
  try {
    const stack = synthDemo();
    if (!process.env.CDKTF_OUTDIR) process.stdout.write(`Synthesized stack "${stack}" into cdktf.out/stacks/${stack}/cdk.tf.json\n`);
  } catch (error) {
    if (error instanceof InvalidPropError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
