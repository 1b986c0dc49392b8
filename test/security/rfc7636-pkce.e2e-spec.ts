import { createHash } from 'node:crypto';
import { useTestApp } from '../support/app';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { pkcePair, postForm, registerStandardClients, SPA } from '../support/oauth';
import { expectOAuthError, redirectedError } from './oauth-assertions';

/**
 * RFC 7636 (PKCE), S256 only and required for every client (RFC 9700 §2.1.1): a request without a
 * challenge or with the plain method is refused where it starts, and a code is redeemed only with the
 * verifier of its challenge.
 */
describe('RFC 7636: PKCE', () => {
  const t = useTestApp({}, registerStandardClients);

  async function codeFor(challengeOverride?: { codeChallenge: string; verifier: string }) {
    const journey = await startJourney(t, challengeOverride ? { codeChallenge: challengeOverride.codeChallenge } : {});
    const done = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
    ).json();
    return { code: done.authorizationCode as string, verifier: challengeOverride?.verifier ?? journey.verifier };
  }
  const redeem = (code: string, verifier?: string) =>
    postForm(t, '/oauth2/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPA.redirectUri,
      client_id: SPA.clientId,
      ...(verifier !== undefined ? { code_verifier: verifier } : {}),
    });

  describe('where the flow starts', () => {
    const journey = (overrides: Record<string, unknown>) =>
      postJson(t, '/journeys', {
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: 'S256',
        scope: 'openid',
        ...overrides,
      });

    it.each([
      ['no code_challenge', { codeChallenge: undefined }],
      ['the plain method (RFC 7636 §4.2: a downgrade)', { codeChallengeMethod: 'plain' }],
      ['no method', { codeChallengeMethod: undefined }],
      ['a challenge that is not 43 base64url characters', { codeChallenge: 'too-short' }],
      ['a challenge with characters outside base64url', { codeChallenge: `${'a'.repeat(42)}=` }],
    ])('journey API: %s is a 400', async (_name, overrides) => {
      const response = await journey(overrides);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it.each([
      ['no code_challenge', { code_challenge: '' }],
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }],
      ['no code_challenge_method (plain by default, §4.3)', { code_challenge_method: '' }],
    ])('authorization endpoint: %s goes back as invalid_request', async (_name, override) => {
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: SPA.clientId,
        redirect_uri: SPA.redirectUri,
        scope: 'openid',
        state: 's',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        ...override,
      });
      const error = redirectedError(
        await fetch(`${t.baseUrl}/oauth2/authorize?${params}`, { redirect: 'manual' }),
        SPA.redirectUri,
      );
      expect(error.get('error')).toBe('invalid_request');
      expect(error.get('code')).toBeNull();
    });

    it('the discovery document offers S256 only', async () => {
      expect(
        (await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json()).code_challenge_methods_supported,
      ).toEqual(['S256']);
    });
  });

  describe('at the token endpoint', () => {
    it('the right verifier redeems the code', async () => {
      const { code, verifier } = await codeFor();
      const response = await redeem(code, verifier);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    });

    it('no verifier: invalid_request', async () => {
      const { code } = await codeFor();
      await expectOAuthError(await redeem(code), 400, 'invalid_request');
    });

    it('a well-formed but wrong verifier: invalid_grant, and no token', async () => {
      const { code } = await codeFor();
      await expectOAuthError(await redeem(code, pkcePair().verifier), 400, 'invalid_grant');
    });

    it('the challenge itself sent as the verifier (a plain downgrade): invalid_grant', async () => {
      const pair = pkcePair();
      const { code } = await codeFor({ codeChallenge: pair.challenge, verifier: pair.verifier });
      await expectOAuthError(await redeem(code, pair.challenge), 400, 'invalid_grant');
    });

    it.each([
      ['42 characters (below the minimum, §4.1)', 'a'.repeat(42)],
      ['129 characters (above the maximum)', 'a'.repeat(129)],
      ['characters outside the unreserved set', `${'a'.repeat(42)}+/`],
    ])('a verifier of %s: invalid_request', async (_name, verifier) => {
      const { code } = await codeFor();
      await expectOAuthError(await redeem(code, verifier), 400, 'invalid_request');
    });

    it('a verifier of the maximum length whose S256 matches is accepted', async () => {
      const verifier = 'A'.repeat(128);
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const { code } = await codeFor({ codeChallenge: challenge, verifier });
      expect((await redeem(code, verifier)).status).toBe(200);
    });
  });
});
