import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Schemas } from '../../client';
import { problemRows, stepMapRows } from '../support/contract-docs';

const ROOT = join(__dirname, '..', '..');

/** What `npm run client` writes: openapi-typescript's output, formatted as the repository formats it. */
function regenerate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ciam-client-'));
  try {
    const out = join(dir, 'schema.d.ts');
    const generated = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), 'openapi.yaml', '-o', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (generated.status !== 0) throw new Error(generated.stderr);
    const formatted = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--stdin-filepath', 'client/schema.d.ts'],
      { cwd: ROOT, encoding: 'utf8', input: readFileSync(out, 'utf8') },
    );
    if (formatted.status !== 0) throw new Error(formatted.stderr);
    return formatted.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the typed client (client/)', () => {
  it('is generated from the committed openapi.yaml (run `npm run client` after `npm run openapi`)', () => {
    expect(readFileSync(join(ROOT, 'client', 'schema.d.ts'), 'utf8')).toBe(regenerate());
  }, 60_000);
});

describe('docs/api-contract.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'api-contract.md'), 'utf8');

  it('maps every step and phase to the operations that answer it, as the code does', () => {
    for (const row of stepMapRows()) expect(doc).toContain(row);
  });

  it('lists every problem type of the catalogue as the code has it', () => {
    for (const row of problemRows()) expect(doc).toContain(row);
  });
});

describe('the journey types a frontend narrows', () => {
  /** What a login page does with an answer: compile-time proof that the unions narrow to each screen's fields. */
  function screenOf(answer: Schemas['JourneyResponse']): string {
    if (answer.status === 'COMPLETED') return `redirect ${answer.redirectTo}`;
    const step = answer.nextStep;
    switch (step.type) {
      case 'PASSWORD':
        return 'password';
      case 'SMS_OTP':
        return step.phase === 'CHOOSE'
          ? `choose ${step.options.map((option) => option.type).join(',')}`
          : `code of ${step.codeLength} digits to ${step.maskedPhone}, resend ${step.resendAvailableAt ?? 'never'}`;
      case 'EMAIL_OTP':
        return step.phase === 'CHOOSE'
          ? `choose ${step.options.map((option) => option.type).join(',')}`
          : `code of ${step.codeLength} digits to ${step.maskedEmail}, resend ${step.resendAvailableAt ?? 'never'}`;
      case 'PUSH':
        return step.phase === 'CHOOSE'
          ? 'choose'
          : `enter ${step.number} on ${step.devices?.join(',') ?? 'the device'}`;
      case 'DEVICE_PROOF':
        return `prove ${step.challenge}`;
      case 'ESIGN':
        return `sign ${step.document.title}`;
      case 'DEVICE_BIND':
        return `bind ${step.keyType}`;
      case 'RECOVERY_CODE':
        return 'recovery code';
      case 'TOTP':
        return `authenticator code, or ${step.options.map((option) => option.type).join(',')}`;
      case 'PASSKEY':
        return step.phase === 'CHOOSE' ? 'choose' : `assert ${String(step.publicKey.challenge)}`;
      case 'PASSKEY_LOGIN':
        return `passwordless ${String(step.publicKey.challenge)}`;
      case 'PASSKEY_ENROL':
        return step.phase === 'OFFER' ? 'offer a passkey' : `create ${String(step.publicKey.challenge)}`;
      case 'RESET_USERNAME':
        return 'forgot password: username';
      case 'SET_PASSWORD':
        return 'forgot password: new password';
      case 'FEDERATED':
        return step.phase === 'CHOOSE_PROVIDER'
          ? `choose ${step.providers.map((provider) => provider.id).join(',')}`
          : `go to ${step.authorizationUrl}`;
      case 'CONSENT':
        return `consent to ${step.client.name}: ${step.scopes.map((scope) => scope.text.en).join(', ')}`;
    }
  }

  it('narrows on status, step type and phase', () => {
    const pending = {
      journeyId: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21',
      status: 'PENDING',
      transactionToken: 'kq3C1uYv0t8a9y2mVb2m1sKQd0n8s5Yy2p3uXo7rZ4w',
      transactionExpiresAt: '2026-11-24T19:05:00.000Z',
    } as const;
    expect(screenOf({ ...pending, nextStep: { type: 'PUSH', phase: 'WAITING', number: 42, expiresAt: '' } })).toBe(
      'enter 42 on the device',
    );
    expect(
      screenOf({
        ...pending,
        nextStep: { type: 'SMS_OTP', phase: 'CHOOSE', options: [{ type: 'SMS_OTP', maskedPhone: '+44•••••002' }] },
      }),
    ).toBe('choose SMS_OTP');
    expect(
      screenOf({
        ...pending,
        nextStep: {
          type: 'EMAIL_OTP',
          phase: 'VERIFY',
          maskedEmail: 'b***@example.test',
          codeLength: 6,
          codeExpiresAt: '2026-11-24T19:05:00.000Z',
          resendAvailableAt: null,
          attemptsLeft: 5,
        },
      }),
    ).toBe('code of 6 digits to b***@example.test, resend never');
  });
});
