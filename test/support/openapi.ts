import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { buildOpenApiDocument, openApiYaml } from '../../src/openapi';

/** The OpenAPI document as YAML, from an app built in preview mode with the default configuration. */
export async function renderOpenApiYaml(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const app = await createApp(config, { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', preview: true });
  try {
    return openApiYaml(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}
