import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app';
import { cli } from '../support/cli';
import { newEsignDocument } from '../support/factories';
import { postForm } from '../support/oauth';

// Each operator-CLI case starts a process that compiles and boots the app: on a busy 2-core machine
// that alone can take tens of seconds, which is not what these cases measure.
jest.setTimeout(120_000);

describe('OAuth clients', () => {
  const t = useTestApp({ env: { SEED_DEMO_CLIENTS: 'true' } });

  it('seeds demo-spa and demo-service in development, as the README documents', async () => {
    const rows = await t.dataSource.query(
      `SELECT client_id, type, redirect_uris, grant_types, can_introspect FROM oauth_clients ORDER BY client_id`,
    );
    expect(rows).toEqual([
      {
        client_id: 'demo-service',
        type: 'CONFIDENTIAL',
        redirect_uris: [],
        grant_types: ['client_credentials'],
        can_introspect: true,
      },
      {
        client_id: 'demo-spa',
        type: 'PUBLIC',
        redirect_uris: ['http://localhost:5173/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        can_introspect: false,
      },
    ]);
    const token = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: 'demo-service', secret: 'demo-service-secret' },
    );
    expect(token.status).toBe(200);
    const [stored] = await t.dataSource.query(`SELECT secret_hash FROM oauth_clients WHERE client_id = 'demo-service'`);
    expect(stored.secret_hash).toMatch(/^\$argon2id\$/);
  });

  it('registers a confidential client from the CLI, prints its secret once and stores only the hash', async () => {
    const result = await cli(
      t,
      'clients:add',
      '--id',
      'billing-api',
      '--name',
      'Billing API',
      '--type',
      'confidential',
      '--grant',
      'client_credentials',
      '--introspect',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({
      registered: 'billing-api',
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
    });
    const secret = lines[1].clientSecret as string;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await t.dataSource.query(`SELECT secret_hash FROM oauth_clients WHERE client_id = 'billing-api'`);
    expect(row.secret_hash).not.toContain(secret);
    expect(
      (await postForm(t, '/oauth2/token', { grant_type: 'client_credentials' }, { id: 'billing-api', secret })).status,
    ).toBe(200);
  });

  it('registers a mobile client with longer session lifetimes', async () => {
    const result = await cli(
      t,
      'clients:add',
      '--id',
      'bank-app',
      '--name',
      'Bank app',
      '--type',
      'public',
      '--grant',
      'authorization_code',
      '--grant',
      'refresh_token',
      '--redirect-uri',
      'https://app.bank.example/callback',
      '--session-idle',
      '2592000',
      '--session-absolute',
      '7776000',
    );
    expect(result.code).toBe(0);
    expect(
      await t.dataSource.query(
        `SELECT session_idle_ttl_seconds, session_absolute_ttl_seconds FROM oauth_clients WHERE client_id = 'bank-app'`,
      ),
    ).toEqual([{ session_idle_ttl_seconds: 2592000, session_absolute_ttl_seconds: 7776000 }]);
    const bad = await cli(
      t,
      'clients:add',
      '--id',
      'bank-app-2',
      '--name',
      'x',
      '--type',
      'public',
      '--grant',
      'authorization_code',
      '--redirect-uri',
      'https://app.bank.example/callback',
      '--session-idle',
      'soon',
    );
    expect(bad.code).toBe(2);
  });

  it('registers a payment app whose minimum level of assurance is loa2, and refuses an unknown level', async () => {
    const add = (id: string, level: string) =>
      cli(
        t,
        'clients:add',
        '--id',
        id,
        '--name',
        'Payments',
        '--type',
        'public',
        '--grant',
        'authorization_code',
        '--redirect-uri',
        'https://pay.bank.example/callback',
        '--min-acr',
        level,
      );
    const result = await add('pay-app', 'loa2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('urn:ciam:loa:2');
    expect(await t.dataSource.query(`SELECT min_acr FROM oauth_clients WHERE client_id = 'pay-app'`)).toEqual([
      { min_acr: 'urn:ciam:loa:2' },
    ]);
    const bad = await add('pay-app-2', 'loa9');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown level of assurance');
    expect(await t.dataSource.query(`SELECT 1 FROM oauth_clients WHERE client_id = 'pay-app-2'`)).toEqual([]);
  });

  it('refuses a public client with client_credentials, a wildcard or non-https redirect, and a duplicate id', async () => {
    const bad = await cli(
      t,
      'clients:add',
      '--id',
      'bad-spa',
      '--name',
      'Bad',
      '--type',
      'public',
      '--grant',
      'client_credentials',
      '--redirect-uri',
      'http://app.example/*',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/a public client cannot use client_credentials/);
    expect(bad.stderr).toMatch(/must be an absolute https URL/);
    const duplicate = await cli(
      t,
      'clients:add',
      '--id',
      'demo-spa',
      '--name',
      'Again',
      '--type',
      'public',
      '--grant',
      'authorization_code',
      '--redirect-uri',
      'https://app.example/cb',
    );
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/already registered/);
  });

  it('deactivates a client: it can no longer authenticate', async () => {
    const result = await cli(t, 'clients:deactivate', '--id', 'billing-api');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deactivated: 'billing-api', changed: true, sessionsRevoked: 0 });
    const response = await postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'billing-api',
      client_secret: 'anything-at-all',
    });
    expect(response.status).toBe(401);
  });

  it('rotates the signing key from the CLI', async () => {
    const result = await cli(t, 'keys:rotate', '--reason', 'scheduled');
    expect(result.code).toBe(0);
    const { kid, retiredKid } = JSON.parse(result.stdout);
    const rows = await t.dataSource.query(`SELECT kid, status FROM signing_keys ORDER BY created_at`);
    expect(rows).toEqual([
      { kid: retiredKid, status: 'RETIRED' },
      { kid, status: 'ACTIVE' },
    ]);
  });
});

