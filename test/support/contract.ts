import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import type { Middleware } from 'openapi-fetch';

/**
 * Checks real response bodies against openapi.yaml, so a field the service sends but the document does
 * not describe (or a documented one it does not send) fails the test that saw it. The typed client of
 * the tests (test/support/journeys.ts) runs every answer through `contractCheck`. Ajv (Fastify's own
 * validator) reads OpenAPI 3.0 schemas with `nullable`; `discriminator`, `example` and formats are
 * annotations here (the `oneOf` members have exclusive enums, so `oneOf` alone decides).
 */
type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, { $ref: string }> }
  >;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; headers: Record<string, { required?: boolean }> };
}

const ROOT = join(__dirname, '..', '..');
let loaded: { doc: Document; ajv: Ajv } | undefined;

function contract(): { doc: Document; ajv: Ajv } {
  if (loaded) return loaded;
  const doc = load(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8')) as Document;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  // Closed objects: every property the service sends must be documented (unless the schema says otherwise).
  const schemas = JSON.parse(JSON.stringify(doc.components.schemas), (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const schema = value as Schema;
      if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined)
        return { ...schema, additionalProperties: false };
    }
    return value;
  }) as Record<string, Schema>;
  ajv.addSchema({ components: { schemas } }, 'openapi.yaml');
  loaded = { doc, ajv };
  return loaded;
}

const compiled = new Map<string, ValidateFunction>();

/** The documented schema of `method path` for `status` and `contentType`; undefined when none is documented. */
function validatorFor(method: string, path: string, status: number, contentType: string): ValidateFunction | null {
  const key = `${method} ${path} ${status} ${contentType}`;
  if (compiled.has(key)) return compiled.get(key)!;
  const { doc, ajv } = contract();
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`openapi.yaml has no operation ${method} ${path}`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`openapi.yaml does not declare ${status} for ${method} ${path}`);
  const media = response.content?.[contentType];
  if (!response.content) return null;
  if (!media) throw new Error(`openapi.yaml declares no ${contentType} body for ${status} of ${method} ${path}`);
  // Local references point into the components added above.
  const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi.yaml#/components/'));
  const validate = ajv.compile(schema);
  compiled.set(key, validate);
  return validate;
}

/** Throws with what differs when `body` is not what openapi.yaml documents for this answer. */
export function expectDocumented(method: string, path: string, status: number, contentType: string, body: unknown) {
  const validate = validatorFor(method, path, status, contentType.split(';')[0].trim());
  if (!validate || validate(body)) return;
  throw new Error(
    `${method} ${path} answered ${status} with a body openapi.yaml does not describe: ` +
      `${JSON.stringify(validate.errors)}\nbody: ${JSON.stringify(body)}`,
  );
}

/** Throws when the answer lacks a header the document says it always carries, or Retry-After disagrees with the body. */
export function expectDocumentedHeaders(method: string, path: string, status: number, headers: Headers, body: unknown) {
  const { doc } = contract();
  const declared = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)]?.headers ?? {};
  for (const [name, { $ref }] of Object.entries(declared)) {
    const required = doc.components.headers[$ref.split('/').pop()!]?.required;
    if (required && !headers.has(name))
      throw new Error(`${method} ${path} answered ${status} without the ${name} header openapi.yaml declares`);
  }
  const retryAfter = (body as { retryAfter?: number } | undefined)?.retryAfter;
  if (retryAfter !== undefined && headers.get('retry-after') !== String(retryAfter))
    throw new Error(
      `${method} ${path}: retryAfter ${retryAfter} in the body, Retry-After ${headers.get('retry-after')}`,
    );
}

/** openapi-fetch middleware: every answer must be one the document declares, with a body and headers it describes. */
export const contractCheck: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const contentType = response.headers.get('content-type') ?? '';
    const body = contentType.includes('json') ? await response.clone().json() : undefined;
    expectDocumented(request.method, schemaPath, response.status, contentType || 'none', body);
    expectDocumentedHeaders(request.method, schemaPath, response.status, response.headers, body);
    return undefined;
  },
};

/** Throws with what differs when `body` is not an instance of the named component schema. */
export function expectSchema(name: string, body: unknown): void {
  const { ajv } = contract();
  const validate = ajv.getSchema(`openapi.yaml#/components/schemas/${name}`);
  if (!validate) throw new Error(`openapi.yaml has no schema ${name}`);
  if (!validate(body))
    throw new Error(`not a ${name}: ${JSON.stringify(validate.errors)}\nbody: ${JSON.stringify(body)}`);
}

/** Throws with what differs when `value` is not an instance of `schema` (a schema of openapi.yaml, refs included). */
export function expectValid(schema: Schema, value: unknown, where: string): void {
  const { ajv } = contract();
  const validate = ajv.compile(
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.yaml#/components/')),
  );
  if (!validate(value))
    throw new Error(`${where}: the example is not what the schema says: ${JSON.stringify(validate.errors)}`);
}

/** The documented path template a concrete path matches (`/me/sessions/{sessionId}` for `/me/sessions/2b1c…`). */
export function templateOf(method: string, path: string): string {
  const { doc } = contract();
  // Literal segments win over parameters (`/sessions/revoke-others` before `/sessions/{sessionId}`).
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);
  const found = templates.find(
    (template) =>
      doc.paths[template][method.toLowerCase()] &&
      new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  if (!found) throw new Error(`openapi.yaml has no operation ${method} ${path}`);
  return found;
}

/**
 * fetch, with the answer checked against openapi.yaml like the typed client's: for calls a spec builds by
 * hand (query strings, headers), so they still exercise the document.
 */
export async function contractFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  const method = (init.method ?? 'GET').toUpperCase();
  const template = templateOf(method, new URL(url).pathname);
  const contentType = response.headers.get('content-type') ?? '';
  const body = contentType.includes('json') ? await response.clone().json() : undefined;
  expectDocumented(method, template, response.status, contentType || 'none', body);
  expectDocumentedHeaders(method, template, response.status, response.headers, body);
  return response;
}
