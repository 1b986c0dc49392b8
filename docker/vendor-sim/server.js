'use strict';
/*
 * NOT FOR PRODUCTION. A vendor simulator for the local compose stack, with no dependencies (node:http):
 *
 * - an SMS gateway for the service's `http` SMS adapter (src/mfa/sms/http.sms-sender.ts):
 *   POST /sms {to, text, reference} with Idempotency-Key; GET /sms[?to=+44...] lists what was "sent";
 * - a push gateway for the `http` push adapter (src/mfa/push/push-senders.ts):
 *   POST /push {message: {token, data}}; GET /push lists the pushes;
 * - a workforce identity provider for the agent API: GET /workforce/jwks.json publishes its key and
 *   POST /workforce/token (sub=agent-007) mints an agent token, with no login at all.
 *
 * It shows one-time codes to anyone who asks and mints support-agent tokens for anyone who asks: it must
 * never be reachable outside a developer's machine, and never stand in for a real vendor.
 */
const { createHash, generateKeyPairSync, randomUUID, sign, timingSafeEqual } = require('node:crypto');
const { createServer } = require('node:http');

const PORT = Number(process.env.PORT || 4000);
/** When set, POST /sms and /push require `Authorization: Bearer <token>` (what SMS_/PUSH_HTTP_AUTH_HEADER send). */
const AUTH_TOKEN = process.env.SIM_AUTH_TOKEN || '';
const ISSUER = process.env.WORKFORCE_ISSUER || `http://127.0.0.1:${PORT}/workforce`;
const AUDIENCE = process.env.WORKFORCE_AUDIENCE || 'ciam-agent-api';
const ROLE_CLAIM = process.env.WORKFORCE_ROLE_CLAIM || 'roles';
const DEFAULT_ROLE = process.env.WORKFORCE_DEFAULT_ROLE || 'ciam-support';
const KEEP = 100;
const BODY_LIMIT = 64 * 1024;

// A fresh signing key per start: the service fetches the JWKS again when a token names an unknown kid.
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = publicKey.export({ format: 'jwk' });
// RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
const kid = createHash('sha256')
  .update(JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }))
  .digest('base64url');
const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };

const sms = [];
const pushes = [];
const byIdempotencyKey = new Map();

function reply(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? `${JSON.stringify(body, null, 2)}\n` : body;
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-not-for-production': 'vendor simulator',
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > BODY_LIMIT) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parse(req, raw) {
  if ((req.headers['content-type'] || '').startsWith('application/json')) return JSON.parse(raw || '{}');
  return Object.fromEntries(new URLSearchParams(raw));
}

function authorized(req) {
  if (!AUTH_TOKEN) return true;
  // Compared as digests in constant time, as a real gateway would.
  const digest = (value) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(req.headers.authorization || ''), digest(`Bearer ${AUTH_TOKEN}`));
}

function keep(list, entry) {
  list.unshift(entry);
  list.length = Math.min(list.length, KEEP);
}

function mintAgentToken({ sub, roles, ttl }) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'JWT', kid };
  const payload = { iss: ISSUER, aud: AUDIENCE, sub, [ROLE_CLAIM]: roles, iat: now, exp: now + ttl, jti: randomUUID() };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  // JWS ES256 signatures are r || s (IEEE P1363), not DER.
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString(
    'base64url',
  );
  return `${input}.${signature}`;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://sim');
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /':
      return reply(res, 200, {
        warning: 'NOT FOR PRODUCTION: shows one-time codes and mints agent tokens for anyone',
        endpoints: [
          'POST /sms',
          'GET /sms?to=',
          'POST /push',
          'GET /push',
          'GET /workforce/jwks.json',
          'POST /workforce/token (sub=…)',
          'GET /health',
        ],
      });
    case 'GET /health':
      return reply(res, 200, { status: 'ok' });
    case 'POST /sms': {
      if (!authorized(req)) return reply(res, 401, { error: 'unauthorized' });
      const body = parse(req, await readBody(req));
      if (typeof body.to !== 'string' || typeof body.text !== 'string')
        return reply(res, 400, { error: 'to and text are required' });
      // A retry with the same Idempotency-Key is the same message: answered, not sent twice.
      const key = req.headers['idempotency-key'];
      if (key && byIdempotencyKey.has(key)) return reply(res, 200, { id: byIdempotencyKey.get(key) });
      const id = `sim-sms-${randomUUID()}`;
      if (key) byIdempotencyKey.set(key, id);
      keep(sms, {
        id,
        to: body.to,
        text: body.text,
        reference: body.reference ?? null,
        receivedAt: new Date().toISOString(),
      });
      console.log(`sms ${id} to ${body.to.slice(0, 4)}…${body.to.slice(-2)}`);
      return reply(res, 200, { id });
    }
    case 'GET /sms': {
      const to = url.searchParams.get('to');
      return reply(res, 200, { messages: to ? sms.filter((message) => message.to === to) : sms });
    }
    case 'POST /push': {
      if (!authorized(req)) return reply(res, 401, { error: 'unauthorized' });
      const body = parse(req, await readBody(req));
      if (typeof body.message?.token !== 'string' || typeof body.message?.data !== 'object')
        return reply(res, 400, { error: 'message.token and message.data are required' });
      const name = `sim-push-${randomUUID()}`;
      keep(pushes, { name, token: body.message.token, data: body.message.data, receivedAt: new Date().toISOString() });
      console.log(`push ${name}`);
      return reply(res, 200, { name });
    }
    case 'GET /push':
      return reply(res, 200, { messages: pushes });
    case 'GET /workforce/jwks.json':
      return reply(res, 200, jwks);
    case 'POST /workforce/token': {
      const body = parse(req, await readBody(req));
      const sub = typeof body.sub === 'string' ? body.sub.trim() : '';
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(sub))
        return reply(res, 400, { error: 'sub (an agent id: letters, digits, . _ @ -) is required' });
      const roles =
        body.roles === undefined
          ? [DEFAULT_ROLE]
          : (Array.isArray(body.roles) ? body.roles : String(body.roles).split(',')).map(String);
      const ttl = body.ttl === undefined ? 3600 : Number(body.ttl);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86400)
        return reply(res, 400, { error: 'ttl must be 1 to 86400 seconds' });
      console.log(`agent token for ${sub} (${roles.join(' ')})`);
      return reply(res, 200, `${mintAgentToken({ sub, roles, ttl })}\n`, 'text/plain');
    }
    default:
      return reply(res, 404, { error: `no route ${route}` });
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) =>
    reply(res, 400, { error: error instanceof SyntaxError ? 'malformed JSON' : error.message }),
  );
});
server.listen(PORT, '0.0.0.0', () => {
  const { port } = server.address();
  console.log(`vendor simulator (NOT FOR PRODUCTION) on port ${port}; workforce issuer ${ISSUER}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
