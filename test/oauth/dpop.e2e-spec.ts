import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import * as oidc from 'openid-client';
import { Client } from 'pg';
import { ClientCache } from '../../src/clients/client-cache';
import { startTestApp, TestApp } from '../support/app';
import { until } from '../support/until';
import {
  auditEvents,
  completeLogin,
  postForm,
  registerClient,
  registerStandardClients,
  SERVICE,
  SPA,
} from '../support/oauth';

const BOUND_SERVICE = { clientId: 'dpop-bound-service', secret: 'dpop-bound-service-secret-0123' };
const BOUND_SPA = { clientId: 'dpop-bound-spa', redirectUri: 'https://bound-spa.example/callback' };

interface DpopKey {
  pair: CryptoKeyPair;
  jwk: JWK;
  jkt: string;
}

/**
 * DPoP (RFC 9449): a client that sends a DPoP proof at the token endpoint gets tokens bound to the proof's key
 * (token_type DPoP, cnf.jkt); each proof is checked fully and accepted once; a bound token is good only with a
 * proof of its key; server nonces where required.
 */
describe('DPoP sender-constrained tokens', () => {
  let t: TestApp;
  let spa: oidc.Configuration;
  let service: oidc.Configuration;
  let tokenUrl: string;

  async function dpopKey(): Promise<DpopKey> {
    const pair = (await generateKeyPair('ES256', { extractable: true })) as unknown as CryptoKeyPair;
    const jwk = await exportJWK(pair.publicKey as unknown as CryptoKey);
    return { pair, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  }

  /** A DPoP proof for the token endpoint by default; any claim or header member can be overridden. */
  function proof(key: DpopKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
    return new SignJWT({
      htm: 'POST',
      htu: tokenUrl,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header })
      .sign(key.pair.privateKey as unknown as CryptoKey);
  }

  function serviceToken(dpop: string | undefined, client = SERVICE) {
    const basic = Buffer.from(`${client.clientId}:${client.secret}`).toString('base64');
    return fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${basic}`,
        ...(dpop ? { dpop } : {}),
      },
      body: 'grant_type=client_credentials',
    });
  }

  /** 400 with `error`, and (when given) a description naming why: each refusal is for its own reason. */
  async function expectDpopError(response: Response, error = 'invalid_dpop_proof', why?: RegExp) {
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ error });
    if (why) expect(body.error_description).toMatch(why);
  }

  /** A completed login's code redeemed by openid-client for the SPA, with `dpop` as its DPoP handle. */
  async function signIn(dpop: oidc.DPoPHandle) {
    const verifier = oidc.randomPKCECodeVerifier();
    const login = await completeLogin(t, { challenge: await oidc.calculatePKCECodeChallenge(verifier) });
    const callback = new URL(
      `${SPA.redirectUri}?code=${encodeURIComponent(login.code)}&iss=${encodeURIComponent(t.config.oidc.issuer)}`,
    );
    const tokens = await oidc.authorizationCodeGrant(
      spa,
      callback,
      { pkceCodeVerifier: verifier, expectedNonce: login.nonce, idTokenExpected: true },
      undefined,
      { DPoP: dpop },
    );
    return { login, tokens };
  }

  beforeAll(async () => {
    t = await startTestApp();
    await registerStandardClients(t);
    await registerClient(t, {
      clientId: BOUND_SERVICE.clientId,
      name: 'DPoP-bound service',
      type: 'CONFIDENTIAL',
      secret: BOUND_SERVICE.secret,
      grantTypes: ['client_credentials'],
      scopes: ['openid'],
      dpopBoundAccessTokens: true,
    });
    await registerClient(t, {
      clientId: BOUND_SPA.clientId,
      name: 'DPoP-bound SPA',
      type: 'PUBLIC',
      redirectUris: [BOUND_SPA.redirectUri],
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'profile'],
      dpopBoundAccessTokens: true,
    });
    const issuer = new URL(t.config.oidc.issuer);
    const insecure = { execute: [oidc.allowInsecureRequests] };
    spa = await oidc.discovery(issuer, SPA.clientId, undefined, oidc.None(), insecure);
    service = await oidc.discovery(
      issuer,
      SERVICE.clientId,
      undefined,
      oidc.ClientSecretBasic(SERVICE.secret),
      insecure,
    );
    tokenUrl = `${t.config.oidc.issuer}/oauth2/token`;
  });
  afterAll(() => t.close());

  it('discovery advertises the DPoP algorithms', () => {
    expect(spa.serverMetadata().dpop_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'PS256', 'EdDSA']);
  });

  it('openid-client: code exchange, userinfo, introspection and refresh with one DPoP key; tokens bound to it', async () => {
    const key = await dpopKey();
    const dpop = oidc.getDPoPHandle(spa, key.pair);
    const { login, tokens } = await signIn(dpop);
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    const rows = await t.dataSource.query(`SELECT type, dpop_jkt FROM tokens WHERE session_id = $1 ORDER BY type`, [
      login.sessionId,
    ]);
    expect(rows).toEqual([
      { type: 'ACCESS', dpop_jkt: key.jkt },
      { type: 'REFRESH', dpop_jkt: key.jkt },
      { type: 'ID', dpop_jkt: null },
    ]);

    expect(await oidc.fetchUserInfo(spa, tokens.access_token, login.cupid, { DPoP: dpop })).toMatchObject({
      sub: login.cupid,
    });
    expect(await oidc.tokenIntrospection(service, tokens.access_token)).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    });

    const refreshed = await oidc.refreshTokenGrant(spa, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.jkt });
    const issued = (await auditEvents(t, { sessionId: login.sessionId, type: 'tokens.issued' })).at(-1);
    expect(issued?.details).toMatchObject({ grantType: 'refresh_token', dpopJkt: key.jkt });
  });

  it('a bound refresh token with another key, or with none, is refused; the family stays usable', async () => {
    const key = await dpopKey();
    const dpop = oidc.getDPoPHandle(spa, key.pair);
    const { tokens } = await signIn(dpop);

    const other = await dpopKey();
    const withOther = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(other) },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: SPA.clientId,
      }).toString(),
    });
    expect(withOther.status).toBe(400);
    expect(await withOther.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'refresh token is bound to another DPoP key',
    });
    const withNone = await postForm(t, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: SPA.clientId,
    });
    expect(withNone.status).toBe(400);
    expect(await withNone.json()).toMatchObject({ error: 'invalid_grant' });

    // Neither attempt spent the token or revoked the family: its key holder refreshes.
    const refreshed = await oidc.refreshTokenGrant(spa, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
  });

  it('a bound access token used as Bearer at userinfo is refused with a DPoP challenge; a proof for another key too', async () => {
    const key = await dpopKey();
    const { tokens } = await signIn(oidc.getDPoPHandle(spa, key.pair));
    const asBearer = await fetch(`${t.config.oidc.issuer}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(asBearer.status).toBe(401);
    expect(await asBearer.json()).toMatchObject({ error: 'invalid_token' });
    expect(asBearer.headers.get('www-authenticate')).toMatch(
      /^DPoP algs="ES256 RS256 PS256 EdDSA", error="invalid_token"/,
    );

    const userinfoUrl = `${t.config.oidc.issuer}/oauth2/userinfo`;
    const ath = createHash('sha256').update(tokens.access_token).digest('base64url');
    const other = await dpopKey();
    const wrongKey = await fetch(userinfoUrl, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await proof(other, { htm: 'GET', htu: userinfoUrl, ath }),
      },
    });
    expect(wrongKey.status).toBe(401);
    const noAth = await fetch(userinfoUrl, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await proof(key, { htm: 'GET', htu: userinfoUrl }),
      },
    });
    expect(noAth.status).toBe(401);
    expect(await noAth.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const good = await fetch(`${userinfoUrl}?ignored=query`, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await proof(key, { htm: 'GET', htu: userinfoUrl, ath }),
      },
    });
    expect(good.status).toBe(200);

    // The self-service API takes bearer tokens only: a bound token is not one.
    const me = await fetch(`${t.baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(401);
  });

  it('client_credentials with a proof gets a DPoP token; a replayed proof is refused with invalid_dpop_proof', async () => {
    const key = await dpopKey();
    const once = await proof(key);
    const first = await serviceToken(once);
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
    await expectDpopError(await serviceToken(once), 'invalid_dpop_proof', /already used/);
    // The proof is a credential for its minute: never in the logs.
    expect(t.rawLogs()).not.toContain(once);
  });

  it('a race of two requests with the same proof: exactly one succeeds', async () => {
    const shared = await proof(await dpopKey());
    const statuses = (await Promise.all([serviceToken(shared), serviceToken(shared)])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 400]);
  });

  it('refuses proofs for another URL or method, stale, with a private or missing key, a wrong typ or alg', async () => {
    const key = await dpopKey();
    const now = Math.floor(Date.now() / 1000);
    await expectDpopError(
      await serviceToken(await proof(key, { htu: `${t.config.oidc.issuer}/oauth2/introspect` })),
      'invalid_dpop_proof',
      /htu/,
    );
    await expectDpopError(
      await serviceToken(await proof(key, { htu: 'https://elsewhere.example/oauth2/token' })),
      'invalid_dpop_proof',
      /htu/,
    );
    await expectDpopError(await serviceToken(await proof(key, { htm: 'GET' })), 'invalid_dpop_proof', /htm/);
    await expectDpopError(await serviceToken(await proof(key, { iat: now - 120 })), 'invalid_dpop_proof', /iat/);
    await expectDpopError(await serviceToken(await proof(key, { iat: now + 120 })), 'invalid_dpop_proof', /iat/);
    await expectDpopError(await serviceToken(await proof(key, {}, { typ: 'JWT' })), 'invalid_dpop_proof', /typ/);
    const privateJwk = await exportJWK(key.pair.privateKey as unknown as CryptoKey);
    await expectDpopError(
      await serviceToken(await proof(key, {}, { jwk: privateJwk })),
      'invalid_dpop_proof',
      /public/,
    );
    await expectDpopError(
      await serviceToken(await proof(key, {}, { jwk: (await dpopKey()).jwk })),
      'invalid_dpop_proof',
      /signature/,
    );
    const hs = await new SignJWT({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: now })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' })
      .sign(Buffer.alloc(32, 3));
    await expectDpopError(await serviceToken(hs), 'invalid_dpop_proof', /alg/);
    await expectDpopError(await serviceToken('not-a-jwt'), 'invalid_dpop_proof', /not a JWT/);
    // A query on htu is ignored (RFC 9449 §4.3 item 9).
    expect((await serviceToken(await proof(key, { htu: `${tokenUrl}?x=1` }))).status).toBe(200);
  });

  it('a client registered with dpop_bound_access_tokens must send a proof, with the server nonce', async () => {
    const key = await dpopKey();
    await expectDpopError(await serviceToken(undefined, BOUND_SERVICE), 'invalid_dpop_proof', /required/);

    const withoutNonce = await serviceToken(await proof(key), BOUND_SERVICE);
    expect(withoutNonce.status).toBe(400);
    expect(await withoutNonce.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = withoutNonce.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);

    await expectDpopError(
      await serviceToken(await proof(key, { nonce: 'forged.nonce' }), BOUND_SERVICE),
      'use_dpop_nonce',
    );
    const withNonce = await serviceToken(await proof(key, { nonce }), BOUND_SERVICE);
    expect(withNonce.status).toBe(200);
    expect((await withNonce.json()).token_type).toBe('DPoP');
    expect(withNonce.headers.get('dpop-nonce')).toBeTruthy();

    // A nonce from two windows ago is stale.
    t.clock.advance(2 * t.config.proofs.dpopNonceWindowSeconds + 1);
    try {
      const stale = await serviceToken(
        await proof(key, { nonce, iat: Math.floor(t.clock.now().getTime() / 1000) }),
        BOUND_SERVICE,
      );
      expect(stale.status).toBe(400);
      expect(await stale.json()).toMatchObject({ error: 'use_dpop_nonce' });
    } finally {
      t.clock.reset();
    }

    // openid-client handles the nonce round trip itself (it retries once with the nonce it was given).
    const bound = await oidc.discovery(
      new URL(t.config.oidc.issuer),
      BOUND_SERVICE.clientId,
      undefined,
      oidc.ClientSecretBasic(BOUND_SERVICE.secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const tokens = await oidc.clientCredentialsGrant(bound, undefined, { DPoP: oidc.getDPoPHandle(bound, key.pair) });
    expect(tokens.token_type).toBe('dpop');
  });

  it("userinfo applies the token's client's nonce requirement (dpop_bound_access_tokens), not only DPOP_NONCE_REQUIRED", async () => {
    expect(t.config.proofs.dpopNonceRequired).toBe(false);
    const key = await dpopKey();
    const bound = await oidc.discovery(new URL(t.config.oidc.issuer), BOUND_SPA.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const login = await completeLogin(t, {
      clientId: BOUND_SPA.clientId,
      redirectUri: BOUND_SPA.redirectUri,
      scope: 'openid profile',
      challenge: await oidc.calculatePKCECodeChallenge(verifier),
    });
    const callback = new URL(
      `${BOUND_SPA.redirectUri}?code=${encodeURIComponent(login.code)}&iss=${encodeURIComponent(t.config.oidc.issuer)}`,
    );
    // openid-client answers the token endpoint's use_dpop_nonce itself.
    const tokens = await oidc.authorizationCodeGrant(
      bound,
      callback,
      { pkceCodeVerifier: verifier, expectedNonce: login.nonce, idTokenExpected: true },
      undefined,
      { DPoP: oidc.getDPoPHandle(bound, key.pair) },
    );
    expect(tokens.token_type).toBe('dpop');

    const userinfoUrl = `${t.config.oidc.issuer}/oauth2/userinfo`;
    const ath = createHash('sha256').update(tokens.access_token).digest('base64url');
    const userinfo = async (nonce?: string) =>
      fetch(userinfoUrl, {
        headers: {
          authorization: `DPoP ${tokens.access_token}`,
          dpop: await proof(key, { htm: 'GET', htu: userinfoUrl, ath, ...(nonce ? { nonce } : {}) }),
        },
      });
    // RFC 9449 §9: a resource server's nonce challenge, 401 with use_dpop_nonce and the nonce to use.
    const withoutNonce = await userinfo();
    expect(withoutNonce.status).toBe(401);
    expect(await withoutNonce.json()).toMatchObject({ error: 'use_dpop_nonce' });
    expect(withoutNonce.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    const nonce = withoutNonce.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const forged = await userinfo('forged.nonce');
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'use_dpop_nonce' });

    const withNonce = await userinfo(nonce!);
    expect(withNonce.status).toBe(200);
    expect((await withNonce.json()).preferred_username).toBe('alice');
    // §8.2: the nonce for the next proof comes with the answer.
    expect(withNonce.headers.get('dpop-nonce')).toBeTruthy();

    // A client without the requirement is not asked for one (the SPA's DPoP token above, no nonce).
    const spaKey = await dpopKey();
    const { tokens: spaTokens } = await signIn(oidc.getDPoPHandle(spa, spaKey.pair));
    const spaAth = createHash('sha256').update(spaTokens.access_token).digest('base64url');
    const spaUserinfo = await fetch(userinfoUrl, {
      headers: {
        authorization: `DPoP ${spaTokens.access_token}`,
        dpop: await proof(spaKey, { htm: 'GET', htu: userinfoUrl, ath: spaAth }),
      },
    });
    expect(spaUserinfo.status).toBe(200);
    expect(spaUserinfo.headers.get('dpop-nonce')).toBeNull();
  });

  it('clients without DPoP are untouched: bearer tokens, no binding', async () => {
    const response = await serviceToken(undefined);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token).cnf).toBeUndefined();
  });

  it('budget (issue 14): a proof adds exactly one statement, its jti insert', async () => {
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
      const statementsOf = async (dpop: string | undefined) => {
        sent.length = 0;
        const response = await serviceToken(dpop);
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        return [...sent];
      };
      await statementsOf(undefined);
      await until(() => t.app.get(ClientCache).isListening(), 'the client cache to listen');
      await statementsOf(undefined);
      const bearer = await statementsOf(undefined);
      const bound = await statementsOf(await proof(await dpopKey()));
      expect(bound).toHaveLength(bearer.length + 1);
      expect(bound.filter((text) => /INSERT INTO used_jtis/.test(text))).toHaveLength(1);
      expect(bearer.join('\n')).not.toMatch(/used_jtis/);
    } finally {
      Client.prototype.query = originalQuery;
    }
  });
});
