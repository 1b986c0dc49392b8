import { generateKeyPairSync } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ClientsService } from '../../src/clients/clients.service';
import { SessionsService } from '../../src/sessions/sessions.service';
import { AuthorizationCodesService } from '../../src/tokens/authorization-codes.service';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import {
  auditEvents,
  completeLogin,
  exchangeCode,
  introspect,
  pkcePair,
  postForm,
  refresh,
  registerStandardClients,
  SPA,
} from '../support/oauth';
import { useWorkforceIdp, WORKFORCE } from '../support/workforce';

const CLIENT_ADMIN_ROLE = 'ciam-client-admin';
const ADMIN_AGENT = 'client-admin-42';
const PARTNER = { clientId: 'partner-app', redirectUri: 'https://partner.example/callback' };

/**
 * Issue 16 item 1: clients as a managed resource. Two instances on one database (a load balancer's pair): what
 * the admin API changes on one, the other applies at once (the oauth_clients trigger, LISTEN/NOTIFY); a rotated
 * secret overlaps with the new one, then stops; deactivation revokes the client's grants at once and leaves the
 * customer's single sign-on to other clients alone.
 */
describe('client administration API', () => {
  const { idp, env } = useWorkforceIdp();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ env });
    await registerStandardClients(a);
    b = await startTestApp({ env: { ...env, OIDC_ISSUER: a.config.oidc.issuer }, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  afterEach(() => {
    a.clock.reset();
    b.clock.reset();
  });

  const adminToken = (roles = [WORKFORCE.role, CLIENT_ADMIN_ROLE]) => idp.token({ roles, sub: ADMIN_AGENT });
  async function admin(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
    return fetch(`${a.baseUrl}/agent/admin/clients${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token ?? (await adminToken())}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  const clientCredentials = (app: TestApp, id: string, secret: string, scope?: string) =>
    postForm(app, '/oauth2/token', { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { id, secret });

  /** Polls `check` until it holds (another instance hears a change through a notification, a moment later). */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('needs the client admin role on a workforce token: 401 without one, 403 with only the support or admin role', async () => {
    const anonymous = await fetch(`${a.baseUrl}/agent/admin/clients`);
    expect(anonymous.status).toBe(401);
    for (const roles of [[WORKFORCE.role], [WORKFORCE.role, 'ciam-admin'], [CLIENT_ADMIN_ROLE]]) {
      const response = await admin('GET', '', undefined, await adminToken(roles));
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const created = await admin(
      'POST',
      '',
      { clientId: 'not-by-support', name: 'x', type: 'PUBLIC', grantTypes: ['refresh_token'] },
      await adminToken([WORKFORCE.role]),
    );
    expect(created.status).toBe(403);
    expect(await a.dataSource.query(`SELECT 1 FROM oauth_clients WHERE client_id = 'not-by-support'`)).toEqual([]);
  });

  it('creates a confidential client whose secret (shown once) gets a token on either instance; reads and lists it', async () => {
    const response = await admin('POST', '', {
      clientId: 'batch-service',
      name: 'Batch service',
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
      scopes: ['openid', 'api_tokens:manage'],
    });
    expect(response.status).toBe(201);
    const created = await response.json();
    expect(created.clientSecret).toMatch(/^.{32,}$/);
    expect(created.client).toMatchObject({ clientId: 'batch-service', type: 'CONFIDENTIAL', active: true });
    expect(JSON.stringify(created.client)).not.toContain('secret_hash');
    expect(JSON.stringify(created.client)).not.toContain('argon2');

    for (const app of [a, b]) {
      const token = await clientCredentials(app, 'batch-service', created.clientSecret);
      expect(token.status).toBe(200);
      expect((await token.json()).scope).toBe('api_tokens:manage');
    }
    const read = await admin('GET', '/batch-service');
    expect(read.status).toBe(200);
    expect((await read.json()).previousSecretExpiresAt).toBeNull();
    expect(JSON.stringify(await (await admin('GET', '/batch-service')).json())).not.toContain(created.clientSecret);

    // Keyset pages by client id, and the active filter.
    const first = await (await admin('GET', '?limit=2')).json();
    expect(first.clients.map((c: { clientId: string }) => c.clientId)).toEqual(['batch-service', 'test-service']);
    const second = await (await admin('GET', `?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.clients.map((c: { clientId: string }) => c.clientId)).toEqual(['test-spa']);
    expect(second.nextCursor).toBeNull();
    expect((await (await admin('GET', '?active=false')).json()).clients).toEqual([]);

    const [registered] = await auditEvents(a, { type: 'client.registered' }).then((rows) =>
      rows.filter((row) => row.client_id === 'batch-service'),
    );
    expect(registered).toMatchObject({ actor_type: 'AGENT', actor_id: ADMIN_AGENT });
    expect(JSON.stringify(registered.details)).not.toContain(created.clientSecret);
  });

  it('refuses bad input with problem+json and stores nothing: private keys, unknown fields, pairwise without sector, taken ids', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k1' };
    const base = { name: 'Bad', type: 'CONFIDENTIAL', grantTypes: ['client_credentials'] };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, clientId: 'bad-1', jwks: { keys: [privateJwk] } }, /private key members \(d\)/],
      [
        { ...base, clientId: 'bad-2', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] } },
        /private key members/,
      ],
      [{ ...base, clientId: 'bad-3', subjectType: 'pairwise' }, /pairwise client needs a sector identifier/],
      [{ ...base, clientId: 'bad-4', sectorIdentifier: 'http://partner.example' }, /sector identifier/],
      [{ ...base, clientId: 'bad-5', jwksUri: 'http://partner.example/jwks' }, /jwks_uri/],
      [{ ...base, clientId: 'bad-6', tokenEndpointAuthMethod: 'private_key_jwt' }, /private_key_jwt needs jwks/],
      [{ ...base, clientId: 'bad-7', secretHash: 'x' }, /./],
      [{ ...base, clientId: 'bad 8' }, /client id/],
    ];
    for (const [body, message] of bad) {
      const response = await admin('POST', '', body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = await response.json();
      expect(JSON.stringify(problem)).toMatch(message);
      // A private key never comes back in a problem.
      expect(JSON.stringify(problem)).not.toContain(privateJwk.d as string);
    }
    expect(await a.dataSource.query(`SELECT client_id FROM oauth_clients WHERE client_id LIKE 'bad%'`)).toEqual([]);

    const taken = await admin('POST', '', { ...base, clientId: 'test-spa' });
    expect(taken.status).toBe(409);
    expect((await taken.json()).type).toBe('urn:ciam:problem:client-id-taken');
    for (const [method, path] of [
      ['GET', '/nobody'],
      ['PATCH', '/nobody'],
      ['POST', '/nobody/secret'],
      ['POST', '/nobody/deactivate'],
      ['POST', '/nobody/reactivate'],
    ]) {
      const response = await admin(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.status).toBe(404);
    }
    const nulled = await admin('PATCH', '/test-spa', { grantTypes: null });
    expect(nulled.status).toBe(400);
  });

  it('registers public keys and a pairwise sector (stored as its host); a PATCH is audited with field names', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'partner-2026' };
    const created = await admin('POST', '', {
      clientId: 'keyed-partner',
      name: 'Keyed partner',
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
      firstParty: false,
      subjectType: 'pairwise',
      sectorIdentifier: 'https://Partner.Example/sector.json',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body.client).toMatchObject({
      sectorIdentifier: 'partner.example',
      firstParty: false,
      jwks: { keys: [jwk] },
    });

    const patched = await admin('PATCH', '/keyed-partner', {
      name: 'Keyed partner (renamed)',
      refreshTokenTtlSeconds: 86400,
      minAcr: 'loa2',
      allowedClaims: ['email'],
      dpopBoundAccessTokens: true,
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      name: 'Keyed partner (renamed)',
      refreshTokenTtlSeconds: 86400,
      minAcr: 'urn:ciam:loa:2',
      allowedClaims: ['email'],
      dpopBoundAccessTokens: true,
    });
    // Keys cannot be removed while private_key_jwt needs them.
    expect((await admin('PATCH', '/keyed-partner', { jwks: null })).status).toBe(400);

    const updates = (await auditEvents(a, { type: 'client.updated' })).filter((e) => e.client_id === 'keyed-partner');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ actor_type: 'AGENT', actor_id: ADMIN_AGENT });
    expect((updates[0].details.fields as string[]).sort()).toEqual(
      ['allowedClaims', 'dpopBoundAccessTokens', 'minAcr', 'name', 'refreshTokenTtlSeconds'].sort(),
    );
    expect(updates[0].details).toMatchObject({ refreshTokenTtlSeconds: 86400, allowedClaims: ['email'] });
  });

  it('a private_key_jwt client has no secret: none at creation, no rotation; a secret method issues one once, keys drop it', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'keys-only-1' };
    const storedHashes = async () =>
      (
        await a.dataSource.query(
          `SELECT secret_hash, previous_secret_hash FROM oauth_clients WHERE client_id = 'keys-only'`,
        )
      )[0] as { secret_hash: string | null; previous_secret_hash: string | null };
    const created = await admin('POST', '', {
      clientId: 'keys-only',
      name: 'Keys only',
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    expect(created.status).toBe(201);
    expect((await created.json()).clientSecret).toBeNull();
    expect(await storedHashes()).toEqual({ secret_hash: null, previous_secret_hash: null });

    // Nothing to rotate: the answer tells how to get a secret.
    const rotation = await admin('POST', '/keys-only/secret');
    expect(rotation.status).toBe(400);
    expect(rotation.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await rotation.json())).toMatch(/private_key_jwt.*no secret/);

    // Switching to a secret method issues the secret, shown in that answer only, and it works at once.
    const switched = await admin('PATCH', '/keys-only', { tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(switched.status).toBe(200);
    const { clientSecret, ...switchedClient } = await switched.json();
    expect(clientSecret).toMatch(/^.{32,}$/);
    expect(switchedClient).toMatchObject({ clientId: 'keys-only', tokenEndpointAuthMethod: 'client_secret_basic' });
    expect((await storedHashes()).secret_hash).toMatch(/^\$argon2id\$/);
    expect((await clientCredentials(a, 'keys-only', clientSecret)).status).toBe(200);
    const reread = await (await admin('GET', '/keys-only')).json();
    expect(JSON.stringify(reread)).not.toContain(clientSecret);
    // A change that keeps a secret method issues nothing.
    expect((await (await admin('PATCH', '/keys-only', { name: 'Keys only (renamed)' })).json()).clientSecret).toBe(
      undefined,
    );

    // Back to keys, in the middle of a rotation's overlap: the secret and the previous one are both gone.
    const { clientSecret: rotated } = await (await admin('POST', '/keys-only/secret?overlap=3600')).json();
    expect((await storedHashes()).previous_secret_hash).not.toBeNull();
    const back = await admin('PATCH', '/keys-only', { tokenEndpointAuthMethod: 'private_key_jwt' });
    expect(back.status).toBe(200);
    const backBody = await back.json();
    expect(backBody.clientSecret).toBe(undefined);
    expect(backBody.previousSecretExpiresAt).toBeNull();
    expect(await storedHashes()).toEqual({ secret_hash: null, previous_secret_hash: null });
    for (const secret of [clientSecret, rotated]) {
      const refused = await clientCredentials(a, 'keys-only', secret);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    }

    const updates = (await auditEvents(a, { type: 'client.updated' })).filter((e) => e.client_id === 'keys-only');
    expect(updates.map((e) => [e.details.tokenEndpointAuthMethod, e.details.secretChange])).toEqual([
      ['client_secret_basic', 'issued'],
      [undefined, undefined],
      ['private_key_jwt', 'removed'],
    ]);
    for (const event of updates) {
      for (const secret of [clientSecret, rotated]) expect(JSON.stringify(event.details)).not.toContain(secret);
    }

    // The table holds the rule too: no secret for a keys client, always one for a secret client.
    await expect(
      a.dataSource.query(`UPDATE oauth_clients SET secret_hash = 'x' WHERE client_id = 'keys-only'`),
    ).rejects.toThrow(/oauth_clients_secret_by_auth_method/);
    await expect(
      a.dataSource.query(`UPDATE oauth_clients SET secret_hash = NULL WHERE client_id = 'test-service'`),
    ).rejects.toThrow(/oauth_clients_secret_by_auth_method/);
  });

  it('a change of scopes applies at once on the other instance (its cached client is dropped by the notification)', async () => {
    const { clientSecret } = await (
      await admin('POST', '', {
        clientId: 'scoped-service',
        name: 'Scoped service',
        type: 'CONFIDENTIAL',
        grantTypes: ['client_credentials'],
        scopes: ['openid', 'api_tokens:manage'],
      })
    ).json();
    // Instance b serves the client from its cache from now on.
    expect((await clientCredentials(b, 'scoped-service', clientSecret, 'api_tokens:manage')).status).toBe(200);
    expect((await clientCredentials(b, 'scoped-service', clientSecret, 'api_tokens:manage')).status).toBe(200);

    const patched = await admin('PATCH', '/scoped-service', { scopes: ['openid'] });
    expect(patched.status).toBe(200);
    await eventually(
      async () => (await clientCredentials(b, 'scoped-service', clientSecret, 'api_tokens:manage')).status === 400,
      'instance b to refuse the removed scope',
    );
    const refused = await clientCredentials(b, 'scoped-service', clientSecret, 'api_tokens:manage');
    expect(await refused.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('a rotated secret works beside the new one during the overlap, on both instances, and is refused after it', async () => {
    const { clientSecret: oldSecret } = await (
      await admin('POST', '', {
        clientId: 'rotating-service',
        name: 'Rotating service',
        type: 'CONFIDENTIAL',
        grantTypes: ['client_credentials'],
        canIntrospect: true,
      })
    ).json();
    // Both instances remember the old secret as verified (the hot path's cache).
    for (const app of [a, b]) expect((await clientCredentials(app, 'rotating-service', oldSecret)).status).toBe(200);

    const rotated = await admin('POST', '/rotating-service/secret?overlap=3600');
    expect(rotated.status).toBe(200);
    const { clientSecret: newSecret, client } = await rotated.json();
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(client.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);

    for (const app of [a, b]) {
      for (const secret of [oldSecret, newSecret]) {
        const response = await clientCredentials(app, 'rotating-service', secret);
        expect(response.status).toBe(200);
        // The token it got works: the guarded write accepted the hash that verified.
        const { access_token } = await response.json();
        expect((await introspect(app, access_token)).active).toBe(true);
      }
      // Introspection authenticated by the previous secret (its guard too).
      const byOld = await postForm(
        app,
        '/oauth2/introspect',
        { token: 'x' },
        { id: 'rotating-service', secret: oldSecret },
      );
      expect(byOld.status).toBe(200);
    }

    // The overlap ends: the old secret is refused everywhere, the new one goes on.
    a.clock.advance(3601);
    b.clock.advance(3601);
    for (const app of [a, b]) {
      const old = await clientCredentials(app, 'rotating-service', oldSecret);
      expect(old.status).toBe(401);
      expect(await old.json()).toMatchObject({ error: 'invalid_client' });
      expect((await clientCredentials(app, 'rotating-service', newSecret)).status).toBe(200);
    }

    // overlap=0 revokes the previous secret at once.
    const { clientSecret: newest } = await (await admin('POST', '/rotating-service/secret?overlap=0')).json();
    // At once, even on an instance that remembers the secret as verified and has not heard the notification
    // yet: the token statement's guard holds only for the row's hashes.
    for (const app of [b, a]) {
      expect((await clientCredentials(app, 'rotating-service', newSecret)).status).toBe(401);
      expect((await clientCredentials(app, 'rotating-service', newest)).status).toBe(200);
    }
    const rows = await a.dataSource.query(
      `SELECT previous_secret_hash, previous_secret_expires_at FROM oauth_clients WHERE client_id = 'rotating-service'`,
    );
    expect(rows).toEqual([{ previous_secret_hash: null, previous_secret_expires_at: null }]);

    const rotations = (await auditEvents(a, { type: 'client.secret_rotated' })).filter(
      (e) => e.client_id === 'rotating-service',
    );
    expect(rotations.map((e) => e.details.overlapSeconds)).toEqual([3600, 0]);
    for (const event of rotations) {
      expect(event).toMatchObject({ actor_type: 'AGENT', actor_id: ADMIN_AGENT });
      const details = JSON.stringify(event.details);
      for (const secret of [oldSecret, newSecret, newest]) expect(details).not.toContain(secret);
      expect(details).not.toContain('argon2');
    }
  });

  it('deactivation kills its tokens at once, leaves the SSO session it shared, ends the one only it was in; reactivation', async () => {
    expect(
      (
        await admin('POST', '', {
          clientId: PARTNER.clientId,
          name: 'Partner',
          type: 'PUBLIC',
          redirectUris: [PARTNER.redirectUri],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['openid', 'profile', 'offline_access'],
          firstParty: false,
        })
      ).status,
    ).toBe(201);
    // The customer signs in to the bank's SPA, then to the partner by single sign-on under the same session.
    const spaLogin = await completeLogin(a, { scope: 'openid profile offline_access' });
    const spaTokens = await (await exchangeCode(a, spaLogin)).json();
    const partnerTokens = await joinAndExchange(a, spaLogin.sessionId, spaLogin.cupid);
    // And, elsewhere, a session only the partner is in.
    const alone = await completeLogin(a, {
      clientId: PARTNER.clientId,
      redirectUri: PARTNER.redirectUri,
      scope: 'openid offline_access',
    });
    const aloneTokens = await (
      await exchangeCode(a, alone, { client_id: PARTNER.clientId, redirect_uri: PARTNER.redirectUri })
    ).json();
    for (const app of [a, b]) expect((await introspect(app, partnerTokens.access_token)).active).toBe(true);

    const deactivated = await admin('POST', `/${PARTNER.clientId}/deactivate`);
    expect(deactivated.status).toBe(204);

    // At once, on both instances: the partner's tokens are dead, its refresh refused.
    for (const app of [a, b]) {
      expect((await introspect(app, partnerTokens.access_token)).active).toBe(false);
      expect((await introspect(app, aloneTokens.access_token)).active).toBe(false);
    }
    const refused = await postForm(b, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: partnerTokens.refresh_token,
      client_id: PARTNER.clientId,
    });
    expect(refused.status).toBe(401);
    // The customer's session with the bank's SPA goes on, without the partner in it.
    expect((await introspect(b, spaTokens.access_token)).active).toBe(true);
    const spaRefresh = await refresh(b, spaTokens.refresh_token);
    expect(spaRefresh.status).toBe(200);
    const sessions = await a.dataSource.query(
      `SELECT id, status, client_ids FROM sessions WHERE id = ANY($1) ORDER BY id`,
      [[spaLogin.sessionId, alone.sessionId]],
    );
    expect(Object.fromEntries(sessions.map((s: { id: string }) => [s.id, s]))).toMatchObject({
      [spaLogin.sessionId]: { status: 'ACTIVE', client_ids: [SPA.clientId] },
      [alone.sessionId]: { status: 'REVOKED' },
    });
    const read = await (await admin('GET', `/${PARTNER.clientId}`)).json();
    expect(read.active).toBe(false);
    expect(Date.parse(read.deactivatedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(
      (await (await admin('GET', '?active=false')).json()).clients.map((c: { clientId: string }) => c.clientId),
    ).toEqual([PARTNER.clientId]);

    const [event] = (await auditEvents(a, { type: 'client.deactivated' })).filter(
      (e) => e.client_id === PARTNER.clientId,
    );
    expect(event).toMatchObject({ actor_type: 'AGENT', actor_id: ADMIN_AGENT });

    // Reactivated, it is served again; what the deactivation revoked stays revoked.
    expect((await admin('POST', `/${PARTNER.clientId}/reactivate`)).status).toBe(204);
    const again = await (await admin('GET', `/${PARTNER.clientId}`)).json();
    expect(again).toMatchObject({ active: true, deactivatedAt: null });
    expect((await introspect(a, partnerTokens.access_token)).active).toBe(false);
    const reactivations = (await auditEvents(a, { type: 'client.reactivated' })).filter(
      (e) => e.client_id === PARTNER.clientId,
    );
    expect(reactivations).toHaveLength(1);
    expect(reactivations[0]).toMatchObject({ actor_type: 'AGENT', actor_id: ADMIN_AGENT });
  });

  /** A third-party public app registered through the admin API for the code tests, and its row as the service reads it. */
  async function registerCodeApp(clientId: string) {
    const app = { clientId, redirectUri: `https://${clientId}.example/callback` };
    const registered = await admin('POST', '', {
      clientId,
      name: clientId,
      type: 'PUBLIC',
      redirectUris: [app.redirectUri],
      grantTypes: ['authorization_code'],
      firstParty: false,
    });
    expect(registered.status).toBe(201);
    return { app, client: (await a.app.get(ClientsService).findActive(clientId))! };
  }

  it('deactivation deletes its unredeemed codes at once: reactivated within their lifetime, it cannot redeem one', async () => {
    const { app, client } = await registerCodeApp('code-app');
    // The customer's session with the bank's SPA goes on through the deactivation (the app only leaves it), so
    // only the code itself can stop the redemption.
    const spaLogin = await completeLogin(a, { scope: 'openid' });
    const pkce = pkcePair();
    const code = await a.app.get(DataSource).transaction(async (tx) => {
      expect(await a.app.get(SessionsService).joinClient(tx, spaLogin.sessionId, client)).toBe(true);
      return a.app.get(AuthorizationCodesService).mint(tx, {
        client,
        sessionId: spaLogin.sessionId,
        cupid: spaLogin.cupid,
        redirectUri: app.redirectUri,
        codeChallenge: pkce.challenge,
        nonce: 'n-code-app',
        scope: 'openid',
      });
    });
    const unredeemed = () =>
      a.dataSource.query(`SELECT id FROM authorization_codes WHERE client_id = $1 AND redeemed_at IS NULL`, [
        app.clientId,
      ]);
    expect(await unredeemed()).toHaveLength(1);

    expect((await admin('POST', `/${app.clientId}/deactivate`)).status).toBe(204);
    expect(await unredeemed()).toEqual([]);
    expect((await admin('POST', `/${app.clientId}/reactivate`)).status).toBe(204);
    const redeemed = await exchangeCode(
      a,
      { code, verifier: pkce.verifier, sessionId: spaLogin.sessionId, cupid: spaLogin.cupid, nonce: 'n-code-app' },
      { client_id: app.clientId, redirect_uri: app.redirectUri },
    );
    expect(redeemed.status).toBe(400);
    expect(await redeemed.json()).toMatchObject({ error: 'invalid_grant' });
    const [event] = (await auditEvents(a, { type: 'client.deactivated' })).filter((e) => e.client_id === app.clientId);
    expect(event.details).toMatchObject({ codesDeleted: 1 });
    const [{ status }] = await a.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [spaLogin.sessionId]);
    expect(status).toBe('ACTIVE');
  });

  it('a code minted while the client was inactive (a journey already under way) does not survive its reactivation', async () => {
    const { app, client } = await registerCodeApp('late-code-app');
    const login = await completeLogin(a, { scope: 'openid' });
    const mint = (pkce: { challenge: string }) =>
      a.app.get(DataSource).transaction((tx) =>
        a.app.get(AuthorizationCodesService).mint(tx, {
          client,
          sessionId: login.sessionId,
          cupid: login.cupid,
          redirectUri: app.redirectUri,
          codeChallenge: pkce.challenge,
          nonce: 'n-late',
          scope: 'openid',
        }),
      );
    const redeem = (code: string, verifier: string) =>
      exchangeCode(
        a,
        { code, verifier, sessionId: login.sessionId, cupid: login.cupid, nonce: 'n-late' },
        { client_id: app.clientId, redirect_uri: app.redirectUri },
      );

    expect((await admin('POST', `/${app.clientId}/deactivate`)).status).toBe(204);
    // The journey completes after the deactivation committed: minting does not ask whether the client is active.
    const late = pkcePair();
    const lateCode = await mint(late);
    expect((await admin('POST', `/${app.clientId}/reactivate`)).status).toBe(204);
    const refused = await redeem(lateCode, late.verifier);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
    const [reactivation] = (await auditEvents(a, { type: 'client.reactivated' })).filter(
      (e) => e.client_id === app.clientId,
    );
    expect(reactivation.details).toMatchObject({ codesDeleted: 1 });

    // Active again: a new code is good, and reactivating an active client deletes nothing (and audits nothing).
    const fresh = pkcePair();
    const freshCode = await mint(fresh);
    expect((await admin('POST', `/${app.clientId}/reactivate`)).status).toBe(204);
    expect((await redeem(freshCode, fresh.verifier)).status).toBe(200);
    expect(
      (await auditEvents(a, { type: 'client.reactivated' })).filter((e) => e.client_id === app.clientId),
    ).toHaveLength(1);
  });

  it("a client's refresh token lifetime caps its refresh tokens; removing it restores the session's", async () => {
    const patched = await admin('PATCH', `/${SPA.clientId}`, { refreshTokenTtlSeconds: 120 });
    expect(patched.status).toBe(200);
    const login = await completeLogin(b, { scope: 'openid offline_access' });
    const tokens = await (await exchangeCode(b, login)).json();
    b.clock.advance(121);
    const expired = await refresh(b, tokens.refresh_token);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toMatchObject({ error: 'invalid_grant' });

    expect((await admin('PATCH', `/${SPA.clientId}`, { refreshTokenTtlSeconds: null })).status).toBe(200);
    await eventually(async () => {
      const fresh = await completeLogin(b, { scope: 'openid offline_access' });
      const issued = await (await exchangeCode(b, fresh)).json();
      b.clock.advance(121);
      const ok = (await refresh(b, issued.refresh_token)).status === 200;
      b.clock.reset();
      return ok;
    }, 'instance b to drop the refresh lifetime');
  });

  /** The partner joins the customer's live session (SSO) and redeems its code. */
  async function joinAndExchange(app: TestApp, sessionId: string, cupid: string) {
    const client = (await app.app.get(ClientsService).findActive(PARTNER.clientId))!;
    const pkce = pkcePair();
    const code = await app.app.get(DataSource).transaction(async (tx) => {
      expect(await app.app.get(SessionsService).joinClient(tx, sessionId, client)).toBe(true);
      return app.app.get(AuthorizationCodesService).mint(tx, {
        client,
        sessionId,
        cupid,
        redirectUri: PARTNER.redirectUri,
        codeChallenge: pkce.challenge,
        nonce: 'n-partner',
        scope: 'openid offline_access',
      });
    });
    const response = await exchangeCode(
      app,
      { code, verifier: pkce.verifier, sessionId, cupid, nonce: 'n-partner' },
      { client_id: PARTNER.clientId, redirect_uri: PARTNER.redirectUri },
    );
    expect(response.status).toBe(200);
    return response.json();
  }
});
