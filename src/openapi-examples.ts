import type { OpenAPIObject } from '@nestjs/swagger';

type Schema = {
  $ref?: string;
  example?: unknown;
  oneOf?: Schema[];
  allOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  nullable?: boolean;
  required?: string[];
};
type Media = { schema?: Schema; example?: unknown; examples?: Record<string, unknown> };

const FORMAT_EXAMPLES: Record<string, unknown> = {
  'date-time': '2026-11-24T19:00:00.000Z',
  uuid: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21',
  uri: 'https://bank.example/callback',
};

/**
 * An example instance of a schema, built from the examples its properties carry (every property,
 * optional ones too, so a reader sees the whole shape). A property with nothing to build from is
 * reported in `missing`: the document then lacks a realistic example, and a test says where.
 */
export function exampleOf(
  schema: Schema,
  schemas: Record<string, Schema>,
  missing: string[],
  where: string,
  depth = 0,
): unknown {
  if (depth > 8) return undefined;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return exampleOf(schemas[name], schemas, missing, `${name}`, depth + 1);
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.oneOf) return exampleOf(schema.oneOf[0], schemas, missing, where, depth + 1);
  if (schema.allOf)
    return Object.assign({}, ...schema.allOf.map((part) => exampleOf(part, schemas, missing, where, depth + 1)));
  if (schema.enum) return schema.enum[0];
  if (schema.type === 'array') return [exampleOf(schema.items ?? {}, schemas, missing, `${where}[]`, depth + 1)];
  if (schema.type === 'object' || schema.properties) {
    // Required members always; optional ones when they have a realistic example (an EC key has no `n`).
    const required = new Set(schema.required ?? []);
    const members: Array<[string, unknown]> = [];
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const gaps: string[] = [];
      const value = exampleOf(property, schemas, gaps, `${where}.${name}`, depth + 1);
      if (required.has(name)) missing.push(...gaps);
      if (required.has(name) || gaps.length === 0) members.push([name, value]);
    }
    return Object.fromEntries(members);
  }
  if (schema.format && FORMAT_EXAMPLES[schema.format] !== undefined) return FORMAT_EXAMPLES[schema.format];
  if (schema.type === 'boolean') return true;
  if (schema.nullable) return null;
  missing.push(where);
  return schema.type === 'string' ? 'string' : 0;
}

/** `SMS_OTP, phase VERIFY` for a step schema (its single-value enums). */
function describeStep(schema: Schema): string {
  const only = (name: string) => (schema.properties?.[name]?.enum as string[] | undefined)?.[0];
  return only('phase') ? `${only('type')}, phase ${only('phase')}` : `${only('type')}`;
}

/** The leaves of a union (a oneOf of oneOfs), by schema name. */
function leaves(name: string, schemas: Record<string, Schema>): string[] {
  const schema = schemas[name];
  if (!schema.oneOf) return [name];
  return schema.oneOf.flatMap((member) => leaves(member.$ref!.split('/').pop()!, schemas));
}

/**
 * Request and response examples for every operation that has a body. A journey answer gets one named
 * example per step and phase (and the completed journey), kept once in components.examples.
 * Returns where a realistic example could not be built.
 */
export function addOperationExamples(document: OpenAPIObject): string[] {
  const components = document.components!;
  const schemas = components.schemas as Record<string, Schema>;
  const examples = (components.examples ??= {}) as Record<string, { summary: string; value: unknown }>;
  const missing: string[] = [];
  const pending = exampleOf({ $ref: '#/components/schemas/JourneyPendingDto' }, schemas, missing, 'JourneyPendingDto');
  for (const step of leaves('JourneyNextStep', schemas)) {
    examples[`Journey${step}`] = {
      summary: `PENDING: ${describeStep(schemas[step])}`,
      value: { ...(pending as object), nextStep: exampleOf(schemas[step], schemas, missing, step) },
    };
  }
  examples.JourneyCompleted = {
    summary: 'COMPLETED: the authorization code and the redirect back to the client',
    value: exampleOf(schemas.JourneyCompletedDto, schemas, missing, 'JourneyCompletedDto'),
  };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const body = operation.requestBody as { content?: Record<string, Media> } | undefined;
      for (const media of Object.values(body?.content ?? {}))
        if (media.schema && !media.example) media.example = exampleOf(media.schema, schemas, missing, where);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2')) continue;
        for (const media of Object.values((response as { content?: Record<string, Media> }).content ?? {})) {
          if (!media.schema || media.example || media.examples) continue;
          if (media.schema.$ref === '#/components/schemas/JourneyResponse') {
            media.examples = Object.fromEntries(
              [...leaves('JourneyNextStep', schemas).map((step) => `Journey${step}`), 'JourneyCompleted'].map(
                (name) => [name, { $ref: `#/components/examples/${name}` }],
              ),
            );
          } else {
            media.example = exampleOf(media.schema, schemas, missing, `${where} ${status}`);
          }
        }
      }
    }
  }
  return missing;
}

