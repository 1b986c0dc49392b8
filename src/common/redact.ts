/**
 * Secrets never reach logs, audit details or error messages. This is the one list of field names that
 * hold them, used by the audit writer and the log redaction alike.
 */
const SECRET_NAMES = new Set([
  'password',
  'passwd',
  'secret',
  'otp',
  'code',
  'codeverifier',
  'authorization',
  'cookie',
  'setcookie',
  'privatekey',
  'key',
  'signature',
  'assertion',
  'clientassertion',
  // A DPoP proof (RFC 9449): single-use, but a credential for its minute.
  'dpop',
  'credentials',
  'pin',
  'kek',
]);
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'hash', 'privatekey', 'apikey'];

export const REDACTED = '[REDACTED]';

/** True for a field name that holds a secret or a hash of one (`refresh_token`, `clientSecret`, `otpHash`). */
export function isSecretField(name: string): boolean {
  const normalised = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_NAMES.has(normalised) || SECRET_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

/** A deep copy of `value` with every secret-named field replaced by "[REDACTED]". */
export function scrubSecrets<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1)) as T;
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretField(key) ? REDACTED : scrubSecrets(inner, depth + 1);
  }
  return out as T;
}

/** pino `redact` paths for request logs: headers and body fields that carry credentials. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.client_secret',
  '*.code',
  '*.code_verifier',
  '*.otp',
  '*.token',
  '*.refresh_token',
  '*.access_token',
  '*.id_token',
  'req.headers.dpop',
  '*.client_assertion',
];
