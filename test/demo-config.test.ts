import { describe, expect, it } from 'vitest';
import { InvalidPropError } from '../constructs';
import { readDemoConfig } from '../stacks/demo-config';

/** The demo's settings (stacks/demo-config.ts): environment variable, cdktf context, default. */

describe('bad demo settings are refused naming the variable', () => {
  it.each([
    [{ DEMO_REGION: 'Europe' }, 'DEMO_REGION', /AWS region name/],
    [{ DEMO_MAX_SESSION_DURATION: 'an hour' }, 'DEMO_MAX_SESSION_DURATION', /whole number/],
    [{ DEMO_MAX_SESSION_DURATION: '60' }, 'DEMO_MAX_SESSION_DURATION', /from 3600 to 43200/],
    [{ DEMO_BACKEND: 'gcs' }, 'DEMO_BACKEND', /one of local, s3/],
    [{ DEMO_BACKEND: 's3' }, 'DEMO_STATE_BUCKET', /is required when the backend is s3/],
    [{ DEMO_STATE_BUCKET: `b${'x'.repeat(5)}` }, 'DEMO_STATE_BUCKET', /only applies to the s3 backend/],
    [{ DEMO_LOG_RETENTION_DAYS: '10' }, 'DEMO_LOG_RETENTION_DAYS', /one of 1, 3, 5, 7, 14/],
    [{ DEMO_RUNTIME: 'python3.12' }, 'DEMO_RUNTIME', /one of nodejs20.x/],
    [{ DEMO_AWS_ENDPOINT: 'localhost:4566' }, 'DEMO_AWS_ENDPOINT', /http\(s\) URL/],
    [{ DEMO_EXTERNAL_ID: 'x' }, 'DEMO_EXTERNAL_ID', /2 to 1224/],
  ])('%j', (env, variable, rule) => {
    expect(() => readDemoConfig(env, () => undefined)).toThrow(InvalidPropError);
    expect(() => readDemoConfig(env, () => undefined)).toThrow(new RegExp(`${variable}.*${rule.source}`));
  });

  it('reads cdktf context when the variable is not set, and the variable wins over it', () => {
    const context = (key: string) => ({ region: 'eu-north-1', externalId: 'from-context' })[key];
    expect(readDemoConfig({}, context)).toMatchObject({ region: 'eu-north-1', externalId: 'from-context' });
    expect(readDemoConfig({ DEMO_REGION: 'ap-south-1' }, context).region).toBe('ap-south-1');
  });
});
