import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldCredentials } from '../client/credentials';
import { CredentialsUnavailableError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import { exitCodeOf } from '../scripts/invoke/errors';
import { type HeldProfiles, writeHeldProfiles } from './support/held-profiles';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';
import { useTempDir } from './support/temp-dir';

/**
 * heldCredentials(): the credentials a caller already holds (the AWS SDK's default chain), for a
 * caller that already is the invoker role and signs as it is.
 */

let world: SeededWorld;
let profiles: HeldProfiles;
const temp = useTempDir('held-credentials-');

beforeAll(async () => {
  world = await seedWorld();
  profiles = await writeHeldProfiles(temp(), world);
});
afterAll(async () => {
  await world.local.close();
});

describe('heldCredentials', () => {
  it("as the client's credentials, refreshed by the SDK", async () => {
    const provider = heldCredentials({
      profile: 'invoker',
      configFile: profiles.configFile,
      credentialsFile: profiles.credentialsFile,
      stsEndpoint: world.local.endpoint,
      stsRegion: 'us-east-1',
    });
    const client = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: provider, retries: 0 });
    const response = await client.invoke();
    expect(response.status).toBe(200);
    expect((response.json as { caller: { userArn: string } }).caller.userArn).toMatch(/assumed-role\/function_invoker\/ci-job$/);
    // The chain memoizes: a second call signs with the same session, no second AssumeRole.
    expect((await provider()).accessKeyId).toBe((await provider()).accessKeyId);
  });

  it('a chain with nothing to give is a CredentialsUnavailableError naming the profile, with a hint naming the option', async () => {
    const provider = heldCredentials({ profile: 'missing', configFile: profiles.configFile, credentialsFile: profiles.credentialsFile });
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error).toMatchObject({ code: 'credentials-unavailable' });
    expect(exitCodeOf(error)).toBe(4);
    expect((error as Error).message).toMatch(/^no usable credentials from the AWS SDK's default chain \(profile "missing"\)/);
    expect((error as CredentialsUnavailableError).hints.join(' ')).toMatch(/AWS_PROFILE or `profile`/);
  });
});
