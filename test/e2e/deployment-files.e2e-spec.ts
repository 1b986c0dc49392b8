import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { configVariableNames, loadConfig } from '../../src/config/config';
import { seedLdif, sshaMatches } from '../support/ldap-seed';
import { LDAP_ADMIN_DN, LDAP_CUSTOMERS, LDAP_PEOPLE } from '../support/slapd';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface ComposeService {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  restart?: string;
}

/** Debian's docker-compose 1.29 (`apt-get install docker-compose`, as .ci/run does); absent on a bare machine. */
const composeBinary = spawnSync('docker-compose', ['--version']).status === 0;

/**
 * docker-compose.yml cannot run here (no Docker engine); these checks keep it consistent with the code:
 * the files it builds from exist, the app's settings are ones the service accepts in production, and the
 * services agree with each other on names, ports, roles and secrets. compose-stack.e2e-spec.ts runs the
 * stack's own parts (its slapd configuration and seed, the vendor simulator, the database roles) for real.
 */
describe('deployment files', () => {
  // js-yaml resolves the `<<: *app-env` merge keys, as docker-compose does.
  const compose = load(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
  const { services } = compose;
  const env = (name: string) => services[name].environment!;

  (composeBinary ? it : it.skip)(
    composeBinary
      ? 'is a valid compose file (docker-compose config -q)'
      : 'is a valid compose file (SKIPPED: docker-compose is not installed; .ci/run installs it)',
    () => {
      expect(() =>
        execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
          cwd: root,
          stdio: 'pipe',
        }),
      ).not.toThrow();
    },
  );

  it('brings up the app after its one-shot migration, with PostgreSQL, OpenLDAP and the vendor simulator', () => {
    expect(Object.keys(services).sort()).toEqual([
      'app',
      'db-maintenance',
      'migrate',
      'openldap',
      'postgres',
      'vendor-sim',
    ]);
    expect(services.app.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      openldap: { condition: 'service_healthy' },
      'vendor-sim': { condition: 'service_healthy' },
    });
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.migrate.restart).toBe('no');
    // Every service waited on for its health has a health check to wait for.
    for (const service of Object.values(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(Object.keys(services)).toContain(target);
        if (condition === 'service_healthy') expect(services[target].healthcheck).toBeDefined();
      }
    }
    expect(services.app.healthcheck).toBeDefined();
  });

  it('names only build contexts, Dockerfiles, COPY sources and mounted files that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.build) {
        expect({ name, image: service.image }).toEqual({
          name,
          image: expect.stringMatching(/^[a-z0-9./-]+:[\w.-]+$/),
        });
        continue;
      }
      const context = typeof service.build === 'string' ? service.build : service.build.context;
      const dockerfile = join(
        root,
        context,
        typeof service.build === 'string' ? 'Dockerfile' : (service.build.dockerfile ?? 'Dockerfile'),
      );
      expect({ name, context: statSync(join(root, context)).isDirectory() }).toEqual({ name, context: true });
      expect({ name, dockerfile: existsSync(dockerfile) }).toEqual({ name, dockerfile: true });
      // COPY from the build context (not from another stage): each source must be there.
      for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
        const copy = /^COPY\s+(?!--from)(.+)$/.exec(line.trim());
        if (!copy) continue;
        const sources = copy[1]
          .split(/\s+/)
          .filter((part) => !part.startsWith('--'))
          .slice(0, -1);
        for (const source of sources)
          expect({ dockerfile, source, exists: existsSync(join(root, context, source)) }).toEqual({
            dockerfile,
            source,
            exists: true,
          });
      }
    }
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const host = volume.split(':')[0];
        if (host.startsWith('.'))
          expect({ volume, exists: existsSync(join(root, host)) }).toEqual({ volume, exists: true });
      }
    }
    // The migrate service runs the file the app image copies in.
    expect(services.migrate.command).toEqual(['node', 'migrate.js']);
    expect(read('Dockerfile')).toContain('COPY docker/app/migrate.js ./migrate.js');
  });

  it('wires the app, migrate and maintenance services only with variables the service reads, accepted in production', () => {
    const known = new Set(configVariableNames());
    for (const name of ['app', 'migrate', 'db-maintenance']) {
      expect({ name, unknown: Object.keys(env(name)).filter((variable) => !known.has(variable)) }).toEqual({
        name,
        unknown: [],
      });
      const config = loadConfig(env(name));
      expect(config.nodeEnv).toBe('production');
      // The audit-partitions job is DDL: it runs as the owner (db-maintenance), never in the app.
      expect(config.jobs.schedules['audit-partitions']).toBe('');
    }
  });

  it('connects the app as the least-privileged role and migrates as the owner, with the passwords the init script sets', () => {
    const postgres = env('postgres');
    const url = (name: string) => new URL(env(name).DATABASE_URL);
    expect(url('app')).toMatchObject({
      username: 'ciam_app',
      password: postgres.CIAM_APP_PASSWORD,
      hostname: 'postgres',
      port: '5432',
      pathname: '/ciam',
    });
    expect(env('app').DATABASE_MIGRATIONS_RUN).toBe('false');
    for (const name of ['migrate', 'db-maintenance']) {
      expect(url(name)).toMatchObject({
        username: 'ciam_owner',
        password: postgres.CIAM_OWNER_PASSWORD,
        hostname: 'postgres',
        pathname: '/ciam',
      });
    }
    expect(postgres.POSTGRES_USER).toBe('postgres');
    const init = read('docker/postgres/init-roles.sh');
    expect(init).toContain('CREATE ROLE ciam_owner LOGIN');
    expect(init).toContain('CREATE ROLE ciam_app LOGIN');
    expect(init).toContain('CREATE DATABASE ciam OWNER ciam_owner');
    expect(services.postgres.volumes).toContain(
      './docker/postgres/init-roles.sh:/docker-entrypoint-initdb.d/10-init-roles.sh:ro',
    );
    expect(services.postgres.command).toEqual(expect.arrayContaining(['shared_preload_libraries=pg_stat_statements']));
    expect(init).toContain('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  });

  it('points the directory settings at the OpenLDAP image, whose configuration has that admin and base', () => {
    const app = env('app');
    const slapdConf = read('docker/openldap/slapd.conf');
    expect(app.LDAP_URL).toBe('ldap://openldap:389');
    expect(app.LDAP_BASE_DN).toBe(LDAP_PEOPLE);
    expect(app.LDAP_BIND_DN).toBe(LDAP_ADMIN_DN);
    expect(slapdConf).toContain(`rootdn "${LDAP_ADMIN_DN}"`);
    expect(slapdConf).toContain(`rootpw ${app.LDAP_BIND_PASSWORD}`);
    // The adapter's default attributes are the ones the seed uses (employeeNumber, employeeType, businessCategory).
    for (const variable of [
      'LDAP_CUPID_ATTRIBUTE',
      'LDAP_STATUS_ATTRIBUTE',
      'LDAP_MFA_ATTRIBUTE',
      'LDAP_PHONE_ATTRIBUTE',
    ])
      expect(app[variable]).toBeUndefined();
  });

  it("ships exactly the tests' customers in the directory seed, with hashes of their passwords", () => {
    const committed = read('docker/openldap/seed.ldif');
    const hashes = new Map(
      [...committed.matchAll(/^dn: uid=([^,]+),.*?^userPassword: (\S+)$/gms)].map((match) => [match[1], match[2]]),
    );
    for (const customer of LDAP_CUSTOMERS)
      expect({ uid: customer.uid, matches: sshaMatches(hashes.get(customer.uid) ?? '', customer.password) }).toEqual({
        uid: customer.uid,
        matches: true,
      });
    expect(committed).toBe(seedLdif(LDAP_CUSTOMERS, (customer) => hashes.get(customer.uid)!));
  });

  it('sends SMS, push and agent-token checks to the vendor simulator, with the token it expects', () => {
    const app = env('app');
    const sim = env('vendor-sim');
    const base = `http://vendor-sim:${sim.PORT}`;
    expect(app.SMS_HTTP_URL).toBe(`${base}/sms`);
    expect(app.PUSH_HTTP_URL).toBe(`${base}/push`);
    expect(app.SMS_HTTP_AUTH_HEADER).toBe(`Authorization: Bearer ${sim.SIM_AUTH_TOKEN}`);
    expect(app.PUSH_HTTP_AUTH_HEADER).toBe(`Authorization: Bearer ${sim.SIM_AUTH_TOKEN}`);
    expect(app.AGENT_ISSUER).toBe(sim.WORKFORCE_ISSUER);
    expect(app.AGENT_JWKS_URL).toBe(`${base}/workforce/jwks.json`);
    expect(read('docker/vendor-sim/server.js')).toContain('NOT FOR PRODUCTION');
  });

  it('documents every configuration variable in the README', () => {
    const readme = read('README.md');
    const missing = configVariableNames().filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
