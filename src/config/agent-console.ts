import type { AppConfig, NodeEnv } from './config';
import type { EnvReader } from './env-reader';

/** The development workforce issuer (src/agents/dev-workforce-idp.ts); production refuses it (sections.ts). */
export const DEV_WORKFORCE_ISSUER = 'urn:ciam:dev-workforce';

/**
 * The agent console's sign-in (/console): OpenID Connect authorization code + PKCE (RFC 7636) from the
 * browser, as a public client of the workforce identity provider. Unset client id: no IdP sign-in is offered.
 */
export function readAgentConsoleConfig(read: EnvReader, nodeEnv: NodeEnv): Pick<AppConfig, 'agentConsole'> {
  const clientId = read.optionalString('AGENT_CONSOLE_CLIENT_ID');
  // https only in production: the authorization code and the agent's tokens travel on these URLs.
  const protocols = nodeEnv === 'production' ? ['https:'] : ['https:', 'http:'];
  const authorizationUrl = read.url('AGENT_CONSOLE_AUTHORIZATION_URL', protocols);
  const tokenUrl = read.url('AGENT_CONSOLE_TOKEN_URL', protocols);
  const scope = read.string('AGENT_CONSOLE_SCOPE', 'openid');
  if (clientId && (!authorizationUrl || !tokenUrl))
    read.problems.push('AGENT_CONSOLE_CLIENT_ID needs AGENT_CONSOLE_AUTHORIZATION_URL and AGENT_CONSOLE_TOKEN_URL');
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(scope))
    read.problems.push('AGENT_CONSOLE_SCOPE must be space-separated scope tokens (RFC 6749 §3.3)');
  return {
    agentConsole: {
      oidc: clientId && authorizationUrl && tokenUrl ? { clientId, authorizationUrl, tokenUrl, scope } : undefined,
    },
  };
}

/**
 * The console's development sign-in (a token for any named agent, minted with the local development key)
 * exists only with the development issuer and its key file, and never in production, whatever else is set.
 */
export function devSignInEnabled(config: Pick<AppConfig, 'nodeEnv' | 'agents'>): boolean {
  return (
    config.nodeEnv !== 'production' &&
    config.agents.issuer === DEV_WORKFORCE_ISSUER &&
    config.agents.jwksUrl.startsWith('file:')
  );
}
