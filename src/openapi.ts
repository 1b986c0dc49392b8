import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { dump } from 'js-yaml';
import { header, PROBLEM_REFERENCES, problemExample, problemResponse, RESPONSE_HEADERS } from './common/problem.dto';
import type { ProblemCode } from './common/problem-catalogue';
import { PROBLEM_CATALOGUE } from './common/problem-catalogue';
import { SERVICE_VERSION } from './common/version';
import { addOperationExamples, describeParameters } from './openapi-examples';
import { operationIds } from './openapi-operation-ids';
import { JOURNEY_UNION_SCHEMAS, STEP_OPERATIONS } from './journeys/dto/journey-response.dto';

/**
 * The OpenAPI document, built from the controllers' and DTOs' decorators (never written by hand).
 * `gaps` hears of every example that could not be built from the DTOs (a property without an example,
 * a parameter nobody described): `npm run openapi` refuses to write a document with gaps, while the
 * service's own Swagger UI still serves one.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  gaps: (missing: string[]) => void = () => {},
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('CIAM backend')
    .setDescription(
      'Customer identity: login journeys (password, SMS or email OTP, push, risk, eSign, device binding) ending in ' +
        'OAuth 2.0 / OpenID Connect tokens; sessions and devices for customers and support agents; audit; ' +
        'operations. Every REST error is RFC 9457 problem+json; OAuth endpoints answer RFC 6749 error JSON.',
    )
    .setVersion(SERVICE_VERSION)
    // The two bearer schemes Swagger UI can authorise with: customers' access tokens from our token endpoint,
    // and support agents' tokens from the workforce identity provider.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A customer access token from /oauth2/token',
      },
      'customer',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A workforce token with the support role' },
      'agent',
    )
    // RFC 6749 §2.3.1: confidential clients authenticate at the token, introspection and revocation
    // endpoints with HTTP Basic (client_secret_post is accepted too); public clients send only client_id.
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'client_id and client_secret (RFC 6749 §2.3.1)' },
      'client',
    )
    // The bank's own services on the internal API: a client_credentials access token with a service scope.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A client_credentials access token from /oauth2/token with a service scope (federation:tokens)',
      },
      'service',
    )
    .addServer('/', 'this service (every URL is relative to the issuer)')
    .build();
  const unnamed: string[] = [];
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationIds(unnamed) });
  // Every problem type of the catalogue, with an example body, and the headers responses declare.
  document.components = {
    ...document.components,
    examples: Object.fromEntries(
      (Object.keys(PROBLEM_CATALOGUE) as ProblemCode[]).map((code) => [code, problemExample(code)]),
    ),
    headers: RESPONSE_HEADERS as never,
  };
  const described = declareResponseHeaders(addEdgeProblems(describeJourneySteps(declarePublicOperations(document))));
  const missing = [...unnamed, ...addOperationExamples(described), ...describeParameters(described)];
  if (missing.length > 0) gaps(missing);
  return described;
}

/** The OAuth endpoints where a confidential client authenticates; a public client sends only its client_id. */
const CLIENT_AUTHENTICATED = ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke'];

/**
 * Every operation states who may call it: the ones without a bearer scheme are public (journeys, discovery,
 * health) or take client authentication, and say so explicitly, so a reader (and Redocly's
 * `security-defined`) never has to guess.
 */
function declarePublicOperations(document: OpenAPIObject): OpenAPIObject {
  document.info.license = { name: 'UNLICENSED (proprietary; see package.json)' };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation || operation.security) continue;
      operation.security = CLIENT_AUTHENTICATED.includes(path) ? [{ client: [] }, {}] : [];
    }
  }
  return document;
}

/** Stable YAML: keys keep their declaration order, no line folding, so regenerating never churns. */
export function openApiYaml(document: OpenAPIObject): string {
  return dump(document, { noRefs: true, lineWidth: -1, sortKeys: false });
}

/**
 * The journey responses are discriminated unions (oneOf + discriminator), which class decorators cannot
 * express: they are added here, and each step schema says which operation answers it (the step map).
 */
