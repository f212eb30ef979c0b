import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';
import { ClientOptionError, EXIT_CODES, FunctionUrlNetworkError } from './errors';
import { parseFunctionUrl } from './function-url';
import { LAMBDA_SERVICE, MAX_PRESIGN_SECONDS, SignableRequest, SignatureFormatError, canonicalWirePath, canonicalWireQuery, formatQuery, presignRequest, presignedQuery, signRequest } from './sigv4';

/**
 * Layer 3 of the client: sending. Signs every attempt afresh (new date, current credentials),
 * applies a timeout, retries 5xx / 429 / network errors with exponential backoff and full jitter,
 * and returns every HTTP answer (a 403 is an answer, not an exception) with its timing.
 */

export interface CredentialSource {
  /** `validForSeconds`: a source that can renew its session (AssumeRoleCredentials) returns one that lasts that long if it can. */
  getCredentials(options?: { validForSeconds?: number }): Promise<AwsCredentialIdentity>;
}

/**
 * Anything that yields signing credentials: an `AssumeRoleCredentials`, or a provider function of
 * the AWS SDK (`fromNodeProviderChain()`, `fromIni({ profile })`, …), which refreshes itself.
 */
export type CredentialsInput = CredentialSource | AwsCredentialIdentityProvider;

export function credentialSourceOf(input: CredentialsInput): CredentialSource {
  return typeof input === 'function' ? { getCredentials: () => input() } : input;
}

export interface FunctionUrlClientOptions {
  /** The function URL (the `function_url` output). */
  url: string;
  /**
   * Where signing credentials come from. Required to send a request unless `unsigned` is true: a
   * forgotten option must not quietly turn into unsigned calls.
   */
  credentials?: CredentialsInput;
  /** Send requests without a signature (only to show that an AWS_IAM URL refuses them). @default false */
  unsigned?: boolean;
  /** @default the region in the URL's host; required for other hosts */
  region?: string;
  /** @default "lambda" */
  service?: string;
  /** Per attempt: until the response headers, then for each pause between body chunks. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt for 5xx, 429 and network errors. @default 2 */
  retries?: number;
  /** `invoke()` reads at most this many body bytes and marks the response `truncated`. @default 10 MiB */
  maxBodyBytes?: number;
  /** For tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called with each signed request (for --verbose); never log its secrets. */
  onSigned?: (request: HttpRequest, credentials: AwsCredentialIdentity) => void | Promise<void>;
}

export interface InvokeRequest {
  method?: string;
  /** Path below the URL's own path, e.g. "/orders/42". @default "/" */
  path?: string;
  /**
   * Raw query string (no "?"), key -> value(s), or pairs. In a raw string a `+` is a space (form
   * encoding, as the AWS SDK for JavaScript v3 reads it) and `%2B` is a plus; it is sent
   * re-encoded as RFC 3986 (`%20`, `%2B`) so the server reads exactly what was signed.
   */
  query?: string | Record<string, string | string[]> | [string, string][];
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
}

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

export interface PresignRequest {
  method?: string;
  path?: string;
  query?: InvokeRequest['query'];
  body?: string | Uint8Array;
  /** 1 to 604800 (SigV4's limit), and at most the remaining life of temporary credentials. */
  expiresInSeconds: number;
  /** For tests. @default now */
  signingDate?: Date;
}

export interface PresignedUrl {
  url: string;
  method: string;
  expiresAt: Date;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const TIMEOUT_NAME = 'TimeoutError';

export class FunctionUrlClient {
  readonly url: URL;
  readonly region: string;
  private readonly service: string;
  private readonly credentials?: CredentialSource;

