import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SigningKeysService } from '../../src/tokens/keys/signing-keys.service';
import { startTestApp, TestApp, useTestApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import { completeLogin, exchangeCode, registerStandardClients } from '../support/oauth';

describe('signing keys', () => {
  const t = useTestApp({}, registerStandardClients);

  const jwks = async (app: TestApp) => (await fetch(`${app.baseUrl}/oauth2/jwks`)).json();

  it('stores the private key only sealed, and publishes the public key with its kid', async () => {
    const [key] = await t.dataSource.query(
      `SELECT kid, alg, status, public_jwk, private_key_encrypted FROM signing_keys`,
    );
    expect(key).toMatchObject({ alg: 'ES256', status: 'ACTIVE' });
    expect(key.public_jwk.d).toBeUndefined();
    expect(key.private_key_encrypted.toString('latin1')).not.toContain('PRIVATE KEY');
    const published = await jwks(t);
    expect(published.keys).toEqual([
      expect.objectContaining({ kid: key.kid, kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }),
    ]);
    expect(published.keys[0].d).toBeUndefined();
  });

  it('rotates: new tokens use the new key, an old token still verifies, both keys are published', async () => {
    const before = await (await exchangeCode(t, await completeLogin(t))).json();
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const { kid, retiredKid } = await t.app.get(SigningKeysService).rotate('test rotation');
    expect(retiredKid).toBe(oldKid);

    const after = await (await exchangeCode(t, await completeLogin(t))).json();
    expect(decodeProtectedHeader(after.access_token).kid).toBe(kid);

    const keySet = createLocalJWKSet(await jwks(t));
    expect((await jwks(t)).keys.map((key: { kid: string }) => key.kid).sort()).toEqual([kid, oldKid].sort());
    for (const token of [before.access_token, after.access_token]) {
      await expect(jwtVerify(token, keySet, { issuer: t.config.oidc.issuer })).resolves.toBeDefined();
    }
    const rows = await t.dataSource.query(
      `SELECT kid, status, COALESCE(publish_until > now() + interval '1 hour', false) AS published_past_token_life FROM signing_keys ORDER BY created_at`,
    );
    expect(rows).toEqual([
      { kid: oldKid, status: 'RETIRED', published_past_token_life: true },
      { kid, status: 'ACTIVE', published_past_token_life: false },
    ]);
    const events = await t.dataSource.query(
      `SELECT event_type FROM audit_logs WHERE event_type LIKE 'signing_key.%' ORDER BY created_at`,
    );
    expect(events.map((event: { event_type: string }) => event.event_type)).toEqual([
      'signing_key.activated',
      'signing_key.retired',
      'signing_key.activated',
    ]);
  });

  it('drops a retired key from the JWKS once every token it signed has expired', async () => {
    await t.dataSource.query(
      `UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE status = 'RETIRED'`,
    );
    const fresh = await startTestApp({ database: t.database }); // a new instance: no cached JWKS
    try {
      expect((await jwks(fresh)).keys).toHaveLength(1);
    } finally {
      await fresh.app.close();
    }
  });

  it('shares keys between instances: a second instance signs with the same key', async () => {
    const second = await startTestApp({ database: t.database });
    try {
      const [active] = await t.dataSource.query(`SELECT kid FROM signing_keys WHERE status = 'ACTIVE'`);
      const fromSecond = await (await exchangeCode(second, await completeLogin(second))).json();
      expect(decodeProtectedHeader(fromSecond.access_token).kid).toBe(active.kid);
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM signing_keys WHERE status = 'ACTIVE'`)).toEqual([
        { n: 1 },
      ]);
    } finally {
      await second.app.close();
    }
  });

  it('refuses to start with a key-encryption key other than the one that sealed the keys', async () => {
    const database = await createTestDatabase();
    const first = await startTestApp({ database });
    await first.app.close();
    try {
      await expect(
        startTestApp({ database, env: { KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') } }),
      ).rejects.toThrow(/sealed with key-encryption key .* but KEY_ENCRYPTION_KEY is/);
    } finally {
      await database.drop();
    }
  });

  it('changes the key-encryption key without downtime: the previous key still opens, keys:reseal, then the new one alone', async () => {
    const database = await createTestDatabase();
    const oldKek = Buffer.alloc(32, 3).toString('base64');
    const newKek = Buffer.alloc(32, 4).toString('base64');
    try {
      await (await startTestApp({ database, env: { KEY_ENCRYPTION_KEY: oldKek } })).app.close();
      const during = await startTestApp({
        database,
        env: { KEY_ENCRYPTION_KEY: newKek, KEY_ENCRYPTION_KEY_PREVIOUS: oldKek },
      });
      await expect(during.app.get(SigningKeysService).sign({ sub: 'x' }, 'JWT')).resolves.toEqual(expect.any(String));
      expect(await during.app.get(SigningKeysService).resealAll('test')).toBe(1);
      await during.app.close();
      const after = await startTestApp({ database, env: { KEY_ENCRYPTION_KEY: newKek } });
      await expect(after.app.get(SigningKeysService).sign({ sub: 'x' }, 'JWT')).resolves.toEqual(expect.any(String));
      expect(
        await after.dataSource.query(`SELECT event_type FROM audit_logs WHERE event_type = 'signing_key.resealed'`),
      ).toHaveLength(1);
      await after.app.close();
    } finally {
      await database.drop();
    }
  });

  it('signs with RS256 when configured', async () => {
    const rsa = await startTestApp({ env: { OIDC_SIGNING_ALG: 'RS256' } });
    try {
      await registerStandardClients(rsa);
      const tokens = await (await exchangeCode(rsa, await completeLogin(rsa))).json();
      expect(decodeProtectedHeader(tokens.id_token).alg).toBe('RS256');
      await expect(
        jwtVerify(tokens.id_token, createLocalJWKSet(await jwks(rsa)), { issuer: rsa.config.oidc.issuer }),
      ).resolves.toBeDefined();
    } finally {
      await rsa.close();
    }
  });
});
