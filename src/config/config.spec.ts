import { ConfigError, loadConfig } from './config';

const KEK = Buffer.alloc(32, 1).toString('base64');
/** What production needs beyond the defaults. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/ciam',
  KEY_ENCRYPTION_KEY: KEK,
  OIDC_ISSUER: 'https://id.example',
  SMS_PROVIDER: 'http',
  SMS_HTTP_URL: 'https://sms.example/send',
  AGENT_ISSUER: 'https://login.bank.example/workforce',
  AGENT_JWKS_URL: 'https://login.bank.example/workforce/jwks',
  PUSH_PROVIDER: 'http',
  PUSH_HTTP_URL: 'https://push.example/send',
};

describe('loadConfig', () => {
  it('has a working default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      http: { port: 3000, host: '0.0.0.0', trustProxy: false },
      database: { url: undefined, embeddedDataDir: '.data/postgres', migrationsRun: true },
      log: { level: 'debug' },
      docs: { enabled: true },
    });
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig({
      ...PRODUCTION,
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/ciam',
      DATABASE_POOL_SIZE: '20',
      DATABASE_MIGRATIONS_RUN: 'false',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'yes',
      DOCS_ENABLED: '0',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      http: { port: 8080, trustProxy: true },
      database: { url: 'postgres://u:p@db:5432/ciam', poolSize: 20, migrationsRun: false },
      log: { level: 'warn' },
      docs: { enabled: false },
    });
  });

  it('derives the WebAuthn relying party from the issuer, and refuses origins outside WEBAUTHN_RP_ID', () => {
    expect(loadConfig({ OIDC_ISSUER: 'https://login.bank.example' }).webauthn).toEqual({
      rpId: 'login.bank.example',
      rpName: 'login.bank.example',
      origins: ['https://login.bank.example'],
      challengeTtlSeconds: 120,
      enrolmentOffer: [],
    });
    expect(loadConfig({ PASSKEY_ENROLMENT_OFFER: 'web, Mobile' }).webauthn.enrolmentOffer).toEqual(['WEB', 'MOBILE']);
    expect(() => loadConfig({ PASSKEY_ENROLMENT_OFFER: 'web,fax' })).toThrow(
      /PASSKEY_ENROLMENT_OFFER: fax is not a channel/,
    );
    const wider = loadConfig({
      OIDC_ISSUER: 'https://login.bank.example',
      WEBAUTHN_RP_ID: 'bank.example',
      WEBAUTHN_RP_NAME: 'Example Bank',
      WEBAUTHN_ORIGINS: 'https://login.bank.example,https://app.bank.example',
    }).webauthn;
    expect(wider).toMatchObject({ rpId: 'bank.example', rpName: 'Example Bank' });
    expect(() => loadConfig({ WEBAUTHN_RP_ID: 'bank.example', WEBAUTHN_ORIGINS: 'https://bank.example.evil' })).toThrow(
      /WEBAUTHN_ORIGINS: https:\/\/bank.example.evil is not within WEBAUTHN_RP_ID bank.example/,
    );
    expect(() => loadConfig({ WEBAUTHN_ORIGINS: 'http://localhost:3000/login' })).toThrow(/is not an origin/);
  });

  it('serves Swagger UI by default except in production', () => {
    expect(loadConfig({}).docs.enabled).toBe(true);
    expect(loadConfig(PRODUCTION).docs.enabled).toBe(false);
    expect(loadConfig({ ...PRODUCTION, DOCS_ENABLED: 'true' }).docs.enabled).toBe(true);
  });

  it('refuses development conveniences in production: generated key-encryption key, demo clients', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/ciam' })).toThrow(
      /KEY_ENCRYPTION_KEY is required when NODE_ENV=production/,
    );
    expect(() => loadConfig({ ...PRODUCTION, SEED_DEMO_CLIENTS: 'true' })).toThrow(/SEED_DEMO_CLIENTS must be false/);
    expect(() => loadConfig({ ...PRODUCTION, OIDC_ISSUER: 'http://id.example' })).toThrow(
      /OIDC_ISSUER must be an https: URL/,
    );
    expect(() => loadConfig({ ...PRODUCTION, SMS_PROVIDER: 'log' })).toThrow(/SMS_PROVIDER=log is for development/);
    expect(loadConfig({ ...PRODUCTION, OIDC_ISSUER: 'https://id.example/' }).oidc).toMatchObject({
      issuer: 'https://id.example',
      seedDemoClients: false,
      accessTokenAudience: 'https://id.example',
    });
  });

  it('seeds the demo clients in development only, and checks the key-encryption key length', () => {
    expect(loadConfig({}).oidc.seedDemoClients).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).oidc.seedDemoClients).toBe(false);
    expect(() => loadConfig({ KEY_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/KEY_ENCRYPTION_KEY must be 32 bytes/);
  });

  it('requires a real database in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required when NODE_ENV=production/);
  });

  it('defaults the log level to info in production', () => {
    expect(loadConfig(PRODUCTION).log.level).toBe('info');
  });

  it('names every bad variable at once', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', DATABASE_POOL_SIZE: '0', TRUST_PROXY: 'maybe', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const { problems } = error as ConfigError;
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/PORT .*"eighty"/);
      expect(problems.join('\n')).toMatch(/DATABASE_POOL_SIZE/);
      expect(problems.join('\n')).toMatch(/TRUST_PROXY/);
      expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    }
  });

  it('rejects a DATABASE_URL that is not PostgreSQL, without echoing it', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/ciam' })).toThrow(
      /DATABASE_URL must be a postgres: or postgresql: URL/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'not a url hunter2' })).toThrow(/DATABASE_URL is not a valid URL/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url hunter2' })).not.toThrow(/hunter2/);
  });

  it('bounds every database wait and the shutdown, each configurable', () => {
    expect(loadConfig({})).toMatchObject({
      database: {
        acquireTimeoutMs: 3000,
        connectTimeoutMs: 3000,
        statementTimeoutMs: 5000,
        idleInTransactionTimeoutMs: 15000,
        keepAliveIdleMs: 10000,
        poolIdleTimeoutMs: 600000,
      },
      shutdown: { drainNoticeMs: 5000, timeoutMs: 25000 },
    });
    expect(
      loadConfig({
        DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
        DATABASE_CONNECT_TIMEOUT_MS: '2000',
        DATABASE_STATEMENT_TIMEOUT_MS: '30000',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '60000',
        DATABASE_KEEPALIVE_IDLE_MS: '5000',
        DATABASE_POOL_IDLE_TIMEOUT_MS: '0',
        SHUTDOWN_DRAIN_NOTICE_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '10000',
      }),
    ).toMatchObject({
      database: {
        acquireTimeoutMs: 1000,
        connectTimeoutMs: 2000,
        statementTimeoutMs: 30000,
        idleInTransactionTimeoutMs: 60000,
        keepAliveIdleMs: 5000,
        poolIdleTimeoutMs: 0,
      },
      shutdown: { drainNoticeMs: 0, timeoutMs: 10000 },
    });
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toThrow(
      /DATABASE_STATEMENT_TIMEOUT_MS must be a whole number from 100/,
    );
    expect(() => loadConfig({ SHUTDOWN_DRAIN_NOTICE_MS: '30000', SHUTDOWN_TIMEOUT_MS: '20000' })).toThrow(
      /SHUTDOWN_DRAIN_NOTICE_MS must be less than SHUTDOWN_TIMEOUT_MS/,
    );
  });
});
