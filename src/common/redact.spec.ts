import { isSecretField, REDACTED, scrubSecrets } from './redact';

describe('secret redaction', () => {
  it.each([
    'password',
    'client_secret',
    'clientSecret',
    'refresh_token',
    'access-token',
    'otp',
    'code',
    'code_verifier',
    'authorization',
    'Cookie',
    'otpHash',
    'privateKey',
    'transactionToken',
  ])('treats %s as a secret', (name) => {
    expect(isSecretField(name)).toBe(true);
  });

  it.each(['tokenType', 'grant_type', 'attemptsLeft', 'cupid', 'step', 'reason', 'error_code_hint'])(
    'keeps %s',
    (name) => {
      expect(isSecretField(name)).toBe(false);
    },
  );

  it('replaces secrets at any depth and inside arrays, and leaves the input untouched', () => {
    const input = { a: { b: [{ password: 'p' }] }, token: 't', keep: 1 };
    expect(scrubSecrets(input)).toEqual({ a: { b: [{ password: REDACTED }] }, token: REDACTED, keep: 1 });
    expect(input.token).toBe('t');
  });
});
