import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { postForm, registerClient } from '../support/oauth';

/**
 * Issue 16: a client assertion's or a DPoP proof's jti is accepted once across instances (used_jtis), and a
 * server nonce one instance hands out is good at every other (stateless, from the shared key-encryption key).
 * Two instances on one database, one issuer, as behind a load balancer.
 */
describe('proofs of possession across instances', () => {
  const SERVICE = { id: 'fleet-dpop-service', secret: 'fleet-dpop-service-secret-0123' };
  const KEYED = 'fleet-keyed-service';
  let a: TestApp;
  let b: TestApp;
  let signingKey: { privateKey: CryptoKey; jwk: JWK };
  let dpopKey: { privateKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ env: { OIDC_ISSUER: a.config.oidc.issuer }, database: a.database });
    const pair = await generateKeyPair('ES256', { extractable: true });
    signingKey = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1' } };
    const proofPair = await generateKeyPair('ES256', { extractable: true });
    dpopKey = { privateKey: proofPair.privateKey, jwk: await exportJWK(proofPair.publicKey) };
    await registerClient(a, {
      clientId: SERVICE.id,
      name: 'Fleet DPoP service',
      type: 'CONFIDENTIAL',
      secret: SERVICE.secret,
      grantTypes: ['client_credentials'],
      dpopBoundAccessTokens: true,
    });
    await registerClient(a, {
      clientId: KEYED,
      name: 'Fleet keyed service',
      type: 'CONFIDENTIAL',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [signingKey.jwk as Record<string, unknown>] },
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const proof = (nonce?: string) =>
    new SignJWT({
      htm: 'POST',
      htu: `${a.config.oidc.issuer}/oauth2/token`,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      ...(nonce ? { nonce } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopKey.jwk })
      .sign(dpopKey.privateKey);

  const dpopToken = (app: TestApp, dpop: string) =>
    fetch(`${app.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${SERVICE.id}:${SERVICE.secret}`).toString('base64')}`,
        dpop,
      },
      body: 'grant_type=client_credentials',
    });

  it('a nonce from one instance is good at the other; one proof sent to both is accepted once', async () => {
    const first = await dpopToken(a, await proof());
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers.get('dpop-nonce')!;

    const shared = await proof(nonce);
    const [atA, atB] = await Promise.all([dpopToken(a, shared), dpopToken(b, shared)]);
    expect([atA.status, atB.status].sort()).toEqual([200, 400]);
    const refused = atA.status === 400 ? atA : atB;
    expect(await refused.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('one client assertion sent to both instances authenticates once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(KEYED)
      .setSubject(KEYED)
      .setAudience(a.config.oidc.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(signingKey.privateKey);
    const request = (app: TestApp) =>
      postForm(app, '/oauth2/token', {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
    const statuses = (await Promise.all([request(a), request(b)])).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 401]);
  });
});
