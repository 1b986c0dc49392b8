import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { JobRunner } from '../../src/jobs/job-runner';
import { startTestApp, TestApp } from '../support/app';
import { compiled } from '../support/compiled';
import { databaseUrl } from '../support/database';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { postForm, SPA } from '../support/oauth';
import { LDAP_CUSTOMERS } from '../support/slapd';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const compose = load(read('docker-compose.yml')) as {
  services: Record<string, { environment: Record<string, string> }>;
};

/**
 * The compose stack's own parts, run for real without Docker: Debian's slapd with docker/openldap's
 * slapd.conf and seed.ldif, the vendor simulator (docker/vendor-sim/server.js), and a database set up by
 * docker/postgres/init-roles.sh's SQL, migrated as its owner role, that the app uses as its app role —
 * with the app's settings from docker-compose.yml (NODE_ENV=production), only the hosts changed.
 */
describe('the compose stack, part by part', () => {
  const suffix = randomBytes(4).toString('hex');
  const names = { owner: `ciam_owner_${suffix}`, app: `ciam_app_${suffix}`, database: `ciam_compose_${suffix}` };
  const passwords = { owner: `owner-${suffix}`, app: `app-${suffix}` };
  const roleUrl = (role: 'owner' | 'app') => {
    const url = new URL(databaseUrl(names.database));
    url.username = names[role];
    url.password = passwords[role];
    return url.toString();
  };
  let ldapDir: string;
  let slapd: ChildProcess;
  let sim: ChildProcess;
  let simUrl: string;
  let t: TestApp;

  beforeAll(async () => {
    // The OpenLDAP image: its configuration with this machine's paths, its seed loaded by slapadd as the entrypoint does.
    ldapDir = mkdtempSync(join(tmpdir(), 'ciam-compose-ldap-'));
    mkdirSync(join(ldapDir, 'db'));
    writeFileSync(
      join(ldapDir, 'slapd.conf'),
      read('docker/openldap/slapd.conf')
        .replace('pidfile /run/slapd/slapd.pid', `pidfile ${join(ldapDir, 'slapd.pid')}`)
        .replace('directory /var/lib/ldap/ciam', `directory ${join(ldapDir, 'db')}`),
    );
    execFileSync(
      '/usr/sbin/slapadd',
      ['-q', '-f', join(ldapDir, 'slapd.conf'), '-l', join(root, 'docker/openldap/seed.ldif')],
      { stdio: 'pipe' },
    );
    const ldapPort = await firstFreePort(0);
    slapd = spawn(
      '/usr/sbin/slapd',
      ['-d', '0', '-f', join(ldapDir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${ldapPort}/`],
      { stdio: 'ignore' },
    );

    const simPort = await firstFreePort(0);
    simUrl = `http://127.0.0.1:${simPort}`;
    const simEnv = compose.services['vendor-sim'].environment;
    sim = spawn(process.execPath, [join(root, 'docker/vendor-sim/server.js')], {
      env: {
        ...process.env,
        PORT: String(simPort),
        SIM_AUTH_TOKEN: simEnv.SIM_AUTH_TOKEN,
        WORKFORCE_ISSUER: `${simUrl}/workforce`,
      },
      stdio: 'ignore',
    });
    await waitFor(async () => (await fetch(`${simUrl}/health`)).ok);
    await waitFor(async () => {
      const client = new LdapClient({ url: `ldap://127.0.0.1:${ldapPort}`, connectTimeout: 200 });
      await client.bind('uid=alice,ou=people,dc=example,dc=test', 'alice-password');
      await client.unbind();
      return true;
    });

    await runInitRoles();
    // What docker/app/migrate.js does, as the owner.
    const owner = new DataSource({
      ...dataSourceOptions(loadConfig({ NODE_ENV: 'test' }), roleUrl('owner')),
      migrationsRun: false,
    });
    await owner.initialize();
    await owner.runMigrations({ transaction: 'each' });
    await owner.destroy();

    // The app service's environment, pointed at this machine's slapd and simulator.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(compose.services.app.environment)) {
      env[name] = value
        .replace('http://vendor-sim:4000', simUrl)
        .replace('ldap://openldap:389', `ldap://127.0.0.1:${ldapPort}`);
    }
    // The test app chooses its own port and issuer; jobs are run explicitly below.
    for (const name of ['PORT', 'OIDC_ISSUER']) delete env[name];
    env.DATABASE_URL = roleUrl('app');
    env.JOBS_ENABLED = 'false';
    t = await startTestApp({
      env,
      database: { name: names.database, url: roleUrl('app'), drop: async () => undefined },
    });
    // The README's client registration for the stack, as written, run as the app role.
    const registered = await runCli(env, ...readmeClientsAdd());
    expect({ code: registered.code, stderr: registered.stderr }).toEqual({ code: 0, stderr: '' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    for (const child of [sim, slapd]) {
      if (!child || child.exitCode !== null) continue;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    }
    if (ldapDir) rmSync(ldapDir, { recursive: true, force: true });
    await asAdmin('postgres', async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${names.app}`);
      await admin.query(`DROP ROLE IF EXISTS ${names.owner}`);
    });
  });

  it('runs in production mode as the app role', async () => {
    expect(t.config.nodeEnv).toBe('production');
    const [who] = await t.dataSource.query('SELECT current_user AS role');
    expect(who.role).toBe(names.app);
  });

  it('signs alice in from a new network with an SMS code read from the simulator, then issues tokens', async () => {
    const journey = await startJourney(t, { clientId: 'demo-spa', redirectUri: SPA.redirectUri });
    const password = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(password.status).toBe(200);
    // Production trusts no network: a first sign-in from an unknown device and network asks for a second factor.
    const challenge = await password.json();
    expect(challenge).toMatchObject({
      status: 'PENDING',
      nextStep: { type: 'SMS_OTP', options: [{ type: 'SMS_OTP', maskedPhone: '+44•••••001' }] },
    });
    const sent = await postJson(t, `/journeys/${journey.journeyId}/sms-otp/send`, {
      transactionToken: challenge.transactionToken,
    });
    expect(sent.status).toBe(200);
    const verify = await sent.json();

    const outbox = await (await fetch(`${simUrl}/sms?to=${encodeURIComponent('+447700900001')}`)).json();
    expect(outbox.messages).toHaveLength(1);
    const code = /(\d{6})/.exec(outbox.messages[0].text)![1];
    const done = await postJson(t, `/journeys/${journey.journeyId}/sms-otp`, {
      transactionToken: verify.transactionToken,
      code,
    });
    expect(done.status).toBe(200);
    const completed = await done.json();
    expect(completed).toMatchObject({ status: 'COMPLETED', authorizationCode: expect.any(String) });

    const tokens = await postForm(t, '/oauth2/token', {
      grant_type: 'authorization_code',
      code: completed.authorizationCode,
      redirect_uri: SPA.redirectUri,
      code_verifier: journey.verifier,
      client_id: 'demo-spa',
    });
    expect(tokens.status).toBe(200);
    expect(await tokens.json()).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
    });
  });

  it("refuses the seed's locked and disabled customers exactly like a wrong password; the audit trail says why", async () => {
    for (const uid of ['carol', 'dave']) {
      const customer = LDAP_CUSTOMERS.find((candidate) => candidate.uid === uid)!;
      const journey = await startJourney(t, { clientId: 'demo-spa', redirectUri: SPA.redirectUri });
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, uid, customer.password);
      expect({ uid, status: response.status, type: (await response.json()).type }).toEqual({
        uid,
        status: 401,
        type: 'urn:ciam:problem:invalid-credentials',
      });
      const [rejected] = await t.dataSource.query(
        `SELECT details FROM audit_logs WHERE context_id = $1 AND event_type = 'credentials.rejected'`,
        [journey.journeyId],
      );
      expect(rejected.details).toMatchObject({
        passwordMatched: true,
        knownCustomer: true,
        directoryStatus: uid === 'carol' ? 'LOCKED' : 'DISABLED',
      });
    }
  });

  it('accepts an agent token the simulator mints (its JWKS over HTTP), and refuses one without the support role', async () => {
    const mint = async (body: Record<string, string>) =>
      (
        await (await fetch(`${simUrl}/workforce/token`, { method: 'POST', body: new URLSearchParams(body) })).text()
      ).trim();
    const path = `/agent/customers/CUPID-ALICE-0001/sessions?reason=${encodeURIComponent('customer called')}`;
    const allowed = await fetch(`${t.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${await mint({ sub: 'agent-007' })}` },
    });
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).sessions.length).toBeGreaterThanOrEqual(1);
    const noRole = await fetch(`${t.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${await mint({ sub: 'agent-008', roles: 'reporting' })}` },
    });
    expect(noRole.status).toBe(403);
  });

  it('runs the data jobs as the app role; the audit partitions (DDL) only as the owner', async () => {
    const runner = t.app.get(JobRunner);
    for (const job of [
      'expire-transactions',
      'expire-contexts',
      'expire-sessions',
      'purge-journey-data',
      'rotate-signing-key',
    ]) {
      expect({ job, status: (await runner.run(job)).status }).toEqual({ job, status: 'ran' });
    }
    // The app role may not create or drop tables, nor empty one.
    for (const statement of [
      'CREATE TABLE compose_probe (id int)',
      'TRUNCATE audit_logs',
      'DROP TABLE audit_logs_default',
    ]) {
      await expect(t.dataSource.query(statement)).rejects.toMatchObject({
        code: expect.stringMatching(/^42501$|^42P01$/),
      });
    }

    // A missing future partition: the app cannot create it, the owner (db-maintenance's CLI run) does.
    const ahead = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 2, 1));
    const partition = `audit_logs_${ahead.getUTCFullYear()}_${String(ahead.getUTCMonth() + 1).padStart(2, '0')}`;
    await asAdmin(names.database, async (admin) => {
      await admin.query(`ALTER TABLE audit_logs DETACH PARTITION ${partition}`);
      await admin.query(`DROP TABLE ${partition}`);
    });
    expect(await runner.run('audit-partitions')).toMatchObject({ status: 'failed' });
    // What db-maintenance runs, with its environment (the owner's DATABASE_URL).
    const asOwner = await runCli(
      { ...compose.services['db-maintenance'].environment, DATABASE_URL: roleUrl('owner') },
      'jobs:run',
      'audit-partitions',
    );
    expect({ code: asOwner.code, stderr: asOwner.stderr }).toEqual({ code: 0, stderr: '' });
    const [exists] = await t.dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [partition]);
    expect(exists.present).toBe(true);
    // The partition the owner created is writable by the app through audit_logs (default privileges).
    const [grant] = await t.dataSource.query(
      `SELECT has_table_privilege($1, 'INSERT') AS insert, has_table_privilege($1, 'TRUNCATE') AS truncate`,
      [partition],
    );
    expect(grant).toEqual({ insert: true, truncate: false });
  }, 60_000);

  it('has the pg_stat_statements view the operations guide queries (checked with EXPLAIN: the library is not preloaded here)', async () => {
    const guide = read('docs/operations.md');
    const queries = [...guide.matchAll(/```sql pg_stat_statements\n([\s\S]*?)```/g)].map((match) =>
      match[1].trim().replace(/;$/, ''),
    );
    expect(queries.length).toBeGreaterThanOrEqual(3);
    await asAdmin(names.database, async (admin) => {
      for (const query of queries) await expect(admin.query(`EXPLAIN ${query}`)).resolves.toBeDefined();
    });
  });

  /** docker/postgres/init-roles.sh's two SQL blocks, with this run's role and database names and passwords. */
  async function runInitRoles(): Promise<void> {
    const blocks = [...read('docker/postgres/init-roles.sh').matchAll(/<<'SQL'\n([\s\S]*?)\nSQL\n/g)].map((match) =>
      match[1]
        .replace(/:'owner_pw'/g, `'${passwords.owner}'`)
        .replace(/:'app_pw'/g, `'${passwords.app}'`)
        .replace(/\bciam_owner\b/g, names.owner)
        .replace(/\bciam_app\b/g, names.app)
        .replace(/\bDATABASE ciam\b/g, `DATABASE ${names.database}`),
    );
    expect(blocks).toHaveLength(2);
    // As psql does: one statement at a time (CREATE DATABASE cannot run in a multi-statement transaction).
    const statements = (block: string) =>
      block
        .split(/;\s*\n/)
        .map((statement) => statement.replace(/^--.*$/gm, '').trim())
        .filter(Boolean);
    await asAdmin('postgres', async (admin) => {
      for (const statement of statements(blocks[0])) await admin.query(statement);
    });
    await asAdmin(names.database, async (admin) => {
      // The embedded PostgreSQL of the tests may lack contrib's pg_stat_statements; the compose image has it.
      const [available] = (
        await admin.query(`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'pg_stat_statements'`)
      ).rows;
      for (const statement of statements(blocks[1])) {
        if (!available.n && statement.includes('pg_stat_statements')) continue;
        await admin.query(statement);
      }
    });
  }
});

async function asAdmin<T>(database: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The arguments of the README's `docker compose exec app node dist/src/cli/main.js clients:add …` command. */
function readmeClientsAdd(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('docker compose exec app node dist/src/cli/main.js clients:add');
  expect(start).toBeGreaterThan(0);
  const command = readme.slice(start, readme.indexOf('\n```', start)).replace(/\\\n\s*/g, ' ');
  const words = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]);
  return words.slice(words.indexOf('clients:add'));
}

/** The operator CLI, compiled (the image runs `node dist/src/cli/main.js`; test-dist/ here), with only this env. */
function runCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [compiled('src/cli/main'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('not ready within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
