import type { NodeEnv } from './config';

export type Env = Record<string, string | undefined>;

/** Reads one variable at a time and collects every problem, so one start-up reports them all. */
export class EnvReader {
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
    return (raw === undefined ? fallback : raw)
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
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
