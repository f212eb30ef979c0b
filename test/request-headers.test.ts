import { describe, expect, it } from 'vitest';
import { ClientOptionError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';
import { STATIC_KEY } from './support/static-profile';

/**
 * Headers a caller adds go on the wire exactly as signed, or are refused before any call. Node's
 * fetch (undici) throws a TypeError for a value above U+00FF, refuses DEL and control characters,
 * and sends U+0080-U+00FF as one Latin-1 byte where SigV4 hashed the UTF-8 (403).
 */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';

describe('header values fetch cannot send as signed are usage errors', () => {
  it.each([
    ['a character above U+00FF (fetch throws a TypeError for it)', '€uro'],
    ['a Latin-1 character (fetch sends one byte, the signature hashed two)', 'café'],
    ['DEL (undici refuses it: UND_ERR_INVALID_ARG)', 'x\u007f'],
  ])('%s', async (_, value) => {
    let fetched = 0;
    const fetchCounting = (async () => {
      fetched++;
      return new Response('ok');
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({
      url: URL_OF_FUNCTION,
      credentials: { getCredentials: async () => STATIC_KEY },
      retries: 0,
      fetch: fetchCounting,
    });
    const call = client.invoke({ headers: { 'x-name': value } });
    await expect(call).rejects.toThrow(/header x-name must be printable ASCII/);
    await expect(call).rejects.toMatchObject({ code: 'invalid-option', option: 'headers', about: 'header x-name' });
    expect(fetched).toBe(0);
  });

  it('a tab and visible ASCII are still sent', async () => {
    const sent: [string, string][][] = [];
    const fetchRecording = (async (_url: string, init: RequestInit) => {
      sent.push(init.headers as [string, string][]);
      return new Response('ok');
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({
      url: URL_OF_FUNCTION,
      credentials: { getCredentials: async () => STATIC_KEY },
      fetch: fetchRecording,
    });
    expect((await client.invoke({ headers: { 'x-name': 'a\tb ~!' } })).status).toBe(200);
    expect(sent[0]).toContainEqual(['x-name', 'a\tb ~!']);
  });

  it('a header name the signer or fetch owns is refused naming the option, the part and the name', async () => {
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => STATIC_KEY } });
    const error = await client.invoke({ headers: { Host: 'evil.example' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientOptionError);
    expect(error).toMatchObject({ option: 'headers', about: 'header name', value: 'Host' });
    expect((error as Error).message).toBe(
      'header name cannot be set: fetch sends the Host of the URL, and that is the one signed (got "Host")',
    );
  });
});
