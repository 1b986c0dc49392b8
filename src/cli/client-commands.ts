import { readFileSync } from 'node:fs';
import { CLIENT_SETTING_NAMES, ClientUpdate, NULLABLE_SETTINGS } from '../clients/client-settings';
import { ClientNotFoundError, ClientRegistrationError, ClientsService } from '../clients/clients.service';
import type { GrantType, OAuthClient, SubjectType, TokenEndpointAuthMethod } from '../clients/oauth-client.entity';
import type { ClientDeactivationService } from '../tokens/client-deactivation.service';

/** The commands of this file: the CLI's side of the client admin API (/agent/admin/clients). */
export const CLIENT_ADMIN_COMMANDS = ['clients:update', 'clients:rotate-secret', 'clients:reactivate', 'clients:show'];

export const CLIENT_FLAGS_USAGE = `  client settings (clients:add and clients:update):
              [--name NAME] [--grant G ...] [--redirect-uri URI ...] [--post-logout-uri URI ...] [--scope S ...]
              [--access-ttl S] [--id-token-ttl S] [--refresh-ttl S] [--session-idle S] [--session-absolute S]
              [--min-acr loa1|loa2|loa3] [--backchannel-logout-uri URI] [--backchannel-logout-session-required]
              [--first-party true|false] [--subject-type public|pairwise] [--sector HOST|URI]
              [--auth-method none|client_secret_basic|client_secret_post|private_key_jwt] [--dpop true|false]
              [--jwks-file PATH | --jwks-uri URI] [--allowed-claim CLAIM ...]
  clients:update --id ID [settings] [--clear SETTING ...]   (--clear jwks, --clear sectorIdentifier, ...: removes it)
              (--auth-method private_key_jwt drops the secret; from it to client_secret_* prints a new one once)
  clients:rotate-secret --id ID [--overlap SECONDS]   (the old secret works for the overlap; 0: revoked at once)
  clients:reactivate --id ID
  clients:show --id ID`;

/** parseArgs options of the client settings (merged into the CLI's). */
export const CLIENT_FLAG_OPTIONS = {
  'id-token-ttl': { type: 'string' },
  'refresh-ttl': { type: 'string' },
  'first-party': { type: 'string' },
  'subject-type': { type: 'string' },
  sector: { type: 'string' },
  'auth-method': { type: 'string' },
  dpop: { type: 'string' },
  'jwks-file': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'allowed-claim': { type: 'string', multiple: true },
  clear: { type: 'string', multiple: true },
  overlap: { type: 'string' },
} as const;

type Flags = Record<string, string | boolean | string[] | undefined>;

export class ClientFlagError extends ClientRegistrationError {}

/**
 * The settings the flags set (undefined: not given). Booleans that an update must also be able to turn off
 * take true|false; the key set comes from a file (a JWKS is too long for a command line).
 */
export function settingsFromFlags(flags: Flags): ClientUpdate {
  const text = (name: string) => flags[name] as string | undefined;
  const list = (name: string) => flags[name] as string[] | undefined;
  const update: ClientUpdate = {
    name: text('name'),
    grantTypes: list('grant') as GrantType[] | undefined,
    redirectUris: list('redirect-uri'),
    postLogoutRedirectUris: list('post-logout-uri'),
    scopes: list('scope')
      ?.flatMap((scope) => scope.split(' '))
      .filter(Boolean),
    accessTokenTtlSeconds: seconds(text('access-ttl'), 'access-ttl'),
    idTokenTtlSeconds: seconds(text('id-token-ttl'), 'id-token-ttl'),
    refreshTokenTtlSeconds: seconds(text('refresh-ttl'), 'refresh-ttl'),
    sessionIdleTtlSeconds: seconds(text('session-idle'), 'session-idle'),
    sessionAbsoluteTtlSeconds: seconds(text('session-absolute'), 'session-absolute'),
    minAcr: text('min-acr'),
    backchannelLogoutUri: text('backchannel-logout-uri'),
    backchannelLogoutSessionRequired: flags['backchannel-logout-session-required'] as boolean | undefined,
    firstParty: bool(text('first-party'), 'first-party'),
    subjectType: text('subject-type') as SubjectType | undefined,
    sectorIdentifier: text('sector'),
    tokenEndpointAuthMethod: text('auth-method') as TokenEndpointAuthMethod | undefined,
    dpopBoundAccessTokens: bool(text('dpop'), 'dpop'),
    jwks: jwksFile(text('jwks-file')),
    jwksUri: text('jwks-uri'),
    allowedClaims: list('allowed-claim'),
  };
  for (const name of list('clear') ?? []) {
    if (!(NULLABLE_SETTINGS as readonly string[]).includes(name))
      throw new ClientFlagError(`--clear takes one of ${NULLABLE_SETTINGS.join(', ')}`);
    (update as Record<string, unknown>)[name] = null;
  }
  return update;
}

