import { Env, EnvReader } from './env-reader';
import type { JobName } from './job-names';
import { readAgentConsoleConfig } from './agent-console';
import { OutboxConfig, readOutboxConfig } from './outbox';
import { ProofsConfig, readProofsConfig } from './proofs';
import { readFactorConfig } from './factor-config';
import type { EmailConfig, FactorChangeConfig } from './factor-config';
import { readJobsConfig, readJourneyConfig, readLoginUiConfig, readMfaConfig } from './sections';
import { FederationTokensConfig, readFederationTokensConfig } from './federation-tokens';
import { FederationLoginConfig, readFederationLoginConfig } from './federation-login';

/**
 * The one typed configuration of the service. Every setting comes from the environment, has a
 * documented default (README, "Configuration"), and is validated before anything starts: a bad
 * value stops start-up with a message that names the variable.
 */

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  nodeEnv: NodeEnv;
  /** Issue 17: factor changes under /me, and email (src/config/factor-config.ts). */
  factorChange: FactorChangeConfig;
  email: EmailConfig;
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
    /** The longest a request waits for a pooled connection (including opening one); then 503. */
    acquireTimeoutMs: number;
    /** The longest opening one connection may take (TCP, TLS, authentication). */
    connectTimeoutMs: number;
    /** PostgreSQL's statement_timeout; the client gives up a little later when the server cannot tell it. */
    statementTimeoutMs: number;
    /** PostgreSQL's idle_in_transaction_session_timeout: a transaction left open releases its locks. */
    idleInTransactionTimeoutMs: number;
    /** TCP keepalive: idle time before the first probe, so a dead peer is noticed on idle connections. */
    keepAliveIdleMs: number;
    /**
     * How long a pooled connection may sit idle before the pool closes it (0: never). Reopening one costs a
     * SCRAM key derivation here and a backend start with cold caches in PostgreSQL, so the pool stays warm.
     */
    poolIdleTimeoutMs: number;
  };
  shutdown: {
    /** After SIGTERM, how long the port stays open answering 503, so load balancers see it leave. */
    drainNoticeMs: number;
    /** The bound on the whole shutdown: past it, unfinished requests are abandoned and the process exits 1. */
    timeoutMs: number;
  };
  log: { level: LogLevel };
  docs: { enabled: boolean };
  /** OpenTelemetry tracing: src/tracing.ts starts it before the configuration loads; the values are validated here. */
  tracing: { enabled: boolean; endpoint?: string; serviceName: string };
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
    /**
     * How long an instance may serve a registered client from memory without reading it again, should a
     * change notification be lost (changes reach every instance at once through LISTEN/NOTIFY); 0: no cache.
     */
    clientCacheTtlSeconds: number;
    /** How long a rotated client secret keeps working beside the new one (CLIENT_SECRET_ROTATION_OVERLAP_SECONDS). */
    clientSecretRotationOverlapSeconds: number;
  };
  tokens: {
    accessTtlSeconds: number;
    idTtlSeconds: number;
    authorizationCodeTtlSeconds: number;
    /** A retry with a just-rotated refresh token within this window returns the same successor; 0 disables. */
    refreshGraceSeconds: number;
    /** Tolerated clock difference when verifying JWTs. */
    clockSkewSeconds: number;
    /** A refresh asks the directory whether the customer may still sign in when its last answer is older than this; 0: every refresh. */
    refreshDirectoryCheckSeconds: number;
    refreshDirectoryOutageGraceSeconds: number;
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
    /** A step retried with its spent transaction token and the same body within this window gets the same answer; 0 disables. */
    retryWindowSeconds: number;
    /** A bound device skips MFA only within this many days of its last full second factor... */
    trustedDeviceMfaDays: number;
    /** ...and within this many days of its binding. */
    trustedDeviceMaxDays: number;
    /** Where /oauth2/authorize sends the browser to log in: LOGIN_UI_URL, by default the hosted page <issuer>/login. */
    loginUiUrl: string;
  };
  /** The hosted login page's branding (src/hosted-ui serves it as branding.css and branding.json). */
  loginUi: {
    brandName: string;
    logoUrl: string | null;
    /** #rrggbb, AA contrast with white. */
    primaryColor: string;
    /** #rrggbb, AA contrast with the page's text. */
    backgroundColor: string;
    supportUrl: string | null;
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
    /** The role (besides requiredRole) the admin endpoints need: Shared Signals receivers, webhook subscriptions. */
    adminRole: string;
    /** The role (besides requiredRole) the client administration endpoints need (/agent/admin/clients). */
    clientAdminRole: string;
  };
  /** Passkeys (WebAuthn): the relying party the browser binds credentials to; defaults from OIDC_ISSUER's host. */
  webauthn: {
    /** WEBAUTHN_RP_ID: a registrable domain suffix of every origin (localhost in development). */
    rpId: string;
    rpName: string;
    /** WEBAUTHN_ORIGINS: the exact origins (scheme://host[:port]) the browser may run a ceremony from. */
    origins: string[];
    /** How long a registration or authentication challenge is valid (single use in any case). */
    challengeTtlSeconds: number;
    /**
     * PASSKEY_ENROLMENT_OFFER: the journey channels (web, mobile, api) whose journeys offer a passkey after a
     * multi-factor sign-in of a customer who has none (the PASSKEY_ENROL step); empty (the default): never.
     */
    enrolmentOffer: Array<'WEB' | 'MOBILE' | 'API'>;
  };
  agentConsole: {
    /** The console's public client at the workforce IdP (code + PKCE); unset: only the development sign-in. */
    oidc?: { clientId: string; authorizationUrl: string; tokenUrl: string; scope: string };
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
    /** The audit sequencer's tick on every instance (one chains at a time); 0: only the audit-chain job. */
    auditChainIntervalMs: number;
    /** Rows the sequencer chains per transaction. */
    auditChainBatchSize: number;
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
    /** Push prompts one journey may send, and one customer may get within 15 minutes (then the SMS code). */
    promptsPerJourney: number;
    promptsPerCustomer15m: number;
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
    /** Wrong one-time codes per customer within failureWindowSeconds that lock MFA for lockSeconds. */
    customerFailureLimit: number;
    customerFailureWindowSeconds: number;
    customerLockSeconds: number;
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
  /** The transactional outbox's delivery (src/outbox). */
  outbox: OutboxConfig;
  proofs: ProofsConfig;
  factors: {
    /** `two-agents`: an agent's reset of a customer's second factors applies only once a second agent approves it. */
    resetApproval: 'none' | 'two-agents';
  };
  /** Upstream providers' tokens per federation link: the refresh job and the internal API (src/federation). */
  federationTokens: FederationTokensConfig;
  /** Sign-in through upstream identity providers (src/federation, the FEDERATED journey step). */
  federationLogin: FederationLoginConfig;
  apiTokens: {
    /** An API token's last_used_at is written at most once per this many seconds (never a write per request). */
    lastUsedIntervalSeconds: number;
  };
}

