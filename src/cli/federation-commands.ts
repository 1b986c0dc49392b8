import {
  FederationProviderExistsError,
  FederationProviderInput,
  FederationProvidersService,
  InvalidFederationProviderError,
} from '../federation/federation-providers.service';
import type { FederationProviderKind } from '../federation/federation-providers.repository';

/**
 * Operator commands for upstream identity providers (issue 21, item 1), the same service as the admin API:
 *
 *   federation:providers:add --id ID --name NAME --kind oidc|oauth2 --client-id ID --acr loa1|loa2|loa3
 *       [--issuer URL] [--authorization-endpoint URL --token-endpoint URL --userinfo-endpoint URL]
 *       [--client-secret-env VAR] [--scope S ...] [--claim C ...] [--redirect-uri URI] [--satisfies-mfa]
 *       [--subject-claim NAME]
 *   federation:providers:update --id ID [any option of add] [--no-client-secret] [--active]
 *   federation:providers:list
 *   federation:providers:deactivate --id ID
 *
 * The client secret is read from the environment variable --client-secret-env names, never from the command line
 * (a process list shows arguments); it is never printed.
 */
export const FEDERATION_COMMANDS = [
  'federation:providers:add',
  'federation:providers:update',
  'federation:providers:list',
  'federation:providers:deactivate',
];

export const FEDERATION_USAGE = `  federation:providers:add --id ID --name NAME --kind oidc|oauth2 --client-id ID --acr loa1|loa2|loa3
              [--issuer URL] [--authorization-endpoint URL --token-endpoint URL --userinfo-endpoint URL]
              [--client-secret-env VAR] [--scope SCOPE ...] [--claim CLAIM ...] [--redirect-uri URI]
              [--satisfies-mfa] [--subject-claim NAME]
  federation:providers:update --id ID [options of add] [--no-client-secret]
  federation:providers:list
  federation:providers:deactivate --id ID`;

export const FEDERATION_OPTIONS = {
  kind: { type: 'string' },
  issuer: { type: 'string' },
  'authorization-endpoint': { type: 'string' },
  'token-endpoint': { type: 'string' },
  'userinfo-endpoint': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  'no-client-secret': { type: 'boolean' },
  acr: { type: 'string' },
  'satisfies-mfa': { type: 'boolean' },
  claim: { type: 'string', multiple: true },
  'subject-claim': { type: 'string' },
  active: { type: 'boolean' },
} as const;

export type FederationCommandValues = {
  id?: string;
  name?: string;
  scope?: string[];
  'redirect-uri'?: string[];
  kind?: string;
  issuer?: string;
  'authorization-endpoint'?: string;
  'token-endpoint'?: string;
  'userinfo-endpoint'?: string;
  'client-id'?: string;
  'client-secret-env'?: string;
  'no-client-secret'?: boolean;
  acr?: string;
  'satisfies-mfa'?: boolean;
  claim?: string[];
  'subject-claim'?: string;
  active?: boolean;
};

/** A command's refusal (a missing option, an invalid provider): exit 2 with the message. */
export class FederationCommandError extends Error {}

const ACTOR = { type: 'SYSTEM', id: 'cli' } as const;

export async function federationCommand(
  providers: FederationProvidersService,
  command: string,
  values: FederationCommandValues,
  print: (value: unknown) => void,
): Promise<void> {
  try {
    if (command === 'federation:providers:list') {
      for (const provider of await providers.listViews()) print(provider);
      return;
    }
    if (!values.id) throw new FederationCommandError('--id is required');
    if (command === 'federation:providers:deactivate') {
      if (!(await providers.deactivate(values.id, ACTOR)))
        throw new FederationCommandError(`no active federation provider ${values.id}`);
      print({ deactivated: values.id });
      return;
    }
    const input = inputOf(values);
    if (command === 'federation:providers:add') {
      if (!values.name || !values.kind || !values['client-id'] || !values.acr)
        throw new FederationCommandError('--name, --kind, --client-id and --acr are required');
      print(await providers.create(values.id, input as FederationProviderInput, ACTOR));
      return;
    }
    const updated = await providers.update(values.id, input, ACTOR);
    if (!updated) throw new FederationCommandError(`no federation provider ${values.id}`);
    print(updated);
  } catch (error) {
    if (error instanceof InvalidFederationProviderError || error instanceof FederationProviderExistsError)
      throw new FederationCommandError(error.message);
    throw error;
  }
}

/** Only the options given (an update changes nothing else). */
function inputOf(values: FederationCommandValues): Partial<FederationProviderInput> {
  const secretVariable = values['client-secret-env'];
  if (secretVariable !== undefined && !process.env[secretVariable])
    throw new FederationCommandError(`the environment variable ${secretVariable} is empty or unset`);
  const input: Partial<FederationProviderInput> = {
    displayName: values.name,
    kind: values.kind as FederationProviderKind | undefined,
    issuer: values.issuer,
    authorizationEndpoint: values['authorization-endpoint'],
    tokenEndpoint: values['token-endpoint'],
    userinfoEndpoint: values['userinfo-endpoint'],
    clientId: values['client-id'],
    clientSecret: values['no-client-secret'] ? null : secretVariable ? process.env[secretVariable] : undefined,
    scopes: values.scope?.flatMap((scope) => scope.split(' ')).filter(Boolean),
    redirectUri: values['redirect-uri']?.[0],
    acr: values.acr,
    satisfiesMfa: values['satisfies-mfa'],
    claims: values.claim,
    settings: values['subject-claim'] ? { subjectClaim: values['subject-claim'] } : undefined,
    active: values.active,
  };
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
