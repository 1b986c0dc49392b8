import type { AppConfig, NodeEnv } from './config';
import type { EnvReader } from './env-reader';
import { JOB_NAMES, JobName } from './job-names';

/** The customer's documents: transactions every 5 min, contexts every 15, sessions hourly, purge daily, partitions monthly. */
const DEFAULT_SCHEDULES: Record<JobName, string> = {
  'expire-transactions': '*/5 * * * *',
  'expire-contexts': '*/15 * * * *',
  'expire-sessions': '7 * * * *',
  'purge-journey-data': '30 3 * * *',
  'audit-partitions': '15 0 1 * *',
  'rotate-signing-key': '45 4 * * *',
  // The audit sequencer's backstop (its own loop, AUDIT_CHAIN_INTERVAL_MS, chains within seconds) and the
  // signed checkpoint of the chain head.
  'audit-chain': '* * * * *',
  'audit-checkpoint': '20 * * * *',
  'purge-outbox': '20 * * * *',
  // Used JWT ids live minutes (an assertion's or a proof's acceptance window): purged often, the table stays small.
  'purge-used-jtis': '*/10 * * * *',
};

export function readJobsConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'jobs'> {
  const schedules = {} as Record<JobName, string>;
  for (const name of JOB_NAMES) {
    const variable = `JOB_${name.toUpperCase().replace(/-/g, '_')}_CRON`;
    const raw = read.list(variable, DEFAULT_SCHEDULES[name]).join(',');
    if (raw && !/^(\S+\s+){4,5}\S+$/.test(raw))
      read.problems.push(`${variable} must be a cron expression (5 or 6 fields) or empty to disable`);
    schedules[name] = raw;
  }
  return {
    jobs: {
      enabled: read.boolean('JOBS_ENABLED', nodeEnv !== 'test'),
      batchSize: read.integer('JOB_BATCH_SIZE', 1000, 10, 100000),
      schedules,
      journeyRetentionDays: read.integer('JOURNEY_RETENTION_DAYS', 90, 1, 3650),
      auditRetentionMonths: read.integer('AUDIT_RETENTION_MONTHS', 24, 1, 240),
      auditMonthsAhead: read.integer('AUDIT_PARTITIONS_AHEAD', 2, 1, 24),
      signingKeyRotationDays: read.integer('SIGNING_KEY_ROTATION_DAYS', 90, 1, 3650),
      auditChainIntervalMs: read.integer('AUDIT_CHAIN_INTERVAL_MS', nodeEnv === 'test' ? 0 : 1000, 0, 3_600_000),
      auditChainBatchSize: read.integer('AUDIT_CHAIN_BATCH_SIZE', 1000, 1, 100000),
    },
  };
}

