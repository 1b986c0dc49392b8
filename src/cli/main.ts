/**
 * Operator commands: npm run cli -- <command> [options]
 *
 *   clients:add --id ID --name NAME --type public|confidential --grant G [--grant G ...]
 *               [--redirect-uri URI ...] [--post-logout-uri URI ...] [--scope S ...] [--introspect] [--secret S]
 *               [--min-acr loa1|loa2|loa3]   (the lowest level of assurance the client accepts: SSO steps up below it)
 *               [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
 *   clients:set-backchannel-logout --id ID [--backchannel-logout-uri URI] [--backchannel-logout-session-required]
 *               (OIDC Back-Channel Logout; without a URI it is removed)
 *   clients:list
 *   clients:deactivate --id ID   (also revokes the client's sessions and tokens)
 *   clients:update --id ID [settings] [--clear SETTING ...] | clients:rotate-secret --id ID [--overlap SECONDS]
 *   clients:reactivate --id ID | clients:show --id ID   (src/cli/client-commands.ts; settings as for clients:add)
 *   keys:rotate [--reason TEXT]
 *   keys:reseal     (after a KEY_ENCRYPTION_KEY change: re-seal with it what KEY_ENCRYPTION_KEY_PREVIOUS sealed)
 *   agent:token --sub AGENT [--role ROLE ...] [--ttl SECONDS]   (development workforce IdP)
 *   jobs:run <job>    (expire-transactions, expire-contexts, expire-sessions, purge-journey-data, audit-partitions, rotate-signing-key)
 *   jobs:status
 *   documents:publish --id ID --version V --title TITLE --url URL --file PATH   (a document customers must eSign)
 *   audit:verify [--from SEQ|DATE] [--to SEQ|DATE]   (re-computes the audit hash chain; exit 1 on a break)
 *   webhook:create --name N --url URL --event TYPE [--event ...] [--include-cupid] [--include-network] [--include-details]
 *   webhook:list | webhook:disable <id> | webhook:rotate-secret <id>   (a secret is printed once)
 *   outbox:list [--dead | --state pending|delivered|dead] [--channel C] [--limit N]   (newest first)
 *   outbox:retry <id>   (a dead-lettered message is delivered again, attempts from zero; audited)
 *   signals:add --name NAME --url URL --audience AUD --event TYPE [--event TYPE ...]   (a Shared Signals receiver)
 *   signals:list
 *   signals:deactivate --id ID
 *   federation:providers:add|update|list|deactivate   (upstream identity providers: src/cli/federation-commands.ts)
 *   pseudonyms:add-version --key-ref K   (a new current pseudonym version; the current one becomes previous)
 *   pseudonyms:migrate [--batch N] [--max-batches M]   (previous-version mappings to the current one; resumable)
 *   pseudonyms:rollback [--batch N]   (the previous version current again, its pseudonyms restored)
 *   pseudonyms:status   (each version, its state and how many mappings use it)
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
import { PseudonymsService, PseudonymVersionError } from '../pseudonyms/pseudonyms.service';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { mintDevAgentToken } from '../agents/dev-workforce-idp';
import { CliModule } from './cli.module';
import { EsignRepository } from '../esign/esign.repository';
import { JobRunner } from '../jobs/job-runner';
import { JobRunsRepository } from '../jobs/job-runs.repository';
import { DataSource } from 'typeorm';
import { JOB_NAMES } from '../config/config';
import { AuditChainRepository } from '../audit/audit-chain.repository';
import { AuditVerifier } from '../audit-chain/audit-verifier';
import { ApiError } from '../common/problem';
import { OutboxService } from '../outbox/outbox.service';
import { InvalidSetReceiverError, SignalsService } from '../signals/signals.service';
import type { OutboxState } from '../outbox/outbox.repository';
import {
  CLIENT_ADMIN_COMMANDS,
  CLIENT_FLAG_OPTIONS,
  CLIENT_FLAGS_USAGE,
  runClientCommand,
  settingsFromFlags,
} from './client-commands';
import { FederationProvidersService } from '../federation/federation-providers.service';
import {
  FEDERATION_COMMANDS,
  FEDERATION_OPTIONS,
  FEDERATION_USAGE,
  FederationCommandError,
  federationCommand,
} from './federation-commands';

const USAGE = `usage: npm run cli -- <command> [options]
  clients:add --id ID --name NAME --type public|confidential --grant GRANT [--grant ...]
              [--redirect-uri URI ...] [--post-logout-uri URI ...] [--scope SCOPE ...] [--introspect] [--secret SECRET]
              [--access-ttl SECONDS] [--session-idle SECONDS] [--session-absolute SECONDS] [--min-acr loa1|loa2|loa3]
              [--backchannel-logout-uri URI] [--backchannel-logout-session-required]
  clients:set-backchannel-logout --id ID [--backchannel-logout-uri URI] [--backchannel-logout-session-required]
  clients:list
  clients:deactivate --id ID
${CLIENT_FLAGS_USAGE}
  keys:rotate [--reason TEXT]
  keys:reseal
  agent:token --sub AGENT [--role ROLE ...] [--ttl SECONDS]
  jobs:run <job>   (${JOB_NAMES.join(', ')})
  jobs:status
  documents:publish --id ID --version V --title TITLE --url URL --file PATH
  outbox:list [--dead | --state pending|delivered|dead] [--channel CHANNEL] [--limit N]
  outbox:retry <id>
  signals:add --name NAME --url URL --audience AUDIENCE --event EVENT_TYPE_URI [--event ...]
  signals:list
  signals:deactivate --id ID
${FEDERATION_USAGE}
  pseudonyms:add-version --key-ref KEY_REF
  pseudonyms:migrate [--batch N] [--max-batches M]
  pseudonyms:rollback [--batch N]
  pseudonyms:status

  audit:verify [--from SEQ|DATE] [--to SEQ|DATE]
  webhook:create --name NAME --url URL --event TYPE [--event ...] [--include-cupid] [--include-network] [--include-details]
  webhook:list
  webhook:disable <id>
  webhook:rotate-secret <id>`;

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
      from: { type: 'string' },
      to: { type: 'string' },
      'include-cupid': { type: 'boolean' },
      'include-network': { type: 'boolean' },
      'include-details': { type: 'boolean' },
      dead: { type: 'boolean' },
      'backchannel-logout-uri': { type: 'string' },
      audience: { type: 'string' },
      event: { type: 'string', multiple: true },
      'backchannel-logout-session-required': { type: 'boolean' },
      state: { type: 'string' },
      channel: { type: 'string' },
      limit: { type: 'string' },
      ...CLIENT_FLAG_OPTIONS,
      ...FEDERATION_OPTIONS,
      'key-ref': { type: 'string' },
      batch: { type: 'string' },
      'max-batches': { type: 'string' },
    },
    strict: true,
  });
  if (
    ![
      'clients:add',
      'clients:set-backchannel-logout',
      'clients:list',
      'clients:deactivate',
      ...CLIENT_ADMIN_COMMANDS,
      'keys:rotate',
      'agent:token',
      'jobs:run',
      'jobs:status',
      'documents:publish',
      'keys:reseal',
      'audit:verify',
      ...WEBHOOK_COMMANDS,
      'outbox:list',
      'outbox:retry',
      'signals:add',
      'signals:list',
      'signals:deactivate',
      ...FEDERATION_COMMANDS,
      ...PSEUDONYM_COMMANDS,
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
  // Deactivation cascades into sessions and tokens (reactivation into codes): those modules load only for them.
  const deactivation =
    command === 'clients:deactivate' || command === 'clients:reactivate' ? loadDeactivation() : undefined;
  const webhooks = WEBHOOK_COMMANDS.includes(command) ? loadWebhooks() : undefined;
  const context = await NestFactory.createApplicationContext(
    CliModule.register(config, config.database.url ?? embedded!.url, [
      ...(deactivation ? [deactivation.module] : []),
      ...(webhooks ? [webhooks.module] : []),
    ]),
    { logger: ['error', 'warn'] },
  );
  try {
    const clients = context.get(ClientsService);
    if (command === 'clients:add') {
      const type = String(values.type ?? '').toUpperCase();
      if (!values.id || !values.name || (type !== 'PUBLIC' && type !== 'CONFIDENTIAL') || !values.grant?.length)
        throw new UsageError(USAGE);
      if (values.clear) throw new UsageError('--clear is for clients:update');
      // The newer settings (issue 16) take the same flags as clients:update.
      const more = Object.fromEntries(
        Object.entries(settingsFromFlags(values)).filter(([, value]) => value !== undefined && value !== null),
      );
      const { client, secret } = await clients.register({
        ...more,
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
        backchannelLogoutUri: values['backchannel-logout-uri'],
        backchannelLogoutSessionRequired: values['backchannel-logout-session-required'],
      });
      print({
        registered: client.clientId,
        type: client.type,
        grantTypes: client.grantTypes,
        redirectUris: client.redirectUris,
        scopes: client.scopes,
        minAcr: client.minAcr,
        firstParty: client.firstParty,
        subjectType: client.subjectType,
      });
      if (secret && !values.secret) {
        print({ clientSecret: secret, note: 'shown once: store it now; only its hash is kept' });
      }
    } else if (command === 'clients:set-backchannel-logout') {
      if (!values.id) throw new UsageError(USAGE);
      const uri = values['backchannel-logout-uri'] ?? null;
      const sessionRequired = values['backchannel-logout-session-required'] ?? false;
      if (!(await clients.setBackchannelLogout(values.id, uri, sessionRequired))) {
        process.stderr.write(`no active client ${values.id}\n`);
        process.exitCode = 1;
      } else print({ client: values.id, backchannelLogoutUri: uri, backchannelLogoutSessionRequired: sessionRequired });
    } else if (command === 'clients:list') {
      for (const client of await clients.list()) {
        print({
          clientId: client.clientId,
          name: client.name,
          type: client.type,
          active: client.active,
          grantTypes: client.grantTypes,
          redirectUris: client.redirectUris,
          backchannelLogoutUri: client.backchannelLogoutUri,
          firstParty: client.firstParty,
          subjectType: client.subjectType,
          deactivatedAt: client.deactivatedAt?.toISOString() ?? null,
        });
      }
    } else if (CLIENT_ADMIN_COMMANDS.includes(command)) {
      const lifecycle = deactivation ? context.get(deactivation.service) : undefined;
      for (const line of await runClientCommand(command, values, clients, lifecycle)) print(line);
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
    } else if (command === 'audit:verify') {
      const manager = context.get(DataSource).manager;
      const chain = context.get(AuditChainRepository);
      // A number is a chain seq; anything else must be a date (the first/last seq written from/before it).
      const bound = async (raw: string | undefined, edge: 'from' | 'to'): Promise<number | undefined> => {
        if (raw === undefined) return undefined;
        if (/^\d+$/.test(raw)) return Number(raw);
        const at = new Date(raw);
        if (Number.isNaN(at.getTime())) throw new UsageError(`--${edge} must be a seq number or a date`);
        // No row in range: an empty range (from past the head, or to before the first row), never the whole chain.
        if (edge === 'to') return (await chain.lastSeqBefore(manager, at)) ?? 0;
        return (await chain.firstSeqAt(manager, at)) ?? (await chain.head(manager)).headSeq + 1;
      };
      let lastPrinted = 0;
      const report = await context.get(AuditVerifier).verify({
        fromSeq: await bound(values.from, 'from'),
        toSeq: await bound(values.to, 'to'),
        progress: (rows) => {
          if (Date.now() - lastPrinted < 1000) return;
          lastPrinted = Date.now();
          process.stderr.write(`audit:verify: ${rows} rows so far\n`);
        },
      });
      print(report);
      if (!report.ok) process.exitCode = 1;
    } else if (command === 'documents:publish') {
      if (!values.id || !values.version || !values.title || !values.url || !values.file) throw new UsageError(USAGE);
      const sha256 = createHash('sha256').update(readFileSync(values.file)).digest('hex');
      await context
        .get(EsignRepository)
        .publish({ documentId: values.id, version: values.version, title: values.title, url: values.url, sha256 });
      print({ published: values.id, version: values.version, sha256 });
    } else if (command === 'signals:add') {
      if (!values.name || !values.url || !values.audience || !values.event?.length) throw new UsageError(USAGE);
      const receiver = await context
        .get(SignalsService)
        .register(
          { name: values.name, endpointUrl: values.url, audience: values.audience, eventTypes: values.event },
          { type: 'SYSTEM', id: 'cli' },
        );
      print(receiver);
    } else if (command === 'signals:list') {
      for (const receiver of await context.get(SignalsService).list()) print(receiver);
    } else if (command === 'signals:deactivate') {
      if (!values.id) throw new UsageError(USAGE);
      if (!(await context.get(SignalsService).deactivate(values.id, { type: 'SYSTEM', id: 'cli' }))) {
        process.stderr.write(`no active receiver ${values.id}\n`);
        process.exitCode = 1;
      } else print({ deactivated: values.id });
    } else if (command === 'outbox:list') {
      const state = values.dead ? 'DEAD' : values.state?.toUpperCase();
      if (state !== undefined && !['PENDING', 'DELIVERED', 'DEAD'].includes(state)) throw new UsageError(USAGE);
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000');
      const messages = await context
        .get(OutboxService)
        .list({ state: state as OutboxState | undefined, channel: values.channel, limit });
      for (const message of messages) print(message);
    } else if (FEDERATION_COMMANDS.includes(command)) {
      await federationCommand(context.get(FederationProvidersService), command, values, print);
    } else if (PSEUDONYM_COMMANDS.includes(command)) {
      await pseudonymCommand(context.get(PseudonymsService), command, values);
    } else if (webhooks) {
      await webhookCommand(context.get(webhooks.service), command, positionals[0], values);
    } else if (command === 'outbox:retry') {
      const id = positionals[0] ?? '';
      if (!/^\d{1,18}$/.test(id)) throw new UsageError(USAGE);
      if (!(await context.get(OutboxService).retryDead(id, { type: 'SYSTEM', id: 'cli' }))) {
        process.stderr.write(`no dead outbox message ${id}\n`);
        process.exitCode = 1;
      } else print({ requeued: id });
    } else {
      const manager = context.get(DataSource).manager;
      for (const row of await context.get(JobRunsRepository).list(manager)) print(row);
    }
  } finally {
    await context.close();
    await embedded?.stop();
  }
}

const PSEUDONYM_COMMANDS = ['pseudonyms:add-version', 'pseudonyms:migrate', 'pseudonyms:rollback', 'pseudonyms:status'];

/** A whole number in [1, max] from a flag, or the default. */
function count(raw: string | undefined, flag: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`--${flag} must be 1 to ${max}`);
  return value;
}

