import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { dump } from 'js-yaml';
import { SERVICE_VERSION } from './common/version';
import { JOURNEY_UNION_SCHEMAS, STEP_OPERATIONS } from './journeys/dto/journey-response.dto';

/** The OpenAPI document, built from the controllers' and DTOs' decorators (never written by hand). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('CIAM backend')
    .setDescription(
      'Customer identity: login journeys (password, SMS OTP, push, risk, eSign, device binding) ending in ' +
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
    .addServer('/', 'this service (every URL is relative to the issuer)')
    .build();
  return describeJourneySteps(declarePublicOperations(SwaggerModule.createDocument(app, config)));
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
  // A bare reference to the union (the decorator adds `type: object` beside a $ref, which OpenAPI 3.0 ignores).
  (schemas.JourneyPendingDto as { properties: Record<string, unknown> }).properties.nextStep = {
    $ref: '#/components/schemas/JourneyNextStep',
  };
  for (const [step, { schema, operations, description }] of Object.entries(STEP_OPERATIONS)) {
    const target = schemas[schema] as { description?: string };
    if (!target) throw new Error(`step ${step}: no schema ${schema}`);
    target.description = `${step}: ${description} Answered by ${operations.map((id) => `\`${id}\``).join(' or ')}.`;
  }
  return document;
}
