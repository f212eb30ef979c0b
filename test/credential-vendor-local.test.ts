import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionUrlClient, VendedCredentialsError, vendedCredentials } from '../client';
import { createVendorRoles, deployVendorFunction, vendorDocuments } from './support/credential-vendor-fixture';
import { mustSucceed, query, type SeededWorld, sdkConfig, seedWorld, xmlValue } from './support/local-aws-fixtures';
import { runCli } from './support/invoke-cli-run';
import { useTempDir } from './support/temp-dir';

/**
 * The CredentialVendor's real handler and policies in the stand-in, where a function runs with its
 * execution role: the vendor's policies are read from a synthesized stack and created through the
 * wire APIs, the handler's package is the one synth zips, and every call is SigV4-verified and
 * IAM-checked. The entitled invoker user vends a session that may call "echo" only, although the
 * vend role may also call "contract" (another caller's entitlement).
 */

let world: SeededWorld;
let account: string;
let vendorUrl: string;
let mallory: AwsCredentialIdentity;

beforeAll(async () => {
  world = await seedWorld();
  const local = world.local;
  account = local.world.accountId;
  const docs = vendorDocuments(account);
  await createVendorRoles(world, docs);
  vendorUrl = await deployVendorFunction(world, docs);
  // mallory may call the vendor's URL (IAM lets her in), but has no entitlement.
  await mustSucceed(query(local, 'iam', { Action: 'CreateUser', UserName: 'mallory' }));
  await mustSucceed(
    query(local, 'iam', { Action: 'PutUserPolicy', UserName: 'mallory', PolicyName: 'CallVendor', PolicyDocument: docs.callerPolicy }),
  );
  const key = await mustSucceed(query(local, 'iam', { Action: 'CreateAccessKey', UserName: 'mallory' }));
  mallory = { accessKeyId: xmlValue(key, 'AccessKeyId'), secretAccessKey: xmlValue(key, 'SecretAccessKey') };
}, 120_000);
afterAll(async () => {
  await world?.local.close();
});

describe('a CredentialVendor in the stand-in', () => {
  const temp = useTempDir('vendor-local-');
  const vend = (credentials: AwsCredentialIdentity) =>
    vendedCredentials({
      vendorUrl,
      region: 'us-east-1',
      credentials: async () => credentials,
      retries: 0,
      timeoutMs: 30_000,
    }).getCredentials();
  const call = (url: string, credentials: AwsCredentialIdentity) =>
    new FunctionUrlClient({ url, region: 'us-east-1', credentials: async () => credentials, retries: 0, timeoutMs: 30_000 }).invoke();

  it('vends the entitled user a session of the vend role named after it, which calls its URL and nothing else', async () => {
    const vended = await vend(world.userKey);
    const identity = await new STSClient(sdkConfig(world.local, vended)).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${account}:assumed-role/credential-vend/lambda_invoker`);
    expect((await call(world.urls.echo, vended)).status).toBe(200);
    expect((await call(world.urls.contract, vended)).status).toBe(403);
    expect((await call(vendorUrl, vended)).status).toBe(403);
    const assume = await query(
      world.local,
      'sts',
      { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${account}:role/credential-vend`, RoleSessionName: 'again' },
      vended,
    );
    expect(assume.status).toBe(403);
  }, 60_000);

  it("refuses a caller without an entitlement with the vendor's NotEntitled", async () => {
    const error = await vend(mallory).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendedCredentialsError);
    expect(error).toMatchObject({ code: 'vend-refused', details: { status: 403, vendorError: 'NotEntitled' } });
  }, 60_000);

  it('lambda-url-invoke --credential-process prints the vended session for credential_process', async () => {
    const dir = temp();
    const credentialsFile = path.join(dir, 'credentials');
    fs.writeFileSync(
      credentialsFile,
      `[invoker]\naws_access_key_id = ${world.userKey.accessKeyId}\naws_secret_access_key = ${world.userKey.secretAccessKey}\n`,
      { mode: 0o600 },
    );
    const run = await runCli(['--credential-process', '--vendor-url', vendorUrl, '--region', 'us-east-1', '--profile', 'invoker'], {
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_CONFIG_FILE: path.join(dir, 'config'),
    });
    expect(run.stderr).toBe('');
    const printed = JSON.parse(run.stdout);
    expect(printed.Version).toBe(1);
    const identity = await new STSClient(
      sdkConfig(world.local, {
        accessKeyId: printed.AccessKeyId,
        secretAccessKey: printed.SecretAccessKey,
        sessionToken: printed.SessionToken,
      }),
    ).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${account}:assumed-role/credential-vend/lambda_invoker`);
  }, 60_000);

  it('the entitled user cannot assume the vend role itself: only the vending function can', async () => {
    const assume = await query(
      world.local,
      'sts',
      { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${account}:role/credential-vend`, RoleSessionName: 'direct' },
      world.userKey,
    );
    expect(assume.status).toBe(403);
  });
});
