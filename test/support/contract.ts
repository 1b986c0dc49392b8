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
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
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

/** openapi-fetch middleware: every answer must be one the document declares, with a body it describes. */
export const contractCheck: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    if (response.status >= 400) return undefined;
    const contentType = response.headers.get('content-type') ?? '';
    const body = contentType.includes('json') ? await response.clone().json() : undefined;
    expectDocumented(request.method, schemaPath, response.status, contentType || 'none', body);
    return undefined;
  },
};
