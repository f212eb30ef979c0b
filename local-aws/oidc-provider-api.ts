import { AwsError } from './aws-error';
import { type QueryOperation, everyResource } from './operation';
import { listParameter, required } from './query-parameters';
import { type Handler, type Resource, iam, parseTags, renderTags } from './iam-operation';
import type { World } from './world';
import { type OidcProvider, type Tag, isoNow } from './world-state';
import { el, members } from './xml';

/**
 * IAM OIDC identity providers over the Query protocol: the calls hashicorp/aws 5.100 makes for
 * `aws_iam_openid_connect_provider` (Create, Get on every read, UpdateOpenIDConnectProviderThumbprint,
 * Add/RemoveClientID, Tag/Untag, Delete) and the List a console or script calls first. Limits from
 * the IAM API reference: URL 1-255 characters, at most 100 client IDs of 1-255 characters, at most
 * 5 thumbprints of exactly 40 characters (optional since IAM fetches it itself).
 */

const MAX_CLIENT_IDS = 100;
const MAX_THUMBPRINTS = 5;
const THUMBPRINT = /^[0-9a-fA-F]{40}$/;
/** 127.0.0.0/8, [::1] and localhost: the only hosts an `http://` issuer may have here. */
const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)(:\d{1,5})?$/;

/**
 * An issuer URL as IAM takes it: `https://` and no query or fragment (IAM API reference,
 * CreateOpenIDConnectProvider). The stand-in runs on this machine, so it also takes an `http://`
 * URL whose host is loopback: a local issuer without TLS. Returns the part the ARN and the
 * condition keys are named after (the URL without its scheme).
 */
export function issuerHostAndPath(url: string): string {
  const match = /^(https?):\/\/([^?#\s]+)$/.exec(url);
  const hostAndPath = match?.[2] ?? '';
  const host = hostAndPath.split('/')[0];
  if (match === null || url.length > 255 || (match[1] === 'http' && !LOOPBACK_HOST.test(host))) {
    throw new AwsError(
      'ValidationError',
      `Invalid Openid connect provider url ${JSON.stringify(url)}: it must be an https:// URL of at most 255 characters without a query (http:// only for a loopback host: 127.x.x.x, [::1], localhost).`,
    );
  }
  return hostAndPath.replace(/\/$/, '');
}

export function oidcProviderArn(world: World, hostAndPath: string): string {
  return `arn:aws:iam::${world.accountId}:oidc-provider/${hostAndPath}`;
}

function clientIds(values: string[]): string[] {
  if (values.length > MAX_CLIENT_IDS)
    throw new AwsError('LimitExceeded', `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`, 409);
  for (const id of values) checkClientId(id);
  return [...new Set(values)];
}

function checkClientId(id: string): string {
  if (id.length < 1 || id.length > 255)
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${id}' at 'clientID' failed to satisfy constraint: Member must have length between 1 and 255`,
    );
  return id;
}

function thumbprints(params: URLSearchParams): string[] {
  const values = listParameter(params, 'ThumbprintList');
  if (values.length > MAX_THUMBPRINTS)
    throw new AwsError('LimitExceeded', `Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: ${MAX_THUMBPRINTS}`, 409);
  for (const value of values) {
    if (!THUMBPRINT.test(value))
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${value}' at 'thumbprintList' failed to satisfy constraint: Member must be 40 hexadecimal characters (the SHA-1 of the issuer's certificate)`,
      );
  }
  return values;
}

/**
 * IAM answers the URL without its `https://` scheme. A loopback issuer (only the stand-in has
 * those) keeps it: its `host:port` without a scheme is not a URL Go can parse, so hashicorp/aws
 * 5.100's suppressOpenIDURL (url.Parse of the stored value) would see a change on every plan and
 * replace the provider. With the scheme, the stored value parses and equals the configuration.
 */
function answeredUrl(url: string): string {
  const withoutScheme = url.replace(/^https:\/\//, '');
  return LOOPBACK_HOST.test(withoutScheme.split('/')[0]) ? url : withoutScheme;
}

const providerOf = (world: World, params: URLSearchParams): OidcProvider =>
  world.oidcProvider(required(params, 'OpenIDConnectProviderArn'));

const createProvider: Handler = async ({ request: { params }, world }) => {
  const url = required(params, 'Url');
  const arn = oidcProviderArn(world, issuerHostAndPath(url));
  const provider = world.createOidcProvider({
    arn,
    url: url.replace(/\/$/, ''),
    clientIds: clientIds(listParameter(params, 'ClientIDList')),
    thumbprints: thumbprints(params),
    createDate: isoNow(),
    tags: parseTags(params),
  });
  return [el('OpenIDConnectProviderArn', provider.arn), renderTags(provider.tags)];
};

const getProvider: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  return [
    el('Url', answeredUrl(provider.url)),
    el('ClientIDList', members(provider.clientIds.map((id) => [id]))),
    el('ThumbprintList', members(provider.thumbprints.map((t) => [t]))),
    el('CreateDate', provider.createDate),
    renderTags(provider.tags),
  ];
};

const listProviders: Handler = async ({ world }) => [
  el('OpenIDConnectProviderList', members(Object.values(world.state.oidcProviders).map((p) => [el('Arn', p.arn)]))),
];

const deleteProvider: Handler = async ({ request: { params }, world }) => {
  world.deleteOidcProvider(providerOf(world, params));
  return undefined;
};

const updateThumbprint: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  world.changeOidcProvider(provider, { thumbprints: thumbprints(params) });
  return undefined;
};

