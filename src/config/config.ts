/**
 * The one typed configuration of the service. Every setting comes from the environment, has a
 * documented default (README, "Configuration"), and is validated before anything starts: a bad
 * value stops start-up with a message that names the variable.
 */

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  nodeEnv: NodeEnv;
  http: {
    host: string;
    port: number;
    /** Largest request body accepted, in bytes; larger bodies get 413. */
    bodyLimitBytes: number;
    /** Trust X-Forwarded-For from a load balancer when computing the client IP. */
    trustProxy: boolean;
  };
  database: {
    /** Unset: the service starts an embedded PostgreSQL under `embeddedDataDir`. */
    url: string | undefined;
    embeddedDataDir: string;
    embeddedPort: number;
    poolSize: number;
    migrationsRun: boolean;
  };
  log: { level: LogLevel };
  docs: { enabled: boolean };
  oidc: {
    /** The issuer identifier: scheme, host, port (and path); every endpoint URL derives from it. */
    issuer: string;
    /** `aud` of access tokens: the resource servers that accept them. */
    accessTokenAudience: string;
    signingAlg: 'ES256' | 'RS256';
    /** 32 bytes (base64) that encrypt the signing keys' private parts at rest. */
    keyEncryptionKey: string | undefined;
    /** The key-encryption key being replaced: keys it sealed still open until `keys:reseal` has run. */
    previousKeyEncryptionKey: string | undefined;
    /** Register the demo clients at start-up (development only). */
    seedDemoClients: boolean;
  };
  tokens: {
    accessTtlSeconds: number;
    idTtlSeconds: number;
    authorizationCodeTtlSeconds: number;
    /** A retry with a just-rotated refresh token within this window returns the same successor; 0 disables. */
    refreshGraceSeconds: number;
    /** Tolerated clock difference when verifying JWTs. */
    clockSkewSeconds: number;
  };
  sessions: {
    idleTtlSeconds: number;
    absoluteTtlSeconds: number;
  };
  directory: {
    adapter: 'file' | 'ldap';
    /** The file adapter's JSON directory (development). */
    file: string;
    ldap: {
      url: string;
      bindDn: string;
      bindPassword: string;
      baseDn: string;
      usernameAttribute: string;
      cupidAttribute: string;
      phoneAttribute: string;
      emailAttribute: string;
      nameAttribute: string;
      /** Holds ACTIVE, LOCKED or DISABLED (absent: ACTIVE). */
      statusAttribute: string;
      /** Holds `mfa-required` for customers who always need a second factor. */
      mfaAttribute: string;
      connectTimeoutMs: number;
      timeoutMs: number;
    };
  };
  risk: {
    provider: 'builtin' | 'transmit';
    /** When the risk service is down: false fails the journey closed (503); true asks for a second factor. */
    failOpenToChallenge: boolean;
    timeoutMs: number;
    /** Networks (CIDR) treated as known, e.g. the bank's own offices. */
    trustedNetworks: string[];
    transmit: { baseUrl: string; apiToken: string | undefined };
  };
  journeys: {
    contextTtlSeconds: number;
    transactionTtlSeconds: number;
    passwordAttemptsPerJourney: number;
    /** Where /oauth2/authorize sends the browser to log in. */
    loginUiUrl: string;
  };
  agents: {
    /** The workforce identity provider whose bearer JWTs the agent API accepts. */
    issuer: string;
    audience: string;
    /** https:// (or http:// outside production) JWKS URL, or file:<path> for a JWKS file (development). */
    jwksUrl: string;
    /** The claim that lists the agent's roles (an array or a space-separated string). */
    roleClaim: string;
    requiredRole: string;
  };
  jobs: {
    /** Run the schedules in this instance (every instance may; advisory locks make each slot run once). */
    enabled: boolean;
    batchSize: number;
    /** Cron expressions by job name; an empty one disables that job. */
    schedules: Record<JobName, string>;
    journeyRetentionDays: number;
    auditRetentionMonths: number;
    auditMonthsAhead: number;
    signingKeyRotationDays: number;
  };
  sms: {
    provider: 'log' | 'http' | 'twilio';
    timeoutMs: number;
    http: { url: string; authHeader: string | undefined; retries: number };
    twilio: { baseUrl: string; accountSid: string; authToken: string | undefined; from: string };
  };
  push: {
    provider: 'log' | 'http';
    timeoutMs: number;
    http: { url: string; authHeader: string | undefined };
    challengeTtlSeconds: number;
  };
  otp: {
    ttlSeconds: number;
    maxAttempts: number;
    /** Resends a journey allows after the first code. */
    resendLimit: number;
    resendCooldownSeconds: number;
    /** SMS budget per recipient (phone number) and per customer, across instances. */
    perRecipient15m: number;
    perRecipient24h: number;
  };
  lockout: {
    /** Consecutive failures per account after which each further attempt waits (doubling). */
    throttleAfter: number;
    /** Consecutive failures per account that lock it for lockSeconds. */
    lockAfter: number;
    lockSeconds: number;
    /** Consecutive failures per account that lock it until support unlocks it (NIST 800-63B: at most 100). */
    suspendAfter: number;
    /** Failures from one IP within ipWindowSeconds that block the IP for lockSeconds. */
    ipFailureLimit: number;
    ipWindowSeconds: number;
    /** Failed client authentications per client id within ipWindowSeconds that block it for lockSeconds. */
    clientFailureLimit: number;
  };
}

