// A real upstream OpenID provider (oidc-provider 9) for the federation sign-in tests, run in a child process
// (oidc-provider is ESM and must not go through jest's module loader). Started by test/support/upstream-op.ts.
//
// Environment: UPSTREAM_REDIRECT_URI (our /federation/callback). Two clients share it: 'ciam' (confidential,
// client_secret_basic) and 'other' (another relying party at the same provider). Prints one JSON line
// {"issuer": "..."} on stdout when it listens.
//
// Its interaction (login and consent) is automatic: the account signed in is the one last set with
// POST /_test/account {"sub"} ('upstream-user-1' before that). So a test follows the authorization URL's
// redirects (keeping the provider's cookies) and ends at our callback with a code, as a browser would.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.env.UPSTREAM_REDIRECT_URI ?? 'http://127.0.0.1/federation/callback';
let account = 'upstream-user-1';

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const client = (clientId) => ({
  client_id: clientId,
  client_secret: `${clientId}-upstream-secret-0123456789`,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [client('ciam'), client('other')],
  cookies: { keys: ['upstream-op-test-cookie-key'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name'] },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 300, IdToken: 300, Interaction: 300, Session: 3600, Grant: 3600, AuthorizationCode: 60 },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: `Upstream ${sub}` }) }),
});
provider.proxy = false;

const callback = provider.callback();

/** Signs the current account in and grants what the request asks, with no page. */
async function interact(request, response) {
  const details = await provider.interactionDetails(request, response);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId: account } },
      {
        mergeWithLastSubmission: false,
      },
    );
    return;
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details.missingOIDCScope;
  if (missing) grant.addOIDCScope(missing.join(' '));
  const claims = details.prompt.details.missingOIDCClaims;
  if (claims) grant.addOIDCClaims(claims);
  const grantId = await grant.save();
  await provider.interactionFinished(request, response, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

server.on('request', (request, response) => {
  const url = new URL(request.url, issuer);
  if (url.pathname === '/_test/account' && request.method === 'POST') {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      account = JSON.parse(Buffer.concat(chunks).toString('utf8')).sub;
      response.writeHead(204).end();
    });
    return;
  }
  if (url.pathname.startsWith('/interaction/')) {
    interact(request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
    return;
  }
  callback(request, response);
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
