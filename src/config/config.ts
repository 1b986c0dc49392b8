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
}

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
  };
  if (nodeEnv === 'production' && !config.database.url) {
    // The embedded server is a development convenience: no backups, no replication, one disk.
    read.problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development)');
  }
  return config;
}

/** Injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
