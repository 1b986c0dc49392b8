import { randomUUID } from 'node:crypto';
import { CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { VendorServer } from './vendor-server';

export const WORKFORCE = { issuer: 'https://workforce.test', audience: 'ciam-agent-api', role: 'ciam-support' };

/**
 * A workforce identity provider for tests: an ES256 key whose JWKS a local HTTP server publishes, and a
 * minting function for agent tokens (good ones and every kind of bad one).
 */
export class TestWorkforceIdp {
  private readonly server = new VendorServer();
  /** The published signing key (extractable, so a forging subclass can also show it as PEM). */
  protected key!: { privateKey: CryptoKey; publicKey: CryptoKey };
  readonly kid = 'workforce-key-1';

  async start(): Promise<this> {
    this.key = await generateKeyPair('ES256', { extractable: true });
    this.server.always({
      kind: 'json',
      body: { keys: [{ ...(await exportJWK(this.key.publicKey)), kid: this.kid, alg: 'ES256', use: 'sig' }] },
    });
    await this.server.start();
    return this;
  }

  env(): Record<string, string> {
    return {
      AGENT_ISSUER: WORKFORCE.issuer,
      AGENT_AUDIENCE: WORKFORCE.audience,
      AGENT_JWKS_URL: `${this.server.url}/jwks`,
      AGENT_REQUIRED_ROLE: WORKFORCE.role,
    };
  }

  get jwksRequests(): number {
    return this.server.requests.length;
  }

  async token(
    overrides: {
      sub?: string;
      roles?: string[];
      issuer?: string;
      audience?: string;
      expiresIn?: string;
      kid?: string;
      foreignKey?: boolean;
    } = {},
  ): Promise<string> {
    const signingKey = overrides.foreignKey ? (await generateKeyPair('ES256')).privateKey : this.key.privateKey;
    return new SignJWT({ roles: overrides.roles ?? [WORKFORCE.role] })
      .setProtectedHeader({ alg: 'ES256', kid: overrides.kid ?? this.kid, typ: 'JWT' })
      .setIssuer(overrides.issuer ?? WORKFORCE.issuer)
      .setAudience(overrides.audience ?? WORKFORCE.audience)
      .setSubject(overrides.sub ?? 'agent-007')
      .setIssuedAt()
      .setExpirationTime(overrides.expiresIn ?? '10m')
      .setJti(randomUUID())
      .sign(signingKey);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** A workforce IdP for the specs of one describe block: `env` points the app at it (fill-in by beforeAll). */
export function useWorkforceIdp<Idp extends TestWorkforceIdp = TestWorkforceIdp>(
  idp: Idp = new TestWorkforceIdp() as Idp,
): { idp: Idp; env: Record<string, string> } {
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await idp.start();
    Object.assign(env, idp.env());
  });
  afterAll(() => idp.stop());
  return { idp, env };
}
