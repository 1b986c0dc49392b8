import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { useTestApp } from '../support/app';
import { authorizationRequest, visit } from '../support/relying-party';
import { startJourney, submitPassword } from '../support/journeys';
import { auditEvents, registerStandardClients, SPA } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

interface DpopKey {
  pair: CryptoKeyPair;
  jkt: string;
}

/**
 * RFC 9449 §10: an authorization request may name the DPoP key (`dpop_jkt`) its code is to be redeemed with. The
 * code is then worthless without a DPoP proof of that key: whoever intercepts it on its way back to the client
 * (a malicious app registered for the same custom scheme, a leaked log) cannot redeem it even with the PKCE
 * verifier. Browser journeys (GET /oauth2/authorize), single sign-on codes and REST-started journeys (`dpopJkt`)
 * all bind; a real slapd, PostgreSQL, openid-client as the relying party and its DPoP handle as the client's key.
 */
describe('dpop_jkt: authorization codes bound to a DPoP key', () => {
  const { env } = useDirectoryAndSmsGateway({ LOGIN_UI_URL: 'http://localhost:5173/login' });
  const t = useTestApp({ env }, registerStandardClients);

  async function dpopKey(): Promise<DpopKey> {
    const pair = (await generateKeyPair('ES256', { extractable: true })) as unknown as CryptoKeyPair;
    const jwk = await exportJWK(pair.publicKey as unknown as CryptoKey);
    return { pair, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  }

  /** The SPA's authorization request with `extra` parameters (dpop_jkt); its code exchanged with a proof of `key`, or none. */
  async function request(extra: Record<string, string>) {
    const { config, url, redeem } = await authorizationRequest(t, SPA.clientId, SPA.redirectUri, extra);
    return {
      url,
      redeem: (location: string, key?: DpopKey) =>
        redeem(location, key ? { DPoP: oidc.getDPoPHandle(config, key.pair) } : {}),
    };
  }

  /** alice signs in through the hosted page for `url`: the redirect back with the code, and the session cookie. */
  async function aliceSignsIn(url: URL): Promise<{ location: string; cookie: string }> {
    const answer = await visit(url);
    expect(answer.status).toBe(302);
    const fragment = new URLSearchParams(new URL(answer.headers.get('location')!).hash.slice(1));
    const done = await submitPassword(
      t,
      fragment.get('journey')!,
      fragment.get('transaction_token')!,
      'alice',
      'alice-password',
    );
    expect(done.status).toBe(200);
    const [setCookie] = done.headers.getSetCookie();
    return { location: (await done.json()).redirectTo, cookie: setCookie.split(';')[0] };
  }

  const codeOf = (location: string) => new URL(location).searchParams.get('code')!;

  /** The code's row: its binding as stored (only the hash of the code is kept). */
  async function storedBinding(location: string): Promise<{ dpop_jkt: string | null; redeemed: boolean }> {
    const [row] = await t.dataSource.query(
      `SELECT dpop_jkt, redeemed_at IS NOT NULL AS redeemed FROM authorization_codes WHERE code_hash = sha256($1::bytea)`,
      [Buffer.from(codeOf(location))],
    );
    return row;
  }

  /** openid-client surfaces the token endpoint's error as a ResponseBodyError carrying the OAuth error. */
  async function refusal(promise: Promise<unknown>): Promise<{ error: string; error_description?: string }> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    const { status, cause } = error as oidc.ResponseBodyError;
    expect(status).toBe(400);
    return cause as { error: string; error_description?: string };
  }

  it('a code whose request named the key is redeemed with a proof of that key: DPoP-bound tokens', async () => {
    const key = await dpopKey();
    const spa = await request({ dpop_jkt: key.jkt });
    const { location } = await aliceSignsIn(spa.url);
    expect(await storedBinding(location)).toEqual({ dpop_jkt: key.jkt, redeemed: false });

    const tokens = await spa.redeem(location, key);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'CUPID-ALICE-0001', cnf: { jkt: key.jkt } });
    const [issued] = await auditEvents(t, { type: 'authorization_code.issued', cupid: 'CUPID-ALICE-0001' });
    expect(issued.details).toMatchObject({ dpopBound: true });
  });

  it('without a proof, or with a proof of another key, the code is refused (invalid_grant) and spent', async () => {
    const key = await dpopKey();
    const other = await dpopKey();
    for (const attempt of [undefined, other]) {
      const spa = await request({ dpop_jkt: key.jkt });
      const { location } = await aliceSignsIn(spa.url);
      const refused = await refusal(spa.redeem(location, attempt));
      expect(refused.error).toBe('invalid_grant');
      expect(refused.error_description).toMatch(/dpop_jkt/);
      const rejections = await auditEvents(t, { type: 'tokens.request_rejected', cupid: 'CUPID-ALICE-0001' });
      expect(rejections.at(-1)).toMatchObject({
        client_id: SPA.clientId,
        details: { grantType: 'authorization_code', error: 'invalid_grant', reason: refused.error_description },
      });
      // Refused once, spent: the holder of the right key cannot redeem it after a thief tried (as a wrong PKCE
      // verifier spends it), and nothing was issued for it.
      expect(await storedBinding(location)).toEqual({ dpop_jkt: key.jkt, redeemed: true });
      expect((await refusal(spa.redeem(location, key))).error).toBe('invalid_grant');
    }
  });

  it('binds the code single sign-on answers at once, under the browser session', async () => {
    const first = await dpopKey();
    const { cookie } = await aliceSignsIn((await request({ dpop_jkt: first.jkt })).url);

    const key = await dpopKey();
    const again = await request({ dpop_jkt: key.jkt });
    const answer = await visit(again.url, cookie);
    expect(answer.status).toBe(302);
    const location = answer.headers.get('location')!;
    expect(location.startsWith(`${SPA.redirectUri}?code=`)).toBe(true);
    expect(await storedBinding(location)).toEqual({ dpop_jkt: key.jkt, redeemed: false });
    expect((await refusal(again.redeem(location, first))).error).toBe('invalid_grant');

    const bound = await request({ dpop_jkt: key.jkt });
    const code = (await visit(bound.url, cookie)).headers.get('location')!;
    expect(decodeJwt((await bound.redeem(code, key)).access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('a request that names no key gets an unbound code, redeemable with or without DPoP as before', async () => {
    const spa = await request({});
    const { location } = await aliceSignsIn(spa.url);
    expect(await storedBinding(location)).toEqual({ dpop_jkt: null, redeemed: false });
    const tokens = await spa.redeem(location);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
  });

  it('a malformed dpop_jkt goes back to the client as invalid_request, before any journey starts', async () => {
    const { count: before } = (await t.dataSource.query(`SELECT count(*)::int AS count FROM auth_contexts`))[0];
    for (const malformed of ['short', 'a'.repeat(44), `${'a'.repeat(42)}=`]) {
      const answer = await visit((await request({ dpop_jkt: malformed })).url);
      expect(answer.status).toBe(302);
      const back = new URL(answer.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`).toBe(SPA.redirectUri);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('error_description')).toMatch(/dpop_jkt/);
    }
    const { count: after } = (await t.dataSource.query(`SELECT count(*)::int AS count FROM auth_contexts`))[0];
    expect(after).toBe(before);
  });

  it('a journey started over REST with dpopJkt binds its code; a malformed one is a 400 naming the field', async () => {
    const bad = await fetch(`${t.baseUrl}/journeys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        scope: 'openid profile',
        dpopJkt: 'not-a-thumbprint',
      }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('dpopJkt');

    const key = await dpopKey();
    const journey = await startJourney(t, { dpopJkt: key.jkt });
    const done = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(done.status).toBe(200);
    const { redirectTo } = await done.json();
    expect(await storedBinding(redirectTo)).toEqual({ dpop_jkt: key.jkt, redeemed: false });
    // The frontend's own exchange without the key's proof: refused.
    const response = await fetch(`${t.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: codeOf(redirectTo),
        redirect_uri: SPA.redirectUri,
        code_verifier: journey.verifier,
        client_id: SPA.clientId,
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
