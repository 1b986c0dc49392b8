import { ApiTokensService } from '../../src/tokens/api-tokens.service';
import { useTestApp } from '../support/app';
import { contractFetch } from '../support/contract';
import { auditEvents, introspect, registerClient, registerStandardClients, SERVICE } from '../support/oauth';
import { useWorkforceIdp } from '../support/workforce';

const ALICE = 'CUPID-ALICE-0001';
const MANAGER = { clientId: 'token-manager', secret: 'token-manager-secret-0123456789' };

/**
 * Issue 17, item 8: API tokens a service holds on behalf of customers. A confidential client with the
 * `api_tokens:manage` scope creates, lists and revokes its own tokens (HTTP Basic); the tokens speak for the
 * customer (introspection), agents see them in the customer's listing, every change is audited with the client.
 */
describe('service-owned API tokens (POST/GET/DELETE /api-tokens)', () => {
  const { idp, env } = useWorkforceIdp();
  const t = useTestApp({ env }, async (app) => {
    await registerStandardClients(app);
    await registerClient(app, {
      clientId: MANAGER.clientId,
      name: 'Token manager',
      type: 'CONFIDENTIAL',
      secret: MANAGER.secret,
      grantTypes: ['client_credentials'],
      scopes: ['api_tokens:manage'],
    });
  });

  const basic = (client: { clientId: string; secret: string }) =>
    `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`;
  const asService = (path: string, init: RequestInit = {}, client = MANAGER) =>
    contractFetch(`${t.baseUrl}${path}`, {
      ...init,
      headers: { authorization: basic(client), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  const create = (body: unknown, client = MANAGER) =>
    asService('/api-tokens', { method: 'POST', body: JSON.stringify(body) }, client);

  it('creates a token for a customer, shown once; it introspects as the customer, audited with the client', async () => {
    const created = await create({ cupid: ALICE, name: 'Aggregator', scopes: ['accounts:read'], expiresInDays: 30 });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body).toMatchObject({ name: 'Aggregator', scopes: ['accounts:read'], ownerType: 'SERVICE' });
    expect(body.token).toMatch(/^ciam_at_/);

    expect(await introspect(t, body.token)).toMatchObject({
      active: true,
      sub: ALICE,
      client_id: MANAGER.clientId,
      scope: 'accounts:read',
    });
    const listed = await (await asService(`/api-tokens?cupid=${ALICE}`)).json();
    expect(listed.apiTokens).toEqual([expect.objectContaining({ id: body.id })]);
    expect(JSON.stringify(listed)).not.toContain(body.token);

    // Agents see it in the customer's listing.
    const agentView = await (
      await contractFetch(`${t.baseUrl}/agent/customers/${ALICE}/api-tokens?reason=support%20ticket%2042`, {
        headers: { authorization: `Bearer ${await idp.token()}` },
      })
    ).json();
    expect(agentView.apiTokens).toEqual([expect.objectContaining({ id: body.id, ownerType: 'SERVICE' })]);

    expect(await auditEvents(t, { type: 'api_token.created' })).toEqual([
      expect.objectContaining({
        actor_type: 'CLIENT',
        actor_id: MANAGER.clientId,
        client_id: MANAGER.clientId,
        cupid: ALICE,
        details: expect.objectContaining({ tokenId: body.id, ownerType: 'SERVICE' }),
      }),
    ]);
    expect(t.rawLogs()).not.toContain(body.token);

    // Revoked by its service: it stops working at once; a second revocation finds nothing.
    expect((await asService(`/api-tokens/${body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await introspect(t, body.token)).toEqual({ active: false });
    expect((await asService(`/api-tokens/${body.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await auditEvents(t, { type: 'api_token.revoked' })).toEqual([
      expect.objectContaining({ actor_type: 'CLIENT', actor_id: MANAGER.clientId, cupid: ALICE }),
    ]);
  });

  it('refuses what the service may not do', async () => {
    // The manage scope itself, and a malformed one.
    for (const scopes of [['api_tokens:manage'], ['Payments Write']]) {
      const refused = await create({ cupid: ALICE, name: 'Too much', scopes });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:validation-failed' });
    }
    // A customer the directory does not know.
    expect((await create({ cupid: 'CUPID-NOBODY-9999', name: 'Ghost', scopes: [] })).status).toBe(404);
    // A client without the scope, a wrong secret, no credentials.
    const other = await create({ cupid: ALICE, name: 'Nope', scopes: [] }, SERVICE);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ type: 'urn:ciam:problem:forbidden' });
    expect(
      (await create({ cupid: ALICE, name: 'Nope', scopes: [] }, { ...MANAGER, secret: 'wrong-secret-0123456789' }))
        .status,
    ).toBe(401);
    const anonymous = await fetch(`${t.baseUrl}/api-tokens`);
    expect(anonymous.status).toBe(401);
    // The scope is registered only on a confidential client_credentials client, and discovery does not advertise it.
    await expect(
      registerClient(t, {
        clientId: 'public-manager',
        name: 'Public manager',
        type: 'PUBLIC',
        redirectUris: ['https://app.example/cb'],
        grantTypes: ['authorization_code'],
        scopes: ['openid', 'api_tokens:manage'],
      }),
    ).rejects.toThrow(/api_tokens:manage is for a confidential client with client_credentials/);
    const discovery = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
    expect(discovery.scopes_supported).not.toContain('api_tokens:manage');
    // A service never sees nor revokes a token it does not own (here the customer's own).
    const own = await t.app
      .get(ApiTokensService)
      .createForCustomer(ALICE, { name: 'Mine', scopes: [], expiresInDays: 1 }, { ip: '127.0.0.1', userAgent: 'jest' });
    expect((await (await asService('/api-tokens')).json()).apiTokens).toEqual([]);
    expect((await asService(`/api-tokens/${own.row.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await introspect(t, own.token)).toMatchObject({ active: true });
  });
});
