import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { type CredentialSource, type CredentialsInput, credentialSourceOf } from './credentials';
import { ClientOptionError, FunctionUrlNetworkError } from './errors';
import { parseFunctionUrl } from './function-url';
import { checkedHeaders } from './request-headers';
import {
  IdleTimer,
  type InvokeResponse,
  type StreamingResponse,
  TIMEOUT_NAME,
  bufferedResponse,
  networkReason,
  streamingResponse,
} from './responses';
import {
  LAMBDA_SERVICE,
  MAX_PRESIGN_SECONDS,
  type SignableRequest,
  SignatureFormatError,
  canonicalWirePath,
  canonicalWireQuery,
  formatQuery,
  presignRequest,
  presignedQuery,
  signRequest,
} from './sigv4';

/**
 * Layer 3 of the client: sending. Signs every attempt afresh (new date, current credentials),
 * applies a timeout, retries 5xx / 429 / network errors with exponential backoff and full jitter,
 * and returns every HTTP answer (a 403 is an answer, not an exception) with its timing.
 */

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
  /** Per attempt: until the response headers, then for each pause between body chunks; 1 to 900000. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt for 5xx, 429 and network errors; 0 to 10. @default 2 */
  retries?: number;
  /** `invoke()` reads at most this many body bytes and marks the response `truncated`. @default 10 MiB */
  maxBodyBytes?: number;
  /** For tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called with each signed request (to show what was signed); never log its secrets. */
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
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

export class FunctionUrlClient {
  readonly url: URL;
  readonly region: string;
  private readonly service: string;
  private readonly credentials?: CredentialSource;
  private readonly timeoutMs: number;
  private readonly retries: number;
  /** What `invoke()` reads of a body at most: `maxBodyBytes`, or its default. */
  readonly maxBodyBytes: number;