/** Pairwise subjects' versions (docs/operations.md, "Pseudonym versions"); each change is audited. */
async function pseudonymCommand(
  pseudonyms: PseudonymsService,
  command: string,
  values: { 'key-ref'?: string; batch?: string; 'max-batches'?: string },
): Promise<void> {
  const batch = count(values.batch, 'batch', 1000, 10_000);
  try {
    if (command === 'pseudonyms:add-version') {
      if (!values['key-ref']) throw new UsageError(USAGE);
      print(await pseudonyms.addVersion(values['key-ref'], CLI_ACTOR));
    } else if (command === 'pseudonyms:migrate') {
      const maxBatches = count(values['max-batches'], 'max-batches', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      print(await pseudonyms.migrate(batch, maxBatches, CLI_ACTOR));
    } else if (command === 'pseudonyms:rollback') {
      print(await pseudonyms.rollback(batch, CLI_ACTOR));
    } else {
      for (const version of await pseudonyms.status()) print(version);
    }
  } catch (error) {
    if (!(error instanceof PseudonymVersionError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}

const WEBHOOK_COMMANDS = ['webhook:create', 'webhook:list', 'webhook:disable', 'webhook:rotate-secret'];
const CLI_ACTOR = { type: 'SYSTEM', id: 'cli' } as const;

/** Loaded on demand, like deactivation: only the webhook commands need the webhooks module. */
function loadWebhooks() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { WebhooksModule } = require('../webhooks/webhooks.module') as typeof import('../webhooks/webhooks.module');
  const { WebhooksService } = require('../webhooks/webhooks.service') as typeof import('../webhooks/webhooks.service');
  const { toWebhookDto } = require('../webhooks/dto/webhook.dto') as typeof import('../webhooks/dto/webhook.dto');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { module: WebhooksModule, service: WebhooksService, toDto: toWebhookDto };
}

async function webhookCommand(
  service: import('../webhooks/webhooks.service').WebhooksService,
  command: string,
  id: string | undefined,
  values: {
    name?: string;
    url?: string;
    event?: string[];
    'include-cupid'?: boolean;
    'include-network'?: boolean;
    'include-details'?: boolean;
  },
): Promise<void> {
  const { toDto } = loadWebhooks();
  if (command === 'webhook:list') {
    for (const row of await service.list()) print(toDto(row));
    return;
  }
  if (command === 'webhook:create') {
    if (!values.name || !values.url || !values.event?.length) throw new UsageError(USAGE);
    const { subscription, secret } = await service.create(
      {
        name: values.name,
        url: values.url,
        eventTypes: values.event,
        includeCupid: values['include-cupid'] ?? false,
        includeNetwork: values['include-network'] ?? false,
        includeDetails: values['include-details'] ?? false,
      },
      CLI_ACTOR,
    );
    print({ subscription: toDto(subscription), secret, note: 'shown once: give it to the receiver now' });
    return;
  }
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(USAGE);
  if (command === 'webhook:disable') print(toDto(await service.disable(id, CLI_ACTOR)));
  else {
    const { subscription, secret } = await service.rotateSecret(id, CLI_ACTOR);
    print({ subscription: toDto(subscription), secret, note: 'shown once: the old secret no longer signs' });
  }
}

/** Loaded on demand (require, so ts-node and dist/ resolve it alike): only clients:deactivate and :reactivate need sessions and tokens. */
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
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof ClientRegistrationError ||
    error instanceof InvalidSetReceiverError ||
    error instanceof FederationCommandError
  ) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  // A refused webhook command (bad URL, unknown event type, unknown id): the problem's detail and fields.
  if (error instanceof ApiError) {
    const fields = (error.extensions.errors as Array<{ messages: string[] }> | undefined)?.flatMap((f) => f.messages);
    process.stderr.write(`${[error.detail ?? error.title, ...(fields ?? [])].join('\n')}\n`);
    process.exit(2);
  }
  if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