export function readMfaConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'sms' | 'otp' | 'push'> {
  const provider = read.oneOf('SMS_PROVIDER', 'log', ['log', 'http', 'twilio'] as const);
  const httpUrl = read.string('SMS_HTTP_URL', '');
  const authToken = read.optionalString('TWILIO_AUTH_TOKEN');
  const accountSid = read.string('TWILIO_ACCOUNT_SID', '');
  const from = read.string('TWILIO_FROM', '');
  if (provider === 'log' && nodeEnv === 'production')
    read.problems.push('SMS_PROVIDER=log is for development; choose http or twilio in production');
  if (provider === 'http' && !/^https?:\/\//.test(httpUrl))
    read.problems.push('SMS_HTTP_URL must be an http(s) URL when SMS_PROVIDER=http');
  if (provider === 'twilio' && (!authToken || !/^AC[0-9a-fA-F]{32}$/.test(accountSid) || !from)) {
    read.problems.push('SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID (AC + 32 hex), TWILIO_AUTH_TOKEN and TWILIO_FROM');
  }
  const pushProvider = read.oneOf('PUSH_PROVIDER', 'log', ['log', 'http'] as const);
  const pushUrl = read.string('PUSH_HTTP_URL', '');
  if (pushProvider === 'log' && nodeEnv === 'production')
    read.problems.push('PUSH_PROVIDER=log is for development; use http in production');
  if (pushProvider === 'http' && !/^https?:\/\//.test(pushUrl))
    read.problems.push('PUSH_HTTP_URL must be an http(s) URL when PUSH_PROVIDER=http');
  return {
    push: {
      provider: pushProvider,
      timeoutMs: read.integer('PUSH_TIMEOUT_MS', 3000, 100, 60000),
      http: { url: pushUrl, authHeader: read.optionalString('PUSH_HTTP_AUTH_HEADER') },
      challengeTtlSeconds: read.integer('PUSH_CHALLENGE_TTL_SECONDS', 120, 30, 600),
      promptsPerJourney: read.integer('PUSH_PROMPTS_PER_JOURNEY', 3, 1, 20),
      promptsPerCustomer15m: read.integer('PUSH_PROMPTS_PER_CUSTOMER_15M', 5, 1, 100),
    },
    sms: {
      provider,
      timeoutMs: read.integer('SMS_TIMEOUT_MS', 3000, 100, 60000),
      http: {
        url: httpUrl,
        authHeader: read.optionalString('SMS_HTTP_AUTH_HEADER'),
        retries: read.integer('SMS_HTTP_RETRIES', 2, 0, 5),
      },
      twilio: {
        baseUrl: read.string('TWILIO_BASE_URL', 'https://api.twilio.com').replace(/\/+$/, ''),
        accountSid,
        authToken,
        from,
      },
    },
    otp: {
      ttlSeconds: read.integer('OTP_TTL_SECONDS', 300, 30, 600),
      maxAttempts: read.integer('OTP_MAX_ATTEMPTS', 5, 1, 10),
      resendLimit: read.integer('OTP_RESEND_LIMIT', 3, 0, 10),
      resendCooldownSeconds: read.integer('OTP_RESEND_COOLDOWN_SECONDS', 30, 0, 600),
      perRecipient15m: read.integer('SMS_RECIPIENT_LIMIT_15M', 5, 1, 1000),
      perRecipient24h: read.integer('SMS_RECIPIENT_LIMIT_24H', 10, 1, 10000),
      customerFailureLimit: read.integer('MFA_CODE_FAILURE_LIMIT', 10, 1, 1000),
      customerFailureWindowSeconds: read.integer('MFA_CODE_FAILURE_WINDOW_SECONDS', 86400, 60, 604800),
      customerLockSeconds: read.integer('MFA_LOCK_SECONDS', 900, 1, 86400),
    },
  };
}

export function readJourneyConfig(
  read: EnvReader,
  nodeEnv: NodeEnv,
): Pick<AppConfig, 'agents' | 'directory' | 'risk' | 'journeys' | 'lockout' | 'factors' | 'apiTokens'> {
  const directoryAdapter = read.oneOf('USER_DIRECTORY', 'file', ['file', 'ldap'] as const);
  const ldapUrl = read.string('LDAP_URL', 'ldap://127.0.0.1:389');
  if (!/^ldaps?:\/\/[^/]+\/?$/.test(ldapUrl))
    read.problems.push(`LDAP_URL must be ldap://host:port or ldaps://host:port (got "${ldapUrl}")`);
  const provider = read.oneOf('RISK_PROVIDER', 'builtin', ['builtin', 'transmit'] as const);
  const transmitBaseUrl = read.string('TRANSMIT_BASE_URL', 'https://api.transmitsecurity.io');
  const transmitApiToken = read.optionalString('TRANSMIT_API_TOKEN');
  if (provider === 'transmit' && !transmitApiToken)
    read.problems.push('TRANSMIT_API_TOKEN is required when RISK_PROVIDER=transmit');
  const trustedNetworks = read.list('TRUSTED_NETWORKS', nodeEnv === 'production' ? '' : '127.0.0.0/8,::1/128');
  for (const cidr of trustedNetworks) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(cidr)) read.problems.push(`TRUSTED_NETWORKS: "${cidr}" is not a CIDR block`);
  }
  const agentIssuer = read.string('AGENT_ISSUER', 'urn:ciam:dev-workforce');
  const agentJwksUrl = read.string('AGENT_JWKS_URL', 'file:.data/agent-idp/jwks.json');
  if (!/^(https?:\/\/|file:)/.test(agentJwksUrl))
    read.problems.push('AGENT_JWKS_URL must be an http(s) URL or file:<path>');
  if (nodeEnv === 'production' && agentIssuer === 'urn:ciam:dev-workforce') {
    read.problems.push(
      'AGENT_ISSUER must name your workforce identity provider in production (the development issuer is refused)',
    );
  }
  return {
    agents: {
      issuer: agentIssuer,
      audience: read.string('AGENT_AUDIENCE', 'ciam-agent-api'),
      jwksUrl: agentJwksUrl,
      roleClaim: read.string('AGENT_ROLE_CLAIM', 'roles'),
      requiredRole: read.string('AGENT_REQUIRED_ROLE', 'ciam-support'),
      adminRole: read.string('AGENT_ADMIN_ROLE', 'ciam-admin'),
      clientAdminRole: read.string('CLIENT_ADMIN_ROLE', 'ciam-client-admin'),
    },
    directory: {
      adapter: directoryAdapter,
      file: read.string('DIRECTORY_FILE', 'config/directory.dev.json'),
      ldap: {
        url: ldapUrl,
        bindDn: read.string('LDAP_BIND_DN', ''),
        bindPassword: read.string('LDAP_BIND_PASSWORD', ''),
        baseDn: read.string('LDAP_BASE_DN', ''),
        usernameAttribute: read.string('LDAP_USERNAME_ATTRIBUTE', 'uid'),
        cupidAttribute: read.string('LDAP_CUPID_ATTRIBUTE', 'employeeNumber'),
        phoneAttribute: read.string('LDAP_PHONE_ATTRIBUTE', 'mobile'),
        emailAttribute: read.string('LDAP_EMAIL_ATTRIBUTE', 'mail'),
        nameAttribute: read.string('LDAP_NAME_ATTRIBUTE', 'cn'),
        statusAttribute: read.string('LDAP_STATUS_ATTRIBUTE', 'employeeType'),
        mfaAttribute: read.string('LDAP_MFA_ATTRIBUTE', 'businessCategory'),
        connectTimeoutMs: read.integer('LDAP_CONNECT_TIMEOUT_MS', 2000, 50, 60000),
        timeoutMs: read.integer('LDAP_TIMEOUT_MS', 3000, 50, 60000),
      },
    },
    risk: {
      provider,
      failOpenToChallenge: read.boolean('RISK_FAIL_OPEN_TO_CHALLENGE', false),
      timeoutMs: read.integer('RISK_TIMEOUT_MS', 2000, 50, 60000),
      trustedNetworks,
      transmit: { baseUrl: transmitBaseUrl.replace(/\/+$/, ''), apiToken: transmitApiToken },
    },
    journeys: {
      contextTtlSeconds: read.integer('JOURNEY_TTL_SECONDS', 900, 60, 3600),
      transactionTtlSeconds: read.integer('TRANSACTION_TTL_SECONDS', 300, 30, 900),
      passwordAttemptsPerJourney: read.integer('PASSWORD_ATTEMPTS_PER_JOURNEY', 5, 1, 20),
      retryWindowSeconds: read.integer('JOURNEY_RETRY_WINDOW_SECONDS', 10, 0, 60),
      trustedDeviceMfaDays: read.integer('TRUSTED_DEVICE_MFA_DAYS', 30, 1, 365),
      trustedDeviceMaxDays: read.integer('TRUSTED_DEVICE_MAX_DAYS', 180, 1, 3650),
      // Empty: the hosted login page, <OIDC_ISSUER>/login (config.ts fills it in once the issuer is known).
      loginUiUrl: read.string('LOGIN_UI_URL', ''),
    },
    lockout: {
      throttleAfter: read.integer('LOCKOUT_THROTTLE_AFTER', 5, 1, 100),
      lockAfter: read.integer('LOCKOUT_LOCK_AFTER', 10, 1, 100),
      lockSeconds: read.integer('LOCKOUT_LOCK_SECONDS', 900, 1, 86400),
      suspendAfter: read.integer('LOCKOUT_SUSPEND_AFTER', 100, 1, 100),
      ipFailureLimit: read.integer('LOCKOUT_IP_FAILURE_LIMIT', 100, 1, 100000),
      ipWindowSeconds: read.integer('LOCKOUT_IP_WINDOW_SECONDS', 900, 1, 86400),
      clientFailureLimit: read.integer('LOCKOUT_CLIENT_FAILURE_LIMIT', 20, 1, 100000),
    },
    factors: {
      resetApproval: read.oneOf('FACTOR_RESET_APPROVAL', 'none', ['none', 'two-agents'] as const),
    },
    apiTokens: {
      lastUsedIntervalSeconds: read.integer('API_TOKEN_LAST_USED_INTERVAL_SECONDS', 300, 1, 86400),
    },
  };
}