/** clients:update, clients:rotate-secret, clients:reactivate, clients:show; audited as SYSTEM `cli`. */
export async function runClientCommand(
  command: string,
  flags: Flags,
  clients: ClientsService,
  lifecycle?: Pick<ClientDeactivationService, 'reactivate'>,
): Promise<unknown[]> {
  const id = flags.id as string | undefined;
  if (!id) throw new ClientFlagError('--id is required');
  try {
    if (command === 'clients:show') {
      const client = await clients.find(id);
      if (!client) throw new ClientNotFoundError(`no client has the id "${id}"`);
      return [describeClient(client)];
    }
    if (command === 'clients:update') {
      const update = settingsFromFlags(flags);
      if (CLIENT_SETTING_NAMES.every((name) => update[name] === undefined))
        throw new ClientFlagError('nothing to change: give at least one setting');
      const { client, secret } = await clients.update(id, update);
      const issued = secret ? [{ clientSecret: secret, note: 'shown once: store it now; only its hash is kept' }] : [];
      return [{ updated: id, ...describeClient(client) }, ...issued];
    }
    if (command === 'clients:rotate-secret') {
      const overlap = flags.overlap === undefined ? undefined : Number(flags.overlap);
      if (overlap !== undefined && !/^\d+$/.test(flags.overlap as string))
        throw new ClientFlagError('--overlap must be a whole number of seconds');
      const { client, secret } = await clients.rotateSecret(id, overlap);
      return [
        { rotated: id, previousSecretExpiresAt: client.previousSecretExpiresAt?.toISOString() ?? null },
        { clientSecret: secret, note: 'shown once: store it now; only its hash is kept' },
      ];
    }
    if (!lifecycle) throw new Error('clients:reactivate needs the client lifecycle (ClientDeactivationService)');
    const { changed, codesDeleted } = await lifecycle.reactivate(id);
    if (!changed && !(await clients.find(id))) throw new ClientNotFoundError(`no client has the id "${id}"`);
    return [{ reactivated: id, changed, codesDeleted }];
  } catch (error) {
    // The CLI prints a refusal and exits 2, as for a bad registration.
    if (error instanceof ClientNotFoundError) throw new ClientFlagError(error.message);
    throw error;
  }
}

/** Every setting of a client; never its secret or a hash of one. */
export function describeClient(client: OAuthClient): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const name of CLIENT_SETTING_NAMES) settings[name] = client[name];
  return {
    clientId: client.clientId,
    type: client.type,
    active: client.active,
    deactivatedAt: client.deactivatedAt?.toISOString() ?? null,
    ...settings,
    previousSecretExpiresAt: client.previousSecretExpiresAt?.toISOString() ?? null,
  };
}

function seconds(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ClientFlagError(`--${flag} must be a whole number of seconds`);
  return Number(raw);
}

function bool(raw: string | undefined, flag: string): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw new ClientFlagError(`--${flag} takes true or false`);
  return raw === 'true';
}

function jwksFile(path: string | undefined): { keys: Record<string, unknown>[] } | undefined {
  if (path === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<string, unknown>[] };
  } catch {
    // Not the file's content: it may hold key material.
    throw new ClientFlagError(`--jwks-file ${path} is not a readable JSON file`);
  }
}
