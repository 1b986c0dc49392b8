import type { OAuthClient } from '../clients/oauth-client.entity';

/**
 * When the customer is asked for consent (issue 16 item 2), the one rule the CONSENT step and single sign-on
 * share:
 * - prompt=consent (OIDC Core §3.1.2.1) asks, whatever the client;
 * - a first-party client (oauth_clients.first_party, the default) has consent implied for the scopes it is
 *   registered for: the bank's own apps never show the page, and the check costs no statement;
 * - a third-party client asks unless every requested scope has a live consent record.
 * `liveScopes` is read only when the answer depends on it (a third-party client without prompt=consent).
 */
export function consentWanted(client: Pick<OAuthClient, 'firstParty'>, forced: boolean): 'ask' | 'check' | 'implied' {
  if (forced) return 'ask';
  return client.firstParty ? 'implied' : 'check';
}

/** Whether live consent covers every requested scope. */
export function coveredBy(requested: readonly string[], liveScopes: readonly string[]): boolean {
  const live = new Set(liveScopes);
  return requested.every((scope) => live.has(scope));
}