/** A #rrggbb colour as sRGB channels 0..1, or null when it is not one (only this strict form is accepted). */
function hexColour(value: string): [number, number, number] | null {
  const match = /^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/.exec(value);
  return match
    ? ([match[1], match[2], match[3]].map((hex) => parseInt(hex, 16) / 255) as [number, number, number])
    : null;
}

/** WCAG 2.1 contrast ratio of two sRGB colours (relative luminance, §1.4.3). */
export function contrastRatio(a: [number, number, number], b: [number, number, number]): number {
  const luminance = (rgb: [number, number, number]) => {
    const [r, g, b2] = rgb.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b2;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const WHITE: [number, number, number] = [1, 1, 1];
/** The page's text colour (web/login/login.css); the background must keep AA contrast with it. */
export const LOGIN_TEXT_COLOUR = '#1b1f24';

/**
 * The hosted login page's branding, served by the service (GET /login/branding.css and branding.json), so a
 * deployment brands the page without a rebuild. Colours are strict #rrggbb (they are written into CSS, so
 * nothing else may pass) and must keep WCAG AA contrast (4.5:1) with the text drawn on them.
 */
export function readLoginUiConfig(read: EnvReader): Pick<AppConfig, 'loginUi'> {
  const colour = (name: string, fallback: string, against: [number, number, number], what: string) => {
    const value = read.string(name, fallback);
    const rgb = hexColour(value);
    if (!rgb) {
      read.problems.push(`${name} must be a colour in the form #rrggbb (got "${value}")`);
      return fallback;
    }
    if (contrastRatio(rgb, against) < 4.5) {
      read.problems.push(`${name} must keep a contrast of at least 4.5:1 with ${what} (WCAG AA)`);
      return fallback;
    }
    return value.toLowerCase();
  };
  const url = (name: string) => {
    const value = read.optionalString(name);
    if (value === undefined) return null;
    try {
      const parsed = new URL(value);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.toString();
    } catch {
      // reported below
    }
    read.problems.push(`${name} must be an http(s) URL`);
    return null;
  };
  const brandName = read.string('LOGIN_UI_BRAND_NAME', 'CIAM');
  if (brandName.length > 64 || [...brandName].some((char) => char.charCodeAt(0) < 0x20))
    read.problems.push('LOGIN_UI_BRAND_NAME must be at most 64 characters, without control characters');
  return {
    loginUi: {
      brandName: brandName.slice(0, 64),
      logoUrl: url('LOGIN_UI_LOGO_URL'),
      primaryColor: colour('LOGIN_UI_PRIMARY_COLOR', '#0b57d0', WHITE, 'white button text'),
      backgroundColor: colour('LOGIN_UI_BACKGROUND_COLOR', '#f4f6f8', hexColour(LOGIN_TEXT_COLOUR)!, 'the text'),
      supportUrl: url('LOGIN_UI_SUPPORT_URL'),
    },
  };
}

/** Every environment variable the service reads (README's configuration table lists each). */
