import type { TestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { postForm, SPA } from '../support/oauth';

export interface SignedIn {
  access_token: string;
  refresh_token: string;
  id_token: string;
  scope: string;
}

/**
 * alice signs in through a real journey (no second factor on the trusted loopback network) and redeems the
 * code (without `openid` in the scope the answer has no `id_token`).
 */
export async function signInAlice(t: TestApp, scope = 'openid profile', nonce?: string): Promise<SignedIn> {
  const journey = await startJourney(t, { scope, ...(nonce ? { nonce } : {}) });
  const done = await (
    await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password')
  ).json();
  const response = await postForm(t, '/oauth2/token', {
    grant_type: 'authorization_code',
    code: done.authorizationCode,
    redirect_uri: SPA.redirectUri,
    code_verifier: journey.verifier,
    client_id: SPA.clientId,
  });
  if (response.status !== 200) throw new Error(`code exchange answered ${response.status}`);
  return (await response.json()) as SignedIn;
}
