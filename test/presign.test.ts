import { AwsV4Signer } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCredentials } from '../client/credentials';
import { ClientOptionError } from '../client/errors';
import { FunctionUrlClient, presignUrl } from '../client/function-url-client';
import { type SeededWorld, seedWorld } from './support/local-aws-fixtures';

/**
 * Presigned URLs: SigV4 query-string authentication for service "lambda", at most the session's
 * remaining life. The stand-in accepting them is the contract with local-aws (its query-string
 * verification), so those tests fail until the stand-in implements it.
 */

let world: SeededWorld;
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);

beforeAll(async () => {
  world = await seedWorld({ now });
});
afterAll(async () => {
  await world.local.close();
});

function session(durationSeconds = 900) {
  return new AssumeRoleCredentials({
    roleArn: world.roleArn,
    externalId: world.externalId,
    sourceCredentials: world.userKey,
    stsEndpoint: world.local.endpoint,
    sessionName: 'presign',
    durationSeconds,
    propagationWaitSeconds: 0,
  });
}

describe('presignUrl', () => {
  it('puts the SigV4 fields in the query, in canonical order and encoding, the signature last', async () => {
    const presigned = await presignUrl({
      url: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/',
      credentials: { getCredentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'tok+en/=' }) },
      path: '/orders/42',
      query: 'b=x+y&a=1',
      expiresInSeconds: 300,
      signingDate: new Date('2026-01-02T03:04:05Z'),
    });
    const url = new URL(presigned.url);
    expect(url.pathname).toBe('/orders/42');
    expect(url.search).toMatch(
      /^\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Feu-west-1%2Flambda%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=300&X-Amz-Security-Token=tok%2Ben%2F%3D&X-Amz-SignedHeaders=host&a=1&b=x%20y&X-Amz-Signature=[0-9a-f]{64}$/,
    );
    expect(presigned).toMatchObject({ method: 'GET', expiresAt: new Date('2026-01-02T03:09:05Z') });
  });

  it('signs the same as aws4fetch (signQuery) for the same request and time', async () => {
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'session-token',
    };
    const base = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';
    const ours = new URL(
      (
        await presignUrl({
          url: `${base}/`,
          credentials: async () => credentials,
          path: '/a b/c',
          query: 'k=v%2Bw&k=a',
          expiresInSeconds: 600,
          signingDate: new Date('2026-01-02T03:04:05Z'),
        })
      ).url,
    );
    const theirs = await new AwsV4Signer({
      url: `${base}/a%20b/c?k=v%2Bw&k=a&X-Amz-Expires=600`,
      ...credentials,
      service: 'lambda',
      region: 'us-east-1',
      signQuery: true,
      datetime: '20260102T030405Z',
    }).sign();
    expect(ours.searchParams.get('X-Amz-Signature')).toBe(theirs.url.searchParams.get('X-Amz-Signature'));
  });

  it("refuses a lifetime beyond the session, beyond SigV4's 7 days, or below 1 s", async () => {
    const client = new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: session(900) });
    await expect(client.presign({ expiresInSeconds: 901 })).rejects.toThrow(
      /expiresInSeconds must be at most the remaining life of the credentials \(\d+ s, until/,
    );
    await expect(client.presign({ expiresInSeconds: 0 })).rejects.toThrow(ClientOptionError);
    await expect(client.presign({ expiresInSeconds: 0 })).rejects.toMatchObject({ option: 'expiresInSeconds', value: 0 });
    await expect(
      presignUrl({
        url: world.urls.echo,
        region: 'us-east-1',
        credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's' }),
        expiresInSeconds: 604_801,
      }),
    ).rejects.toThrow(/from 1 to 604800/);
  });
});

describe('the stand-in and a presigned URL (contract with local-aws query-string auth)', () => {
  it('anyone can call it with no credentials until it expires; after, it is refused', async () => {
    const presigned = await new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: session(900) }).presign({
      path: '/report',
      query: 'id=7',
      expiresInSeconds: 60,
    });
    const accepted = await fetch(presigned.url);
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { caller: { userArn: string } }).caller.userArn).toMatch(/assumed-role\/function_invoker\/presign$/);
    clockOffsetMs = 61_000;
    try {
      expect((await fetch(presigned.url)).status).toBe(403);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('a presigned URL changed after signing (path or query) is refused', async () => {
    const presigned = await new FunctionUrlClient({ url: world.urls.echo, region: 'us-east-1', credentials: session(900) }).presign({
      path: '/report',
      query: 'id=7',
      expiresInSeconds: 60,
    });
    expect((await fetch(presigned.url.replace('id=7', 'id=8'))).status).toBe(403);
    expect((await fetch(presigned.url.replace('/report', '/admin'))).status).toBe(403);
  });
});