describe('CORS', () => {
  const t = useTestApp({ env: { SEED_DEMO_CLIENTS: 'true' } });

  it('admits the origin of a registered redirect URI, and answers its preflight', async () => {
    const preflight = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const actual = await fetch(`${t.baseUrl}/.well-known/openid-configuration`, {
      headers: { origin: 'http://localhost:5173' },
    });
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('admits no other origin', async () => {
    const preflight = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await fetch(`${t.baseUrl}/oauth2/jwks`, { headers: { origin: 'https://evil.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('development workforce IdP (npm run cli -- agent:token)', () => {
  const dir = join(tmpdir(), `ciam-agent-idp-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const t = useTestApp({ env: { AGENT_JWKS_URL: `file:${dir}/jwks.json` } });

  it('mints an agent token whose key the service reads from the JWKS file', async () => {
    const result = await cli(t, 'agent:token', '--sub', 'dev-agent');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    const response = await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions?reason=trying%20it%20out`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const noRole = (await cli(t, 'agent:token', '--sub', 'dev-agent', '--role', 'viewer')).stdout.trim();
    expect(
      (
        await fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions?reason=trying%20it%20out`, {
          headers: { authorization: `Bearer ${noRole}` },
        })
      ).status,
    ).toBe(403);
  });
});

describe('npm run cli -- documents:publish', () => {
  const t = useTestApp();

  it('publishes a document version with the SHA-256 of its file, retiring earlier versions', async () => {
    const file = join(tmpdir(), `terms-${process.pid}.txt`);
    writeFileSync(file, 'Terms v2');
    try {
      await newEsignDocument(t.dataSource, { documentId: 'terms', version: 'v1', url: 'https://bank.example/t1' });
      const result = await cli(
        t,
        'documents:publish',
        '--id',
        'terms',
        '--version',
        'v2',
        '--title',
        'Terms',
        '--url',
        'https://bank.example/t2',
        '--file',
        file,
      );
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        published: 'terms',
        version: 'v2',
        sha256: createHash('sha256').update('Terms v2').digest('hex'),
      });
      expect(await t.dataSource.query(`SELECT version, active FROM esign_documents ORDER BY version`)).toEqual([
        { version: 'v1', active: false },
        { version: 'v2', active: true },
      ]);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
