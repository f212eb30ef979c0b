import { FunctionUrlNetworkError } from './errors';

/**
 * What a function URL answered: the streaming form (`invokeStreaming`), the buffered form
 * (`invoke`), and the timer that bounds both while the body arrives.
 */

export interface InvokeResponse {
  status: number;
  /** Response headers (null prototype; a repeated header is joined with ", "). */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The parsed body when it is JSON (and complete), else undefined. */
  json?: unknown;
  /** The body had more than `maxBodyBytes`; `body` holds the first `maxBodyBytes`. */
  truncated: boolean;
  attempts: number;
  durationMs: number;
}

/** An answer whose body has not been read: iterate `body` once, or `cancel()` it. */
export interface StreamingResponse {
  status: number;
  headers: Record<string, string>;
  attempts: number;
  /** Until the response headers arrived. */
  durationMs: number;
  body: AsyncIterable<Uint8Array>;
  cancel(): Promise<void>;
}

export const TIMEOUT_NAME = 'TimeoutError';

/** Aborts when `ms` pass without a `touch()`: a deadline for the headers, then for each pause in the body. */
export class IdleTimer {
  private handle?: NodeJS.Timeout;
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.touch();
  }
  touch(): void {
    this.stop();
    // Unref'd: a response nobody reads must not keep the process alive for the timeout.
    this.handle = setTimeout(this.onIdle, this.ms).unref();
  }
  stop(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

export function networkReason(error: unknown, timeoutMs: number): string {
  const cause = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (cause?.name === TIMEOUT_NAME) return `no answer within ${timeoutMs} ms`;
  return cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? String(error);
}

/** The fetch answer as a StreamingResponse whose body is bounded by `timer` and read once. */
export function streamingResponse(
  response: Response,
  attempts: number,
  durationMs: number,
  timer: IdleTimer,
  controller: AbortController,
  origin: string,
): StreamingResponse {
  const headers: Record<string, string> = Object.create(null);
  // Repeated headers (Set-Cookie above all) are joined, never overwritten.
  response.headers.forEach((value, name) => {
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  });
  let consumed = false;
  const stream = response.body;
  if (stream === null) timer.stop();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (consumed) throw new Error('the response body can be read once');
    consumed = true;
    if (stream === null) return;
    try {
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
        // The timeout measures the server: while the reader holds a chunk (a slow stdout pipe
        // applying backpressure) it is stopped, else a healthy answer would "break off".
        timer.stop();
        yield chunk;
        timer.touch();
      }
    } catch (error) {
      const reason =
        (error as { name?: string }).name === TIMEOUT_NAME
          ? `the answer paused for more than its timeout: ${(error as Error).message}`
          : networkReason(error, 0);
      throw new FunctionUrlNetworkError(`The answer from ${origin} broke off: ${reason}`, { cause: error });
    } finally {
      timer.stop();
    }
  }
  return {
    status: response.status,
    headers,
    attempts,
    durationMs,
    body: { [Symbol.asyncIterator]: chunks },
    cancel: async () => {
      timer.stop();
      consumed = true;
      controller.abort();
      await stream?.cancel().catch(() => undefined);
    },
  };
}

/**
 * A streamed answer with (the first bytes of) its body, as `invoke()` returns it: the text, and the
 * parsed JSON when the body is complete and JSON (by its content type, or by its first character).
 */
export function bufferedResponse(
  response: Pick<StreamingResponse, 'status' | 'headers' | 'attempts'>,
  body: Buffer,
  truncated: boolean,
  durationMs: number,
): InvokeResponse {
  const text = body.toString('utf8');
  let json: unknown;
  if (!truncated && (/json/i.test(response.headers['content-type'] ?? '') || /^\s*[{[]/.test(text))) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, body, text, json, truncated, attempts: response.attempts, durationMs };
}
