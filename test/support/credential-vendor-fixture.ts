import { CredentialVendor, IamFunctionUrl } from '../../constructs';
import { vendorHandlerDirectory } from '../../constructs/credential-vendor';
import { zipDirectory } from '../../constructs/zip-writer';
import { type SeededWorld, callApi, mustSucceed, query } from './local-aws-fixtures';
import { ACCOUNT, synthStack } from './synthesized-stack';

/**
 * A CredentialVendor's real policies and handler package in a seeded stand-in, created through the
 * wire APIs: the policies are read from a synthesized stack. The invoker user is entitled to
 * "echo"; the invoker role to "contract" (so the vend role may call both, the user's sessions only
 * "echo"). The invoker user may call every function named `credential-vendor*`.
 */

const json = { 'content-type': 'application/json' };

export interface VendorDocuments {
  executionTrust: string;
  executionPolicy: string;
  vendTrust: string;
  vendPolicy: string;
  config: string;
  /** What a caller of the vendor's own account needs on hashicorp/aws 5.100 (no InvokeFunction permission). */
  callerPolicy: string;
}

/** The vendor stack's documents, for the stand-in's account. */
export function vendorDocuments(account: string): VendorDocuments {
  const fn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
  let vendor!: CredentialVendor;
  const stack = synthStack((s) => {
    const echo = new IamFunctionUrl(s, 'Echo', { function: fn('echo') });
    const contract = new IamFunctionUrl(s, 'Contract', { function: fn('contract') });
    vendor = new CredentialVendor(s, 'Vendor', {
      entitlements: [
        { caller: `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`, functionUrls: [echo], sessionTags: { tenant: 'partner' } },
        { caller: `arn:aws:iam::${ACCOUNT}:role/function_invoker`, functionUrls: [contract] },
      ],
    });
  });
  const local = (text: string) => stack.resolveReferences(text).split(ACCOUNT).join(account);
  const named = (type: string, name: string) => Object.values(stack.resources(type)).find((r) => r.name === name)!;
  const vendorFunctions = `arn:aws:lambda:us-east-1:${account}:function:credential-vendor*`;
  return {
    executionTrust: local(named('aws_iam_role', 'credential-vendor-execution').assume_role_policy),
    executionPolicy: local(named('aws_iam_role_policy', 'AssumeVendRoleAndWriteOwnLogs').policy),
    vendTrust: local(named('aws_iam_role', 'credential-vend').assume_role_policy),
    vendPolicy: local(named('aws_iam_role_policy', 'VendableRights').policy),
    config: local(stack.only('aws_lambda_function').environment.variables.VEND_CONFIG),
    callerPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: vendor.invokeStatements().map((s) => ({ ...s, Resource: vendorFunctions })),
    }),
  };
}

/** Both roles with their policies, and the invoker user's right to call the vendor functions. */
export async function createVendorRoles(world: SeededWorld, docs: VendorDocuments): Promise<void> {
  const local = world.local;
  for (const [role, trust, policy] of [
    ['credential-vendor-execution', docs.executionTrust, docs.executionPolicy],
    ['credential-vend', docs.vendTrust, docs.vendPolicy],
  ]) {
    await mustSucceed(query(local, 'iam', { Action: 'CreateRole', RoleName: role, AssumeRolePolicyDocument: trust }));
    await mustSucceed(query(local, 'iam', { Action: 'PutRolePolicy', RoleName: role, PolicyName: 'p', PolicyDocument: policy }));
  }
  await mustSucceed(
    query(local, 'iam', {
      Action: 'PutUserPolicy',
      UserName: 'lambda_invoker',
      PolicyName: 'CallVendor',
      PolicyDocument: docs.callerPolicy,
    }),
  );
}

/** One vending function `functionName` with its AWS_IAM URL and the invoker user's URL permission; its URL. */
export async function deployVendorFunction(world: SeededWorld, docs: VendorDocuments, functionName = 'credential-vendor'): Promise<string> {
  const local = world.local;
  const account = local.world.accountId;
  const fn = {
    FunctionName: functionName,
    Runtime: 'nodejs22.x',
    Role: `arn:aws:iam::${account}:role/credential-vendor-execution`,
    Handler: 'index.handler',
    Timeout: 10,
    Environment: { Variables: { VEND_CONFIG: docs.config } },
    Code: { ZipFile: zipDirectory(vendorHandlerDirectory()).toString('base64') },
  };
  await mustSucceed(callApi(local, 'lambda', { path: '/2015-03-31/functions', headers: json, body: JSON.stringify(fn) }), 201);
  const url = await mustSucceed(
    callApi(local, 'lambda', {
      path: `/2021-10-31/functions/${functionName}/url`,
      headers: json,
      body: JSON.stringify({ AuthType: 'AWS_IAM' }),
    }),
    201,
  );
  const permission = {
    StatementId: 'VendorInvokeFunctionUrl',
    Action: 'lambda:InvokeFunctionUrl',
    Principal: `arn:aws:iam::${account}:user/lambda_invoker`,
    FunctionUrlAuthType: 'AWS_IAM',
  };
  await mustSucceed(
    callApi(local, 'lambda', { path: `/2015-03-31/functions/${functionName}/policy`, headers: json, body: JSON.stringify(permission) }),
    201,
  );
  return JSON.parse(url).FunctionUrl;
}