  constructor(private readonly options: FunctionUrlClientOptions) {
    const parts = parseFunctionUrl(options.url);
    this.url = parts.url;
    const region = options.region ?? parts.region;
    if (region === undefined) {
      throw new ClientOptionError('region', options.region, `must be given: the host ${parts.url.hostname} is not <url-id>.lambda-url.<region>.on.aws (the url-id being 32 lower-case letters and digits), so the signing region cannot be read from it`);
    }
    if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) throw new ClientOptionError('region', region, 'must be an AWS region such as us-east-1');
    this.region = region;
    this.service = options.service ?? LAMBDA_SERVICE;
    if (options.unsigned === true && options.credentials !== undefined) throw new ClientOptionError('unsigned', true, 'cannot be combined with credentials: choose one');
    this.credentials = options.credentials === undefined ? undefined : credentialSourceOf(options.credentials);
    const timeout = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900_000) throw new ClientOptionError('timeoutMs', timeout, 'must be a whole number from 1 to 900000');
    const retries = options.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new ClientOptionError('retries', retries, 'must be a whole number from 0 to 10');
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new ClientOptionError('maxBodyBytes', maxBodyBytes, 'must be a whole number of bytes, 0 or more');
  }

  /**
   * The request's wire form below the function URL: path and query in their canonical RFC 3986
   * encoding, which is also what is signed.
   */
  target(request: Pick<InvokeRequest, 'path' | 'query'>): { path: string; rawQuery: string } {
    const base = this.url.pathname.replace(/\/$/, '');
    const extra = request.path ?? '/';
    if (typeof extra !== 'string' || !extra.startsWith('/')) throw new ClientOptionError('path', extra, 'must start with "/"');
    if (/[?#]/.test(extra)) throw new ClientOptionError('path', extra, 'must not contain "?" or "#": give the query as query (--query), and percent-encode a literal ? or # (%3F, %23)');
    // Joined as text, not resolved against the origin: a path "//x" is a path, not a host.
    const resolved = new URL(`${this.url.origin}${base}${extra}`);
    const query = request.query;
    let more: string;
    try {
      more = query === undefined ? '' : typeof query === 'string' ? canonicalWireQuery(query.replace(/^\?/, '')) : formatQuery(Array.isArray(query) ? query : queryRecordPairs(query));
    } catch (error) {
      throw new ClientOptionError('query', query, `must be a valid query string: ${(error as Error).message}`);
    }
    let rawQuery: string;
    let path: string;
    try {
      rawQuery = canonicalWireQuery(this.url.search.replace(/^\?/, ''));
      path = canonicalWirePath(resolved.pathname);
    } catch (error) {
      if (!(error instanceof SignatureFormatError)) throw error;
      throw new ClientOptionError('path', `${resolved.pathname}${this.url.search}`, `must be validly percent-encoded: ${error.message}`);
    }
    if (more !== '') rawQuery = rawQuery === '' ? more : `${rawQuery}&${more}`;
    return { path, rawQuery };
  }

  /** Sends the request and reads the answer, at most `maxBodyBytes` of its body. */
  async invoke(request: InvokeRequest = {}): Promise<InvokeResponse> {
    const started = performance.now();
    const response = await this.invokeStreaming(request);
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const chunks: Uint8Array[] = [];
    let length = 0;
    let truncated = false;
    for await (const chunk of response.body) {
      if (length + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - length));
        length = limit;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      length += chunk.length;
    }
    if (truncated) await response.cancel();
    return toResponse(response, Buffer.concat(chunks, length), truncated, performance.now() - started);
  }

  /**
   * Sends the request and returns as soon as the headers arrive; the body is read as it comes
   * (nothing is buffered). Retries happen before any body is handed out.
   */
  async invokeStreaming(request: InvokeRequest = {}): Promise<StreamingResponse> {
    const method = methodOf(request);
    if (!METHODS.includes(method)) throw new ClientOptionError('method', request.method, `must be one of ${METHODS.join(', ')}`);
    const { path, rawQuery } = this.target(request);
    // Checked before any call (STS included), so a bad header costs nothing.
    const headerPairs = checkedHeaders(request.headers);
    const fetchImpl = this.options.fetch ?? fetch;
    const retries = this.options.retries ?? 2;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const started = performance.now();
    let lastError: unknown;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      const wire = await this.prepare(method, path, rawQuery, headerPairs, request.body);
      const controller = new AbortController();
      const timer = new IdleTimer(timeoutMs, () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, TIMEOUT_NAME)));
      try {
        const response = await fetchImpl(wire.url, { method, headers: wire.headers, body: wire.body, signal: controller.signal, redirect: 'manual' });
        if ((response.status >= 500 || response.status === 429) && attempt <= retries) {
          timer.stop();
          await response.body?.cancel().catch(() => undefined);
          await this.backoff(attempt, response.headers.get('retry-after'));
          continue;
        }
        return streamingResponse(response, attempt, performance.now() - started, timer, controller, this.url.origin);
      } catch (error) {
        timer.stop();
        lastError = error;
        if (attempt <= retries) {
          await this.backoff(attempt, null);
          continue;
        }
      }
    }
    throw new FunctionUrlNetworkError(`Could not reach ${this.url.origin} after ${retries + 1} attempt(s): ${networkReason(lastError, timeoutMs)}`, { cause: lastError });
  }

  /**
   * A presigned URL (SigV4 query-string authentication, service "lambda"): whoever holds it can
   * make this one request until it expires, with no credentials of their own: a bearer credential.
   */
  async presign(request: PresignRequest): Promise<PresignedUrl> {
    const expiresIn = request.expiresInSeconds;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new ClientOptionError('expiresInSeconds', expiresIn, `must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (SigV4's limit for presigned URLs)`);
    }
    if (this.credentials === undefined) throw new ClientOptionError('credentials', undefined, 'are required to presign a URL');
    const method = methodOf(request);
    if (!METHODS.includes(method)) throw new ClientOptionError('method', request.method, `must be one of ${METHODS.join(', ')}`);
    const { path, rawQuery } = this.target(request);
    const credentials = await this.credentials.getCredentials({ validForSeconds: expiresIn });
    const signingDate = request.signingDate ?? new Date();
    if (credentials.expiration !== undefined) {
      const remaining = Math.floor((credentials.expiration.getTime() - signingDate.getTime()) / 1000);
      if (expiresIn > remaining) {
        throw new ClientOptionError('expiresInSeconds', expiresIn, `must be at most the remaining life of the credentials (${Math.max(remaining, 0)} s, until ${credentials.expiration.toISOString()}): AWS refuses a presigned URL once the session that signed it has expired`);
      }
    }
    const signed = await presignRequest(this.signable(method, path, rawQuery, request.body), credentials, { region: this.region, service: this.service, expiresInSeconds: expiresIn, signingDate });
    return { url: `${this.url.origin}${path}?${presignedQuery(signed.query ?? {})}`, method, expiresAt: new Date(signingDate.getTime() + expiresIn * 1000) };
  }

  private signable(method: string, path: string, rawQuery: string, body: string | Uint8Array | undefined, headers?: [string, string][]): SignableRequest {
    return {
      method,
      protocol: this.url.protocol as 'https:' | 'http:',
      hostname: this.url.hostname,
      port: this.url.port === '' ? undefined : Number(this.url.port),
      path,
      rawQuery,
      headers,
      body,
    };
  }

  private async prepare(method: string, path: string, rawQuery: string, headerPairs: [string, string][], body: string | Uint8Array | undefined) {
    const url = `${this.url.origin}${path}${rawQuery === '' ? '' : `?${rawQuery}`}`;
    if (this.credentials === undefined) {
      if (this.options.unsigned !== true) {
        throw new ClientOptionError('credentials', undefined, 'are required to send a request: pass AssumeRoleCredentials, heldCredentials() or a credential provider function, or unsigned: true to send it without a signature (an AWS_IAM function URL answers 403)');
      }
      return { url, headers: headerPairs, body };
    }
    const credentials = await this.credentials.getCredentials();
    const signed = await signRequest(this.signable(method, path, rawQuery, body, headerPairs), credentials, { region: this.region, service: this.service });
    await this.options.onSigned?.(signed, credentials);
    // fetch sets Host itself, from the same URL, so the signed value is what goes on the wire.
    const headers = Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host');
    return { url, headers, body };
  }

  private async backoff(attempt: number, retryAfter: string | null): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const random = this.options.random ?? Math.random;
    const cap = Math.min(5000, 200 * 2 ** (attempt - 1));
    const fromHeader = retryAfter !== null && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, 20_000) : 0;
    await sleep(Math.max(fromHeader, Math.floor(random() * cap)));
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers the signer writes: a caller's copy in another letter case went out beside the signer's
 * (`X-Amz-Security-Token: a, <token>` -> 403 InvalidClientTokenId) and a caller's
 * x-amz-content-sha256 was signed in place of the body's hash (403 SignatureDoesNotMatch), so the
 * call failed with a misleading "authorization failure" instead of a usage error.
 */
