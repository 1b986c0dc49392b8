import { useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { pkcePair, registerStandardClients, SPA } from '../support/oauth';
import { redirectedError } from './oauth-assertions';

/**
 * RFC 9207 (authorization server issuer identification): every authorization response, success or
 * error, names the issuer, so a client talking to several servers detects a mix-up attack (RFC 9700
 * §4.4); the metadata says so.
 */
describe('RFC 9207: iss in authorization responses', () => {
  const t = useTestApp({}, registerStandardClients);

  it('the metadata announces it, with the issuer the responses carry', async () => {
    const metadata = await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json();
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.issuer).toBe(t.config.oidc.issuer);
  });

  it("a successful journey's redirect carries code, state and iss", async () => {
    const journey = await startJourney(t, { state: 'state-9207' });
    const done = await (
      await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
    ).json();
    const redirect = new URL(done.redirectTo);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(SPA.redirectUri);
    expect(redirect.searchParams.get('iss')).toBe(t.config.oidc.issuer);
    expect(redirect.searchParams.get('code')).toBe(done.authorizationCode);
    expect(redirect.searchParams.get('state')).toBe('state-9207');
  });

  it('an error redirect carries iss too (RFC 9207 §2)', async () => {
    const params = new URLSearchParams({
      response_type: 'token',
      client_id: SPA.clientId,
      redirect_uri: SPA.redirectUri,
      scope: 'openid',
      state: 's-err',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const error = redirectedError(
      await fetch(`${t.baseUrl}/oauth2/authorize?${params}`, { redirect: 'manual' }),
      SPA.redirectUri,
    );
    expect(error.get('iss')).toBe(t.config.oidc.issuer);
    expect(error.get('state')).toBe('s-err');
  });
});
