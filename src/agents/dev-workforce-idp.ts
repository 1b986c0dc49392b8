import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import type { AppConfig } from '../config/config';

/**
 * A stand-in workforce identity provider for development: a local ES256 key whose public JWKS the
 * service reads from a file (AGENT_JWKS_URL=file:...), so agent tokens can be tried with no outside
 * IdP. `npm run cli -- agent:token --sub <agent>` mints one.
 */
export async function mintDevAgentToken(
  config: AppConfig,
  options: { subject: string; roles: string[]; ttlSeconds: number },
): Promise<string> {
  if (!config.agents.jwksUrl.startsWith('file:'))
    throw new Error('agent:token needs AGENT_JWKS_URL=file:<path> (the development workforce key)');
  const jwksPath = resolve(config.agents.jwksUrl.slice('file:'.length));
  const privatePath = resolve(dirname(jwksPath), 'private.jwk');
  if (!existsSync(privatePath)) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    mkdirSync(dirname(privatePath), { recursive: true });
    writeFileSync(privatePath, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' }), {
      mode: 0o600,
    });
    writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }, null, 2));
  }
  const privateJwk = JSON.parse(readFileSync(privatePath, 'utf8')) as JWK & { kid: string };
  const key = await importJWK(privateJwk, 'ES256');
  return new SignJWT({ [config.agents.roleClaim]: options.roles })
    .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid, typ: 'JWT' })
    .setIssuer(config.agents.issuer)
    .setAudience(config.agents.audience)
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key);
}
