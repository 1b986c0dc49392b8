import { calculateJwkThumbprint, compactVerify, importJWK, JWK } from 'jose';

/**
 * Device keys are P-256 (ES256). A device proves possession by signing a compact JWS whose payload is a
 * JSON object naming the server's challenge; this checks the key's shape and the signature.
 */
export function isDevicePublicKey(jwk: unknown): jwk is JWK {
  const key = jwk as Record<string, unknown> | null;
  return (
    !!key &&
    key.kty === 'EC' &&
    key.crv === 'P-256' &&
    typeof key.x === 'string' &&
    typeof key.y === 'string' &&
    key.d === undefined
  );
}

/** Only the public members that make up an EC public key: what is stored, and what the thumbprint covers. */
export function publicPart(jwk: JWK): JWK {
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

export function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicPart(jwk), 'sha256');
}

/** The JWS payload as JSON when `jws` is a valid ES256 signature by `jwk`; null otherwise (never throws). */
export async function verifyDeviceSignature(jwk: JWK, jws: string): Promise<Record<string, unknown> | null> {
  try {
    if (jws.length > 8192) return null;
    const key = await importJWK(publicPart(jwk), 'ES256');
    const { payload } = await compactVerify(jws, key, { algorithms: ['ES256'] });
    const parsed = JSON.parse(new TextDecoder().decode(payload)) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
