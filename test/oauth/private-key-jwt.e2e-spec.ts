import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import * as oidc from 'openid-client';
import { Client } from 'pg';
import { ClientCache } from '../../src/clients/client-cache';
import { JobRunner } from '../../src/jobs/job-runner';
import { startTestApp, TestApp } from '../support/app';
import { auditEvents, postForm, registerClient, registerStandardClients, SERVICE } from '../support/oauth';
import { until } from '../support/until';
import { VendorServer } from '../support/vendor-server';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CLIENT_ID = 'pkjwt-service';
const URI_CLIENT_ID = 'pkjwt-uri-service';

/**
 * private_key_jwt (RFC 7523): a confidential client authenticates at the token, introspection and revocation
 * endpoints with a JWT signed by one of its registered keys, each assertion accepted once across instances.
 */
describe('private_key_jwt client authentication', () => {
  let t: TestApp;
  let key: { privateKey: CryptoKey; publicJwk: JWK };
  const keyServer = new VendorServer();

  async function keyPair(kid: string, alg = 'ES256') {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  }

  /** A client registered with private_key_jwt and its public keys (a `jwks`, or a `jwks_uri`). */
  async function registerKeyClient(clientId: string, keys: { jwks?: JWK[]; jwksUri?: string }) {
    await registerClient(t, {
      clientId,
      name: clientId,
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
      scopes: ['openid'],
      canIntrospect: true,
      tokenEndpointAuthMethod: 'private_key_jwt',
      ...(keys.jwks ? { jwks: { keys: keys.jwks as Record<string, unknown>[] } } : {}),
      ...(keys.jwksUri ? { jwksUri: keys.jwksUri } : {}),
    });
  }

  function assertion(
    claims: Record<string, unknown> = {},
    options: { key?: CryptoKey; kid?: string; alg?: string; clientId?: string } = {},
  ) {
    const clientId = options.clientId ?? CLIENT_ID;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience((claims.aud as string) ?? t.config.oidc.issuer)
      .setIssuedAt(now)
      .setExpirationTime((claims.exp as number) ?? now + 60)
      .sign(options.key ?? key.privateKey);
  }

  function clientCredentials(clientAssertion: string, extra: Record<string, string> = {}) {
    return postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: clientAssertion,
      ...extra,
    });
  }

  async function expectInvalidClient(response: Response, audited?: { clientId: string; reason: RegExp }) {
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    if (!audited) return;
    // Refused for its own reason, as the audit trail tells it.
    const failures = (await auditEvents(t, { type: 'client.authentication_failed' })).filter(
      (event) => event.client_id === audited.clientId,
    );
    expect(failures.at(-1)?.details.reason).toMatch(audited.reason);
  }

  beforeAll(async () => {
    t = await startTestApp();
    await registerStandardClients(t);
    key = await keyPair('k1');
    await registerKeyClient(CLIENT_ID, { jwks: [key.publicJwk] });
    await keyServer.start();
  });
  afterAll(async () => {
    await keyServer.stop();
    await t.close();
  });

  it('discovery advertises private_key_jwt and its asymmetric algorithms', async () => {
    const metadata = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
    for (const endpoint of ['token', 'introspection', 'revocation']) {
      expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toContain('private_key_jwt');
      expect(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual([
        'ES256',
        'RS256',
        'PS256',
        'EdDSA',
      ]);
    }
  });

  it('openid-client with PrivateKeyJwt gets a token, introspects it and revokes it', async () => {
    const client = await oidc.discovery(
      new URL(t.config.oidc.issuer),
      CLIENT_ID,
      undefined,
      oidc.PrivateKeyJwt({ key: key.privateKey, kid: 'k1' }),
      { execute: [oidc.allowInsecureRequests] },
    );
    const tokens = await client_credentials(client);
    expect(tokens.token_type).toBe('bearer');
    expect(await oidc.tokenIntrospection(client, tokens.access_token)).toMatchObject({
      active: true,
      client_id: CLIENT_ID,
    });
    await oidc.tokenRevocation(client, tokens.access_token);
    expect(await oidc.tokenIntrospection(client, tokens.access_token)).toEqual({ active: false });
    // Three requests, three assertions, three used jtis.
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM used_jtis WHERE kind = 'client_assertion' AND issuer = $1`,
      [CLIENT_ID],
    );
    expect(n).toBeGreaterThanOrEqual(3);
  });

  function client_credentials(client: oidc.Configuration) {
    return oidc.clientCredentialsGrant(client);
  }

  it('accepts the token endpoint URL as audience (RFC 7523 §3) as well as the issuer', async () => {
    const response = await clientCredentials(await assertion({ aud: `${t.config.oidc.issuer}/oauth2/token` }));
    expect(response.status).toBe(200);
  });

  it('refuses a replayed assertion with 401 invalid_client, audited without the assertion', async () => {
    const once = await assertion();
    expect((await clientCredentials(once)).status).toBe(200);
    await expectInvalidClient(await clientCredentials(once));
    const failures = (await auditEvents(t, { type: 'client.authentication_failed' })).filter(
      (event) => event.client_id === CLIENT_ID,
    );
    expect(failures.at(-1)?.details).toMatchObject({
      endpoint: 'token',
      method: 'private_key_jwt',
      reason: 'client_assertion was already used (jti replayed)',
    });
    expect(JSON.stringify(failures)).not.toContain(once);
    expect(t.rawLogs()).not.toContain(once);
  });

  it('a race of two requests with one assertion: exactly one succeeds', async () => {
    const shared = await assertion();
    const statuses = (await Promise.all([clientCredentials(shared), clientCredentials(shared)])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 401]);
  });

  it('refuses a wrong audience, a missing jti, a far expiry, a foreign key, HS256 and a client_id mismatch', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalidClient(await clientCredentials(await assertion({ aud: 'https://elsewhere.example' })), {
      clientId: CLIENT_ID,
      reason: /did not verify/,
    });
    const noJti = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(t.config.oidc.issuer)
      .setExpirationTime(now + 60)
      .sign(key.privateKey);
    await expectInvalidClient(await clientCredentials(noJti), { clientId: CLIENT_ID, reason: /did not verify/ });
    await expectInvalidClient(await clientCredentials(await assertion({ exp: now + 3600 })), {
      clientId: CLIENT_ID,
      reason: /too far ahead/,
    });
    const stranger = await keyPair('k1');
    await expectInvalidClient(await clientCredentials(await assertion({}, { key: stranger.privateKey })));
    const hs = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(CLIENT_ID)
      .setSubject(CLIENT_ID)
      .setAudience(t.config.oidc.issuer)
      .setExpirationTime(now + 60)
      .sign(Buffer.alloc(32, 1));
    await expectInvalidClient(await clientCredentials(hs), { clientId: CLIENT_ID, reason: /asymmetric/ });
    await expectInvalidClient(await clientCredentials(await assertion(), { client_id: SERVICE.clientId }), {
      clientId: CLIENT_ID,
      reason: /another than client_id/,
    });
  });

  it('a private_key_jwt client has no secret to use; a secret client cannot send assertions', async () => {
    // Registered for keys, the client got no secret (none is stored), and registering one with it is refused.
    const [{ secret_hash }] = await t.dataSource.query(`SELECT secret_hash FROM oauth_clients WHERE client_id = $1`, [
      CLIENT_ID,
    ]);
    expect(secret_hash).toBeNull();
    await expect(
      registerClient(t, {
        clientId: 'pkjwt-known-secret',
        name: 'known secret',
        type: 'CONFIDENTIAL',
        secret: 'a-known-secret-0123456789',
        grantTypes: ['client_credentials'],
        scopes: ['openid'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [key.publicJwk as Record<string, unknown>] },
      }),
    ).rejects.toThrow(/private_key_jwt client authenticates with its keys and has no secret/);
    // Whatever secret it sends, by Basic or in the form, it is refused.
    const withSecret = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: CLIENT_ID, secret: 'a-guessed-secret-0123456789' },
    );
    await expectInvalidClient(withSecret, { clientId: CLIENT_ID, reason: /wrong secret/ });
    const posted = await postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: 'a-guessed-secret-0123456789',
    });
    await expectInvalidClient(posted, { clientId: CLIENT_ID, reason: /wrong secret/ });

    // The standard service (client_secret_basic) sending an assertion signed by a key it never registered.
    const foreign = await assertion({}, { clientId: SERVICE.clientId });
    await expectInvalidClient(await clientCredentials(foreign));
    const [event] = (await auditEvents(t, { type: 'client.authentication_failed' })).filter(
      (e) => e.client_id === SERVICE.clientId,
    );
    expect(event.details).toMatchObject({ reason: 'client is not registered for private_key_jwt' });
  });

  it('two authentication methods at once are an invalid_request', async () => {
    const response = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion() },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    const wrongType = await clientCredentials(await assertion(), { client_assertion_type: 'urn:example:other' });
    expect(wrongType.status).toBe(400);
  });

  it('jwks_uri: fetched, cached, refetched once for an unknown kid (rotation), fails closed when unreachable', async () => {
    const first = await keyPair('uri-1', 'RS256');
    keyServer.always({ kind: 'json', body: { keys: [first.publicJwk] } });
    await registerKeyClient(URI_CLIENT_ID, { jwksUri: `${keyServer.url}/jwks` });
    const sign = (pair: { privateKey: CryptoKey }, kid: string) =>
      assertion({}, { key: pair.privateKey, kid, alg: 'RS256', clientId: URI_CLIENT_ID });

    expect((await clientCredentials(await sign(first, 'uri-1'))).status).toBe(200);
    expect((await clientCredentials(await sign(first, 'uri-1'))).status).toBe(200);
    expect(keyServer.requests).toHaveLength(1); // cached

    // The client rotates: its new kid is not cached, so the set is fetched again (once per 10 s at most).
    const second = await keyPair('uri-2', 'RS256');
    keyServer.always({ kind: 'json', body: { keys: [second.publicJwk] } });
    t.clock.advance(11);
    expect((await clientCredentials(await sign(second, 'uri-2'))).status).toBe(200);
    expect(keyServer.requests).toHaveLength(2);

    // Unreachable (5xx) with nothing cached for this kid: refused, never accepted.
    keyServer.always({ kind: 'status', status: 503 });
    const third = await keyPair('uri-3', 'RS256');
    t.clock.advance(11);
    await expectInvalidClient(await clientCredentials(await sign(third, 'uri-3')), {
      clientId: URI_CLIENT_ID,
      reason: /jwks_uri answered 503/,
    });
    t.clock.reset();
  });

  it('the purge job deletes used jtis past their expiry', async () => {
    await t.dataSource.query(
      `INSERT INTO used_jtis (kind, issuer, jti, expires_at) VALUES ('client_assertion', 'x', 'old', now() - interval '1 hour')`,
    );
    await t.app.get(JobRunner).run('purge-used-jtis');
    const rows = await t.dataSource.query(`SELECT jti FROM used_jtis WHERE issuer = 'x'`);
    expect(rows).toEqual([]);
  });

  it('budget (issue 14): an assertion costs one statement more than a remembered secret (its jti insert)', async () => {
    await registerKeyClient('pkjwt-budget', { jwks: [key.publicJwk] });
    // A secret client with no failures on record (a recent failure adds the lockout read).
    const secretClient = { id: 'pkjwt-budget-secret', secret: 'pkjwt-budget-secret-0123456789' };
    await registerClient(t, {
      clientId: secretClient.id,
      name: secretClient.id,
      type: 'CONFIDENTIAL',
      secret: secretClient.secret,
      grantTypes: ['client_credentials'],
      scopes: ['openid'],
    });
    const pool = (t.dataSource.driver as unknown as { master: { _clients: Client[] } }).master;
    const sent: string[] = [];
    const originalQuery = Client.prototype.query;
    Client.prototype.query = function counted(this: Client, ...args: unknown[]) {
      if (pool._clients.includes(this)) {
        const first = args[0];
        sent.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
      }
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    try {
      const statementsOf = async (request: () => Promise<Response>) => {
        sent.length = 0;
        const response = await request();
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        return [...sent];
      };
      const withSecret = () => postForm(t, '/oauth2/token', { grant_type: 'client_credentials' }, secretClient);
      const withKey = async () => clientCredentials(await assertion({}, { clientId: 'pkjwt-budget' }));
      await statementsOf(withSecret);
      await until(() => t.app.get(ClientCache).isListening(), 'the client cache to listen');
      // Both clients read once more now that changes reach this instance: then served from memory.
      for (const warm of [withSecret, withKey, withKey]) await statementsOf(warm);
      const secret = await statementsOf(withSecret);
      const keyed = await statementsOf(withKey);
      expect(keyed).toHaveLength(secret.length + 1);
      expect(keyed.filter((text) => /INSERT INTO used_jtis/.test(text))).toHaveLength(1);
    } finally {
      Client.prototype.query = originalQuery;
    }
  });
});
