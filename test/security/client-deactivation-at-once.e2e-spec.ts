import { ClientsService } from '../../src/clients/clients.service';
import { ClientDeactivationService } from '../../src/tokens/client-deactivation.service';
import { useTestApp } from '../support/app';
import { completeLogin, exchangeCode, introspect, registerStandardClients, SPA } from '../support/oauth';

/**
 * Issue 16: a client's deactivation takes effect at once. Its cascade revokes the client's tokens in bounded
 * batches after the client row is deactivated; a token the batches have not reached yet (a long cascade, or one
 * interrupted by a crash and not yet re-run) must already be dead. Here the cascade is stopped after its first
 * step: only the client row is deactivated.
 */
describe('a deactivated client’s tokens, before the cascade reaches them', () => {
  const t = useTestApp({}, registerStandardClients);

  it('fail introspection and userinfo as soon as the client row is deactivated, and work again after reactivation', async () => {
    const tokens = (await (await exchangeCode(t, await completeLogin(t))).json()) as { access_token: string };
    const userinfo = () =>
      fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true, client_id: SPA.clientId });
    expect((await userinfo()).status).toBe(200);

    await t.app.get(ClientsService).deactivate(SPA.clientId);
    const [row] = (await t.dataSource.query(`SELECT status FROM tokens WHERE client_id = $1 AND type = 'ACCESS'`, [
      SPA.clientId,
    ])) as Array<{ status: string }>;
    expect(row.status).toBe('ACTIVE'); // the cascade has not revoked it: the check itself refuses it

    expect(await introspect(t, tokens.access_token)).toEqual({ active: false });
    expect((await userinfo()).status).toBe(401);

    // Reactivation without the cascade's revocations: a token it never revoked is good again (the real
    // deactivation revokes them all, and they stay revoked: test/clients/client-admin.e2e-spec.ts).
    await t.app.get(ClientDeactivationService).reactivate(SPA.clientId);
    expect(await introspect(t, tokens.access_token)).toMatchObject({ active: true });
  });
});
