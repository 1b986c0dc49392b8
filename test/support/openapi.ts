import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { buildOpenApiDocument, openApiYaml } from '../../src/openapi';

/** The OpenAPI document as YAML, from an app built in preview mode with the default configuration. */
export async function renderOpenApiYaml(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const app = await createApp(config, { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', preview: true });
  try {
    // Every example is built from the examples the DTOs carry: a property without one is a gap in the contract.
    return openApiYaml(
      buildOpenApiDocument(app, (missing) => {
        throw new Error(`openapi: no example for ${missing.join(', ')}; add one to its @ApiProperty`);
      }),
    );
  } finally {
    await app.close();
  }
}
