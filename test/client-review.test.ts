import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';

/**
 * Fresh-eyes review of the client: each test here failed before the fix it names.
 */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/**
 * A fetch whose answer has its whole body ready: the server never pauses. Like Node's fetch, an
 * abort of the request's signal errors the body (and drops what was not read yet).
 */
function fetchWithReadyBody(chunks: string[]): typeof fetch {
  return (async (_url: string, init: RequestInit) => {
    const pending = [...chunks];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
      },
      pull(controller) {
        const next = pending.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status: 200 });
  }) as unknown as typeof fetch;
}

describe('streaming: the idle timeout measures the server, not the reader', () => {
  it('a reader slower than the timeout (a pipe to a slow consumer, backpressure) still gets the whole body', async () => {
    // Before the fix the timer kept running while the reader held a chunk, so a slow stdout made a
    // healthy answer "break off" (exit 5).
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, timeoutMs: 50, retries: 0, fetch: fetchWithReadyBody(['first ', 'second ', 'third']) });
    const response = await client.invokeStreaming();
    const received: string[] = [];
    for await (const chunk of response.body) {
      received.push(Buffer.from(chunk).toString('utf8'));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(received.join('')).toBe('first second third');
  });

  it('a server that pauses longer than the timeout mid-body is still cut off', async () => {
    const fetchPausing = (async (_url: string, init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('first'));
          init.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
        },
      });
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const client = new FunctionUrlClient({ url: URL_OF_FUNCTION, credentials: { getCredentials: async () => KEY }, timeoutMs: 50, retries: 0, fetch: fetchPausing });
    const response = await client.invokeStreaming();
    const read = async () => {
      for await (const _ of response.body) void _;
    };
    await expect(read()).rejects.toThrow(/paused for more than its timeout/);
  });
});
