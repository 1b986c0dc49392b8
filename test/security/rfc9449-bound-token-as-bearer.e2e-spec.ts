import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { useTestApp } from '../support/app';
import { registerClient } from '../support/oauth';

const SERVICE = { clientId: 'bound-fed-service', secret: 'bound-fed-service-secret-0123' };

/*
 * RFC 9449 §7.2 (review of issue 16): an access token bound to a DPoP key is good only with a proof of that key.
 * A service's client_credentials token is bound when its token request carried a proof; whoever steals it must
 * not be able to spend it as a plain bearer token at any resource of this server, /federation/tokens included
 * (userinfo and /me already refuse it).
 */
describe('RFC 9449 §7.2: a DPoP-bound access token is never a bearer token', () => {
  const t = useTestApp({}, async (app) => {
    await registerClient(app, {
      clientId: SERVICE.clientId,
      name: 'Bound aggregation service',
      type: 'CONFIDENTIAL',
      secret: SERVICE.secret,
      grantTypes: ['client_credentials'],
      scopes: ['federation:tokens'],
    });
  });

  async function boundServiceToken(): Promise<{ accessToken: string; jkt: string }> {
    const pair = (await generateKeyPair('ES256', { extractable: true })) as unknown as CryptoKeyPair;
    const jwk: JWK = await exportJWK(pair.publicKey as unknown as CryptoKey);
    const proof = await new SignJWT({
      htm: 'POST',
      htu: `${t.config.oidc.issuer}/oauth2/token`,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(pair.privateKey as unknown as CryptoKey);
    const response = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${SERVICE.clientId}:${SERVICE.secret}`).toString('base64')}`,
        dpop: proof,
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    return { accessToken: body.access_token, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  }

  it('refuses a bound client_credentials token presented as Bearer at /federation/tokens (401, nothing handed out)', async () => {
    const { accessToken } = await boundServiceToken();
    const response = await fetch(`${t.baseUrl}/federation/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ cupid: `CUPID-${randomUUID().slice(0, 8)}`, provider: 'upstream' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    const audited = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE client_id = $1 AND event_type LIKE 'federation.%'`,
      [SERVICE.clientId],
    );
    expect(audited[0].n).toBe(0);
  });
});
