import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { FederationLinksRepository } from '../../src/federation/federation-links.repository';
import { FederationProvidersService } from '../../src/federation/federation-providers.service';
import { FederationTokensService } from '../../src/federation/federation-tokens.service';
import { JobRunner } from '../../src/jobs/job-runner';
import { useTestApp } from '../support/app';
import { newToken } from '../support/factories';
import { auditEvents, postForm, registerClient } from '../support/oauth';
import { startUpstreamOp, UpstreamOp } from '../support/upstream-op-tokens';

const SERVICE = { id: 'fed-service', secret: 'fed-service-secret-0123456789' };
const OTHER = { id: 'other-service', secret: 'other-service-secret-0123456789' };
const PROVIDER = 'upstream';

/*
 * Issue 21, item 3: the upstream provider's tokens per link, sealed at rest, refreshed by the job and on demand,
 * and handed to the bank's services by the internal API. The provider is a real oidc-provider 9 in a child process
 * (access tokens live 120 s; refresh tokens rotate, and a rotated one presented again revokes the grant).
 * Upstream tokens are issued by the provider's own models (test/support/upstream-op-tokens.mjs), as its token
 * endpoint would after a sign-in: the sign-in journey itself is the fedlogin part's and tested there.
 */
describe('federation: the provider tokens kept per link', () => {
  let op: UpstreamOp;
  const minted: string[] = [];
  const t = useTestApp({}, async (app) => {
    op = await startUpstreamOp({ accessTtlSeconds: 120 });
    await app.app.get(FederationProvidersService).create(
      PROVIDER,
      {
        displayName: 'Upstream',
        kind: 'oidc',
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: op.clientSecret,
        scopes: ['openid', 'offline_access'],
        acr: 'loa2',
      },
      { type: 'SYSTEM', id: 'test' },
    );
    await registerClient(app, {
      clientId: SERVICE.id,
      name: 'Aggregation service',
      type: 'CONFIDENTIAL',
      secret: SERVICE.secret,
      grantTypes: ['client_credentials'],
      scopes: ['federation:tokens'],
    });
    await registerClient(app, {
      clientId: OTHER.id,
      name: 'Another service',
      type: 'CONFIDENTIAL',
      secret: OTHER.secret,
      grantTypes: ['client_credentials'],
      scopes: ['openid'],
    });
  });
  afterAll(() => op?.close());

  /** A link of a new customer to the provider, with tokens the provider just issued, stored by the service. */
  async function linkWithTokens(): Promise<{
    cupid: string;
    linkId: string;
    tokens: Awaited<ReturnType<UpstreamOp['mint']>>;
  }> {
    const cupid = `CUPID-FED-${randomUUID().slice(0, 8)}`;
    const subject = `sub-${randomUUID()}`;
    const tokens = await op.mint(subject);
    minted.push(tokens.access_token, tokens.refresh_token);
    const linkId = randomUUID();
    await t.dataSource.transaction(async (tx) => {
      await t.app.get(FederationLinksRepository).insert(tx, {
        id: linkId,
        cupid,
        providerId: PROVIDER,
        subject,
        displayName: null,
        at: t.clock.now(),
      });
      await t.app.get(FederationTokensService).store(tx, linkId, tokens);
    });
    return { cupid, linkId, tokens };
  }

  async function serviceToken(client: { id: string; secret: string }, scope?: string): Promise<string> {
    const response = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      client,
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  function handOut(token: string | null, body: Record<string, unknown>): Promise<Response> {
    return fetch(`${t.baseUrl}/federation/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  }

  const tokenRow = async (linkId: string) =>
    (
      await t.dataSource.query(
        `SELECT access_token_sealed, refresh_token_sealed, key_id, token_type, scope, expires_at, refreshed_at,
                last_used_at, metadata, row_to_json(t)::text AS as_text
           FROM federation_tokens t WHERE link_id = $1`,
        [linkId],
      )
    )[0] as {
      access_token_sealed: Buffer;
      refresh_token_sealed: Buffer;
      key_id: string;
      token_type: string;
      scope: string;
      expires_at: Date;
      refreshed_at: Date | null;
      last_used_at: Date | null;
      metadata: Record<string, unknown>;
      as_text: string;
    };
  const refreshRows = (linkId: string) =>
    t.dataSource.query(
      `SELECT trigger, success, error FROM federation_token_refreshes WHERE link_id = $1 ORDER BY id`,
      [linkId],
    ) as Promise<Array<{ trigger: string; success: boolean; error: string | null }>>;
  const syncActions = async (linkId: string) =>
    (
      (await t.dataSource.query(`SELECT action, details FROM federation_sync_log WHERE link_id = $1 ORDER BY at, id`, [
        linkId,
      ])) as Array<{ action: string; details: Record<string, unknown> }>
    ).map((row) => row.action);
  const linkStatus = async (linkId: string) =>
    (
      (await t.dataSource.query(`SELECT sync_status FROM federation_links WHERE id = $1`, [linkId])) as Array<{
        sync_status: string;
      }>
    )[0].sync_status;
  /** The provider's userinfo answer for an access token: proof that the provider itself accepts it. */
  const upstreamUserinfo = async (accessToken: string) =>
    fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });

  it('stores the tokens sealed: the row holds neither token, only the sealed bytes, the key id and the facts', async () => {
    const { linkId, tokens } = await linkWithTokens();
    const row = await tokenRow(linkId);
    for (const value of [tokens.access_token, tokens.refresh_token]) {
      expect(row.access_token_sealed.includes(Buffer.from(value))).toBe(false);
      expect(row.refresh_token_sealed.includes(Buffer.from(value))).toBe(false);
      expect(row.as_text).not.toContain(value);
    }
    expect(row.access_token_sealed.length).toBeGreaterThan(tokens.access_token.length + 16);
    expect(row.key_id).toMatch(/\S/);
    expect(row).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access', refreshed_at: null });
    const stored = await t.dataSource.query(`SELECT details FROM federation_sync_log WHERE link_id = $1`, [linkId]);
    expect(stored).toEqual([
      {
        details: expect.objectContaining({ tokenType: 'Bearer', refreshable: true, scope: 'openid offline_access' }),
      },
    ]);
    expect(JSON.stringify(stored)).not.toContain(tokens.access_token);
  });

  it('the job refreshes a token about to expire: a new token the provider accepts, a refresh row, the sync log, a later expiry', async () => {
    const { cupid, linkId, tokens } = await linkWithTokens();
    const before = await tokenRow(linkId);
    const statsBefore = await op.stats();
    t.clock.advance(100); // 20 s left of 120: within FEDERATION_REFRESH_AHEAD_SECONDS
    expect(await t.app.get(JobRunner).run('refresh-federation-tokens')).toMatchObject({ status: 'ran' });
    const after = await tokenRow(linkId);
    expect(after.expires_at.getTime()).toBeGreaterThan(before.expires_at.getTime() + 60_000);
    expect(after.refreshed_at).not.toBeNull();
    expect(after.access_token_sealed.equals(before.access_token_sealed)).toBe(false);
    expect(after.metadata).not.toHaveProperty('refreshClaim');
    expect(await refreshRows(linkId)).toEqual([{ trigger: 'job', success: true, error: null }]);
    expect(await syncActions(linkId)).toEqual(['tokens_stored', 'tokens_refreshed']);
    expect((await op.stats()).refreshSuccesses).toBeGreaterThan(statsBefore.refreshSuccesses);
    // The provider rotates refresh tokens (the spent one presented again would revoke the grant): the rotated one
    // was kept, so the next run refreshes again with it.
    t.clock.advance(100);
    await t.app.get(JobRunner).run('refresh-federation-tokens');
    expect(await refreshRows(linkId)).toEqual([
      { trigger: 'job', success: true, error: null },
      { trigger: 'job', success: true, error: null },
    ]);
    expect(await linkStatus(linkId)).toBe('ok');
    // The refreshed access token is the provider's own: its userinfo endpoint accepts it.
    const service = await serviceToken(SERVICE);
    const handed = (await (await handOut(service, { cupid, provider: PROVIDER })).json()) as { accessToken: string };
    expect(handed.accessToken).not.toBe(tokens.access_token);
    minted.push(handed.accessToken);
    expect((await upstreamUserinfo(handed.accessToken)).status).toBe(200);
  });

  it('a grant revoked at the provider: invalid_grant, the link needs re-consent (audited), the internal API answers 409', async () => {
    const { cupid, linkId, tokens } = await linkWithTokens();
    const config = await oidc.discovery(
      new URL(op.issuer),
      op.clientId,
      undefined,
      oidc.ClientSecretBasic(op.clientSecret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    await oidc.tokenRevocation(config, tokens.refresh_token); // RFC 7009 at the provider's revocation endpoint
    t.clock.advance(100);
    await t.app.get(JobRunner).run('refresh-federation-tokens');
    expect(await refreshRows(linkId)).toEqual([{ trigger: 'job', success: false, error: 'invalid_grant' }]);
    expect(await linkStatus(linkId)).toBe('needs_reconsent');
    expect(await syncActions(linkId)).toEqual(['tokens_stored', 'refresh_failed', 'reconsent_required']);
    const [event] = await auditEvents(t, { cupid, type: 'federation.reconsent_required' });
    expect(event).toMatchObject({
      outcome: 'FAILURE',
      actor_type: 'SYSTEM',
      details: { providerId: PROVIDER, linkId, error: 'invalid_grant', trigger: 'job' },
    });

    const service = await serviceToken(SERVICE);
    const response = await handOut(service, { cupid, provider: PROVIDER });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'urn:ciam:problem:reconsent-required', status: 409 });
    expect(await auditEvents(t, { cupid, type: 'federation.token_handed_out' })).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        actor_type: 'CLIENT',
        client_id: SERVICE.id,
        details: expect.objectContaining({ providerId: PROVIDER, linkId, reason: 'reconsent_required' }),
      }),
    ]);
    // The job leaves it alone now: only a new consent helps.
    t.clock.advance(30);
    await t.app.get(JobRunner).run('refresh-federation-tokens');
    expect(await refreshRows(linkId)).toHaveLength(1);
    // New tokens (the customer signed in through the provider again) put the link back in order.
    const fresh = await op.mint(`again-${linkId}`);
    minted.push(fresh.access_token, fresh.refresh_token);
    await t.dataSource.transaction((tx) => t.app.get(FederationTokensService).store(tx, linkId, fresh));
    expect(await linkStatus(linkId)).toBe('ok');
    expect((await handOut(service, { cupid, provider: PROVIDER })).status).toBe(200);
  });

  it('the internal API hands out the token, refreshing it first when it is about to expire; audited without it', async () => {
    const { cupid, linkId, tokens } = await linkWithTokens();
    const service = await serviceToken(SERVICE, 'federation:tokens');

    const first = await handOut(service, { cupid, provider: PROVIDER });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const firstBody = (await first.json()) as {
      accessToken: string;
      tokenType: string;
      scope: string;
      expiresAt: string;
    };
    expect(firstBody).toMatchObject({
      accessToken: tokens.access_token,
      tokenType: 'Bearer',
      scope: 'openid offline_access',
    });
    expect(await refreshRows(linkId)).toEqual([]);
    expect((await tokenRow(linkId)).last_used_at).not.toBeNull();

    t.clock.advance(90); // 30 s left: under FEDERATION_TOKEN_MIN_VALIDITY_SECONDS (60)
    const second = await handOut(service, { cupid, provider: PROVIDER });
    expect(second.status).toBe(200);
    const secondBody = (await second.json()) as { accessToken: string; expiresAt: string };
    minted.push(secondBody.accessToken);
    expect(secondBody.accessToken).not.toBe(tokens.access_token);
    expect(new Date(secondBody.expiresAt).getTime()).toBeGreaterThan(new Date(firstBody.expiresAt).getTime());
    expect((await upstreamUserinfo(secondBody.accessToken)).status).toBe(200);
    expect(await refreshRows(linkId)).toEqual([{ trigger: 'on_demand', success: true, error: null }]);

    const events = await auditEvents(t, { cupid, type: 'federation.token_handed_out' });
    expect(events.map((event) => [event.outcome, event.client_id, event.details.refreshed])).toEqual([
      ['SUCCESS', SERVICE.id, false],
      ['SUCCESS', SERVICE.id, true],
    ]);
    expect(JSON.stringify(events)).not.toContain(tokens.access_token);
    expect(JSON.stringify(events)).not.toContain(secondBody.accessToken);
    expect(await syncActions(linkId)).toEqual([
      'tokens_stored',
      'token_handed_out',
      'tokens_refreshed',
      'token_handed_out',
    ]);
  });

  it("refuses a token without the federation:tokens scope or a customer's token (403), no token (401); 404 without a link", async () => {
    const { cupid } = await linkWithTokens();
    const other = await serviceToken(OTHER);
    const forbidden = await handOut(other, { cupid, provider: PROVIDER });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ type: 'urn:ciam:problem:forbidden' });
    // A customer's token never opens it, whatever scope it names: only a client's own (client_credentials) token.
    const customerToken = `customer-${randomUUID()}`;
    await newToken(t.dataSource, {
      value: customerToken,
      cupid,
      clientId: SERVICE.id,
      scope: 'openid federation:tokens',
    });
    expect((await handOut(customerToken, { cupid, provider: PROVIDER })).status).toBe(403);
    // The scope is for confidential clients with client_credentials only.
    await expect(
      registerClient(t, {
        clientId: 'public-app',
        name: 'A public app',
        type: 'PUBLIC',
        redirectUris: ['http://localhost:5173/callback'],
        grantTypes: ['authorization_code'],
        scopes: ['openid', 'federation:tokens'],
      }),
    ).rejects.toThrow(/federation:tokens is for a confidential client with client_credentials/);
    expect((await handOut(null, { cupid, provider: PROVIDER })).status).toBe(401);
    expect((await handOut('not-a-token', { cupid, provider: PROVIDER })).status).toBe(401);

    const service = await serviceToken(SERVICE);
    const missing = await handOut(service, { cupid: 'CUPID-NOBODY', provider: PROVIDER });
    expect(missing.status).toBe(404);
    expect((await handOut(service, { cupid, provider: 'elsewhere' })).status).toBe(404);
    const invalid = await handOut(service, { cupid, provider: 'Not A Slug!' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ type: 'urn:ciam:problem:validation-failed' });
    expect(await auditEvents(t, { cupid: 'CUPID-NOBODY', type: 'federation.token_handed_out' })).toEqual([
      expect.objectContaining({ outcome: 'FAILURE', details: expect.objectContaining({ reason: 'no_link' }) }),
    ]);
  });

  it('a deactivated provider: its tokens go to no service (404, audited provider_inactive), refreshed or not', async () => {
    const { cupid } = await linkWithTokens();
    const service = await serviceToken(SERVICE, 'federation:tokens');
    expect((await handOut(service, { cupid, provider: PROVIDER })).status).toBe(200);
    const providers = t.app.get(FederationProvidersService);
    await providers.deactivate(PROVIDER, { type: 'SYSTEM', id: 'test' });
    try {
      const refused = await handOut(service, { cupid, provider: PROVIDER });
      expect(refused.status).toBe(404);
      const events = await auditEvents(t, { cupid, type: 'federation.token_handed_out' });
      expect(events.map((event) => [event.outcome, event.details.reason ?? null])).toEqual([
        ['SUCCESS', null],
        ['FAILURE', 'provider_inactive'],
      ]);
    } finally {
      await t.dataSource.query(`UPDATE federation_providers SET active = true WHERE id = $1`, [PROVIDER]);
    }
  });

  it('two concurrent on-demand refreshes of one link make one upstream refresh; both callers get its token', async () => {
    const { cupid, linkId } = await linkWithTokens();
    const service = await serviceToken(SERVICE);
    t.clock.advance(90);
    await op.slow(500); // both requests arrive while the provider is still answering the first refresh
    try {
      const statsBefore = await op.stats();
      const [a, b] = await Promise.all([
        handOut(service, { cupid, provider: PROVIDER }),
        handOut(service, { cupid, provider: PROVIDER }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const [bodyA, bodyB] = (await Promise.all([a.json(), b.json()])) as Array<{ accessToken: string }>;
      minted.push(bodyA.accessToken, bodyB.accessToken);
      expect({
        upstreamRefreshes: (await op.stats()).refreshes - statsBefore.refreshes,
        refreshes: await refreshRows(linkId),
        sameToken: bodyA.accessToken === bodyB.accessToken,
      }).toEqual({
        upstreamRefreshes: 1,
        refreshes: [{ trigger: 'on_demand', success: true, error: null }],
        sameToken: true,
      });
      expect(await linkStatus(linkId)).toBe('ok');
    } finally {
      await op.slow(0);
    }
  });

  it('a provider that is down (503): refresh_failed, the still-valid token goes out, 503 once it expired; the job recovers', async () => {
    const { cupid, linkId, tokens } = await linkWithTokens();
    const service = await serviceToken(SERVICE);
    t.clock.advance(90); // 30 s left: a refresh is due first
    await op.unavailable(true);
    try {
      const stale = await handOut(service, { cupid, provider: PROVIDER });
      expect(stale.status).toBe(200);
      expect(((await stale.json()) as { accessToken: string }).accessToken).toBe(tokens.access_token);
      expect(await refreshRows(linkId)).toEqual([{ trigger: 'on_demand', success: false, error: 'http_503' }]);
      expect(await linkStatus(linkId)).toBe('refresh_failed');

      t.clock.advance(60); // expired now
      const gone = await handOut(service, { cupid, provider: PROVIDER });
      expect(gone.status).toBe(503);
      expect(await gone.json()).toMatchObject({ type: 'urn:ciam:problem:dependency-unavailable' });
    } finally {
      await op.unavailable(false);
    }
    await t.app.get(JobRunner).run('refresh-federation-tokens');
    expect((await refreshRows(linkId)).at(-1)).toEqual({ trigger: 'job', success: true, error: null });
    expect(await linkStatus(linkId)).toBe('ok');
    const back = await handOut(service, { cupid, provider: PROVIDER });
    expect(back.status).toBe(200);
    minted.push(((await back.json()) as { accessToken: string }).accessToken);
  });

  it('never writes a token value to the logs or the audit trail', async () => {
    expect(minted.length).toBeGreaterThan(4);
    const audit = JSON.stringify(await t.dataSource.query(`SELECT details FROM audit_logs`));
    const sync = JSON.stringify(await t.dataSource.query(`SELECT details FROM federation_sync_log`));
    const logs = t.rawLogs();
    for (const value of minted) {
      expect(logs).not.toContain(value);
      expect(audit).not.toContain(value);
      expect(sync).not.toContain(value);
    }
  });
});
