import { describe, expect, it } from 'vitest';
import { signRequest } from '../client/sigv4';
import { DEFAULT_ADMIN_KEY } from '../local-aws/server';
import { type SeededWorld, callApi, logs, rawSend } from './support/local-aws-fixtures';
import { useSeededWorld } from './support/seeded-world-hooks';

/** CloudWatch Logs over JSON 1.1 (local-aws/logs-api.ts): log groups, their retention and tags. */

let world: SeededWorld;

useSeededWorld((seeded) => {
  world = seeded;
});

const account = () => world.local.world.accountId;

describe('tags', () => {
  it("a group ARN of another account or region is not this account's group of the same name", async () => {
    expect((await logs(world.local, 'CreateLogGroup', { logGroupName: '/test/foreign' })).status).toBe(200);
    for (const arn of [
      'arn:aws:logs:us-east-1:999999999999:log-group:/test/foreign',
      'arn:aws:logs:eu-west-1:123456789012:log-group:/test/foreign:*',
    ]) {
      const r = await logs(world.local, 'TagResource', { resourceArn: arn, tags: { owner: 'someone-else' } });
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain('ResourceNotFoundException');
    }
    expect(world.local.world.state.logGroups['/test/foreign'].tags.owner).toBeUndefined();
    const own = await logs(world.local, 'TagResource', {
      resourceArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/test/foreign:*',
      tags: { owner: 'me' },
    });
    expect(own.status, own.text).toBe(200);
  });

  it('log group tags named __proto__ and constructor are stored and listed as data', async () => {
    const name = '/proto/tags';
    expect((await logs(world.local, 'CreateLogGroup', { logGroupName: name })).status).toBe(200);
    const arn = `arn:aws:logs:us-east-1:${account()}:log-group:${name}`;
    const tagged = await logs(world.local, 'TagResource', {
      resourceArn: arn,
      tags: JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'),
    });
    expect(tagged.status, tagged.text).toBe(200);
    const listed = await logs(world.local, 'ListTagsForResource', { resourceArn: arn });
    expect(JSON.parse(listed.text).tags).toEqual(JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'));
    expect((await logs(world.local, 'UntagResource', { resourceArn: arn, tagKeys: ['__proto__', 'constructor', 'toString'] })).status).toBe(
      200,
    );
    expect(JSON.parse((await logs(world.local, 'ListTagsForResource', { resourceArn: arn })).text).tags).toEqual({});
  });

  it('tags that are not a map of strings are a 400 and store nothing', async () => {
    for (const tags of [{ nested: { a: 1 } }, ['a'], 'text', null, { n: 1 }]) {
      const created = await logs(world.local, 'CreateLogGroup', { logGroupName: '/test/bad-tags', tags });
      expect(created.status, JSON.stringify(tags)).toBe(400);
      const tagged = await logs(world.local, 'TagResource', {
        resourceArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/test/foreign',
        tags,
      });
      expect(tagged.status, JSON.stringify(tags)).toBe(400);
    }
    expect(world.local.world.state.logGroups['/test/bad-tags']).toBeUndefined();
    expect(Object.keys(world.local.world.state.logGroups['/test/foreign'].tags)).toEqual(['owner']);
  });
});

describe('malformed input is a 4xx, never a 5xx', () => {
  it.each(['null', '42', '[]', '"text"'])('a Logs body of %s', async (body) => {
    const r = await callApi(world.local, 'logs', {
      headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup', 'content-type': 'application/x-amz-json-1.1' },
      body,
    });
    expect([r.status, JSON.parse(r.text).__type]).toEqual([400, 'SerializationException']);
  });

  it('UntagResource with tagKeys that is not a list', async () => {
    const r = await callApi(world.local, 'logs', {
      headers: { 'x-amz-target': 'Logs_20140328.UntagResource', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ resourceArn: `arn:aws:logs:us-east-1:${account()}:log-group:/proto/tags`, tagKeys: 5 }),
    });
    expect(r.status).toBeLessThan(500);
  });
});

describe('a Logs request whose X-Amz-Target is not signed', () => {
  it('is refused: a captured CreateLogGroup cannot be replayed as DeleteLogGroup', async () => {
    const group = '/test/target-unsigned';
    const body = JSON.stringify({ logGroupName: group });
    const created = await callApi(world.local, 'logs', {
      headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup', 'content-type': 'application/x-amz-json-1.1' },
      body,
    });
    expect(created.status, created.text).toBe(200);
    // Signed without the target (as a captured request whose signer left it out), sent with another one.
    const endpoint = new URL(world.local.endpoint);
    const signed = await signRequest(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body,
      },
      DEFAULT_ADMIN_KEY,
      { region: 'us-east-1', service: 'logs' },
    );
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
    const r = await rawSend(`${world.local.endpoint}/`, 'POST', body, {
      ...headers,
      'x-amz-target': 'Logs_20140328.DeleteLogGroup',
      'content-type': 'application/x-amz-json-1.1',
    });
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('X-Amz-Target');
    expect(world.local.world.state.logGroups[group]).toBeDefined();
  });
});
