// The typed client of this service's REST API, for frontends (the hosted login page and the agent console
// use it) and for the end-to-end tests. Types come from openapi.yaml: `npm run client` regenerates
// client/schema.d.ts, and a test fails when the committed file is stale.
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
/** Every named schema of the document, e.g. `Schemas['ProblemDto']`. */
export type Schemas = components['schemas'];

/** A client bound to one base URL; every call is checked against openapi.yaml at compile time. */
export function createCiamClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}

export type CiamClient = ReturnType<typeof createCiamClient>;
