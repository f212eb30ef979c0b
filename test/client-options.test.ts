import { describe, expect, it } from 'vitest';
import { ClientOptionError } from '../client/errors';
import { FunctionUrlClient } from '../client/function-url-client';

const URL = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

describe('a client without credentials', () => {
  it('refuses to send: a forgotten option is not quietly an unsigned call', async () => {
    const sent: string[] = [];
    const client = new FunctionUrlClient({ url: URL, fetch: (async (input: string) => { sent.push(input); return new Response('x'); }) as unknown as typeof fetch });
    const call = client.invoke({ path: '/orders' });
    await expect(call).rejects.toBeInstanceOf(ClientOptionError);
    await expect(call).rejects.toThrow(/credentials are required to send a request.*unsigned: true/);
    expect(sent).toEqual([]);
  });

  it('sends unsigned only when asked, and never with credentials as well', async () => {
    const sent: Headers[] = [];
    const fetchStub = (async (_: string, init: RequestInit) => { sent.push(new Headers(init.headers)); return new Response('{}', { status: 403 }); }) as unknown as typeof fetch;
    const response = await new FunctionUrlClient({ url: URL, unsigned: true, retries: 0, fetch: fetchStub }).invoke({});
    expect(response.status).toBe(403);
    expect(sent[0].has('authorization')).toBe(false);
    expect(() => new FunctionUrlClient({ url: URL, unsigned: true, credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }) })).toThrow(/unsigned cannot be combined with credentials/);
  });
});
