import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { dump } from 'js-yaml';
import { SERVICE_VERSION } from './common/version';

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
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Stable YAML: keys keep their declaration order, no line folding, so regenerating never churns. */
export function openApiYaml(document: OpenAPIObject): string {
  return dump(document, { noRefs: true, lineWidth: -1, sortKeys: false });
}
