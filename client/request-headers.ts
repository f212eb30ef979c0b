import { ClientOptionError } from './errors';

/**
 * The headers a caller may add to a signed request: only those that go on the wire exactly as
 * they were signed. Checked before any call (STS included), so a bad header costs nothing and is
 * a usage error naming it, not a refusal or a TypeError from fetch later.
 */

/** An HTTP token (RFC 9110, section 5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers the signer writes: a caller's copy in another letter case would go out beside the
 * signer's (`X-Amz-Security-Token: a, <token>`: 403 InvalidClientTokenId), and a caller's
 * x-amz-content-sha256 would be signed in place of the body's hash (403 SignatureDoesNotMatch).
 */
const SIGNER_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);
/**
 * Headers Node's fetch (undici 6, Node 20) owns: it throws UND_ERR_INVALID_ARG / NOT_SUPPORTED for
 * transfer-encoding, keep-alive, upgrade and expect, drops or recomputes content-length, and
 * overwrites sec-fetch-mode after signing (403).
 */
const TRANSPORT_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'sec-fetch-mode',
]);

/**
 * Header pairs as they will be sent. `__proto__` is refused: Node's fetch (undici) silently drops a
 * header of that name, so the request would arrive without a header it was signed with.
 */
export function checkedHeaders(headers: Record<string, string> | [string, string][] | undefined): [string, string][] {
  const pairs: [string, string][] = headers === undefined ? [] : Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of pairs) {
    checkName(name);
    checkValue(name, value);
  }
  return pairs;
}

function checkName(name: unknown): void {
  const refuse = (rule: string) => new ClientOptionError('headers', name, rule, { about: 'header name' });
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) throw refuse("must be an HTTP token (letters, digits and !#$%&'*+.^_`|~-)");
  const lower = name.toLowerCase();
  if (lower === 'host') throw refuse('cannot be set: fetch sends the Host of the URL, and that is the one signed');
  if (name === '__proto__') throw refuse("cannot be sent: Node's fetch drops a header of that name, so the signature would not match");
  if (SIGNER_HEADERS.has(lower)) throw refuse('cannot be set: the SigV4 signer writes it for every attempt');
  if (TRANSPORT_HEADERS.has(lower))
    throw refuse("cannot be set: Node's fetch sets or refuses it itself, so the signed value would not be the one sent");
}

function checkValue(name: string, value: unknown): void {
  const about = `header ${name}`;
  if (typeof value !== 'string' || /[\r\n\0]/.test(value))
    throw new ClientOptionError('headers', value, 'must be a string without CR, LF or NUL', { about });
  // Node's fetch throws a TypeError above U+00FF and refuses DEL and control characters, and sends
  // U+0080-U+00FF as one Latin-1 byte where the signature hashed its UTF-8 (403). The value itself
  // is not shown: a header may carry a token.
  const odd = /[^\t\x20-\x7e]/.exec(value);
  if (odd !== null) {
    const code = odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new ClientOptionError(
      'headers',
      undefined,
      `must be printable ASCII (and tab): the character at index ${odd.index} is U+${code}; encode other text (e.g. percent-encoding or base64)`,
      { about },
    );
  }
}
