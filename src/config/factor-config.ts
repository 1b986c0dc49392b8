import type { NodeEnv } from './config';
import type { EnvReader } from './env-reader';

/** Changes of a customer's factors under /me (issue 17, item 5). */
export interface FactorChangeConfig {
  /** How recent the session's last authentication (auth_time) must be for a factor change. */
  maxAgeSeconds: number;
}

/** Email: the factor, verification codes and customer notices (src/mfa/email). */
export interface EmailConfig {
  /** none: no email at all (no email factor or verification; notices go by SMS). */
  provider: 'none' | 'log' | 'smtp';
  from: string;
  /** The language of the templates (src/mfa/email/templates/<language>/). */
  language: string;
  timeoutMs: number;
  smtp: {
    host: string;
    port: number;
    /** Implicit TLS (port 465); otherwise STARTTLS, required unless ignoreTls. */
    secure: boolean;
    /** Plain SMTP without STARTTLS: only towards a loopback relay outside production. */
    ignoreTls: boolean;
    user: string | undefined;
    password: string | undefined;
    /** Refuse certificates that do not verify (off only for a development relay). */
    rejectUnauthorized: boolean;
  };
  /** Email codes per recipient address, across instances (like SMS_RECIPIENT_LIMIT_*). */
  perRecipient15m: number;
  perRecipient24h: number;
}

export function readFactorConfig(
  read: EnvReader,
  nodeEnv: NodeEnv,
): { factorChange: FactorChangeConfig; email: EmailConfig } {
  const provider = read.oneOf('EMAIL_PROVIDER', nodeEnv === 'production' ? 'none' : 'log', [
    'none',
    'log',
    'smtp',
  ] as const);
  const host = read.string('EMAIL_SMTP_HOST', '');
  const ignoreTls = read.boolean('EMAIL_SMTP_IGNORE_TLS', false);
  const rejectUnauthorized = read.boolean('EMAIL_SMTP_TLS_REJECT_UNAUTHORIZED', true);
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/.test(host);
  if (provider === 'log' && nodeEnv === 'production')
    read.problems.push('EMAIL_PROVIDER=log is for development; use smtp in production');
  if (provider === 'smtp' && !host) read.problems.push('EMAIL_PROVIDER=smtp needs EMAIL_SMTP_HOST');
  // Codes and notices must never cross the network in clear: plain SMTP only to a local development relay.
  if (ignoreTls && (nodeEnv === 'production' || !loopback))
    read.problems.push('EMAIL_SMTP_IGNORE_TLS is only for a loopback relay outside production');
  if (!rejectUnauthorized && nodeEnv === 'production')
    read.problems.push('EMAIL_SMTP_TLS_REJECT_UNAUTHORIZED=false is refused in production');
  const from = read.string('EMAIL_FROM', 'no-reply@localhost');
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from)) read.problems.push('EMAIL_FROM must be a bare address (name@domain)');
  const language = read.string('EMAIL_LANGUAGE', 'en');
  if (!/^[a-z]{2}(-[A-Z]{2})?$/.test(language)) read.problems.push('EMAIL_LANGUAGE must be a language tag like en');
  return {
    factorChange: { maxAgeSeconds: read.integer('FACTOR_CHANGE_MAX_AGE_SECONDS', 300, 30, 3600) },
    email: {
      provider,
      from,
      language,
      timeoutMs: read.integer('EMAIL_TIMEOUT_MS', 10000, 100, 120000),
      smtp: {
        host,
        port: read.integer('EMAIL_SMTP_PORT', 587, 1, 65535),
        secure: read.boolean('EMAIL_SMTP_SECURE', false),
        ignoreTls,
        user: read.optionalString('EMAIL_SMTP_USER'),
        password: read.optionalString('EMAIL_SMTP_PASSWORD'),
        rejectUnauthorized,
      },
      perRecipient15m: read.integer('EMAIL_RECIPIENT_LIMIT_15M', 5, 1, 1000),
      perRecipient24h: read.integer('EMAIL_RECIPIENT_LIMIT_24H', 10, 1, 10000),
    },
  };
}