  constructor(private readonly options: FunctionUrlClientOptions) {
    const parts = parseFunctionUrl(options.url);
    this.url = parts.url;
    const region = options.region ?? parts.region;
    if (region === undefined) {
      throw new ClientOptionError(
        'region',
        options.region,
        `must be given: the host ${parts.url.hostname} is not <url-id>.lambda-url.<region>.on.aws (the url-id being 32 lower-case letters and digits), so the signing region cannot be read from it`,
      );
    }
    if (!REGION.test(region)) throw new ClientOptionError('region', region, 'must be an AWS region such as us-east-1');
    this.region = region;
    this.service = options.service ?? LAMBDA_SERVICE;
    if (options.unsigned === true && options.credentials !== undefined)
      throw new ClientOptionError('unsigned', true, 'cannot be combined with credentials: choose one');
    this.credentials = options.credentials === undefined ? undefined : credentialSourceOf(options.credentials);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > 900_000)
      throw new ClientOptionError('timeoutMs', this.timeoutMs, 'must be a whole number from 1 to 900000');
    this.retries = options.retries ?? DEFAULT_RETRIES;
    if (!Number.isInteger(this.retries) || this.retries < 0 || this.retries > 10)
      throw new ClientOptionError('retries', this.retries, 'must be a whole number from 0 to 10');
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(this.maxBodyBytes) || this.maxBodyBytes < 0)
      throw new ClientOptionError('maxBodyBytes', this.maxBodyBytes, 'must be a whole number of bytes, 0 or more');
  }

  /**
   * The request's wire form below the function URL: path and query in their canonical RFC 3986
   * encoding, which is also what is signed.
   */
  target(request: Pick<InvokeRequest, 'path' | 'query'>): { path: string; rawQuery: string } {
    const base = this.url.pathname.replace(/\/$/, '');
    const extra = request.path ?? '/';
    if (typeof extra !== 'string' || !extra.startsWith('/')) throw new ClientOptionError('path', extra, 'must start with "/"');
    if (/[?#]/.test(extra))
      throw new ClientOptionError(
        'path',
        extra,
        'must not contain "?" or "#": give the query as `query`, and percent-encode a literal ? or # (%3F, %23)',
      );
    // Joined as text, not resolved against the origin: a path "//x" is a path, not a host.
    const resolved = new URL(`${this.url.origin}${base}${extra}`);
    const query = request.query;
    let more: string;
    try {
      more =
        query === undefined
          ? ''
          : typeof query === 'string'
            ? canonicalWireQuery(query.replace(/^\?/, ''))
            : formatQuery(Array.isArray(query) ? query : queryRecordPairs(query));
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
    const chunks: Uint8Array[] = [];
    let length = 0;
    let truncated = false;
    for await (const chunk of response.body) {
      if (length + chunk.length > this.maxBodyBytes) {
        chunks.push(chunk.subarray(0, this.maxBodyBytes - length));
        length = this.maxBodyBytes;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      length += chunk.length;
    }
    if (truncated) await response.cancel();
    return bufferedResponse(response, Buffer.concat(chunks, length), truncated, performance.now() - started);
  }

  /**
   * Sends the request and returns as soon as the headers arrive; the body is read as it comes
   * (nothing is buffered). Retries happen before any body is handed out.
   */
  async invokeStreaming(request: InvokeRequest = {}): Promise<StreamingResponse> {
    const method = checkedMethod(request);
    const { path, rawQuery } = this.target(request);
    const headerPairs = checkedHeaders(request.headers);
    const fetchImpl = this.options.fetch ?? fetch;
    const started = performance.now();
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      const wire = await this.prepare(method, path, rawQuery, headerPairs, request.body);
      const controller = new AbortController();
      const timer = new IdleTimer(this.timeoutMs, () =>
        controller.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, TIMEOUT_NAME)),
      );
      try {
        const response = await fetchImpl(wire.url, {
          method,
          headers: wire.headers,
          body: wire.body,
          signal: controller.signal,
          redirect: 'manual',
        });
        if ((response.status >= 500 || response.status === 429) && attempt <= this.retries) {
          timer.stop();
          await response.body?.cancel().catch(() => undefined);
          await this.backoff(attempt, response.headers.get('retry-after'));
          continue;
        }
        return streamingResponse(response, attempt, performance.now() - started, timer, controller, this.url.origin);
      } catch (error) {
        timer.stop();
        lastError = error;
        if (attempt <= this.retries) {
          await this.backoff(attempt, null);
        }
      }
    }
    throw new FunctionUrlNetworkError(
      `Could not reach ${this.url.origin} after ${this.retries + 1} attempt(s): ${networkReason(lastError, this.timeoutMs)}`,
      { cause: lastError },
    );
  }

  /**
   * A presigned URL (SigV4 query-string authentication, service "lambda"): whoever holds it can
   * make this one request until it expires, with no credentials of their own: a bearer credential.
   */
  async presign(request: PresignRequest): Promise<PresignedUrl> {
    const expiresIn = request.expiresInSeconds;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new ClientOptionError(
        'expiresInSeconds',
        expiresIn,
        `must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (SigV4's limit for presigned URLs)`,
      );
    }
    if (this.credentials === undefined) throw new ClientOptionError('credentials', undefined, 'are required to presign a URL');
    const method = checkedMethod(request);
    const { path, rawQuery } = this.target(request);
    const credentials = await this.credentials.getCredentials({ validForSeconds: expiresIn });
    const signingDate = request.signingDate ?? new Date();
    if (credentials.expiration !== undefined) {
      const remaining = Math.floor((credentials.expiration.getTime() - signingDate.getTime()) / 1000);
      if (expiresIn > remaining) {
        throw new ClientOptionError(
          'expiresInSeconds',
          expiresIn,
          `must be at most the remaining life of the credentials (${Math.max(remaining, 0)} s, until ${credentials.expiration.toISOString()}): AWS refuses a presigned URL once the session that signed it has expired`,
        );
      }
    }
    const signed = await presignRequest(this.signable(method, path, rawQuery, request.body), credentials, {
      region: this.region,
      service: this.service,
      expiresInSeconds: expiresIn,
      signingDate,
    });
    return {
      url: `${this.url.origin}${path}?${presignedQuery(signed.query ?? {})}`,
      method,
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
    };
  }

  private signable(
    method: string,
    path: string,
    rawQuery: string,
    body: string | Uint8Array | undefined,
    headers?: [string, string][],
  ): SignableRequest {
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

  private async prepare(
    method: string,
    path: string,
    rawQuery: string,
    headerPairs: [string, string][],
    body: string | Uint8Array | undefined,
  ) {
    const url = `${this.url.origin}${path}${rawQuery === '' ? '' : `?${rawQuery}`}`;
    if (this.credentials === undefined) {
      if (this.options.unsigned !== true) {
        throw new ClientOptionError(
          'credentials',
          undefined,
          'are required to send a request: pass AssumeRoleCredentials, heldCredentials() or a credential provider function, or unsigned: true to send it without a signature (an AWS_IAM function URL answers 403)',
        );
      }
      return { url, headers: headerPairs, body };
    }
    const credentials = await this.credentials.getCredentials();
    const signed = await signRequest(this.signable(method, path, rawQuery, body, headerPairs), credentials, {
      region: this.region,
      service: this.service,
    });
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

/** Presigns one request to a function URL; see `FunctionUrlClient.presign`. */
export function presignUrl(
  options: Pick<FunctionUrlClientOptions, 'url' | 'region' | 'service'> & { credentials: CredentialsInput } & PresignRequest,
): Promise<PresignedUrl> {
  const { url, region, service, credentials, ...request } = options;
  return new FunctionUrlClient({ url, region, service, credentials }).presign(request);
}

/** The method a request is sent with: as given, else POST with a body and GET without. */
export function methodOf(request: Pick<InvokeRequest, 'method' | 'body'>): string {
  return (request.method ?? (request.body !== undefined ? 'POST' : 'GET')).toUpperCase();
}

function checkedMethod(request: Pick<InvokeRequest, 'method' | 'body'>): string {
  const method = methodOf(request);
  if (!METHODS.includes(method)) throw new ClientOptionError('method', request.method, `must be one of ${METHODS.join(', ')}`);
  return method;
}

function queryRecordPairs(query: Record<string, string | string[]>): [string, string][] {
  return Object.entries(query).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [key, v]));
}
