// The credential vendor's Lambda entry point (written by the CredentialVendor construct). It runs
// with its execution role, which may only assume the vend role; the AWS SDK v3 STS client it uses
// is part of Lambda's Node.js runtimes, so the package holds no dependency.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createVendingHandler, parseVendConfig } from './vending.mjs';

let vend;

export const handler = async (event) => {
  if (vend === undefined) {
    const config = parseVendConfig(process.env.VEND_CONFIG ?? '');
    // Region and endpoint come from the environment (AWS_REGION, AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL).
    const sts = new STSClient({});
    vend = createVendingHandler({ config, assumeRole: (params) => sts.send(new AssumeRoleCommand(params)) });
  }
  return vend(event);
};
