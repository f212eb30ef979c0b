import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { FunctionUrlClient } from '../../client/function-url-client';
import { VendedCredentialsError } from '../../client/errors';
import { type VendedCredentialsValue, vendedCredentials } from '../../client/vended-credentials';
import type { Credentials } from '../../client/credentials';
import { Checks, type VendOutputs, readVendOutputs, sessionArn } from './vend-outputs';
import { synthVendDemo } from '../../stacks/vend-demo-stack';
import { awsCliCredentialProcess } from './vend-aws-cli';
import type { DemoCaller, ProofContext } from './callers';

/**
 * `npm run demo -- --vend`: two protected URLs (A and B) and a CredentialVendor entitling the
 * invoker user to URL A only (stacks/vend-demo-stack.ts). Proves: the invoker's vended session
 * -> A 200, B 403; an unlisted user who may call the vendor's URL (same identity policy, no
 * entitlement) -> 403 NotEntitled from the vendor; the vended session can neither vend again nor
 * assume a role; the real AWS CLI with a credential_process profile running this project's CLI
 * gets the vend role's session.
 */

const REGION = 'us-east-1';

export const vendCaller: DemoCaller = {
  standIn: {},
  stackSettings: {},
  synth: synthVendDemo,
  prove,
  close: async () => undefined,
};

async function prove(context: ProofContext): Promise<void> {
  const { step, endpoint, out } = context;
  const outputs = readVendOutputs(context.outputsFile);
  const vended = await step('prove: vended session -> URL A 200, URL B 403', () => proveVended(outputs, endpoint, out));
  await step('prove: unlisted caller -> 403 from the vendor', () => proveUnlisted(outputs, out));
  await step('prove: vended session cannot vend again nor assume', () => proveConfined(outputs, vended, endpoint, out));
  await step('prove: AWS CLI credential_process -> vend role', () =>
    awsCliCredentialProcess({ outputs, endpoint, workDir: context.workDir, region: REGION, checks: new Checks(out) }),
  );
}

async function proveVended(outputs: VendOutputs, endpoint: string, out: (text: string) => void): Promise<VendedCredentialsValue> {
  const checks = new Checks(out);
  const vended = await vend(outputs, outputs.invoker);
  const arn = (await sts(endpoint, vended).send(new GetCallerIdentityCommand({}))).Arn ?? '';
  checks.expect('vended session is the vend role, named after the caller', arn === sessionArn(outputs), arn);
  const a = await call(outputs.urlA, vended);
  checks.expect('vended session -> URL A (entitled): 200', a === 200, String(a));
  const b = await call(outputs.urlB, vended);
  checks.expect('vended session -> URL B (not entitled): 403', b === 403, String(b));
  checks.throwIfFailed('the vended session did not behave as entitled');
  return vended;
}

async function proveUnlisted(outputs: VendOutputs, out: (text: string) => void): Promise<void> {
  const checks = new Checks(out);
  const outcome = await vend(outputs, outputs.unlisted).then(
    () => 'credentials',
    (error: unknown) =>
      error instanceof VendedCredentialsError
        ? `${error.code} ${String(error.details?.status)} ${String(error.details?.vendorError)}`
        : (error as Error).message,
  );
  checks.expect('unlisted caller (may call the vendor URL) -> vendor 403', outcome === 'vend-refused 403 NotEntitled', outcome);
  checks.throwIfFailed('the vendor did not refuse the unlisted caller');
}

async function proveConfined(
  outputs: VendOutputs,
  vended: VendedCredentialsValue,
  endpoint: string,
  out: (text: string) => void,
): Promise<void> {
  const checks = new Checks(out);
  const again = await call(outputs.vendorUrl, vended);
  checks.expect('vended session -> the vendor URL: 403', again === 403, String(again));
  const executionRoleArn = outputs.vendRoleArn.replace(/role\/(.*)credential-vend$/, 'role/$1credential-vendor-execution');
  for (const [name, roleArn] of [
    ['vended session assumes the vend role: AccessDenied', outputs.vendRoleArn],
    ["vended session assumes the vendor's role: AccessDenied", executionRoleArn],
  ]) {
    const outcome = await sts(endpoint, vended)
      .send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'again' }))
      .then(
        () => 'a session',
        (error: Error) => error.name,
      );
    checks.expect(name, outcome === 'AccessDenied', outcome);
  }
  checks.throwIfFailed('the vended session reached beyond its entitlement');
}

const vend = (outputs: VendOutputs, credentials: Credentials) =>
  vendedCredentials({
    vendorUrl: outputs.vendorUrl,
    region: REGION,
    credentials: async () => credentials,
    retries: 0,
    timeoutMs: 30_000,
  }).getCredentials();

const call = async (url: string, credentials: Credentials) =>
  (await new FunctionUrlClient({ url, region: REGION, credentials: async () => credentials, retries: 0, timeoutMs: 30_000 }).invoke())
    .status;

const sts = (endpoint: string, credentials: Credentials) => new STSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
