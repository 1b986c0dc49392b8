import { createPublicKey, randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { SigningKeysService } from '../../src/tokens/keys/signing-keys.service';
import { useTestApp } from '../support/app';
import { registerStandardClients, SPA } from '../support/oauth';
import { claimsOf, ForgingWorkforceIdp, headerOf, hmacSigned, unsigned, useForgingIdp } from './forged-jwt';
import { signInAlice } from './login';

/**
 * RFC 8725 (JWT best current practices) and RFC 9068 (JWT access tokens): forged, re-typed, re-targeted
 * and expired JWTs are refused by every resource that takes one: /oauth2/userinfo and /me (customer
 * access tokens, whose stored row is the authority: a JWT we never issued has none, even when it is
 * validly signed with our own key), end_session's id_token_hint, and the agent API (workforce tokens,
 * verified by signature against the IdP's JWKS).
 */
describe('RFC 8725: JWT handling', () => {
  const { idp, env } = useForgingIdp();
  const t = useTestApp({ env }, registerStandardClients);
  const now = () => Math.floor(Date.now() / 1000);
  const signWithOurKey = (claims: Record<string, unknown>, typ: 'at+jwt' | 'JWT') =>
    t.app.get(SigningKeysService).sign(claims, typ);

  async function ourPublicPem(): Promise<string> {
    const { keys } = await (await fetch(`${t.baseUrl}/oauth2/jwks`)).json();
    return createPublicKey({ key: keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  }

  async function attackerSigned(claims: Record<string, unknown>, header: Record<string, unknown>): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return new CompactSign(Buffer.from(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', ...header, ...(header.jwk ? { jwk } : {}) } as { alg: string })
      .sign(privateKey);
  }

  async function expectRefusedByCustomerApis(token: string) {
    const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await fetch(`${t.baseUrl}/me/sessions`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
  }

  describe('customer access tokens at /oauth2/userinfo and /me', () => {
    it("the genuine token works (so each refusal below is the forgery's doing)", async () => {
      const { access_token: token } = await signInAlice(t);
      expect(headerOf(token)).toMatchObject({ typ: 'at+jwt', alg: t.config.oidc.signingAlg });
      expect(
        (await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
    });

    it.each([
      [
        'alg none (§2.1)',
        async (claims: Record<string, unknown>, kid: string) => unsigned({ alg: 'none', typ: 'at+jwt', kid }, claims),
      ],
      [
        'HS256 keyed with our public key (§2.1, key confusion)',
        async (claims: Record<string, unknown>, kid: string) =>
          hmacSigned({ typ: 'at+jwt', kid }, claims, await ourPublicPem()),
      ],
      [
        'an attacker key under our kid',
        async (claims: Record<string, unknown>, kid: string) => attackerSigned(claims, { typ: 'at+jwt', kid }),
      ],
      [
        'an attacker key embedded in the header (jwk)',
        async (claims: Record<string, unknown>) => attackerSigned(claims, { typ: 'at+jwt', jwk: true }),
      ],
      [
        'an attacker JWKS named in the header (jku)',
        async (claims: Record<string, unknown>, kid: string) =>
          attackerSigned(claims, { typ: 'at+jwt', kid, jku: 'https://evil.example/jwks' }),
      ],
      [
        'a changed subject under the original signature',
        async (claims: Record<string, unknown>, _kid: string, genuine: string) => {
          const [header, , signature] = genuine.split('.');
          return `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'CUPID-BOB-0002' })).toString('base64url')}.${signature}`;
        },
      ],
    ])('%s', async (_name, forge) => {
      const genuine = (await signInAlice(t)).access_token;
      await expectRefusedByCustomerApis(await forge(claimsOf(genuine), headerOf(genuine).kid as string, genuine));
    });

    it.each([
      ['typ JWT instead of at+jwt (RFC 9068 §4: an ID token shape)', {}, 'JWT' as const],
      ['another audience', { aud: 'https://other-api.example' }, 'at+jwt' as const],
      ['another issuer', { iss: 'https://evil.example' }, 'at+jwt' as const],
      ['expired', { iat: now() - 3600, exp: now() - 1800 }, 'at+jwt' as const],
      ['exactly the right claims, but never issued (no row)', {}, 'at+jwt' as const],
    ])('signed with our own key: %s', async (_name, overrides, typ) => {
      const claims = { ...claimsOf((await signInAlice(t)).access_token), jti: randomUUID(), ...overrides };
      await expectRefusedByCustomerApis(await signWithOurKey(claims, typ));
    });

    it('the discovery document never offers alg none', async () => {
      const metadata = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
      expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
      expect(metadata.id_token_signing_alg_values_supported.every((alg: string) => !alg.startsWith('HS'))).toBe(true);
    });
  });

  describe('end_session: only an ID token we issued names a session to end', () => {
    const sessionStatus = async (sid: string) =>
      (await t.dataSource.query(`SELECT status FROM sessions WHERE id = $1`, [sid]))[0].status;

    it("the genuine ID token ends its session (so each refusal below is the forgery's doing)", async () => {
      const tokens = await signInAlice(t);
      const response = await fetch(`${t.baseUrl}/oauth2/end_session?id_token_hint=${tokens.id_token}`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(200);
      expect(await sessionStatus(claimsOf(tokens.id_token).sid as string)).toBe('REVOKED');
    });

    it.each([
      [
        'alg none',
        async (idToken: string) => unsigned({ alg: 'none', typ: 'JWT', kid: headerOf(idToken).kid }, claimsOf(idToken)),
      ],
      [
        'HS256 keyed with our public key',
        async (idToken: string) =>
          hmacSigned({ typ: 'JWT', kid: headerOf(idToken).kid }, claimsOf(idToken), await ourPublicPem()),
      ],
      [
        'an access token of the same session (typ at+jwt)',
        async (_idToken: string, accessToken: string) => accessToken,
      ],
    ])('%s: 400, and the session stays active', async (_name, forge) => {
      const tokens = await signInAlice(t);
      const sid = claimsOf(tokens.id_token).sid as string;
      const response = await fetch(
        `${t.baseUrl}/oauth2/end_session?id_token_hint=${await forge(tokens.id_token, tokens.access_token)}`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
      expect(await sessionStatus(sid)).toBe('ACTIVE');
    });
  });

  describe('workforce tokens at the agent API', () => {
    const agent = (token: string) =>
      fetch(`${t.baseUrl}/agent/customers/CUPID-ALICE-0001/sessions?reason=jwt%20checks`, {
        headers: { authorization: `Bearer ${token}` },
      });

    it.each([
      [
        'alg none',
        async (forger: ForgingWorkforceIdp) => unsigned({ alg: 'none', typ: 'JWT', kid: forger.kid }, forger.claims()),
      ],
      [
        "HS256 keyed with the IdP's public key",
        async (forger: ForgingWorkforceIdp) =>
          hmacSigned({ typ: 'JWT', kid: forger.kid }, forger.claims(), forger.publicPem),
      ],
      [
        'an attacker key embedded in the header (jwk)',
        async (forger: ForgingWorkforceIdp) => attackerSigned(forger.claims(), { typ: 'JWT', jwk: true }),
      ],
      [
        'an attacker JWKS named in the header (jku)',
        async (forger: ForgingWorkforceIdp) =>
          attackerSigned(forger.claims(), { typ: 'JWT', kid: forger.kid, jku: 'https://evil.example/jwks' }),
      ],
      [
        'a changed subject under the original signature',
        async (forger: ForgingWorkforceIdp) => {
          const [header, , signature] = (await forger.sign()).split('.');
          return `${header}.${Buffer.from(JSON.stringify(forger.claims({ sub: 'agent-admin' }))).toString('base64url')}.${signature}`;
        },
      ],
      ['expired', async (forger: ForgingWorkforceIdp) => forger.sign({ iat: now() - 3600, exp: now() - 1800 })],
      ['another audience', async (forger: ForgingWorkforceIdp) => forger.sign({ aud: SPA.clientId })],
    ])('%s: 401', async (_name, forge) => {
      expect((await agent(await idp.sign())).status).toBe(200);
      const response = await agent(await forge(idp));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('a customer access token, signed by us (another issuer): 401', async () => {
      expect((await agent((await signInAlice(t)).access_token)).status).toBe(401);
    });
  });
});
