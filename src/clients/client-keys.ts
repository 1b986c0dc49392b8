import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { NodeEnv } from '../config/config';
import { deliveryUrlProblem } from '../outbox/delivery-url';

/**
 * Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): a client
 * registers public keys only. A private key handed over here would be a secret in our database and in audit
 * reads of the client, and would prove nothing about the client any more.
 */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const MAX_KEYS = 10;
const RSA_MIN_BITS = 2048;

/**
 * Why `jwks` cannot be a client's key set (RFC 7591 §2 `jwks`), or an empty list when it can: an object with a
 * `keys` array of 1-10 public keys, each with `kty` and a distinct `kid` (so a client assertion names the key it
 * was signed with), of an accepted kind: EC P-256, RSA of at least 2048 bits, or OKP Ed25519.
 * Never echoes key material in a problem.
 */
export function jwksProblems(jwks: unknown): string[] {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) return ['jwks must be an object with keys'];
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS)
    return [`jwks.keys must hold 1 to ${MAX_KEYS} keys`];
  const problems: string[] = [];
  const kids = new Set<string>();
  keys.forEach((key: unknown, index) => {
    const where = `jwks.keys[${index}]`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      problems.push(`${where} must be a JSON Web Key object`);
      return;
    }
    const jwk = key as Record<string, unknown>;
    const secretMembers = PRIVATE_MEMBERS.filter((member) => member in jwk);
    if (secretMembers.length > 0) {
      problems.push(`${where} holds private key members (${secretMembers.join(', ')}): register public keys only`);
      return;
    }
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 128)
      problems.push(`${where} needs a kid (1-128 characters)`);
    else if (kids.has(jwk.kid)) problems.push(`${where}: kid "${jwk.kid}" appears twice`);
    else kids.add(jwk.kid);
    const kindProblem = keyKindProblem(jwk);
    if (kindProblem) problems.push(`${where} ${kindProblem}`);
  });
  return problems;
}

function keyKindProblem(jwk: Record<string, unknown>): string | null {
  if (jwk.kty === 'EC' && jwk.crv !== 'P-256') return 'must be on curve P-256';
  if (jwk.kty === 'OKP' && jwk.crv !== 'Ed25519') return 'must be an Ed25519 key';
  if (!['EC', 'RSA', 'OKP'].includes(jwk.kty as string)) return 'needs kty EC (P-256), RSA or OKP (Ed25519)';
  let bits: number | undefined;
  try {
    // Parsing it proves the members are a well-formed public key of that kind.
    const parsed = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    if (parsed.type !== 'public') return 'is not a public key';
    bits = parsed.asymmetricKeyDetails?.modulusLength;
  } catch {
    return 'is not a well-formed public key';
  }
  if (jwk.kty === 'RSA' && (bits ?? 0) < RSA_MIN_BITS) return `must have at least ${RSA_MIN_BITS} bits`;
  return null;
}

/** Why `uri` cannot be a client's jwks_uri: https, plain http only on loopback outside production. */
export function jwksUriProblem(uri: string, nodeEnv: NodeEnv): string | null {
  const problem = deliveryUrlProblem(uri, nodeEnv);
  return problem ? `jwks_uri "${uri}" ${problem}` : null;
}

/**
 * The sector a pairwise client's pseudonyms are derived for (OpenID Connect Core §8.1): given as a host
 * (`bank.example`) or an https URI (`https://bank.example/sectors.json`, the registration's
 * sector_identifier_uri), stored as the lower-case host. Null when it is neither.
 */
export function sectorHost(raw: string): string | null {
  const candidate = /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  const host = url.hostname.toLowerCase();
  // A DNS name with at least one dot: a sector is an organisation's domain, not a single label or an address.
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(host)) return null;
  if (!raw.includes('://') && raw.toLowerCase() !== host) return null;
  return host;
}
