import { createHash } from 'node:crypto';
import type { TestApp } from '../support/app';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { auditEvents, completeLogin, exchangeCode, introspect, registerStandardClients } from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

const ALICE = 'CUPID-ALICE-0001';

/** alice's access token for a session at `acr`, authenticated just now (what a completed step-up leaves). */
async function aliceToken(t: TestApp, acr: string, cupid = ALICE): Promise<string> {
  const login = await completeLogin(t, { cupid });
  const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
  await t.dataSource.query(`UPDATE sessions SET acr = $2, auth_time = $3 WHERE id = $1`, [
    login.sessionId,
    acr,
    t.clock.now(),
  ]);
  return tokens.access_token;
}

describe('API tokens (issue 17, item 8)', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, registerStandardClients);

  const asCustomer = (token: string, path: string, init: RequestInit = {}) =>
    contractFetch(`${t.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  const asAgent = async (path: string, init: RequestInit = {}) =>
    contractFetch(`${t.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${await idp.token()}`, 'content-type': 'application/json' },
    });
  const create = (token: string, body: unknown) =>
    asCustomer(token, '/me/api-tokens', { method: 'POST', body: JSON.stringify(body) });

  it('creates a token only after a fresh step-up, shows it once and keeps only its hash', async () => {
    const loa1 = await aliceToken(t, 'urn:ciam:loa:1');
    const refused = await create(loa1, { name: 'Budgeting app', scopes: ['accounts:read'] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });

    const loa2 = await aliceToken(t, 'urn:ciam:loa:2');
    expect((await create(loa2, { name: 'Bad', scopes: ['Accounts Read'] })).status).toBe(400);
    expect((await create(loa2, { name: '', scopes: [] })).status).toBe(400);
    const created = await create(loa2, { name: 'Budgeting app', scopes: ['accounts:read', 'accounts:read'] });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body).toMatchObject({
      name: 'Budgeting app',
      scopes: ['accounts:read'],
      ownerType: 'CUSTOMER',
      revokedAt: null,
    });
    expect(body.token).toMatch(/^ciam_at_[A-Za-z0-9_-]{43}$/);

    const [row] = await t.dataSource.query(`SELECT token_hash FROM api_tokens WHERE id = $1`, [body.id]);
    expect(row.token_hash).toEqual(createHash('sha256').update(body.token).digest());
    const listed = await (await asCustomer(loa2, '/me/api-tokens')).json();
    expect(listed.apiTokens).toEqual([expect.objectContaining({ id: body.id, name: 'Budgeting app' })]);
    expect(JSON.stringify(listed)).not.toContain(body.token);
    const [event] = await auditEvents(t, { type: 'api_token.created' });
    expect(event.details).toMatchObject({ tokenId: body.id, name: 'Budgeting app', scopes: ['accounts:read'] });
    expect(JSON.stringify(event)).not.toContain(body.token);
    expect(t.rawLogs()).not.toContain(body.token);
  });

  it('lets a customer with no second factor yet act on a fresh password login (the first-enrolment rule)', async () => {
    // dave has no phone and no device: nothing to step up with, so a fresh loa1 login is enough ...
    const fresh = await aliceToken(t, 'urn:ciam:loa:1', 'CUPID-DAVE-0004');
    expect((await create(fresh, { name: 'First', scopes: [] })).status).toBe(201);
    // ... but not an old one.
    const stale = await aliceToken(t, 'urn:ciam:loa:1', 'CUPID-DAVE-0004');
    await t.dataSource.query(`UPDATE sessions SET auth_time = auth_time - make_interval(secs => $1) WHERE cupid = $2`, [
      t.config.factorChange.maxAgeSeconds + 1,
      'CUPID-DAVE-0004',
    ]);
    expect((await create(stale, { name: 'Second', scopes: [] })).status).toBe(403);
  });

  it('introspects like an access token and records the last use at most once per interval', async () => {
    const loa2 = await aliceToken(t, 'urn:ciam:loa:2');
    const { token, id } = await (await create(loa2, { name: 'CLI', scopes: ['payments:read'] })).json();

    expect(await introspect(t, token)).toMatchObject({
      active: true,
      sub: ALICE,
      scope: 'payments:read',
      token_type: 'api_token',
      jti: id,
    });
    const lastUsed = async () =>
      (await t.dataSource.query(`SELECT last_used_at FROM api_tokens WHERE id = $1`, [id]))[0].last_used_at as Date;
    const first = await lastUsed();
    expect(first).not.toBeNull();

    t.clock.advance(60);
    expect(await introspect(t, token)).toMatchObject({ active: true });
    expect(await lastUsed()).toEqual(first); // within the interval: no write

    t.clock.advance(t.config.apiTokens.lastUsedIntervalSeconds);
    expect(await introspect(t, token)).toMatchObject({ active: true });
    expect((await lastUsed()).getTime()).toBeGreaterThan(first.getTime());

    // A guess with the prefix, or a near miss, is simply inactive.
    expect(await introspect(t, `${token.slice(0, -1)}x`)).toEqual({ active: false });
  });

  it('stops at once when the customer revokes it; a second revocation is not found', async () => {
    const loa2 = await aliceToken(t, 'urn:ciam:loa:2');
    const { token, id } = await (await create(loa2, { name: 'Old script', scopes: [] })).json();
    expect((await asCustomer(loa2, `/me/api-tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await introspect(t, token)).toEqual({ active: false });
    expect((await asCustomer(loa2, `/me/api-tokens/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await asCustomer(loa2, '/me/api-tokens/not-a-uuid', { method: 'DELETE' })).status).toBe(400);
  });

  it('expires', async () => {
    const loa2 = await aliceToken(t, 'urn:ciam:loa:2');
    const { token } = await (await create(loa2, { name: 'Short', scopes: [], expiresInDays: 1 })).json();
    t.clock.advance(86401);
    expect(await introspect(t, token)).toEqual({ active: false });
  });

  it('lets an agent list, block and revoke them, with the reason audited', async () => {
    const loa2 = await aliceToken(t, 'urn:ciam:loa:2');
    const { token, id } = await (await create(loa2, { name: 'Suspicious', scopes: ['payments:write'] })).json();

    const listed = await asAgent(`/agent/customers/${ALICE}/api-tokens?reason=Fraud%20alert%20INC-9`);
    expect(listed.status).toBe(200);
    expect((await listed.json()).apiTokens).toEqual(
      expect.arrayContaining([expect.objectContaining({ id, name: 'Suspicious' })]),
    );

    const blocked = await asAgent(`/agent/customers/${ALICE}/api-tokens/${id}/block`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Fraud alert (INC-9)' }),
    });
    expect(blocked.status).toBe(200);
    expect((await blocked.json()).blockedAt).not.toBeNull();
    expect(await introspect(t, token)).toEqual({ active: false });

    const revoked = await asAgent(`/agent/customers/${ALICE}/api-tokens/${id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Confirmed fraud (INC-9)' }),
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ revokedBy: 'AGENT:agent-007' });
    // Another customer's id is "not found".
    const foreign = await asAgent(`/agent/customers/CUPID-BOB-0002/api-tokens/${id}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'Wrong customer' }),
    });
    expect(foreign.status).toBe(404);

    expect((await auditEvents(t, { type: 'api_token.blocked' }))[0]).toMatchObject({
      actor_id: 'agent-007',
      details: { tokenId: id, reason: 'Fraud alert (INC-9)' },
    });
    expect((await auditEvents(t, { type: 'api_token.revoked' })).at(-1)).toMatchObject({
      actor_type: 'AGENT',
      details: { tokenId: id, reason: 'Confirmed fraud (INC-9)' },
    });
  });
});