const SIGNER_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);
/**
 * Headers Node's fetch (undici 6, Node 20) owns: it throws UND_ERR_INVALID_ARG / NOT_SUPPORTED for
 * transfer-encoding, keep-alive, upgrade and expect (seen as a "network failure", retried, exit 5),
 * drops or recomputes content-length, and overwrites sec-fetch-mode after signing (403).
 */
const TRANSPORT_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'sec-fetch-mode']);

/**
 * Header pairs as they will be sent, checked first so a bad one is a usage error naming it and
 * not a TypeError from fetch. `__proto__` is refused: Node's fetch (undici) silently drops a
 * header of that name, so the request would arrive without a header it was signed with.
 */
function checkedHeaders(headers: InvokeRequest['headers']): [string, string][] {
  const pairs: [string, string][] = headers === undefined ? [] : Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) throw new ClientOptionError('header name', name, "must be an HTTP token (letters, digits and !#$%&'*+.^_`|~-)");
    if (name.toLowerCase() === 'host') throw new ClientOptionError('header name', name, 'cannot be set: fetch sends the Host of the URL, and that is the one signed');
    if (name === '__proto__') throw new ClientOptionError('header name', name, "cannot be sent: Node's fetch drops a header of that name, so the signature would not match");
    if (SIGNER_HEADERS.has(name.toLowerCase())) throw new ClientOptionError('header name', name, 'cannot be set: the SigV4 signer writes it for every attempt');
    if (TRANSPORT_HEADERS.has(name.toLowerCase())) throw new ClientOptionError('header name', name, "cannot be set: Node's fetch sets or refuses it itself, so the signed value would not be the one sent");
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new ClientOptionError(`header ${name}`, value, 'must be a string without CR, LF or NUL');
    // Node's fetch throws a TypeError above U+00FF and refuses DEL and control characters (both seen
    // as network failures, retried, exit 5), and sends U+0080-U+00FF as one Latin-1 byte where the
    // signature hashed its UTF-8 (403). The value itself is not shown: a header may carry a token.
    const odd = /[^\t\x20-\x7e]/.exec(value);
    if (odd !== null) {
      const code = odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new ClientOptionError(`header ${name}`, undefined, `must be printable ASCII (and tab): the character at index ${odd.index} is U+${code}; encode other text (e.g. percent-encoding or base64)`);
    }
  }
  return pairs;
}

