// A real upstream OpenID provider (oidc-provider 9) for the federation token tests, run in a child process
// (oidc-provider is ESM and must not go through jest's module loader). Started by test/support/upstream-op-tokens.ts.
//
// Environment: UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, UPSTREAM_REDIRECT_URI, UPSTREAM_ACCESS_TTL (seconds).
// Prints one JSON line {"issuer": "..."} on stdout when it listens. Besides the provider's own endpoints
// (discovery, token, revocation, ...) it answers, for the tests only:
// - POST /_test/grants {"sub", "scope"}: a grant for the client, and an access and a refresh token issued under
//   it by the provider's own models, as its token endpoint would after a sign-in and consent;
// - GET /_test/stats: how many refresh_token grants the token endpoint answered (successes and refusals);
// - POST /_test/slow {"ms"}: delays the token endpoint's answers by this much (concurrency tests);
// - POST /_test/unavailable {"on"}: the token endpoint answers 503 temporarily_unavailable (an outage) while on.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.env.UPSTREAM_CLIENT_ID ?? 'ciam';
const clientSecret = process.env.UPSTREAM_CLIENT_SECRET ?? 'upstream-client-secret-0123456789';
const redirectUri = process.env.UPSTREAM_REDIRECT_URI ?? 'http://127.0.0.1/federation/callback';
const accessTtl = Number(process.env.UPSTREAM_ACCESS_TTL ?? 60);

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  cookies: { keys: ['upstream-op-test-cookie-key'] },
  features: { revocation: { enabled: true }, devInteractions: { enabled: true } },
  scopes: ['openid', 'offline_access'],
  // Each refresh consumes the refresh token and hands out a new one; a consumed one presented again revokes the
  // whole grant (oidc-provider's reuse detection): a relying party that loses a rotated token loses the grant.
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  ttl: { AccessToken: accessTtl, RefreshToken: 14 * 86400, Grant: 14 * 86400, IdToken: 300, Session: 86400 },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
provider.proxy = false;

const stats = { refreshes: 0, refreshSuccesses: 0, refreshErrors: 0 };
let slowMs = 0;
let unavailable = false;
provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params?.grant_type === 'refresh_token') {
    stats.refreshes += 1;
    stats.refreshSuccesses += 1;
  }
});
provider.on('grant.error', (ctx) => {
  if (ctx.oidc?.params?.grant_type === 'refresh_token') {
    stats.refreshes += 1;
    stats.refreshErrors += 1;
  }
});

const callback = provider.callback();

async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

function send(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function mint({ sub, scope = 'openid offline_access' }) {
  const client = await provider.Client.find(clientId);
  const grant = new provider.Grant({ accountId: sub, clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  const authTime = Math.floor(Date.now() / 1000);
  const refreshToken = new provider.RefreshToken({
    accountId: sub,
    client,
    grantId,
    gty: 'authorization_code',
    scope: grant.getOIDCScope(),
    authTime,
  });
  const refreshValue = await refreshToken.save();
  const accessToken = new provider.AccessToken({
    accountId: sub,
    client,
    grantId,
    gty: 'authorization_code',
    scope: grant.getOIDCScope(),
  });
  const accessValue = await accessToken.save();
  return {
    access_token: accessValue,
    refresh_token: refreshValue,
    token_type: 'Bearer',
    expires_in: accessToken.expiration,
    scope: accessToken.scope,
  };
}

server.on('request', (request, response) => {
  const url = new URL(request.url, issuer);
  if (url.pathname === '/_test/grants' && request.method === 'POST') {
    readJson(request)
      .then(mint)
      .then((tokens) => send(response, 200, tokens))
      .catch((error) => send(response, 500, { error: String(error) }));
    return;
  }
  if (url.pathname === '/_test/stats') return send(response, 200, stats);
  if (url.pathname === '/_test/slow' && request.method === 'POST') {
    readJson(request).then(({ ms }) => {
      slowMs = Number(ms) || 0;
      send(response, 200, { slowMs });
    });
    return;
  }
  if (url.pathname === '/_test/unavailable' && request.method === 'POST') {
    readJson(request).then(({ on }) => {
      unavailable = Boolean(on);
      send(response, 200, { unavailable });
    });
    return;
  }
  if (url.pathname === '/token' && unavailable) {
    send(response, 503, { error: 'temporarily_unavailable', error_description: 'down for maintenance' });
    return;
  }
  if (url.pathname === '/token' && slowMs > 0) {
    setTimeout(() => callback(request, response), slowMs);
    return;
  }
  callback(request, response);
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
