import { DEV_WORKFORCE_ISSUER, devSignInEnabled } from './agent-console';
import { ConfigError, loadConfig } from './config';

/** What production needs beyond the defaults (as in config.spec.ts). */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/ciam',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  OIDC_ISSUER: 'https://id.example',
  SMS_PROVIDER: 'http',
  SMS_HTTP_URL: 'https://sms.example/send',
  AGENT_ISSUER: 'https://login.bank.example/workforce',
  AGENT_JWKS_URL: 'https://login.bank.example/workforce/jwks',
  PUSH_PROVIDER: 'http',
  PUSH_HTTP_URL: 'https://push.example/send',
};

const CONSOLE = {
  AGENT_CONSOLE_CLIENT_ID: 'ciam-agent-console',
  AGENT_CONSOLE_AUTHORIZATION_URL: 'https://login.bank.example/workforce/authorize',
  AGENT_CONSOLE_TOKEN_URL: 'https://login.bank.example/workforce/token',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('agent console configuration', () => {
  it('offers only the development sign-in by default, outside production', () => {
    const config = loadConfig({});
    expect(config.agentConsole.oidc).toBeUndefined();
    expect(devSignInEnabled(config)).toBe(true);
  });

  it('reads the workforce IdP client, with openid as the default scope', () => {
    const config = loadConfig({ ...PRODUCTION, ...CONSOLE });
    expect(config.agentConsole.oidc).toEqual({
      clientId: 'ciam-agent-console',
      authorizationUrl: CONSOLE.AGENT_CONSOLE_AUTHORIZATION_URL,
      tokenUrl: CONSOLE.AGENT_CONSOLE_TOKEN_URL,
      scope: 'openid',
    });
    expect(devSignInEnabled(config)).toBe(false);
  });

  it('refuses a client id without both endpoints, plain http in production, and a malformed scope', () => {
    expect(problems({ AGENT_CONSOLE_CLIENT_ID: 'x', AGENT_CONSOLE_TOKEN_URL: 'http://idp/token' })).toEqual(
      expect.arrayContaining([expect.stringContaining('AGENT_CONSOLE_AUTHORIZATION_URL')]),
    );
    expect(problems({ ...PRODUCTION, ...CONSOLE, AGENT_CONSOLE_TOKEN_URL: 'http://idp.example/token' })).toEqual(
      expect.arrayContaining([expect.stringContaining('AGENT_CONSOLE_TOKEN_URL must be a https: URL')]),
    );
    expect(problems({ AGENT_CONSOLE_SCOPE: 'openid\tprofile' })).toEqual(
      expect.arrayContaining([expect.stringContaining('AGENT_CONSOLE_SCOPE')]),
    );
  });

  it('never enables the development sign-in in production, nor with another issuer or a remote JWKS', () => {
    const dev = { issuer: DEV_WORKFORCE_ISSUER, jwksUrl: 'file:.data/agent-idp/jwks.json' };
    const agents = { ...loadConfig({}).agents };
    expect(devSignInEnabled({ nodeEnv: 'development', agents: { ...agents, ...dev } })).toBe(true);
    expect(devSignInEnabled({ nodeEnv: 'production', agents: { ...agents, ...dev } })).toBe(false);
    expect(devSignInEnabled({ nodeEnv: 'test', agents: { ...agents, ...dev, issuer: 'https://idp.example' } })).toBe(
      false,
    );
    expect(
      devSignInEnabled({ nodeEnv: 'test', agents: { ...agents, ...dev, jwksUrl: 'https://idp.example/jwks' } }),
    ).toBe(false);
  });
});