function describeJourneySteps(document: OpenAPIObject): OpenAPIObject {
  const schemas = ((document.components ??= {}).schemas ??= {});
  Object.assign(schemas, JOURNEY_UNION_SCHEMAS);
  // Bare references (a decorator adds `type: object` beside a $ref, which OpenAPI 3.0 ignores).
  const references: Array<[string, Record<string, string>]> = [
    ['JourneyPendingDto', { nextStep: '#/components/schemas/JourneyNextStep' }],
    ['ProblemDto', PROBLEM_REFERENCES],
  ];
  for (const [name, properties] of references) {
    const target = (schemas[name] as { properties: Record<string, unknown> }).properties;
    for (const [property, $ref] of Object.entries(properties)) target[property] = { $ref };
  }
  for (const [step, { schema, operations, description }] of Object.entries(STEP_OPERATIONS)) {
    const target = schemas[schema] as { description?: string };
    if (!target) throw new Error(`step ${step}: no schema ${schema}`);
    target.description = `${step}: ${description} Answered by ${operations.map((id) => `\`${id}\``).join(' or ')}.`;
  }
  return document;
}

/**
 * What the HTTP edge answers before any controller runs, on every REST operation (the OAuth endpoints
 * answer RFC 6749 JSON instead): bytes that are not UTF-8, a body that is not JSON, an instance shutting
 * down. Merged into the statuses the operation already documents (the examples are keyed by code).
 */
function addEdgeProblems(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      if (path.startsWith('/oauth2/')) {
        addOAuthEdgeErrors(operation.responses);
        continue;
      }
      const edge: ProblemCode[] = ['INVALID_ENCODING', 'SHUTTING_DOWN'];
      const body = operation.requestBody as { content?: Record<string, unknown> } | undefined;
      if (body?.content?.['application/json']) edge.push('UNSUPPORTED_MEDIA_TYPE');
      for (const code of edge) {
        const status = PROBLEM_CATALOGUE[code].status;
        const existing = operation.responses[status] as
          { content?: Record<string, { examples?: Record<string, unknown> }> } | undefined;
        const codes = Object.keys(existing?.content?.['application/problem+json']?.examples ?? {}) as ProblemCode[];
        const journey = path.startsWith('/journeys');
        const { status: _status, ...response } = problemResponse(status, [...codes, code], journey);
        operation.responses[status] = response as never;
      }
    }
  }
  return document;
}

const OAUTH_ERROR = { $ref: '#/components/schemas/OAuthErrorDto' };

/**
 * The OAuth endpoints answer RFC 6749 error JSON for what the edge refuses (invalid_request: bytes that
 * are not UTF-8) and for an outage (temporarily_unavailable with Retry-After, RFC 6749 §4.1.2.1).
 */
function addOAuthEdgeErrors(responses: Record<string, unknown>): void {
  responses['400'] ??= {
    description: 'invalid_request: a malformed request, or a NUL or bytes that are not UTF-8 in it',
    content: {
      'application/json': {
        schema: OAUTH_ERROR,
        example: { error: 'invalid_request', error_description: 'the request holds invalid characters' },
      },
    },
  };
  responses['503'] ??= {
    description:
      'temporarily_unavailable: a dependency is down or the instance is shutting down; retry after Retry-After',
    content: {
      'application/json': {
        schema: OAUTH_ERROR,
        example: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable' },
      },
    },
  };
}

/** What their controllers' @Header says: the only responses caches may keep (http-edge.ts makes the rest no-store). */
const PUBLIC_CACHE = ['/.well-known/openid-configuration', '/oauth2/jwks'];

/**
 * Headers every answer carries, declared on every response: Cache-Control (http-edge.ts sets `no-store`
 * unless a route says otherwise) and Location on redirects. Problem responses declare theirs already
 * (Retry-After, WWW-Authenticate).
 */
function declareResponseHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      for (const [status, response] of Object.entries(operation.responses) as Array<
        [string, { headers?: Record<string, unknown> }]
      >) {
        const cacheable = PUBLIC_CACHE.includes(path) && status.startsWith('2');
        response.headers = {
          'Cache-Control': header(cacheable ? 'PublicCache' : 'NoStore'),
          ...(status === '302' ? { Location: header('Location') } : {}),
          ...(status === '429' || status === '503' ? { 'Retry-After': header('RetryAfter') } : {}),
          ...response.headers,
        };
      }
    }
  }
  return document;
}
