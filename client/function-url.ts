import { ClientOptionError } from './errors';

/** What the host of a function URL tells us: `https://<url-id>.lambda-url.<region>.on.aws/`. */
export interface FunctionUrlParts {
  url: URL;
  urlId?: string;
  region?: string;
}

/** The query parameters of SigV4 query-string authentication. */
const PRESIGN_KEYS = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-signature', 'x-amz-security-token']);

const FUNCTION_URL_HOST = /^([a-z0-9]{32})\.lambda-url\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)\.on\.aws$/;

/**
 * Parses a function URL. The region comes from the host (so the caller need not repeat it); any
 * other host (a proxy, a custom domain, the local stand-in) is accepted, and then the region must
 * be given.
 */
export function parseFunctionUrl(text: string): FunctionUrlParts {
  const option = 'url';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClientOptionError(option, text, 'must be an absolute URL such as https://abc…xyz.lambda-url.us-east-1.on.aws/');
  }
  // A presigned URL pasted here would be signed a second time (AWS refuses a request that carries
  // both kinds of SigV4 authentication) and its session token would appear in every status line.
  const presignedKeys = [...url.searchParams.keys()].filter((key) => PRESIGN_KEYS.has(key.toLowerCase()));
  if (presignedKeys.length > 0) {
    throw new ClientOptionError(
      option,
      undefined,
      `must be the function URL itself, not a presigned URL (it has ${presignedKeys.join(', ')}; not shown, as it holds a credential): call a presigned URL as it is, e.g. curl "$URL"`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ClientOptionError(option, text, 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '')
    throw new ClientOptionError(option, '(URL with credentials)', 'must not contain a user name or password');
  const match = FUNCTION_URL_HOST.exec(url.hostname);
  if (match === null) return { url };
  // AWS documents the endpoint as https://<url-id>.lambda-url.<region>.on.aws (Lambda developer
  // guide, "Lambda function URLs"); over http the signed request and its session token would cross
  // the network in clear text. Plain http stays allowed for other hosts: the local stand-in, proxies.
  if (url.protocol !== 'https:')
    throw new ClientOptionError(
      option,
      text,
      'must use https: AWS function URLs are https://<url-id>.lambda-url.<region>.on.aws, and plain http would send the signed request and session token in clear text',
    );
  return { url, urlId: match[1], region: match[2] };
}
