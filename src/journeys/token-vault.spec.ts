import { ApiError } from '../common/problem';
import { fromStoredAnswer, requestDigest, toStoredAnswer, TokenVault } from './token-vault';

describe('TokenVault: what survives a retry opens only with the same token, purpose, row and request', () => {
  const token = 'transaction-token-0123456789abcdef';
  const row = '6f1c2a4e-0000-4000-8000-000000000001';

  it('opens what it sealed', () => {
    const sealed = new TokenVault(token).seal('pending-send', row, { code: '123456', reference: 'ref-1' });
    expect(new TokenVault(token).open('pending-send', row, sealed)).toEqual({ code: '123456', reference: 'ref-1' });
    expect(sealed.toString('latin1')).not.toContain('123456');
  });

  it.each([
    ['another token', new TokenVault('another-token'), 'pending-send', row],
    ['another purpose', new TokenVault(token), `response:${requestDigest('PASSWORD', 'verify', {})}`, row],
    ['another row', new TokenVault(token), 'pending-send', '6f1c2a4e-0000-4000-8000-000000000002'],
  ])('refuses %s', (_case, vault, purpose, rowId) => {
    const sealed = new TokenVault(token).seal('pending-send', row, { code: '123456' });
    expect(vault.open(purpose, rowId, sealed)).toBeNull();
  });

  it('tells requests apart by step, action and body', () => {
    const digest = requestDigest('PASSWORD', 'verify', { username: 'alice', password: 'x' });
    expect(requestDigest('PASSWORD', 'verify', { username: 'alice', password: 'x' })).toBe(digest);
    expect(requestDigest('PASSWORD', 'verify', { username: 'alice', password: 'y' })).not.toBe(digest);
    expect(requestDigest('SMS_OTP', 'verify', { username: 'alice', password: 'x' })).not.toBe(digest);
    expect(digest).not.toContain('alice');
  });

  it('keeps an error answer whole: status, code, extensions, Retry-After and headers', () => {
    const error = new ApiError(
      429,
      'TOO_MANY_ATTEMPTS',
      'Too many attempts',
      'Wait.',
      { transactionToken: 't2', attemptsLeft: 3 },
      8,
      { 'X-Test': '1' },
    );
    const stored = JSON.parse(JSON.stringify(toStoredAnswer({ error })));
    const back = fromStoredAnswer(stored);
    expect('error' in back && back.error).toMatchObject({
      status: 429,
      code: 'TOO_MANY_ATTEMPTS',
      title: 'Too many attempts',
      detail: 'Wait.',
      extensions: { transactionToken: 't2', attemptsLeft: 3 },
      retryAfterSeconds: 8,
      headers: { 'X-Test': '1' },
    });
  });
});
