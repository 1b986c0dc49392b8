/**
 * The HTTP floor (scripts/bench/floor.ts): Fastify alone, with the two shapes of request the service answers
 * most, a GET of a fixed JSON document (discovery) and a form POST with a Basic header (introspection), and
 * nothing else: no Nest, no hooks, no database. What a request costs before any of the service's own work.
 */
const { parse } = require('node:querystring');
const fastify = require('fastify')({ logger: false });

const document = {
  issuer: 'http://127.0.0.1',
  jwks_uri: 'http://127.0.0.1/oauth2/jwks',
  response_types_supported: ['code'],
};
fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
  done(null, parse(body)),
);
fastify.get('/.well-known/openid-configuration', async () => document);
fastify.post('/oauth2/introspect', async (request) => ({ active: false, fields: Object.keys(request.body).length }));
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
