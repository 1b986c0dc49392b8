import { useTestApp } from '../support/app';
import type { TestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { pkcePair, postForm, registerClient, registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { expectOAuthError, expectShownNotRedirected, redirectedError } from './oauth-assertions';

const OTHER = { clientId: 'other-spa', redirectUri: 'http://localhost:5174/cb' };

async function setup(t: TestApp): Promise<void> {
  await registerStandardClients(t);
  await registerClient(t, {
    clientId: OTHER.clientId,
    name: 'Other SPA',
    type: 'PUBLIC',
    redirectUris: [OTHER.redirectUri],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile'],
  });
}

/**
 * RFC 6749 request validation at the authorization and token endpoints, with the OAuth 2.0 Security
 * BCP (RFC 9700) on redirect URIs: exact matching, no open redirector, one value per parameter, one
 * client authentication method, and errors in the RFC's shape.
 */
describe('RFC 6749: authorization and token requests', () => {
  const t = useTestApp({}, setup);
  const authorize = (params: Record<string, string>) =>
    fetch(`${t.baseUrl}/oauth2/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
  const good = () => ({
    response_type: 'code',
    client_id: SPA.clientId,
    redirect_uri: SPA.redirectUri,
    scope: 'openid',
    state: 'st-1',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });

  describe('redirect_uri: exact match, never an open redirector (RFC 9700 §4.1)', () => {
    it('a good request goes to the login UI, not to the client', async () => {
      const response = await authorize(good());
      expect(response.status).toBe(302);
      // The hosted login page (LOGIN_UI_URL defaults to <issuer>/login), never the client's redirect_uri.
      expect(response.headers.get('location')).toMatch(new RegExp(`^${t.baseUrl}/login#journey=`));
    });

    it.each([
      ['another host', 'https://evil.example/callback'],
      ['a longer path', `${SPA.redirectUri}/../../evil`],
      ['a path suffix', `${SPA.redirectUri}x`],
      ['a trailing slash', `${SPA.redirectUri}/`],
      ['an added query', `${SPA.redirectUri}?next=https://evil.example`],
      ['a fragment', `${SPA.redirectUri}#x`],
      ['another port', 'http://localhost:5175/callback'],
      ['another scheme', 'https://localhost:5173/callback'],
      ['upper-case host', 'http://LOCALHOST:5173/callback'],
      ['userinfo in the authority', 'http://localhost:5173@evil.example/callback'],
      ["another client's URI", OTHER.redirectUri],
    ])('%s: shown as an error, never redirected', async (_name, redirectUri) => {
      await expectShownNotRedirected(await authorize({ ...good(), redirect_uri: redirectUri }));
    });

    it('an error for an unregistered redirect URI does not redirect even when the request is otherwise wrong', async () => {
      await expectShownNotRedirected(
        await authorize({ ...good(), response_type: 'token', redirect_uri: 'https://evil.example/cb' }),
      );
    });

    it('an unknown client and a missing redirect_uri are shown', async () => {
      await expectShownNotRedirected(await authorize({ ...good(), client_id: 'nobody' }));
      const { redirect_uri: _dropped, ...withoutRedirect } = good();
      await expectShownNotRedirected(await authorize(withoutRedirect));
    });
  });

  describe('errors after the client is known go back to it, with state and iss', () => {
    it.each([
      ['response_type=token (no implicit flow)', { response_type: 'token' }, 'unsupported_response_type'],
      ['response_type=code id_token (no hybrid flow)', { response_type: 'code id_token' }, 'unsupported_response_type'],
      ['no response_type', { response_type: '' }, 'unsupported_response_type'],
      ['no scope', { scope: '' }, 'invalid_scope'],
    ])('%s', async (_name, override, error) => {
      const params = redirectedError(await authorize({ ...good(), ...override }), SPA.redirectUri);
      expect(params.get('error')).toBe(error);
      expect(params.get('state')).toBe('st-1');
      expect(params.get('iss')).toBe(t.config.oidc.issuer);
      expect(params.get('code')).toBeNull();
    });
  });

  describe('a parameter sent twice is an error (RFC 6749 §3.1)', () => {
    it.each(['client_id', 'redirect_uri', 'state', 'code_challenge'])(
      'at the authorization endpoint: %s',
      async (name) => {
        const query = new URLSearchParams(good());
        query.append(name, name === 'redirect_uri' ? SPA.redirectUri : 'second');
        const response = await fetch(`${t.baseUrl}/oauth2/authorize?${query}`, { redirect: 'manual' });
        if (response.status === 302)
          expect(redirectedError(response, SPA.redirectUri).get('error')).toBe('invalid_request');
        else await expectShownNotRedirected(response);
      },
    );

    it('at the token endpoint: grant_type and client_id', async () => {
      for (const body of [
        'grant_type=client_credentials&grant_type=client_credentials',
        `grant_type=client_credentials&client_id=${SERVICE.clientId}&client_id=${SPA.clientId}`,
      ]) {
        const response = await fetch(`${t.baseUrl}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `${body}&client_secret=${SERVICE.secret}`,
        });
        await expectOAuthError(response, 400, 'invalid_request');
      }
    });
  });

  describe('token endpoint', () => {
    it.each([
      ['password (ROPC, removed by RFC 9700 §2.4)', 'password'],
      ['implicit', 'implicit'],
      ['device code', 'urn:ietf:params:oauth:grant-type:device_code'],
      ['JWT bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      ['token exchange', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    ])('refuses the %s grant with unsupported_grant_type', async (_name, grantType) => {
      await expectOAuthError(
        await postForm(t, '/oauth2/token', {
          grant_type: grantType,
          client_id: SPA.clientId,
          username: 'alice',
          password: 'alice-password',
        }),
        400,
        'unsupported_grant_type',
      );
    });

    it('refuses a grant the client is not registered for: unauthorized_client', async () => {
      await expectOAuthError(
        await postForm(t, '/oauth2/token', { grant_type: 'client_credentials', client_id: SPA.clientId }),
        400,
        'unauthorized_client',
      );
    });

    it('accepts only POST (RFC 6749 §3.2): a GET with credentials in the query issues nothing', async () => {
      const response = await fetch(
        `${t.baseUrl}/oauth2/token?grant_type=client_credentials&client_id=${SERVICE.clientId}&client_secret=${SERVICE.secret}`,
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(await response.json()).not.toHaveProperty('access_token');
    });

    it('a code is bound to its redirect URI and its client (RFC 6749 §4.1.3)', async () => {
      const journey = await startJourney(t);
      const done = await (
        await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
      ).json();
      const mismatch = await postForm(t, '/oauth2/token', {
        grant_type: 'authorization_code',
        code: done.authorizationCode,
        redirect_uri: `${SPA.redirectUri}/x`,
        code_verifier: journey.verifier,
        client_id: SPA.clientId,
      });
      await expectOAuthError(mismatch, 400, 'invalid_grant');

      const second = await startJourney(t);
      const secondDone = await (
        await submitPassword(t, second.journeyId, second.transactionToken, 'alice', 'alice-password')
      ).json();
      const stolen = await postForm(t, '/oauth2/token', {
        grant_type: 'authorization_code',
        code: secondDone.authorizationCode,
        redirect_uri: OTHER.redirectUri,
        code_verifier: second.verifier,
        client_id: OTHER.clientId,
      });
      await expectOAuthError(stolen, 400, 'invalid_grant');
    });
  });

  describe('client authentication (RFC 6749 §2.3)', () => {
    const basic = (id: string, secret: string) => ({ id, secret });

    it('client_secret_basic and client_secret_post both work for a confidential client', async () => {
      expect(
        (
          await postForm(
            t,
            '/oauth2/token',
            { grant_type: 'client_credentials' },
            basic(SERVICE.clientId, SERVICE.secret),
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await postForm(t, '/oauth2/token', {
            grant_type: 'client_credentials',
            client_id: SERVICE.clientId,
            client_secret: SERVICE.secret,
          })
        ).status,
      ).toBe(200);
    });

    it('a wrong secret over Basic: 401 invalid_client with a Basic challenge', async () => {
      const response = await postForm(
        t,
        '/oauth2/token',
        { grant_type: 'client_credentials' },
        basic(SERVICE.clientId, 'wrong-secret'),
      );
      await expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    });

    it('a wrong secret in the body, no secret at all, and an unknown client: invalid_client', async () => {
      await expectOAuthError(
        await postForm(t, '/oauth2/token', {
          grant_type: 'client_credentials',
          client_id: SERVICE.clientId,
          client_secret: 'wrong',
        }),
        401,
        'invalid_client',
      );
      await expectOAuthError(
        await postForm(t, '/oauth2/token', { grant_type: 'client_credentials', client_id: SERVICE.clientId }),
        401,
        'invalid_client',
      );
      await expectOAuthError(
        await postForm(t, '/oauth2/token', {
          grant_type: 'client_credentials',
          client_id: 'nobody',
          client_secret: 'x',
        }),
        401,
        'invalid_client',
      );
    });

    it('two methods in one request: invalid_request (RFC 6749 §2.3: exactly one)', async () => {
      const response = await postForm(
        t,
        '/oauth2/token',
        { grant_type: 'client_credentials', client_secret: SERVICE.secret },
        basic(SERVICE.clientId, SERVICE.secret),
      );
      await expectOAuthError(response, 400, 'invalid_request');
    });

    it('Basic credentials that are not id:secret: invalid_client, never a 500', async () => {
      const response = await fetch(`${t.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      await expectOAuthError(response, 401, 'invalid_client');
    });
  });
});
