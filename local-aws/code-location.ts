import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Answer } from './dispatch';
import type { World } from './world';
import type { LambdaFunctionState } from './world-state';
import { el } from './xml';

/**
 * GetFunction's `Code.Location`: on AWS a presigned S3 URL of the deployment package, valid for 10
 * minutes ("a presigned URL that you can use to download the deployment package", Lambda API
 * reference, FunctionCodeLocation). Here the stand-in serves the zip itself at
 * `/_local/code/<function>`, with S3's query fields (`X-Amz-Date`, `X-Amz-Expires`,
 * `X-Amz-Signature`): an HMAC under a key of this process over the function, its code's hash and
 * the time, so a URL is good for that code only, for 10 minutes, and cannot be made up or extended.
 * Refusals are S3's (403 AccessDenied / SignatureDoesNotMatch, 404 NoSuchKey, as XML).
 */

export const CODE_PREFIX = '/_local/code/';
/** Lambda's Code.Location is valid for 10 minutes. */
const EXPIRES_SECONDS = 600;
const KEY = randomBytes(32);

export function codeLocation(urlBase: string, fn: LambdaFunctionState, now: Date): string {
  const date = amzDate(now);
  const query = new URLSearchParams({
    'X-Amz-Date': date,
    'X-Amz-Expires': String(EXPIRES_SECONDS),
    'X-Amz-Signature': signature(fn.name, fn.codeSha256, date, EXPIRES_SECONDS),
  });
  return `${urlBase}${CODE_PREFIX}${encodeURIComponent(fn.name)}?${query}`;
}

/** Answers a GET of a Code.Location URL: the zip, or S3's refusal. */
export function serveCode(world: World, rawPath: string, rawQuery: string, now: Date): Answer {
  let name: string;
  try {
    name = decodeURIComponent(rawPath.slice(CODE_PREFIX.length));
  } catch {
    return s3Error(400, 'InvalidURI', 'Couldn\u2019t parse the specified URI.');
  }
  const query = new URLSearchParams(rawQuery);
  const date = query.get('X-Amz-Date') ?? '';
  const expires = Number(query.get('X-Amz-Expires'));
  const given = query.get('X-Amz-Signature') ?? '';
  const signedAt = parseAmzDate(date);
  if (signedAt === undefined || !Number.isInteger(expires) || !/^[0-9a-f]{64}$/.test(given))
    return s3Error(
      403,
      'AccessDenied',
      'Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters',
    );
  const fn = world.state.functions[name];
  const expected = fn === undefined ? undefined : signature(fn.name, fn.codeSha256, date, expires);
  if (fn === undefined || expected === undefined || !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex')))
    // A URL of replaced or deleted code no longer matches: S3 would not find that object version.
    return fn === undefined
      ? s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
      : s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  if (now.getTime() > signedAt.getTime() + expires * 1000) return s3Error(403, 'AccessDenied', 'Request has expired');
  const zip = Buffer.from(fn.zipBase64, 'base64');
  return { status: 200, headers: { 'content-type': 'application/zip', 'content-length': String(zip.length) }, body: zip };
}

function signature(name: string, codeSha256: string, date: string, expires: number): string {
  return createHmac('sha256', KEY).update(`${name}\n${codeSha256}\n${date}\n${expires}`).digest('hex');
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m === null ? undefined : new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function s3Error(status: number, code: string, message: string): Answer {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${el('Error', [el('Code', code), el('Message', message)])}`,
  };
}
