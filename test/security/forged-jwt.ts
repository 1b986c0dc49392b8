import { createHmac, randomUUID } from 'node:crypto';
import { CompactSign, exportSPKI, generateKeyPair } from 'jose';
import { TestWorkforceIdp, useWorkforceIdp, WORKFORCE } from '../support/workforce';

export type Claims = Record<string, unknown>;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `header.payload.` with no signature: RFC 8725 §2.1 "alg: none". */
export function unsigned(header: Record<string, unknown>, payload: Claims): string {
  return `${b64(header)}.${b64(payload)}.`;
}

/** HS256 over header and payload with `secret` as the HMAC key (the public key in PEM: RFC 8725 §2.1). */
export function hmacSigned(header: Record<string, unknown>, payload: Claims, secret: string): string {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The claims of a JWT, unverified (to copy a genuine token's claims into a forged one). */
export function claimsOf(jwt: string): Claims {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Claims;
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * A workforce identity provider that signs whatever a test asks for: claims left out (`undefined`),
 * `iat` in the future, another `typ`, another `kid`, or a key it does not publish. Its JWKS is served
 * over real HTTP, as the real IdP's is.
 */
export class ForgingWorkforceIdp extends TestWorkforceIdp {
  publicPem = '';

  override async start(): Promise<this> {
    await super.start();
    this.publicPem = await exportSPKI(this.key.publicKey);
    return this;
  }

  /** Good claims, with `overrides` on top; an override of `undefined` removes the claim. */
  claims(overrides: Claims = {}): Claims {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      iss: WORKFORCE.issuer,
      aud: WORKFORCE.audience,
      sub: 'agent-007',
      roles: [WORKFORCE.role],
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
      ...overrides,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    return claims;
  }

  async sign(
    overrides: Claims = {},
    header: Record<string, unknown> = {},
    options: { foreignKey?: boolean } = {},
  ): Promise<string> {
    const key = options.foreignKey ? (await generateKeyPair('ES256')).privateKey : this.key.privateKey;
    return new CompactSign(Buffer.from(JSON.stringify(this.claims(overrides))))
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT', ...header } as { alg: string })
      .sign(key);
  }
}

/** A forging IdP for the specs of one describe block (filled in by beforeAll). */
export function useForgingIdp(): { idp: ForgingWorkforceIdp; env: Record<string, string> } {
  return useWorkforceIdp(new ForgingWorkforceIdp());
}
