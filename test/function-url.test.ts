import { describe, expect, it } from 'vitest';
import { FunctionUrlClient } from '../client/function-url-client';
import { parseFunctionUrl } from '../client/function-url';
import { STATIC_KEY } from './support/static-profile';

/** A function URL: https://<url-id>.lambda-url.<region>.on.aws/ (Lambda developer guide, "Lambda function URLs"). */

const URL_OF_FUNCTION = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';

describe('parseFunctionUrl', () => {
  it('reads the url-id and the region from an AWS host; any other host has neither', () => {
    expect(parseFunctionUrl(URL_OF_FUNCTION)).toMatchObject({ urlId: 'abcdefghijklmnopqrstuvwxyz012345', region: 'us-east-1' });
    const other = parseFunctionUrl('http://127.0.0.1:9/lambda-url/x/');
    expect([other.url.href, other.urlId, other.region]).toEqual(['http://127.0.0.1:9/lambda-url/x/', undefined, undefined]);
  });

  it('an AWS function URL over plain http is refused as option url', () => {
    expect(() => parseFunctionUrl('http://abcdefghijabcdefghijabcdefghij12.lambda-url.eu-west-1.on.aws/')).toThrow(
      /^url must use https: AWS function URLs are https:\/\/<url-id>\.lambda-url\.<region>\.on\.aws/,
    );
  });
});

describe('a presigned URL given as the function URL', () => {
  const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKENvalue0123456789';
  const presigned = `${URL_OF_FUNCTION}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Security-Token=${TOKEN}&X-Amz-SignedHeaders=host&X-Amz-Signature=${'a'.repeat(64)}`;

  it('is a usage error, naming the parameters and not their values (AWS refuses two SigV4 authentications in one request)', () => {
    expect(() => new FunctionUrlClient({ url: presigned, credentials: { getCredentials: async () => STATIC_KEY } })).toThrow(
      /not a presigned URL \(it has X-Amz-Algorithm, X-Amz-Credential, X-Amz-Security-Token, X-Amz-Signature/,
    );
    let error: unknown;
    try {
      new FunctionUrlClient({ url: presigned, unsigned: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'invalid-option', option: 'url', value: undefined });
    expect((error as Error).message).toMatch(/presigned URL/);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});