export const JOB_NAMES = [
  'expire-transactions', 'expire-contexts', 'expire-sessions', 'purge-journey-data', 'audit-partitions', 'rotate-signing-key',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** The customer's documents: transactions every 5 min, contexts every 15, sessions hourly, purge daily, partitions monthly. */
const DEFAULT_SCHEDULES: Record<JobName, string> = {
  'expire-transactions': '*/5 * * * *',
  'expire-contexts': '*/15 * * * *',
  'expire-sessions': '7 * * * *',
  'purge-journey-data': '30 3 * * *',
  'audit-partitions': '15 0 1 * *',
  'rotate-signing-key': '45 4 * * *',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads one variable at a time and collects every problem, so one start-up reports them all. */
class EnvReader {
  readonly problems: string[] = [];
  readonly names = new Set<string>();

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    this.names.add(name);
    return this.env[name];
  }

  string(name: string, fallback: string): string {
    const raw = this.raw(name);
    return raw === undefined || raw === '' ? fallback : raw;
  }

  /** A comma-separated list; set but empty means an empty list (unlike other settings, where empty means unset). */
  list(name: string, fallback: string): string[] {
    const raw = this.raw(name);
    return (raw === undefined ? fallback : raw).split(',').map((item) => item.trim()).filter(Boolean);
  }

  optionalString(name: string): string | undefined {
    const raw = this.raw(name);
    return raw === undefined || raw === '' ? undefined : raw;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined || raw === '') return fallback;
    const normalised = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
    if (['false', '0', 'no', 'off'].includes(normalised)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  /** An OpenID issuer: https (http only outside production or on loopback), no query or fragment, no trailing slash. */
  issuer(name: string, fallback: string, nodeEnv: NodeEnv): string {
    const raw = this.string(name, fallback);
    try {
      const parsed = new URL(raw);
      // Plain http only outside production, or on loopback (a local production-like run).
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
      const allowed = nodeEnv === 'production' && !loopback ? ['https:'] : ['https:', 'http:'];
      if (!allowed.includes(parsed.protocol) || parsed.search || parsed.hash) {
        this.problems.push(`${name} must be an ${allowed.join(' or ')} URL without query or fragment (got "${raw}")`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL (got "${raw}")`);
    }
    return raw.replace(/\/+$/, '');
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      }
    } catch {
      // The value may hold a password: never echo it.
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }
}

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const config = readConfig(read);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

function readJobsConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'jobs'> {
  const schedules = {} as Record<JobName, string>;
  for (const name of JOB_NAMES) {
    const variable = `JOB_${name.toUpperCase().replace(/-/g, '_')}_CRON`;
    const raw = read.list(variable, DEFAULT_SCHEDULES[name]).join(',');
    if (raw && !/^(\S+\s+){4,5}\S+$/.test(raw)) read.problems.push(`${variable} must be a cron expression (5 or 6 fields) or empty to disable`);
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
    },
  };
}

function readMfaConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'sms' | 'otp' | 'push'> {
  const provider = read.oneOf('SMS_PROVIDER', 'log', ['log', 'http', 'twilio'] as const);
  const httpUrl = read.string('SMS_HTTP_URL', '');
  const authToken = read.optionalString('TWILIO_AUTH_TOKEN');
  const accountSid = read.string('TWILIO_ACCOUNT_SID', '');
  const from = read.string('TWILIO_FROM', '');
  if (provider === 'log' && nodeEnv === 'production') read.problems.push('SMS_PROVIDER=log is for development; choose http or twilio in production');
  if (provider === 'http' && !/^https?:\/\//.test(httpUrl)) read.problems.push('SMS_HTTP_URL must be an http(s) URL when SMS_PROVIDER=http');
  if (provider === 'twilio' && (!authToken || !/^AC[0-9a-fA-F]{32}$/.test(accountSid) || !from)) {
    read.problems.push('SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID (AC + 32 hex), TWILIO_AUTH_TOKEN and TWILIO_FROM');
  }
  const pushProvider = read.oneOf('PUSH_PROVIDER', 'log', ['log', 'http'] as const);
  const pushUrl = read.string('PUSH_HTTP_URL', '');
  if (pushProvider === 'log' && nodeEnv === 'production') read.problems.push('PUSH_PROVIDER=log is for development; use http in production');
  if (pushProvider === 'http' && !/^https?:\/\//.test(pushUrl)) read.problems.push('PUSH_HTTP_URL must be an http(s) URL when PUSH_PROVIDER=http');
  return {
    push: {
      provider: pushProvider,
      timeoutMs: read.integer('PUSH_TIMEOUT_MS', 3000, 100, 60000),
      http: { url: pushUrl, authHeader: read.optionalString('PUSH_HTTP_AUTH_HEADER') },
      challengeTtlSeconds: read.integer('PUSH_CHALLENGE_TTL_SECONDS', 120, 30, 600),
    },
    sms: {
      provider,
      timeoutMs: read.integer('SMS_TIMEOUT_MS', 3000, 100, 60000),
      http: { url: httpUrl, authHeader: read.optionalString('SMS_HTTP_AUTH_HEADER'), retries: read.integer('SMS_HTTP_RETRIES', 2, 0, 5) },
      twilio: { baseUrl: read.string('TWILIO_BASE_URL', 'https://api.twilio.com').replace(/\/+$/, ''), accountSid, authToken, from },
    },
    otp: {
      ttlSeconds: read.integer('OTP_TTL_SECONDS', 300, 30, 600),
      maxAttempts: read.integer('OTP_MAX_ATTEMPTS', 5, 1, 10),
      resendLimit: read.integer('OTP_RESEND_LIMIT', 3, 0, 10),
      resendCooldownSeconds: read.integer('OTP_RESEND_COOLDOWN_SECONDS', 30, 0, 600),
      perRecipient15m: read.integer('SMS_RECIPIENT_LIMIT_15M', 5, 1, 1000),
      perRecipient24h: read.integer('SMS_RECIPIENT_LIMIT_24H', 10, 1, 10000),
    },
  };
}

function readJourneyConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'agents' | 'directory' | 'risk' | 'journeys' | 'lockout'> {
  const directoryAdapter = read.oneOf('USER_DIRECTORY', 'file', ['file', 'ldap'] as const);
  const ldapUrl = read.string('LDAP_URL', 'ldap://127.0.0.1:389');
  if (!/^ldaps?:\/\/[^/]+\/?$/.test(ldapUrl)) read.problems.push(`LDAP_URL must be ldap://host:port or ldaps://host:port (got "${ldapUrl}")`);
  const provider = read.oneOf('RISK_PROVIDER', 'builtin', ['builtin', 'transmit'] as const);
  const transmitBaseUrl = read.string('TRANSMIT_BASE_URL', 'https://api.transmitsecurity.io');
  const transmitApiToken = read.optionalString('TRANSMIT_API_TOKEN');
  if (provider === 'transmit' && !transmitApiToken) read.problems.push('TRANSMIT_API_TOKEN is required when RISK_PROVIDER=transmit');
  const trustedNetworks = read.list('TRUSTED_NETWORKS', nodeEnv === 'production' ? '' : '127.0.0.0/8,::1/128');
  for (const cidr of trustedNetworks) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(cidr)) read.problems.push(`TRUSTED_NETWORKS: "${cidr}" is not a CIDR block`);
  }
  const agentIssuer = read.string('AGENT_ISSUER', 'urn:ciam:dev-workforce');
  const agentJwksUrl = read.string('AGENT_JWKS_URL', 'file:.data/agent-idp/jwks.json');
  if (!/^(https?:\/\/|file:)/.test(agentJwksUrl)) read.problems.push('AGENT_JWKS_URL must be an http(s) URL or file:<path>');
  if (nodeEnv === 'production' && agentIssuer === 'urn:ciam:dev-workforce') {
    read.problems.push('AGENT_ISSUER must name your workforce identity provider in production (the development issuer is refused)');
  }
  return {
    agents: {
      issuer: agentIssuer,
      audience: read.string('AGENT_AUDIENCE', 'ciam-agent-api'),
      jwksUrl: agentJwksUrl,
      roleClaim: read.string('AGENT_ROLE_CLAIM', 'roles'),
      requiredRole: read.string('AGENT_REQUIRED_ROLE', 'ciam-support'),
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
      loginUiUrl: read.string('LOGIN_UI_URL', 'http://localhost:5173/login'),
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
  };
}

/** Every environment variable the service reads (README's configuration table lists each). */
export function configVariableNames(): string[] {
  const read = new EnvReader({});
  readConfig(read);
  return [...read.names].sort();
}

function readConfig(read: EnvReader): AppConfig {
  const nodeEnv = read.oneOf<NodeEnv>('NODE_ENV', 'development', ['development', 'production', 'test']);
  const config: AppConfig = {
    nodeEnv,
    http: {
      host: read.string('HOST', '0.0.0.0'),
      port: read.integer('PORT', 3000, 0, 65535),
      bodyLimitBytes: read.integer('HTTP_BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      trustProxy: read.boolean('TRUST_PROXY', false),
    },
    database: {
      url: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
      embeddedDataDir: read.string('EMBEDDED_PG_DATA_DIR', '.data/postgres'),
      embeddedPort: read.integer('EMBEDDED_PG_PORT', 5433, 1, 65535),
      poolSize: read.integer('DATABASE_POOL_SIZE', 10, 1, 200),
      migrationsRun: read.boolean('DATABASE_MIGRATIONS_RUN', true),
    },
    log: {
      level: read.oneOf<LogLevel>('LOG_LEVEL', nodeEnv === 'production' ? 'info' : 'debug', [
        'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent',
      ]),
    },
    docs: { enabled: read.boolean('DOCS_ENABLED', true) },
    oidc: {
      issuer: '',
      accessTokenAudience: '',
      signingAlg: read.oneOf('OIDC_SIGNING_ALG', 'ES256', ['ES256', 'RS256'] as const),
      keyEncryptionKey: read.optionalString('KEY_ENCRYPTION_KEY'),
      previousKeyEncryptionKey: read.optionalString('KEY_ENCRYPTION_KEY_PREVIOUS'),
      seedDemoClients: read.boolean('SEED_DEMO_CLIENTS', nodeEnv === 'development'),
    },
    tokens: {
      accessTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 300, 30, 3600),
      idTtlSeconds: read.integer('ID_TOKEN_TTL_SECONDS', 300, 30, 3600),
      authorizationCodeTtlSeconds: read.integer('AUTHORIZATION_CODE_TTL_SECONDS', 60, 10, 600),
      refreshGraceSeconds: read.integer('REFRESH_TOKEN_GRACE_SECONDS', 10, 0, 300),
      clockSkewSeconds: read.integer('CLOCK_SKEW_SECONDS', 15, 0, 300),
    },
    sessions: {
      idleTtlSeconds: read.integer('SESSION_IDLE_TTL_SECONDS', 30 * 60, 60, 90 * 24 * 3600),
      absoluteTtlSeconds: read.integer('SESSION_ABSOLUTE_TTL_SECONDS', 12 * 3600, 60, 365 * 24 * 3600),
    },
    ...readJourneyConfig(read, nodeEnv),
    ...readMfaConfig(read, nodeEnv),
    ...readJobsConfig(read, nodeEnv),
  };
  const port = config.http.port;
  config.oidc.issuer = read.issuer('OIDC_ISSUER', `http://localhost:${port}`, nodeEnv);
  config.oidc.accessTokenAudience = read.string('ACCESS_TOKEN_AUDIENCE', config.oidc.issuer);
  if (config.agents.issuer === config.oidc.issuer) {
    // A customer's token must never open the agent API.
    read.problems.push('AGENT_ISSUER must differ from OIDC_ISSUER');
  }
  if (config.sessions.idleTtlSeconds > config.sessions.absoluteTtlSeconds) {
    read.problems.push('SESSION_IDLE_TTL_SECONDS must not exceed SESSION_ABSOLUTE_TTL_SECONDS');
  }
  for (const [name, value] of [['KEY_ENCRYPTION_KEY', config.oidc.keyEncryptionKey], ['KEY_ENCRYPTION_KEY_PREVIOUS', config.oidc.previousKeyEncryptionKey]]) {
    if (value !== undefined && Buffer.from(value, 'base64').length !== 32) read.problems.push(`${name} must be 32 bytes, base64-encoded (openssl rand -base64 32)`);
  }
  if (config.oidc.previousKeyEncryptionKey && !config.oidc.keyEncryptionKey) read.problems.push('KEY_ENCRYPTION_KEY_PREVIOUS needs KEY_ENCRYPTION_KEY');
  if (nodeEnv === 'production') {
    if (!config.oidc.keyEncryptionKey) {
      read.problems.push('KEY_ENCRYPTION_KEY is required when NODE_ENV=production (the generated development key is refused)');
    }
    if (config.oidc.seedDemoClients) {
      read.problems.push('SEED_DEMO_CLIENTS must be false when NODE_ENV=production (the demo clients have public secrets)');
    }
  }
  if (nodeEnv === 'production' && !config.database.url) {
    // The embedded server is a development convenience: no backups, no replication, one disk.
    read.problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development)');
  }
  return config;
}

/** Injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