export { JOB_NAMES } from './job-names';
export type { JobName } from './job-names';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const config = readConfig(read);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

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
      acquireTimeoutMs: read.integer('DATABASE_ACQUIRE_TIMEOUT_MS', 3000, 100, 60000),
      connectTimeoutMs: read.integer('DATABASE_CONNECT_TIMEOUT_MS', 3000, 100, 60000),
      statementTimeoutMs: read.integer('DATABASE_STATEMENT_TIMEOUT_MS', 5000, 100, 600000),
      idleInTransactionTimeoutMs: read.integer('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 15000, 1000, 600000),
      keepAliveIdleMs: read.integer('DATABASE_KEEPALIVE_IDLE_MS', 10000, 1000, 600000),
      poolIdleTimeoutMs: read.integer('DATABASE_POOL_IDLE_TIMEOUT_MS', 600000, 0, 86400000),
    },
    shutdown: {
      drainNoticeMs: read.integer('SHUTDOWN_DRAIN_NOTICE_MS', 5000, 0, 120000),
      timeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 25000, 1000, 600000),
    },
    log: {
      level: read.oneOf<LogLevel>('LOG_LEVEL', nodeEnv === 'production' ? 'info' : 'debug', [
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    },
    docs: { enabled: read.boolean('DOCS_ENABLED', nodeEnv !== 'production') },
    tracing: {
      enabled: read.boolean('OTEL_TRACES_ENABLED', false),
      endpoint: read.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
      serviceName: read.string('OTEL_SERVICE_NAME', 'ciam-backend'),
    },
    oidc: {
      issuer: '',
      accessTokenAudience: '',
      signingAlg: read.oneOf('OIDC_SIGNING_ALG', 'ES256', ['ES256', 'RS256'] as const),
      keyEncryptionKey: read.optionalString('KEY_ENCRYPTION_KEY'),
      previousKeyEncryptionKey: read.optionalString('KEY_ENCRYPTION_KEY_PREVIOUS'),
      seedDemoClients: read.boolean('SEED_DEMO_CLIENTS', nodeEnv === 'development'),
      clientCacheTtlSeconds: read.integer('CLIENT_CACHE_TTL_SECONDS', 60, 0, 3600),
      clientSecretRotationOverlapSeconds: read.integer('CLIENT_SECRET_ROTATION_OVERLAP_SECONDS', 86400, 0, 30 * 86400),
    },
    tokens: {
      accessTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 300, 30, 3600),
      idTtlSeconds: read.integer('ID_TOKEN_TTL_SECONDS', 300, 30, 3600),
      authorizationCodeTtlSeconds: read.integer('AUTHORIZATION_CODE_TTL_SECONDS', 60, 10, 600),
      refreshGraceSeconds: read.integer('REFRESH_TOKEN_GRACE_SECONDS', 10, 0, 300),
      clockSkewSeconds: read.integer('CLOCK_SKEW_SECONDS', 15, 0, 300),
      refreshDirectoryCheckSeconds: read.integer('REFRESH_DIRECTORY_CHECK_SECONDS', 0, 0, 86400),
      refreshDirectoryOutageGraceSeconds: read.integer('REFRESH_DIRECTORY_OUTAGE_GRACE_SECONDS', 900, 0, 86400),
    },
    sessions: {
      idleTtlSeconds: read.integer('SESSION_IDLE_TTL_SECONDS', 30 * 60, 60, 90 * 24 * 3600),
      absoluteTtlSeconds: read.integer('SESSION_ABSOLUTE_TTL_SECONDS', 12 * 3600, 60, 365 * 24 * 3600),
    },
    ...readJourneyConfig(read, nodeEnv),
    ...readMfaConfig(read, nodeEnv),
    ...readJobsConfig(read, nodeEnv),
    ...readAgentConsoleConfig(read, nodeEnv),
    ...readLoginUiConfig(read),
    ...readOutboxConfig(read, nodeEnv),
    ...readProofsConfig(read),
    ...readFactorConfig(read, nodeEnv),
    ...readFederationTokensConfig(read),
    ...readFederationLoginConfig(read),
    webauthn: { rpId: '', rpName: '', origins: [], challengeTtlSeconds: 0, enrolmentOffer: [] },
  };
  const port = config.http.port;
  config.oidc.issuer = read.issuer('OIDC_ISSUER', `http://localhost:${port}`, nodeEnv);
  config.oidc.accessTokenAudience = read.string('ACCESS_TOKEN_AUDIENCE', config.oidc.issuer);
  config.journeys.loginUiUrl ||= `${config.oidc.issuer}/login`;
  config.webauthn = readWebauthnConfig(read, config.oidc.issuer);
  try {
    new URL(config.journeys.loginUiUrl);
  } catch {
    read.problems.push('LOGIN_UI_URL must be an absolute URL');
  }
  if (config.agents.issuer === config.oidc.issuer) {
    // A customer's token must never open the agent API.
    read.problems.push('AGENT_ISSUER must differ from OIDC_ISSUER');
  }
  if (config.shutdown.drainNoticeMs >= config.shutdown.timeoutMs) {
    read.problems.push('SHUTDOWN_DRAIN_NOTICE_MS must be less than SHUTDOWN_TIMEOUT_MS');
  }
  if (config.sessions.idleTtlSeconds > config.sessions.absoluteTtlSeconds) {
    read.problems.push('SESSION_IDLE_TTL_SECONDS must not exceed SESSION_ABSOLUTE_TTL_SECONDS');
  }
  for (const [name, value] of [
    ['KEY_ENCRYPTION_KEY', config.oidc.keyEncryptionKey],
    ['KEY_ENCRYPTION_KEY_PREVIOUS', config.oidc.previousKeyEncryptionKey],
  ]) {
    if (value !== undefined && Buffer.from(value, 'base64').length !== 32)
      read.problems.push(`${name} must be 32 bytes, base64-encoded (openssl rand -base64 32)`);
  }
  if (config.oidc.previousKeyEncryptionKey && !config.oidc.keyEncryptionKey)
    read.problems.push('KEY_ENCRYPTION_KEY_PREVIOUS needs KEY_ENCRYPTION_KEY');
  if (nodeEnv === 'production') {
    if (!config.oidc.keyEncryptionKey) {
      read.problems.push(
        'KEY_ENCRYPTION_KEY is required when NODE_ENV=production (the generated development key is refused)',
      );
    }
    if (config.oidc.seedDemoClients) {
      read.problems.push(
        'SEED_DEMO_CLIENTS must be false when NODE_ENV=production (the demo clients have public secrets)',
      );
    }
  }
  if (nodeEnv === 'production' && !config.database.url) {
    // The embedded server is a development convenience: no backups, no replication, one disk.
    read.problems.push(
      'DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development)',
    );
  }
  return config;
}

