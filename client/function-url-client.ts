import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { ClientOptionError, EXIT_CODES, FunctionUrlNetworkError } from './errors';
import { parseFunctionUrl } from './function-url';
import { LAMBDA_SERVICE, SignableRequest, signRequest } from './sigv4';

/**
 * Layer 3 of the client: sending. Signs every attempt afresh (new date, current credentials),
 * applies a timeout, retries 5xx / 429 / network errors with exponential backoff and full jitter,
 * and returns every HTTP answer (a 403 is an answer, not an exception) with its timing.
 */

export interface CredentialSource {
  getCredentials(): Promise<AwsCredentialIdentity>;
}

export interface FunctionUrlClientOptions {
  /** The function URL (the `function_url` output). */
  url: string;
  /** Where signing credentials come from; `undefined` sends unsigned requests. */
  credentials?: CredentialSource;
  /** @default the region in the URL's host; required for other hosts */
  region?: string;
  /** @default "lambda" */
  service?: string;
  /** Per attempt. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt for 5xx, 429 and network errors. @default 2 */
  retries?: number;
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
  /** Raw query string (no "?") or key -> value(s). */
  query?: string | Record<string, string | string[]>;
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
}

export interface InvokeResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json?: unknown;
  attempts: number;
  durationMs: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export class FunctionUrlClient {
  readonly url: URL;
  readonly region: string;
  private readonly service: string;

  constructor(private readonly options: FunctionUrlClientOptions) {
    const parts = parseFunctionUrl(options.url);
    this.url = parts.url;
    const region = options.region ?? parts.region;
    if (region === undefined) {
      throw new ClientOptionError('region', options.region, `must be given: the host ${parts.url.hostname} is not <url-id>.lambda-url.<region>.on.aws, so the signing region cannot be read from it`);
    }
    if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) throw new ClientOptionError('region', region, 'must be an AWS region such as us-east-1');
    this.region = region;
    this.service = options.service ?? LAMBDA_SERVICE;
    const timeout = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900_000) throw new ClientOptionError('timeoutMs', timeout, 'must be a whole number from 1 to 900000');
    const retries = options.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new ClientOptionError('retries', retries, 'must be a whole number from 0 to 10');
  }

  /** Builds the request's wire form (path and raw query) below the function URL. */
  target(request: InvokeRequest): { path: string; rawQuery: string } {
    const base = this.url.pathname.replace(/\/$/, '');
    const extra = request.path ?? '/';
    if (!extra.startsWith('/')) throw new ClientOptionError('path', extra, 'must start with "/"');
    const resolved = new URL(`${base}${extra}`, this.url.origin);
    let rawQuery = this.url.search.replace(/^\?/, '');
    const query = request.query;
    const more = query === undefined ? '' : typeof query === 'string' ? query.replace(/^\?/, '') : encodeQueryRecord(query);
    if (more !== '') rawQuery = rawQuery === '' ? more : `${rawQuery}&${more}`;
    return { path: resolved.pathname, rawQuery };
  }

  async invoke(request: InvokeRequest = {}): Promise<InvokeResponse> {
    const method = methodOf(request);
    if (!METHODS.includes(method)) throw new ClientOptionError('method', request.method, `must be one of ${METHODS.join(', ')}`);
    const { path, rawQuery } = this.target(request);
    const fetchImpl = this.options.fetch ?? fetch;
    const retries = this.options.retries ?? 2;
    const started = performance.now();
    let lastError: unknown;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      const wire = await this.prepare(method, path, rawQuery, request);
      try {
        const response = await fetchImpl(wire.url, {
          method,
          headers: wire.headers,
          body: wire.body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
          redirect: 'manual',
        });
        const body = Buffer.from(await response.arrayBuffer());
        if ((response.status >= 500 || response.status === 429) && attempt <= retries) {
          await this.backoff(attempt, response.headers.get('retry-after'));
          continue;
        }
        return toResponse(response, body, attempt, performance.now() - started);
      } catch (error) {
        lastError = error;
        if (attempt <= retries) {
          await this.backoff(attempt, null);
          continue;
        }
      }
    }
    const cause = lastError as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason = cause?.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs ?? 10_000} ms` : (cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? String(lastError));
    throw new FunctionUrlNetworkError(`Could not reach ${this.url.origin} after ${retries + 1} attempt(s): ${reason}`, { cause: lastError });
  }

  private async prepare(method: string, path: string, rawQuery: string, request: InvokeRequest) {
    const url = `${this.url.origin}${path}${rawQuery === '' ? '' : `?${rawQuery}`}`;
    const headerPairs: [string, string][] = request.headers === undefined ? [] : Array.isArray(request.headers) ? request.headers : Object.entries(request.headers);
    const source = this.options.credentials;
    if (source === undefined) {
      return { url, headers: headerPairs, body: request.body };
    }
    const credentials = await source.getCredentials();
    const signable: SignableRequest = {
      method,
      protocol: this.url.protocol as 'https:' | 'http:',
      hostname: this.url.hostname,
      port: this.url.port === '' ? undefined : Number(this.url.port),
      path,
      rawQuery,
      headers: headerPairs,
      body: request.body,
    };
    const signed = await signRequest(signable, credentials, { region: this.region, service: this.service });
    await this.options.onSigned?.(signed, credentials);
    // fetch sets Host itself, from the same URL, so the signed value is what goes on the wire.
    const headers = Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host');
    return { url, headers, body: request.body };
  }

  private async backoff(attempt: number, retryAfter: string | null): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const random = this.options.random ?? Math.random;
    const cap = Math.min(5000, 200 * 2 ** (attempt - 1));
    const fromHeader = retryAfter !== null && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, 20_000) : 0;
    await sleep(Math.max(fromHeader, Math.floor(random() * cap)));
  }
}

/** The method a request is sent with: as given, else POST with a body and GET without. */
export function methodOf(request: InvokeRequest): string {
  return (request.method ?? (request.body !== undefined ? 'POST' : 'GET')).toUpperCase();
}

function encodeQueryRecord(query: Record<string, string | string[]>): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(query)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${encode(key)}=${encode(v)}`))
    .join('&');
}