const addClientId: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  const id = checkClientId(required(params, 'ClientID'));
  if (!provider.clientIds.includes(id)) world.changeOidcProvider(provider, { clientIds: clientIds([...provider.clientIds, id]) });
  return undefined;
};

const removeClientId: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  const id = checkClientId(required(params, 'ClientID'));
  // Removing an ID the provider does not have succeeds without a change (IAM API reference).
  if (provider.clientIds.includes(id)) world.changeOidcProvider(provider, { clientIds: provider.clientIds.filter((c) => c !== id) });
  return undefined;
};

const tagProvider: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  const merged: Tag[] = provider.tags.filter((t) => !parseTags(params).some((n) => n.Key === t.Key));
  merged.push(...parseTags(params));
  if (merged.length > 50) throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerEntity: 50', 409);
  world.changeOidcProvider(provider, { tags: merged });
  return undefined;
};

const untagProvider: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  const keys = listParameter(params, 'TagKeys');
  world.changeOidcProvider(provider, { tags: provider.tags.filter((t) => !keys.includes(t.Key)) });
  return undefined;
};

const listProviderTags: Handler = async ({ request: { params }, world }) => {
  const provider = providerOf(world, params);
  return [el('Tags', members(provider.tags.map((t) => [el('Key', t.Key), el('Value', t.Value)]))), el('IsTruncated', 'false')];
};

/** The provider the request names: by its ARN, or for Create the ARN its Url would give (`*` for a URL IAM refuses). */
const namedProvider: Resource = ({ request }) => request.params.get('OpenIDConnectProviderArn') ?? '*';
const newProvider: Resource = ({ request, world }) => {
  try {
    return oidcProviderArn(world, issuerHostAndPath(request.params.get('Url') ?? ''));
  } catch {
    return '*';
  }
};

export const OIDC_PROVIDER_OPERATIONS: QueryOperation[] = [
  iam('CreateOpenIDConnectProvider', newProvider, createProvider),
  iam('GetOpenIDConnectProvider', namedProvider, getProvider),
  iam('ListOpenIDConnectProviders', everyResource, listProviders),
  iam('DeleteOpenIDConnectProvider', namedProvider, deleteProvider),
  iam('UpdateOpenIDConnectProviderThumbprint', namedProvider, updateThumbprint),
  iam('AddClientIDToOpenIDConnectProvider', namedProvider, addClientId),
  iam('RemoveClientIDFromOpenIDConnectProvider', namedProvider, removeClientId),
  iam('TagOpenIDConnectProvider', namedProvider, tagProvider),
  iam('UntagOpenIDConnectProvider', namedProvider, untagProvider),
  iam('ListOpenIDConnectProviderTags', namedProvider, listProviderTags),
];