/**
 * The WebAuthn relying party: by default the issuer's host is the RP ID and the issuer's origin the only origin
 * (the hosted login page runs there). The RP ID must be the origins' host or a registrable suffix of it
 * (WebAuthn §5.1.3 step 8; a browser refuses anything else), so a mismatch is refused at start-up.
 */
function readWebauthnConfig(read: EnvReader, issuer: string): AppConfig['webauthn'] {
  const issuerUrl = new URL(issuer);
  const rpId = read.string('WEBAUTHN_RP_ID', issuerUrl.hostname);
  const origins = read.list('WEBAUTHN_ORIGINS', issuerUrl.origin);
  for (const origin of origins) {
    const host = originHost(origin);
    if (!host) read.problems.push(`WEBAUTHN_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
    else if (host !== rpId && !host.endsWith(`.${rpId}`))
      read.problems.push(`WEBAUTHN_ORIGINS: ${origin} is not within WEBAUTHN_RP_ID ${rpId}`);
  }
  return {
    rpId,
    rpName: read.string('WEBAUTHN_RP_NAME', rpId),
    origins,
    challengeTtlSeconds: read.integer('WEBAUTHN_CHALLENGE_TTL_SECONDS', 120, 30, 600),
    enrolmentOffer: readEnrolmentOffer(read),
  };
}

/** PASSKEY_ENROLMENT_OFFER: channel names, case-insensitive; an unknown one is refused at start-up. */
function readEnrolmentOffer(read: EnvReader): AppConfig['webauthn']['enrolmentOffer'] {
  const channels: AppConfig['webauthn']['enrolmentOffer'] = [];
  for (const item of read.list('PASSKEY_ENROLMENT_OFFER', '')) {
    const channel = item.toUpperCase();
    if (channel === 'WEB' || channel === 'MOBILE' || channel === 'API') channels.push(channel);
    else read.problems.push(`PASSKEY_ENROLMENT_OFFER: ${item} is not a channel (web, mobile, api)`);
  }
  return channels;
}

/** The host of an exact origin (`scheme://host[:port]`, nothing more), or null. */
function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === origin ? url.hostname : null;
  } catch {
    return null;
  }
}

/** Injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