function toResponse(response: Response, body: Buffer, attempts: number, durationMs: number): InvokeResponse {
  const headers: Record<string, string> = {};
  // Repeated headers (Set-Cookie above all) are joined, never overwritten.
  response.headers.forEach((value, name) => (headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`));
  const text = body.toString('utf8');
  let json: unknown;
  if (/json/i.test(headers['content-type'] ?? '') || /^\s*[{[]/.test(text)) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers, body, text, json, attempts, durationMs };
}

/** Likely causes of a refusal, for people: the response's own message first. */
export function explainRefusal(response: InvokeResponse, context: { region: string; signed: boolean; temporary: boolean }): string[] {
  const own = (response.json as { Message?: string; message?: string } | undefined)?.Message ?? (response.json as { message?: string } | undefined)?.message ?? response.text.slice(0, 300);
  const errorType = response.headers['x-amzn-errortype'];
  const lines = [`The function URL answered ${response.status}${errorType ? ` (${errorType})` : ''}: ${own}`];
  if (response.status !== 403 && response.status !== 401) return lines;
  if (!context.signed) {
    lines.push('The request was not signed: an AWS_IAM function URL refuses every unsigned request.');
    return lines;
  }
  lines.push(
    'Likely causes:',
    '- The identity policy must allow BOTH lambda:InvokeFunctionUrl (lambda:FunctionUrlAuthType = AWS_IAM) and lambda:InvokeFunction (lambda:InvokedViaFunctionUrl = true) on this function; since October 2025 AWS checks both.',
    `- The signature must be for service "lambda" and region "${context.region}" (the function's region).`,
    "- This machine's clock must be within 5 minutes of AWS's (X-Amz-Date).",
    context.temporary
      ? '- Temporary credentials must be sent with their session token and must not have expired or been revoked.'
      : '- A long-lived IAM user key is refused unless that user may invoke the function; the invoker user may only assume the role.',
  );
  return lines;
}

export { EXIT_CODES };