const UUID = { type: 'string', format: 'uuid' };
/**
 * Parameters by name (one meaning each across the API): their schema and a realistic example. Path ids
 * are checked by ParseUUIDPipe, hence `format: uuid`.
 */
const PARAMETERS: Record<string, { schema: Record<string, unknown>; example: unknown }> = {
  journeyId: { schema: UUID, example: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21' },
  sessionId: { schema: UUID, example: '2b1c9a5e-3f0e-4a8f-9d1c-7e2f5b6a8c90' },
  deviceId: { schema: UUID, example: '7f3e2d1c-0b9a-4876-8543-210fedcba987' },
  credentialId: { schema: UUID, example: '5d2f8c1a-7b3e-4f60-9a1d-2c4e6f8a0b13' },
  pushChallengeId: { schema: UUID, example: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d' },
  receiverId: { schema: UUID, example: '4d5e6f70-8192-4a3b-9c4d-5e6f708192a3' },
  clientId: { schema: { type: 'string' }, example: 'partner-budget-app' },
  passkeyId: { schema: UUID, example: '6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b' },
  apiTokenId: { schema: UUID, example: '3c8e1f2a-4b5d-4e6f-8a9b-0c1d2e3f4a5b' },
  resetId: { schema: UUID, example: '0f4a3b2c-1d5e-4f60-8a7b-9c0d1e2f3a4b' },
  // A factor's kind and its id within the kind (a device's UUID, 'directory-phone', a credential id).
  factorKind: { schema: { type: 'string' }, example: 'device' },
  factorId: { schema: { type: 'string' }, example: '7f3e2d1c-0b9a-4876-8543-210fedcba987' },
  cursor: { schema: { type: 'string' }, example: 'MjAyNi0xMS0yNFQxOTowMDowMC4wMDBafDJiMWM5YTVl' },
  response_type: { schema: { type: 'string', enum: ['code'] }, example: 'code' },
  client_id: { schema: { type: 'string' }, example: 'demo-spa' },
  redirect_uri: { schema: { type: 'string', format: 'uri' }, example: 'http://localhost:5173/callback' },
  state: { schema: { type: 'string' }, example: 'af0ifjsldkj' },
  nonce: { schema: { type: 'string' }, example: 'n-0S6_WzA2Mj' },
  code_challenge: { schema: { type: 'string' }, example: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' },
  code_challenge_method: { schema: { type: 'string', enum: ['S256'] }, example: 'S256' },
  id_token_hint: {
    schema: { type: 'string' },
    example: 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAiLCJzaWQiOiIyYjFjOWE1ZSJ9.c2lnbmF0dXJl',
  },
  post_logout_redirect_uri: { schema: { type: 'string', format: 'uri' }, example: 'http://localhost:5173/' },
};

/** Gives every parameter a schema and an example; returns the parameters it knows nothing about. */
export function describeParameters(document: OpenAPIObject): string[] {
  const unknown: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      for (const parameter of (item[method]?.parameters ?? []) as Array<{
        name: string;
        schema?: Record<string, unknown>;
        example?: unknown;
      }>) {
        const known = PARAMETERS[parameter.name];
        const schema = parameter.schema ?? {};
        if (known) {
          parameter.schema = { ...known.schema, ...schema };
          if (parameter.example === undefined && schema.example === undefined) parameter.example = known.example;
        } else if (parameter.example === undefined && schema.example === undefined && !schema.enum) {
          unknown.push(`${method.toUpperCase()} ${path} ${parameter.name}`);
        }
      }
    }
  }
  return unknown;
}
