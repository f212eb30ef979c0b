import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProviderTagsCommand,
  ListOpenIDConnectProvidersCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UntagOpenIDConnectProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_KEY, type LocalAws, startLocalAws } from '../local-aws/server';
import { sdkConfig, sdkOutcome } from './support/local-aws-fixtures';

/**
 * IAM OIDC identity providers through the standard API (local-aws/oidc-provider-api.ts), with the
 * AWS SDK: the calls hashicorp/aws makes for aws_iam_openid_connect_provider, IAM's limits, and
 * the stand-in's one allowance, an http:// issuer on loopback.
 */

let local: LocalAws;
let iam: IAMClient;

beforeAll(async () => {
  local = await startLocalAws();
  iam = new IAMClient(sdkConfig(local, DEFAULT_ADMIN_KEY));
});
afterAll(async () => {
  await local?.close();
});

const THUMBPRINT = 'a'.repeat(40);

describe('an OIDC provider through its whole life', () => {
  it('is created, read, listed, updated, tagged and deleted as Terraform does it', async () => {
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: 'https://token.actions.githubusercontent.com',
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: [THUMBPRINT],
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const arn = created.OpenIDConnectProviderArn ?? '';
    expect(arn).toBe(`arn:aws:iam::${local.world.accountId}:oidc-provider/token.actions.githubusercontent.com`);
    const read = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(read.Url).toBe('token.actions.githubusercontent.com');
    expect(read.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(read.ThumbprintList).toEqual([THUMBPRINT]);
    expect(read.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(listed.OpenIDConnectProviderList?.map((p) => p.Arn)).toContain(arn);

    await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: ['b'.repeat(40)] }));
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'my-audience' }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'sts.amazonaws.com' }));
    await iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: [{ Key: 'env', Value: 'ci' }] }));
    await iam.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys: ['team'] }));
    const changed = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(changed.ThumbprintList).toEqual(['b'.repeat(40)]);
    expect(changed.ClientIDList).toEqual(['my-audience']);
    const tags = await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
    expect(tags.Tags).toEqual([{ Key: 'env', Value: 'ci' }]);

    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(await sdkOutcome(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })))).toBe(
      '404 NoSuchEntityException',
    );
  });

  it('refuses a second provider for the same URL', async () => {
    const input = { Url: 'https://issuer.example.com/tenant', ClientIDList: ['a'] };
    await iam.send(new CreateOpenIDConnectProviderCommand(input));
    expect(await sdkOutcome(iam.send(new CreateOpenIDConnectProviderCommand(input)))).toBe('409 EntityAlreadyExistsException');
  });
});

describe('what IAM refuses', () => {
  it.each([
    ['an http:// issuer that is not loopback', { Url: 'http://issuer.example.com', ClientIDList: ['a'] }],
    ['a URL with a query', { Url: 'https://issuer.example.com/?x=1', ClientIDList: ['a'] }],
    ['an ftp:// URL', { Url: 'ftp://issuer.example.com', ClientIDList: ['a'] }],
    ['a thumbprint that is not 40 hex digits', { Url: 'https://t.example.com', ClientIDList: ['a'], ThumbprintList: ['abc'] }],
    ['an empty client ID', { Url: 'https://c.example.com', ClientIDList: [''] }],
  ])('refuses %s with a 400 naming the value', async (_, input) => {
    expect(await sdkOutcome(iam.send(new CreateOpenIDConnectProviderCommand(input)))).toMatch(/^400 /);
  });

  it('accepts an http:// issuer on loopback (the local issuer without TLS) and names its ARN after host, port and path', async () => {
    const created = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'http://127.0.0.1:8443/ci', ClientIDList: ['a'] }));
    expect(created.OpenIDConnectProviderArn).toBe(`arn:aws:iam::${local.world.accountId}:oidc-provider/127.0.0.1:8443/ci`);
    // Answered with its scheme: Terraform's diff suppression cannot parse host:port without one.
    const read = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: created.OpenIDConnectProviderArn }));
    expect(read.Url).toBe('http://127.0.0.1:8443/ci');
  });

  it('answers a provider named "constructor" as one that does not exist', async () => {
    const arn = `arn:aws:iam::${local.world.accountId}:oidc-provider/constructor`;
    expect(await sdkOutcome(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })))).toBe(
      '404 NoSuchEntityException',
    );
    expect(await sdkOutcome(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: '__proto__' })))).toBe(
      '404 NoSuchEntityException',
    );
  });
});
