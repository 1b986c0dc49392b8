import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { configVariableNames, loadConfig } from '../../src/config/config';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/**
 * docker-compose.yml cannot run here (no Docker engine); these checks keep it consistent with the code.
 * `docker-compose config -q` (Debian's docker-compose 1.29) validates its syntax offline.
 */
describe('deployment files', () => {
  const compose = load(read('docker-compose.yml')) as {
    services: Record<string, { environment?: Record<string, string>; healthcheck?: unknown; depends_on?: Record<string, { condition: string }> }>;
  };

  it('brings up the app, PostgreSQL and OpenLDAP, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'openldap', 'postgres']);
    for (const service of Object.values(compose.services)) expect(service.healthcheck).toBeDefined();
    expect(compose.services.app.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, openldap: { condition: 'service_healthy' } });
  });

  it('wires the app only with variables the service reads, and points it at the compose database', () => {
    const known = new Set(configVariableNames());
    const unknown = Object.keys(compose.services.app.environment ?? {}).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
    const postgres = compose.services.postgres.environment!;
    expect(compose.services.app.environment!.DATABASE_URL).toBe(
      `postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`);
  });

  it('gives the app a configuration the service accepts in production mode', () => {
    expect(() => loadConfig(compose.services.app.environment)).not.toThrow();
    expect(loadConfig(compose.services.app.environment).nodeEnv).toBe('production');
  });

  it('documents every configuration variable in the README', () => {
    const readme = read('README.md');
    const missing = configVariableNames().filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
