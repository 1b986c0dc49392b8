// The hosted login page: /oauth2/authorize sends the browser here with the journey in the URL fragment
// (#journey=...&transaction_token=...&step=PASSWORD, with login_hint, or step=SMS_OTP&factors=SMS_OTP,PUSH for a
// step-up, or step=CONSENT&client_name=...&scopes=... when a single sign-on lacks only consent); the page drives each step through the journey API and
// finally follows the journey's redirect back to the relying party (code, state, iss).
import { resumeFederation, startFlow, showNoJourney } from './app';
import { applyBranding } from './branding';
import { loadMessages, pickLocale } from './i18n';

async function boot(): Promise<void> {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  await loadMessages(pickLocale(fragment.get('ui_locales'), navigator.languages));
  await applyBranding();
  const journeyId = fragment.get('journey');
  const token = fragment.get('transaction_token');
  // The tokens leave the address bar (history, bookmarks, shoulder surfing); the page holds them in memory.
  if (window.location.hash) history.replaceState(null, '', window.location.pathname);
  // Back from an upstream identity provider: /federation/callback put its answer here.
  const federation = fragment.get('federation_response');
  if (federation) return resumeFederation(federation);
  if (!journeyId || !token) return showNoJourney();
  startFlow(journeyId, token, fragment.get('step') || 'PASSWORD', {
    loginHint: fragment.get('login_hint'),
    idpHint: fragment.get('idp_hint'),
    factors: (fragment.get('factors') ?? '').split(',').filter(Boolean),
    reset: {
      clientId: fragment.get('client_id'),
      redirectUri: fragment.get('redirect_uri'),
      codeChallenge: fragment.get('code_challenge'),
    },
    consent: {
      clientName: fragment.get('client_name'),
      scopes: (fragment.get('scopes') ?? '').split(' ').filter(Boolean),
    },
  });
}

void boot();
