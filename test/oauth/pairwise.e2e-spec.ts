import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { ClientsService } from '../../src/clients/clients.service';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/logout/logout-token';
import { SigningKeysService } from '../../src/tokens/keys/signing-keys.service';
import { startTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { cli } from '../support/cli';
import { completeLogin, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { VendorServer } from '../support/vendor-server';
import { useWorkforceIdp } from '../support/workforce';
import { expectedPseudonym, expectedSid } from '../support/pairwise';

/**
 * Pairwise subjects (issue 16 item 3, OpenID Connect Core §8.1) with openid-client as the relying party: a
 * pairwise client's `sub` is a pseudonym per sector, the same in its ID token, access token, userinfo,
 * introspection and back-channel logout tokens; a public client's is the CUPID. Then the operators' version
 * change: add a version, migrate in batches (old pseudonyms keep resolving), roll back; and the agents'
 * reverse lookup. The tests run in order: the version steps build on one another; the operator commands run
 * as processes (the CLI), hence the longer timeouts of those steps.
 */
describe('pairwise subjects', () => {
  const { idp, env: agentEnv } = useWorkforceIdp();
  const rp = new VendorServer();
  let t: TestApp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let service: oidc.Configuration;
  const rps = new Map<string, oidc.Configuration>();

  /** Two clients of sector a.example, one of b.example (with a back-channel logout URI). */
  const A1 = 'rp-pairwise-a1';
  const A2 = 'rp-pairwise-a2';
  const B = 'rp-pairwise-b';
  const SECTOR = { [A1]: 'a.example', [A2]: 'a.example', [B]: 'b.example' } as Record<string, string>;
  const ALICE = 'CUPID-ALICE-0001';

  beforeAll(async () => {
    await rp.start();
    t = await startTestApp({
      env: { ...agentEnv, OUTBOX_DELIVERY_ENABLED: 'true', OUTBOX_POLL_INTERVAL_MS: '50' },
    });
    await registerStandardClients(t);
    const clients = t.app.get(ClientsService);
    for (const clientId of [A1, A2, B]) {
      await clients.register({
        clientId,
        name: clientId,
        type: 'PUBLIC',
        redirectUris: [SPA.redirectUri],
        postLogoutRedirectUris: [SPA.postLogoutRedirectUri],
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'profile'],
        subjectType: 'pairwise',
        sectorIdentifier: SECTOR[clientId],
        ...(clientId === B ? { backchannelLogoutUri: `${rp.url}/b/backchannel` } : {}),
      });
    }
    const issuer = new URL(t.config.oidc.issuer);
    const insecure = { execute: [oidc.allowInsecureRequests] };
    for (const clientId of [A1, A2, B, SPA.clientId])
      rps.set(clientId, await oidc.discovery(issuer, clientId, undefined, oidc.None(), insecure));
    service = await oidc.discovery(
      issuer,
      SERVICE.clientId,
      undefined,
      oidc.ClientSecretBasic(SERVICE.secret),
      insecure,
    );
    jwks = createRemoteJWKSet(new URL(rps.get(A1)!.serverMetadata().jwks_uri!));
  });
  afterAll(async () => {
    await t?.close();
    await rp.stop();
  });
  beforeEach(() => {
    rp.requests.length = 0;
    rp.always({ kind: 'status', status: 200 });
  });

  /** A completed login for `cupid` at `clientId`, redeemed by openid-client (code + PKCE, ID token checked). */
  async function signIn(clientId: string, cupid = ALICE) {
    const config = rps.get(clientId)!;
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    const state = oidc.randomState();
    const login = await completeLogin(t, { clientId, cupid, challenge, scope: 'openid profile' });
    const callback = new URL(
      `${SPA.redirectUri}?code=${encodeURIComponent(login.code)}&state=${state}&iss=${encodeURIComponent(t.config.oidc.issuer)}`,
    );
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    const idToken = await jwtVerify(tokens.id_token!, jwks, { issuer: t.config.oidc.issuer, audience: clientId });
    return { login, tokens, sub: idToken.payload.sub! };
  }

  const mappings = (): Promise<Array<{ sector_identifier: string; cupid: string; version: number }>> =>
    t.dataSource.query(
      'SELECT sector_identifier, cupid, version FROM subject_pseudonyms ORDER BY sector_identifier, cupid',
    );

  const agentLookup = async (clientId: string, sub: string, reason = 'relying party ticket INC-42') =>
    fetch(
      `${t.baseUrl}/agent/clients/${clientId}/subjects/${encodeURIComponent(sub)}?reason=${encodeURIComponent(reason)}`,
      { headers: { authorization: `Bearer ${await idp.token()}` } },
    );

  it('advertises pairwise subjects in discovery', () => {
    expect(rps.get(A1)!.serverMetadata().subject_types_supported).toEqual(['public', 'pairwise']);
  });

  it('refuses a pairwise registration without a sector, or with a sector that is not an https host', async () => {
    const clients = t.app.get(ClientsService);
    const base = {
      name: 'bad',
      type: 'PUBLIC' as const,
      redirectUris: [SPA.redirectUri],
      grantTypes: ['authorization_code' as const],
      subjectType: 'pairwise' as const,
    };
    await expect(clients.register({ ...base, clientId: 'rp-no-sector' })).rejects.toThrow(/needs a sector identifier/);
    await expect(
      clients.register({ ...base, clientId: 'rp-bad-sector', sectorIdentifier: 'http://x.example' }),
    ).rejects.toThrow(/sector identifier: an https host/);
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM oauth_clients WHERE client_id IN ('rp-no-sector', 'rp-bad-sector')`,
    );
    expect(row.n).toBe(0);
  });

  it('gives each sector its own sub, the same within a sector, and the CUPID to a public client', async () => {
    const a1 = await signIn(A1);
    const a2 = await signIn(A2);
    const b = await signIn(B);
    const spa = await signIn(SPA.clientId);
    expect(a1.sub).toBe(expectedPseudonym('v1', 'a.example', ALICE));
    expect(a2.sub).toBe(a1.sub);
    expect(b.sub).toBe(expectedPseudonym('v1', 'b.example', ALICE));
    expect(b.sub).not.toBe(a1.sub);
    expect(a1.sub).not.toContain(ALICE);
    expect(spa.sub).toBe(ALICE);
    // One mapping per sector, recorded with the version that made it; none for the public client.
    expect(await mappings()).toEqual([
      { sector_identifier: 'a.example', cupid: ALICE, version: 1 },
      { sector_identifier: 'b.example', cupid: ALICE, version: 1 },
    ]);
    // The subject rides the token rows of the pairwise client only.
    const rows = await t.dataSource.query<Array<{ client_id: string; subject: string | null }>>(
      'SELECT DISTINCT client_id, subject FROM tokens WHERE session_id = ANY($1) ORDER BY client_id',
      [[a1.login.sessionId, spa.login.sessionId]],
    );
    expect(rows).toEqual([
      { client_id: A1, subject: a1.sub },
      { client_id: SPA.clientId, subject: null },
    ]);
  });

  it('agrees on the sub in the ID token, the access token, userinfo, introspection and after a refresh', async () => {
    const { tokens, sub, login } = await signIn(A1);
    const config = rps.get(A1)!;
    expect(decodeJwt(tokens.access_token).sub).toBe(sub);
    // openid-client checks userinfo's sub against the one it expects (OIDC Core §5.3.2).
    expect(await oidc.fetchUserInfo(config, tokens.access_token, sub)).toEqual({
      sub,
      name: 'Alice Example',
      preferred_username: 'alice',
    });
    expect(await oidc.tokenIntrospection(service, tokens.access_token)).toMatchObject({
      active: true,
      sub,
      client_id: A1,
      sid: expectedSid('a.example', login.sessionId),
    });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(sub);
    expect(decodeJwt(refreshed.access_token).sub).toBe(sub);
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, sub)).toMatchObject({ sub });
  });

  it('ends the session named by a pairwise id_token_hint and tells the client with the pseudonym', async () => {
    const { tokens, sub, login } = await signIn(B);
    const url = oidc.buildEndSessionUrl(rps.get(B)!, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: SPA.postLogoutRedirectUri,
    });
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
    const [session] = await t.dataSource.query('SELECT status FROM sessions WHERE id = $1', [login.sessionId]);
    expect(session.status).toBe('REVOKED');
    // The hint's sub was resolved back to the customer: the trail names them, never the pseudonym.
    const [logout] = await t.dataSource.query(
      `SELECT actor_id, cupid FROM audit_logs WHERE event_type = 'session.logout' AND session_id = $1`,
      [login.sessionId],
    );
    expect(logout).toEqual({ actor_id: ALICE, cupid: ALICE });
    // Its sid is the one the client's ID token carried: its sector's pseudonym of the session, not the session id.
    const sid = expectedSid('b.example', login.sessionId);
    expect(decodeJwt(tokens.id_token!).sid).toBe(sid);
    const payload = await logoutToken('/b/backchannel', sid, B);
    expect(payload).toMatchObject({ sub, sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
  });

  it('resolves a pairwise id_token_hint at authorize, and refuses one whose sub names nobody', async () => {
    const { tokens } = await signIn(A1);
    const authorize = (hint: string) => {
      const url = oidc.buildAuthorizationUrl(rps.get(A1)!, {
        redirect_uri: SPA.redirectUri,
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        prompt: 'none',
        id_token_hint: hint,
      });
      return fetch(url, { redirect: 'manual' }).then((r) => new URL(r.headers.get('location')!));
    };
    // No browser session: the customer must sign in (the hint itself was fine).
    expect((await authorize(tokens.id_token!)).searchParams.get('error')).toBe('login_required');
    // Signed by us, for this client, but its pseudonym is in no mapping.
    const stranger = await t.app.get(SigningKeysService).sign(
      {
        iss: t.config.oidc.issuer,
        aud: A1,
        sub: expectedPseudonym('v1', 'a.example', 'CUPID-NOBODY'),
        sid: randomUUID(),
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
      },
      'JWT',
    );
    expect((await authorize(stranger)).searchParams.get('error')).toBe('invalid_request');
  });

  it('lets an agent resolve a client sub to the customer, audited', async () => {
    const { sub } = await signIn(A2);
    const found = await agentLookup(A2, sub);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ clientId: A2, sub, subjectType: 'pairwise', cupid: ALICE });
    // A pseudonym of another sector names nobody here.
    const other = await agentLookup(A2, expectedPseudonym('v1', 'b.example', ALICE));
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    // A public client's sub is the CUPID.
    expect(await (await agentLookup(SPA.clientId, ALICE)).json()).toMatchObject({
      subjectType: 'public',
      cupid: ALICE,
    });
    expect((await agentLookup('no-such-client', sub)).status).toBe(404);
    expect((await agentLookup(A2, sub, 'x')).status).toBe(400);
    expect((await fetch(`${t.baseUrl}/agent/clients/${A2}/subjects/${sub}?reason=because-ticket`)).status).toBe(401);
    const audit = await t.dataSource.query<Array<{ outcome: string; cupid: string | null; details: object }>>(
      `SELECT outcome, cupid, details FROM audit_logs WHERE event_type = 'pseudonym.resolved' AND client_id = $1 ORDER BY created_at`,
      [A2],
    );
    expect(audit).toEqual([
      {
        outcome: 'SUCCESS',
        cupid: ALICE,
        details: { subjectType: 'pairwise', found: true, reason: 'relying party ticket INC-42' },
      },
      {
        outcome: 'FAILURE',
        cupid: null,
        details: { subjectType: 'pairwise', found: false, reason: 'relying party ticket INC-42' },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(sub);
  });

  describe('versions: add, migrate in batches, roll back', () => {
    const OLD = ['CUPID-PW-0001', 'CUPID-PW-0002', 'CUPID-PW-0003'];
    const NEW = 'CUPID-PW-0004';
    const firstSubs = new Map<string, string>();
    let oldIdToken: string;
    let oldAccessToken: string;

    it('adds version 2: new customers get it, existing ones keep version 1', async () => {
      for (const cupid of OLD) {
        const signedIn = await signIn(A1, cupid);
        firstSubs.set(cupid, signedIn.sub);
        if (cupid === OLD[0]) [oldIdToken, oldAccessToken] = [signedIn.tokens.id_token!, signedIn.tokens.access_token];
      }
      const added = await cli(t, 'pseudonyms:add-version', '--key-ref', 'v2');
      expect(added.code).toBe(0);
      expect(JSON.parse(added.stdout)).toEqual({ version: 2, previous: 1 });

      expect((await signIn(A1, NEW)).sub).toBe(expectedPseudonym('v2', 'a.example', NEW));
      expect((await signIn(A1, OLD[0])).sub).toBe(firstSubs.get(OLD[0]));
      const status = await cli(t, 'pseudonyms:status');
      expect(
        status.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([
        expect.objectContaining({ version: 1, state: 'previous', mappings: 5 }),
        expect.objectContaining({ version: 2, state: 'current', keyRef: 'v2', mappings: 1 }),
      ]);
      // Another version before the migration is done would retire version 1 under its mappings: refused.
      const early = await cli(t, 'pseudonyms:add-version', '--key-ref', 'v3');
      expect(early.code).toBe(1);
      expect(early.stderr).toContain('finish pseudonyms:migrate');
    }, 180_000);

    it('migrates in batches (resumable); old pseudonyms still resolve, issued tokens keep their sub', async () => {
      const first = await cli(t, 'pseudonyms:migrate', '--batch', '2', '--max-batches', '1');
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual({ fromVersion: 1, toVersion: 2, migrated: 2, remaining: 3 });
      const rest = await cli(t, 'pseudonyms:migrate', '--batch', '2');
      expect(JSON.parse(rest.stdout)).toEqual({ fromVersion: 1, toVersion: 2, migrated: 3, remaining: 0 });
      expect((await mappings()).every((row) => row.version === 2)).toBe(true);

      const now = await signIn(A1, OLD[0]);
      expect(now.sub).toBe(expectedPseudonym('v2', 'a.example', OLD[0]));
      expect(now.sub).not.toBe(firstSubs.get(OLD[0]));
      // The relying party's stored sub still names the customer, for agents and as an id_token_hint.
      expect(await (await agentLookup(A1, firstSubs.get(OLD[0])!)).json()).toMatchObject({ cupid: OLD[0] });
      expect(await (await agentLookup(A1, now.sub)).json()).toMatchObject({ cupid: OLD[0] });
      // A token issued before the migration keeps its sub until it expires.
      expect(await oidc.tokenIntrospection(service, oldAccessToken)).toMatchObject({
        active: true,
        sub: firstSubs.get(OLD[0]),
      });
      const end = oidc.buildEndSessionUrl(rps.get(A1)!, { id_token_hint: oldIdToken });
      expect((await fetch(end, { redirect: 'manual' })).status).toBeLessThan(400);
      const audit = await t.dataSource.query<Array<{ details: Record<string, unknown> }>>(
        `SELECT details FROM audit_logs WHERE event_type = 'pseudonyms.migrated' ORDER BY created_at`,
      );
      expect(audit.map((row) => row.details)).toEqual([
        { fromVersion: 1, toVersion: 2, migrated: 2, remaining: 3 },
        { fromVersion: 1, toVersion: 2, migrated: 3, remaining: 0 },
      ]);
    }, 180_000);

    it('rolls back: version 1 is current again and the version 1 pseudonyms are back', async () => {
      const rolled = await cli(t, 'pseudonyms:rollback', '--batch', '2');
      expect(rolled.code).toBe(0);
      expect(JSON.parse(rolled.stdout)).toMatchObject({ current: 1, fromVersion: 2, toVersion: 1, remaining: 0 });
      for (const cupid of OLD) expect((await signIn(A1, cupid)).sub).toBe(firstSubs.get(cupid));
      // A customer first seen under version 2 now has a version 1 pseudonym; the version 2 one still resolves.
      expect((await signIn(A1, NEW)).sub).toBe(expectedPseudonym('v1', 'a.example', NEW));
      expect(await (await agentLookup(A1, expectedPseudonym('v2', 'a.example', NEW))).json()).toMatchObject({
        cupid: NEW,
      });
      const versions = await t.dataSource.query('SELECT version, state FROM pseudonym_versions ORDER BY version');
      expect(versions).toEqual([
        { version: 1, state: 'current' },
        { version: 2, state: 'previous' },
      ]);
      const [event] = await t.dataSource.query(
        `SELECT actor_type, details FROM audit_logs WHERE event_type = 'pseudonym.version_rolled_back'`,
      );
      expect(event).toEqual({ actor_type: 'SYSTEM', details: { current: 1, previous: 2 } });
    }, 180_000);
  });

  /** The logout token POSTed to `path` for `sid`, verified as the relying party would. */
  async function logoutToken(path: string, sid: string, audience: string): Promise<JWTPayload> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const request of rp.requests.filter((r) => r.url === path)) {
        const token = new URLSearchParams(request.body).get('logout_token')!;
        const { payload } = await jwtVerify(token, jwks, { issuer: t.config.oidc.issuer, audience, typ: 'logout+jwt' });
        if (payload.sid === sid) return payload;
      }
      if (Date.now() > deadline) throw new Error(`no logout token at ${path}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
});
