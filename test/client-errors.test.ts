import { describe, expect, it } from 'vitest';
import { AssumeRoleError, ClientOptionError, CredentialsUnavailableError, FunctionUrlNetworkError, isClientError } from '../client/errors';

/** The library's errors: a code to branch on, the offending option as data, hints; no CLI words. */

describe('client errors', () => {
  it('an absent value is not reported as "(got undefined)"; a present one is quoted, and cut when long', () => {
    expect(new ClientOptionError('url', undefined, 'is required').message).toBe('url is required');
    expect(new ClientOptionError('retries', '11', 'must be at most 10').message).toBe('retries must be at most 10 (got "11")');
    expect(new ClientOptionError('query', 'q'.repeat(100), 'is too long').message).toBe(`query is too long (got "${'q'.repeat(80)}…")`);
  });

  it('an option error names the part of the option it is about, and keeps option, value and rule as data', () => {
    const error = new ClientOptionError('headers', 'Host', 'cannot be set', { about: 'header name' });
    expect(error.message).toBe('header name cannot be set (got "Host")');
    expect(error).toMatchObject({
      code: 'invalid-option',
      option: 'headers',
      value: 'Host',
      rule: 'cannot be set',
      about: 'header name',
      hints: [],
    });
    expect(error).toBeInstanceOf(TypeError);
  });

  it('each error has its code', () => {
    expect(new AssumeRoleError('AccessDenied', 'no', []).code).toBe('assume-role-failed');
    expect(new AssumeRoleError('TimeoutError', 'no answer', [], { unreachable: true }).code).toBe('sts-unreachable');
    expect(new AssumeRoleError('AccessDenied', 'no', []).message).toBe('AssumeRole failed (AccessDenied): no');
    expect(new CredentialsUnavailableError('none', []).code).toBe('credentials-unavailable');
    expect(new FunctionUrlNetworkError('unreachable').code).toBe('network');
  });

  it('isClientError tells them from any other error', () => {
    expect(
      [
        new ClientOptionError('a', 1, 'b'),
        new AssumeRoleError('X', 'y', []),
        new CredentialsUnavailableError('z', []),
        new FunctionUrlNetworkError('n'),
      ].every(isClientError),
    ).toBe(true);
    expect([new Error('x'), Object.assign(new Error('x'), { code: 'network' }), undefined, 'network'].some(isClientError)).toBe(false);
  });
});
