/**
 * Operator commands: npm run cli -- <command> [options]
 *
 *   clients:add --id ID --name NAME --type public|confidential --grant G [--grant G ...]
 *               [--redirect-uri URI ...] [--post-logout-uri URI ...] [--scope S ...] [--introspect] [--secret S]
 *               [--min-acr loa1|loa2|loa3]   (the lowest level of assurance the client accepts: SSO steps up below it)
 *   clients:list
 *   clients:deactivate --id ID   (also revokes the client's sessions and tokens)
 *   keys:rotate [--reason TEXT]
 *   keys:reseal     (after a KEY_ENCRYPTION_KEY change: re-seal with it what KEY_ENCRYPTION_KEY_PREVIOUS sealed)
 *   agent:token --sub AGENT [--role ROLE ...] [--ttl SECONDS]   (development workforce IdP)
 *   jobs:run <job>    (expire-transactions, expire-contexts, expire-sessions, purge-journey-data, audit-partitions, rotate-signing-key)
 *   jobs:status
 *   documents:publish --id ID --version V --title TITLE --url URL --file PATH   (a document customers must eSign)
 *
 * Uses DATABASE_URL, or the embedded development database when it is unset (as `npm start` does).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '../config/config';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { ClientRegistrationError, ClientsService } from '../clients/clients.service';
import type { GrantType } from '../clients/oauth-client.entity';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { mintDevAgentToken } from '../agents/dev-workforce-idp';
import { CliModule } from './cli.module';
import { EsignRepository } from '../esign/esign.repository';
import { JobRunner } from '../jobs/job-runner';
import { JobRunsRepository } from '../jobs/job-runs.repository';
import { DataSource } from 'typeorm';
import { JOB_NAMES } from '../config/config';

const USAGE = `usage: npm run cli -- <command> [options]
  clients:add --id ID --name NAME --type public|confidential --grant GRANT [--grant ...]
              [--redirect-uri URI ...] [--post-logout-uri URI ...] [--scope SCOPE ...] [--introspect] [--secret SECRET]
              [--access-ttl SECONDS] [--session-idle SECONDS] [--session-absolute SECONDS] [--min-acr loa1|loa2|loa3]
  clients:list
  clients:deactivate --id ID
  keys:rotate [--reason TEXT]
  keys:reseal
  agent:token --sub AGENT [--role ROLE ...] [--ttl SECONDS]
  jobs:run <job>   (${JOB_NAMES.join(', ')})
  jobs:status
  documents:publish --id ID --version V --title TITLE --url URL --file PATH`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      type: { type: 'string' },
      secret: { type: 'string' },
      grant: { type: 'string', multiple: true },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-uri': { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      introspect: { type: 'boolean' },
      reason: { type: 'string' },
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      'access-ttl': { type: 'string' },
      'session-idle': { type: 'string' },
      'session-absolute': { type: 'string' },
      'min-acr': { type: 'string' },
      version: { type: 'string' },
      title: { type: 'string' },
      url: { type: 'string' },
      file: { type: 'string' },
    },
    strict: true,
  });
  if (
    ![
      'clients:add',
      'clients:list',
      'clients:deactivate',
      'keys:rotate',
      'agent:token',
      'jobs:run',
      'jobs:status',
      'documents:publish',
      'keys:reseal',
    ].includes(command ?? '')
  )
    throw new UsageError(USAGE);
  if (command === 'jobs:run' && !(JOB_NAMES as readonly string[]).includes(positionals[0] ?? ''))
    throw new UsageError(USAGE);

  const config = loadConfig();
  if (command === 'agent:token') {
    if (!values.sub) throw new UsageError(USAGE);
    const ttlSeconds = Number(values.ttl ?? 3600);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86400)
      throw new UsageError('--ttl must be 1 to 86400 seconds');
    process.stdout.write(
      `${await mintDevAgentToken(config, { subject: values.sub, roles: values.role ?? [config.agents.requiredRole], ttlSeconds })}\n`,
    );
    return;
  }
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.database.embeddedDataDir,
        preferredPort: config.database.embeddedPort,
        database: 'ciam',
      });
  // Deactivation cascades into sessions and tokens: those modules load only for that command.
  const deactivation = command === 'clients:deactivate' ? loadDeactivation() : undefined;
  const context = await NestFactory.createApplicationContext(
    CliModule.register(config, config.database.url ?? embedded!.url, deactivation ? [deactivation.module] : []),
    { logger: ['error', 'warn'] },
  );
  try {
    const clients = context.get(ClientsService);
    if (command === 'clients:add') {
      const type = String(values.type ?? '').toUpperCase();
      if (!values.id || !values.name || (type !== 'PUBLIC' && type !== 'CONFIDENTIAL') || !values.grant?.length)
        throw new UsageError(USAGE);
      const { client, secret } = await clients.register({
        clientId: values.id,
        name: values.name,
        type,
        grantTypes: values.grant as GrantType[],
        redirectUris: values['redirect-uri'],
        postLogoutRedirectUris: values['post-logout-uri'],
        scopes: values.scope?.flatMap((scope) => scope.split(' ')).filter(Boolean),
        canIntrospect: values.introspect ?? false,
        secret: values.secret,
        accessTokenTtlSeconds: seconds(values['access-ttl'], 'access-ttl'),
        sessionIdleTtlSeconds: seconds(values['session-idle'], 'session-idle'),
        sessionAbsoluteTtlSeconds: seconds(values['session-absolute'], 'session-absolute'),
        minAcr: values['min-acr'],
      });
      print({
        registered: client.clientId,
        type: client.type,
        grantTypes: client.grantTypes,
        redirectUris: client.redirectUris,
        scopes: client.scopes,
        minAcr: client.minAcr,
      });
      if (secret && !values.secret) {
        print({ clientSecret: secret, note: 'shown once: store it now; only its hash is kept' });
      }
    } else if (command === 'clients:list') {
      for (const client of await clients.list()) {
        print({
          clientId: client.clientId,
          name: client.name,
          type: client.type,
          active: client.active,
          grantTypes: client.grantTypes,
          redirectUris: client.redirectUris,
        });
      }
    } else if (command === 'clients:deactivate') {
      if (!values.id) throw new UsageError(USAGE);
      // Ends the client's sessions and tokens too (audited), in bounded batches.
      print({ deactivated: values.id, ...(await context.get(deactivation!.service).deactivate(values.id)) });
    } else if (command === 'keys:reseal') {
      print({ resealed: await context.get(SigningKeysService).resealAll('cli') });
    } else if (command === 'keys:rotate') {
      print(await context.get(SigningKeysService).rotate(values.reason ?? 'rotated by operator', 'cli'));
    } else if (command === 'jobs:run') {
      let lastPrinted = 0;
      const outcome = await context.get(JobRunner).run(positionals[0], {
        progress: (rows) => {
          // A progress line at most once a second on long runs.
          if (Date.now() - lastPrinted < 1000) return;
          lastPrinted = Date.now();
          process.stderr.write(`${positionals[0]}: ${rows} rows so far\n`);
        },
      });
      print({ job: positionals[0], ...outcome });
      if (outcome.status === 'failed') process.exitCode = 1;
    } else if (command === 'documents:publish') {
      if (!values.id || !values.version || !values.title || !values.url || !values.file) throw new UsageError(USAGE);
      const sha256 = createHash('sha256').update(readFileSync(values.file)).digest('hex');
      await context
        .get(EsignRepository)
        .publish({ documentId: values.id, version: values.version, title: values.title, url: values.url, sha256 });
      print({ published: values.id, version: values.version, sha256 });
    } else {
      const manager = context.get(DataSource).manager;
      for (const row of await context.get(JobRunsRepository).list(manager)) print(row);
    }
  } finally {
    await context.close();
    await embedded?.stop();
  }
}

/** Loaded on demand (require, so ts-node and dist/ resolve it alike): only clients:deactivate needs sessions and tokens. */
function loadDeactivation() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ClientDeactivationModule } =
    require('../tokens/client-deactivation.module') as typeof import('../tokens/client-deactivation.module');
  const { ClientDeactivationService } =
    require('../tokens/client-deactivation.service') as typeof import('../tokens/client-deactivation.service');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { module: ClientDeactivationModule, service: ClientDeactivationService };
}

/** An optional whole number of seconds from a flag. */
function seconds(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${flag} must be a whole number of seconds`);
  return Number(raw);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof ClientRegistrationError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
