import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { journeyStep, submitPassword } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, introspect, registerStandardClients } from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

const ALICE = 'CUPID-ALICE-0001';
const PARTNER = {
  clientId: 'fintech-partner',
  name: 'Fintech Partner',
  redirectUri: 'https://fintech.example/callback',
  kid: 'fintech-2026',
};

/**
 * Scenario 9 (issue 16, "Done when"), as a partner (third-party) application lives it, with openid-client as its
 * relying party over real HTTP: an administrator registers it through the admin API (private_key_jwt, pairwise,
 * DPoP-bound); alice signs in to it and allows only openid and email; it gets DPoP tokens for a pseudonym, never
 * her CUPID; she withdraws its consent from the bank's own app, and at once its tokens stop working. Audited.
 */
describe('scenario 9: a partner app through consent, a pairwise subject and DPoP, until alice withdraws', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, registerStandardClients);
  let partner: oidc.Configuration;
  let dpop: oidc.DPoPHandle;
  let jkt: string;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let pseudonym: string;

  const userinfoUrl = () => `${t.config.oidc.issuer}/oauth2/userinfo`;

  it('an administrator registers the partner through the admin API: third-party, private_key_jwt, pairwise, DPoP', async () => {
    const signing = await generateKeyPair('ES256', { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(signing.publicKey)), kid: PARTNER.kid, alg: 'ES256', use: 'sig' };
    const admin = await idp.token({
      sub: 'client-admin-9',
      roles: [t.config.agents.requiredRole, t.config.agents.clientAdminRole],
    });
    const created = await contractFetch(`${t.baseUrl}/agent/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: PARTNER.clientId,
        name: PARTNER.name,
        type: 'CONFIDENTIAL',
        firstParty: false,
        redirectUris: [PARTNER.redirectUri],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
        subjectType: 'pairwise',
        sectorIdentifier: 'https://fintech.example',
        dpopBoundAccessTokens: true,
      }),
    });
    expect(created.status).toBe(201);
    expect((await created.json()).client).toMatchObject({
      clientId: PARTNER.clientId,
      type: 'CONFIDENTIAL',
      active: true,
      firstParty: false,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
      subjectType: 'pairwise',
      sectorIdentifier: 'fintech.example',
      dpopBoundAccessTokens: true,
    });
    const registered = (await auditEvents(t, { type: 'client.registered' })).filter(
      (event) => event.client_id === PARTNER.clientId,
    );
    expect(registered).toEqual([expect.objectContaining({ actor_type: 'AGENT', actor_id: 'client-admin-9' })]);

    // The partner's side: discovery, its key for client assertions, a DPoP key of its own.
    partner = await oidc.discovery(
      new URL(t.config.oidc.issuer),
      PARTNER.clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: signing.privateKey, kid: PARTNER.kid }),
      { execute: [oidc.allowInsecureRequests] },
    );
    expect(partner.serverMetadata().subject_types_supported).toContain('pairwise');
    const dpopKeys = await generateKeyPair('ES256', { extractable: true });
    jkt = await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey), 'sha256');
    dpop = oidc.getDPoPHandle(partner, dpopKeys as unknown as CryptoKeyPair);
  });

  it('alice signs in through the journey the partner started, sees its consent screen and allows only openid and email', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorize = oidc.buildAuthorizationUrl(partner, {
      redirect_uri: PARTNER.redirectUri,
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const toLogin = await fetch(authorize, { redirect: 'manual' });
    expect(toLogin.status).toBe(302);
    const login = new URL(toLogin.headers.get('location')!);
    expect(`${login.origin}${login.pathname}`).toBe(t.config.journeys.loginUiUrl);
    const fragment = new URLSearchParams(login.hash.slice(1));
    expect(fragment.get('step')).toBe('PASSWORD');
    const journeyId = fragment.get('journey')!;

    const password = await submitPassword(t, journeyId, fragment.get('transaction_token')!, 'alice', 'alice-password');
    expect(password.status).toBe(200);
    const pending = await password.json();
    expect(pending).toMatchObject({ status: 'PENDING', nextStep: { type: 'CONSENT' } });
    expect(pending.nextStep.client).toEqual({ clientId: PARTNER.clientId, name: PARTNER.name });
    expect(pending.nextStep.scopes.map((s: { scope: string }) => s.scope)).toEqual(['openid', 'profile', 'email']);

    const granted = await journeyStep(t, journeyId, 'consent', {
      transactionToken: pending.transactionToken,
      scopes: ['openid', 'email'],
    });
    expect(granted.status).toBe(200);
    const done = await granted.json();
    expect(done.status).toBe('COMPLETED');

    // The partner's back end redeems the code: a client assertion signed by its key, a DPoP proof of its DPoP key.
    tokens = await oidc.authorizationCodeGrant(
      partner,
      new URL(done.redirectTo),
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
      undefined,
      { DPoP: dpop },
    );
    const records = await t.dataSource.query(
      `SELECT scope, revoked FROM consent_records WHERE cupid = $1 AND client_id = $2 ORDER BY scope`,
      [ALICE, PARTNER.clientId],
    );
    expect(records).toEqual([
      { scope: 'email', revoked: false },
      { scope: 'openid', revoked: false },
    ]);
  });

  it('the partner holds DPoP-bound tokens for a pseudonym: openid and email only, refused as Bearer', async () => {
    expect(tokens.token_type).toBe('dpop'); // openid-client lower-cases the token_type "DPoP"
    expect(tokens.scope).toBe('openid email');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    pseudonym = tokens.claims()!.sub;
    expect(pseudonym).not.toBe(ALICE);
    expect(pseudonym).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [mapping] = await t.dataSource.query(
      `SELECT pseudonym FROM subject_pseudonyms WHERE sector_identifier = 'fintech.example' AND cupid = $1`,
      [ALICE],
    );
    expect(mapping).toEqual({ pseudonym });
    // The assertion was checked and its jti remembered (replays are refused).
    const [{ assertions }] = await t.dataSource.query(
      `SELECT count(*)::int AS assertions FROM used_jtis WHERE kind = 'client_assertion' AND issuer = $1`,
      [PARTNER.clientId],
    );
    expect(assertions).toBeGreaterThanOrEqual(1);

    // userinfo with a DPoP proof: the same pseudonym, the email, no name (profile was not allowed).
    expect(await oidc.fetchUserInfo(partner, tokens.access_token, pseudonym, { DPoP: dpop })).toEqual({
      sub: pseudonym,
      email: 'alice@example.test',
    });
    expect(await introspect(t, tokens.access_token)).toMatchObject({
      active: true,
      client_id: PARTNER.clientId,
      sub: pseudonym,
      scope: 'openid email',
      token_type: 'DPoP',
      cnf: { jkt },
    });
    // Stolen and replayed as a bearer token, it is refused with a DPoP challenge.
    const asBearer = await fetch(userinfoUrl(), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(await asBearer.json()).toMatchObject({ error: 'invalid_token' });
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP /);

    // Routine refresh, with the same DPoP key: still bound, still the pseudonym, still openid email.
    tokens = await oidc.refreshTokenGrant(partner, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(tokens.scope).toBe('openid email');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: pseudonym, cnf: { jkt } });
  });

  it('alice withdraws the consent from the bank app: at once the partner loses userinfo, refresh and introspection', async () => {
    const home = await (await exchangeCode(t, await completeLogin(t, { cupid: ALICE }))).json();
    const me = (method: string, path = '') =>
      contractFetch(`${t.baseUrl}/me/consents${path}`, {
        method,
        headers: { authorization: `Bearer ${home.access_token}` },
      });
    const listed = await me('GET');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      consents: [
        {
          clientId: PARTNER.clientId,
          clientName: PARTNER.name,
          scopes: [
            expect.objectContaining({ scope: 'email', revoked: false }),
            expect.objectContaining({ scope: 'openid', revoked: false }),
          ],
        },
      ],
    });

    const withdrawn = await me('DELETE', `/${PARTNER.clientId}`);
    expect(withdrawn.status).toBe(200);
    const outcome = await withdrawn.json();
    expect([...outcome.scopes].sort()).toEqual(['email', 'openid']);
    expect(outcome.tokensRevoked).toBeGreaterThanOrEqual(2);

    await expect(oidc.fetchUserInfo(partner, tokens.access_token, pseudonym, { DPoP: dpop })).rejects.toMatchObject({
      status: 401,
    });
    await expect(
      oidc.refreshTokenGrant(partner, tokens.refresh_token!, undefined, { DPoP: dpop }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });

    const records = await t.dataSource.query(
      `SELECT scope, revoked, revoked_at IS NOT NULL AS dated FROM consent_records
        WHERE cupid = $1 AND client_id = $2 ORDER BY scope`,
      [ALICE, PARTNER.clientId],
    );
    expect(records).toEqual([
      { scope: 'email', revoked: true, dated: true },
      { scope: 'openid', revoked: true, dated: true },
    ]);
    const events = await auditEvents(t, { cupid: ALICE });
    const consentEvents = events.filter((e) => e.client_id === PARTNER.clientId && e.event_type.startsWith('consent.'));
    expect(consentEvents.map((e) => e.event_type)).toEqual(['consent.granted', 'consent.revoked']);
    expect(consentEvents[0]).toMatchObject({ actor_type: 'CUSTOMER', details: { forced: false } });
    expect([...(consentEvents[0].details.scopes as string[])].sort()).toEqual(['email', 'openid']);
    expect(consentEvents[1]).toMatchObject({
      actor_type: 'CUSTOMER',
      actor_id: ALICE,
      details: { reason: 'withdrawn by the customer' },
    });
    expect([...(consentEvents[1].details.scopes as string[])].sort()).toEqual(['email', 'openid']);
  });
});
