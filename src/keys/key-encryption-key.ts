import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config/config';
import { sha256 } from '../common/crypto';

/** The key that seals signing keys at rest, and its id (which KEK sealed a key, to fail clearly on a wrong one). */
export interface KeyEncryptionKey {
  key: Buffer;
  id: string;
  /** True when generated for development rather than configured. */
  generated: boolean;
  /** KEY_ENCRYPTION_KEY_PREVIOUS during a key-encryption-key change. */
  previous?: { key: Buffer; id: string };
}

export const KEY_ENCRYPTION_KEY = Symbol('KEY_ENCRYPTION_KEY');

/**
 * KEY_ENCRYPTION_KEY when set (required in production). Otherwise, in development, a key generated once
 * and kept beside the embedded database so restarts can still open the stored signing keys; in tests, a
 * key for the life of the process.
 */
export function resolveKeyEncryptionKey(config: AppConfig, warn: (message: string) => void): KeyEncryptionKey {
  if (config.oidc.keyEncryptionKey) {
    const current = fromKey(Buffer.from(config.oidc.keyEncryptionKey, 'base64'), false);
    const previous = config.oidc.previousKeyEncryptionKey
      ? fromKey(Buffer.from(config.oidc.previousKeyEncryptionKey, 'base64'), false)
      : undefined;
    return previous ? { ...current, previous: { key: previous.key, id: previous.id } } : current;
  }
  if (config.nodeEnv === 'production') throw new Error('KEY_ENCRYPTION_KEY is required in production');
  if (config.nodeEnv === 'test') return fromKey(randomBytes(32), true);
  const path = join(dirname(config.database.embeddedDataDir), 'dev-key-encryption-key');
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  warn(`KEY_ENCRYPTION_KEY is unset: using the development key in ${path}. Never do this in production.`);
  return fromKey(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'), true);
}

function fromKey(key: Buffer, generated: boolean): KeyEncryptionKey {
  return { key, id: sha256(key).subarray(0, 8).toString('hex'), generated };
}