/** Presigns one request to a function URL; see `FunctionUrlClient.presign`. */
export function presignUrl(options: Pick<FunctionUrlClientOptions, 'url' | 'region' | 'service'> & { credentials: CredentialsInput } & PresignRequest): Promise<PresignedUrl> {
  const { url, region, service, credentials, ...request } = options;
  return new FunctionUrlClient({ url, region, service, credentials }).presign(request);
}

/** The method a request is sent with: as given, else POST with a body and GET without. */
export function methodOf(request: Pick<InvokeRequest, 'method' | 'body'>): string {
  return (request.method ?? (request.body !== undefined ? 'POST' : 'GET')).toUpperCase();
}

/** Aborts when `ms` pass without a `touch()`: a deadline for the headers, then for each pause in the body. */
class IdleTimer {
  private handle?: NodeJS.Timeout;
  constructor(private readonly ms: number, private readonly onIdle: () => void) {
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

function networkReason(error: unknown, timeoutMs: number): string {
  const cause = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (cause?.name === TIMEOUT_NAME) return `no answer within ${timeoutMs} ms`;
  return cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? String(error);
}

function streamingResponse(response: Response, attempts: number, durationMs: number, timer: IdleTimer, controller: AbortController, origin: string): StreamingResponse {
  const headers: Record<string, string> = Object.create(null);
  // Repeated headers (Set-Cookie above all) are joined, never overwritten.
  response.headers.forEach((value, name) => (headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`));
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
      const reason = (error as { name?: string }).name === TIMEOUT_NAME ? `the answer paused for more than its timeout: ${(error as Error).message}` : networkReason(error, 0);
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

function queryRecordPairs(query: Record<string, string | string[]>): [string, string][] {
  return Object.entries(query).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [key, v]));
}

function toResponse(response: StreamingResponse, body: Buffer, truncated: boolean, durationMs: number): InvokeResponse {
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

/**
 * Text from the answer as it may be shown on a terminal: control characters (ESC above all, which
 * lets a hostile or spoofed server rewrite the screen or the title) become "?".
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Likely causes of a refusal, for people: the response's own message first (its control characters shown as "?"). */
export function explainRefusal(response: InvokeResponse, context: { region: string; signed: boolean; temporary: boolean }): string[] {
  const body = response.json as { Message?: unknown; message?: unknown } | undefined;
  const message = [body?.Message, body?.message].find((m): m is string => typeof m === 'string');
  const own = printable((message ?? response.text).slice(0, 300));
  const errorType = response.headers['x-amzn-errortype'] === undefined ? undefined : printable(response.headers['x-amzn-errortype']);
  const lines = [`The function URL answered ${response.status}${errorType ? ` (${errorType})` : ''}: ${own}`];
  if (response.status !== 403 && response.status !== 401) return lines;
  if (!context.signed) {
    lines.push('The request was not signed: an AWS_IAM function URL refuses every unsigned request.');
    return lines;
  }
  lines.push(
    'Likely causes:',
    '- The identity policy must allow BOTH lambda:InvokeFunctionUrl (lambda:FunctionUrlAuthType = AWS_IAM) and lambda:InvokeFunction (lambda:InvokedViaFunctionUrl = true) on this function; since October 2025 AWS checks both.',
    `- The request was signed for service "lambda" and region "${context.region}"; that must be the region the function is in (a function URL's host names it: <id>.lambda-url.<region>.on.aws).`,
    "- This machine's clock must be within 5 minutes of AWS's (X-Amz-Date).",
    context.temporary
      ? '- Temporary credentials must be sent with their session token and must not have expired or been revoked.'
      : '- A long-lived IAM user key is refused unless that user may invoke the function; the invoker user may only assume the role.',
  );
  return lines;
}

export { EXIT_CODES };
