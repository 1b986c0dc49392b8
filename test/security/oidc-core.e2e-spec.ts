import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { useTestApp } from '../support/app';
import { pkcePair, refresh, registerStandardClients, SPA } from '../support/oauth';
import { claimsOf } from './forged-jwt';
import { signInAlice } from './login';
import { redirectedError } from './oauth-assertions';

/**
 * OpenID Connect Core 1.0 and Discovery 1.0: the metadata a relying party trusts, the public keys, and
 * the ID token claims it must be able to check (§3.1.3.7): issuer, audience, signature, nonce, at_hash,
 * and a subject that matches UserInfo.
 */
describe('OIDC Core: discovery, keys and ID tokens', () => {
  const t = useTestApp({}, registerStandardClients);

  const signIn = (scope = 'openid profile') => signInAlice(t, scope, 'nonce-oidc-core');

  describe('discovery (OpenID Connect Discovery 1.0 §3, §4.3)', () => {
    it('the issuer is exactly the configured one, and every endpoint lives under it', async () => {
      const metadata = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
      expect(metadata.issuer).toBe(t.config.oidc.issuer);
      for (const name of [
        'authorization_endpoint',
        'token_endpoint',
        'jwks_uri',
        'userinfo_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'end_session_endpoint',
      ]) {
        expect(metadata[name]).toMatch(new RegExp(`^${t.config.oidc.issuer.replace(/[.]/g, '\\.')}/`));
      }
    });

    it('offers only the code flow, public subjects and asymmetric signatures', async () => {
      const metadata = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
      expect(metadata.response_types_supported).toEqual(['code']);
      expect(metadata.subject_types_supported).toEqual(['public', 'pairwise']);
      expect(metadata.scopes_supported).toContain('openid');
      expect(metadata.id_token_signing_alg_values_supported).toEqual([t.config.oidc.signingAlg]);
      expect(metadata.grant_types_supported).not.toContain('implicit');
      expect(metadata.grant_types_supported).not.toContain('password');
    });

    it('the JWKS publishes public keys only, each with kid, use and alg', async () => {
      const { keys } = await (await fetch(`${t.baseUrl}/oauth2/jwks`)).json();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatchObject({ kid: expect.any(String), use: 'sig', alg: expect.any(String) });
        for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
          expect(key).not.toHaveProperty(privateMember);
      }
    });
  });

  describe('ID token (Core §2, §3.1.3.6, §3.1.3.7)', () => {
    it('verifies against the published keys, for this issuer and this client, with the claims a relying party checks', async () => {
      const tokens = await signIn();
      const jwks = createLocalJWKSet(await (await fetch(`${t.baseUrl}/oauth2/jwks`)).json());
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, {
        issuer: t.config.oidc.issuer,
        audience: SPA.clientId,
      });
      expect(protectedHeader.alg).toBe(t.config.oidc.signingAlg);
      expect(payload).toMatchObject({
        sub: 'CUPID-ALICE-0001',
        azp: SPA.clientId,
        nonce: 'nonce-oidc-core',
        sid: expect.any(String),
        acr: expect.any(String),
        amr: expect.arrayContaining(['pwd']),
      });
      expect(payload.exp!).toBeGreaterThan(payload.iat!);
      expect(payload.auth_time as number).toBeLessThanOrEqual(payload.iat!);
      // §3.1.3.6: at_hash is the left half of the SHA-256 of the access token, base64url.
      expect(payload.at_hash).toBe(
        createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url'),
      );
    });

    it('UserInfo speaks for the same subject (§5.3.2)', async () => {
      const tokens = await signIn();
      const userinfo = await (
        await fetch(`${t.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
      ).json();
      expect(userinfo.sub).toBe(claimsOf(tokens.id_token!).sub);
    });

    it('a refreshed ID token keeps sub, aud and auth_time (§12.2)', async () => {
      const tokens = await signIn();
      const refreshed = await (await refresh(t, tokens.refresh_token)).json();
      const before = claimsOf(tokens.id_token!);
      const after = claimsOf(refreshed.id_token);
      expect(after).toMatchObject({ iss: before.iss, sub: before.sub, aud: before.aud, auth_time: before.auth_time });
      expect(decodeProtectedHeader(refreshed.id_token).kid).toEqual(expect.any(String));
    });

    it('without the openid scope there is no ID token, and userinfo refuses the access token', async () => {
      const tokens = await signIn('profile');
      expect(tokens.id_token).toBeUndefined();
      const userinfo = await fetch(`${t.baseUrl}/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(userinfo.status).toBe(403);
    });
  });

  describe('authorization requests (Core §3.1.2)', () => {
    const authorize = (extra: Record<string, string>) =>
      fetch(
        `${t.baseUrl}/oauth2/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: SPA.clientId,
          redirect_uri: SPA.redirectUri,
          scope: 'openid',
          state: 'st-oidc',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
          ...extra,
        })}`,
        { redirect: 'manual' },
      );

    it.each([
      [
        'prompt=none: no login page may be shown and there is no session to reuse',
        { prompt: 'none' },
        'login_required',
      ],
      [
        'a request object (unsupported, §6.1)',
        { request: 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.' },
        'request_not_supported',
      ],
      [
        'a request_uri (unsupported, §6.2)',
        { request_uri: 'https://evil.example/request.jwt' },
        'request_uri_not_supported',
      ],
    ])('%s: goes back with %s, and no journey starts', async (_name, extra, error) => {
      const before = (await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`))[0].n;
      const params = redirectedError(await authorize(extra), SPA.redirectUri);
      expect(params.get('error')).toBe(error);
      expect(params.get('state')).toBe('st-oidc');
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`))[0].n).toBe(before);
    });

    it('prompt=login is honoured by the login page: the request starts a journey', async () => {
      const response = await authorize({ prompt: 'login' });
      expect(response.headers.get('location')).toMatch(/#journey=/);
    });
  });
});
