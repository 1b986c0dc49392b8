import { Inject, Injectable } from '@nestjs/common';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, ProtectedHeaderParameters } from 'jose';
import { Clock } from '../../common/clock';
import { hmacSha256, secretsEqual, sha256 } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { FactorKeys } from '../../keys/factor-keys';
import { UsedJtisRepository } from '../../tokens/used-jtis.repository';
import { OAuthError } from '../oauth-errors';
import { isProofAlgorithm, isPublicAsymmetricKey, PROOF_ALGORITHMS } from './algorithms';

/** RFC 9449 §4.3 item 11 and SECURITY-DEFAULTS.md: a proof's iat within ±60 s of now. */
const IAT_WINDOW_SECONDS = 60;
const MAX_PROOF_LENGTH = 8192;

/** The algorithms advertised as dpop_signing_alg_values_supported and in WWW-Authenticate. */
export const DPOP_ALGORITHMS = PROOF_ALGORITHMS;

/** What a valid proof binds a token to: the RFC 7638 thumbprint of its public key (`cnf.jkt`, §6.1). */
export interface DpopProof {
  jkt: string;
  /**
   * Whether the proof carried a valid server nonce (current or previous window). A resource that learns only after
   * the proof whether the token's client needs one (userinfo: dpop_bound_access_tokens) decides with it.
   */
  nonced: boolean;
}

/** Where the proof was presented: the token endpoint answers in RFC 6749 form, a resource with a DPoP challenge. */
export type DpopContext = 'token' | 'resource';

/** RFC 9449 §5 (token endpoint) and §7.1 (resource: 401 with a DPoP challenge) for a proof that does not hold. */
export class InvalidDpopProofError extends OAuthError {
  constructor(description: string, context: DpopContext) {
    super(
      'invalid_dpop_proof',
      description,
      context === 'token' ? 400 : 401,
      context === 'token' ? {} : { 'WWW-Authenticate': dpopChallenge('invalid_dpop_proof', description) },
    );
  }
}

/** RFC 9449 §8 and §9: the proof must carry the server's nonce, here it is. */
export class UseDpopNonceError extends OAuthError {
  constructor(nonce: string, context: DpopContext) {
    const description = 'a DPoP proof with the server-provided nonce is required';
    super('use_dpop_nonce', description, context === 'token' ? 400 : 401, {
      'DPoP-Nonce': nonce,
      ...(context === 'token' ? {} : { 'WWW-Authenticate': dpopChallenge('use_dpop_nonce', description) }),
    });
  }
}

/** RFC 9449 §7.1: the DPoP authentication scheme's challenge, with the algorithms accepted. */
export function dpopChallenge(error?: string, description?: string): string {
  const parts = [`DPoP algs="${DPOP_ALGORITHMS.join(' ')}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/"/g, "'")}"`);
  return parts.join(', ');
}

/** RFC 9449 §4.3 item 9: htu compared without its query and fragment. */
export function normalisedHtu(value: string): string | undefined {
  try {
    const url = new URL(value);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * DPoP proofs (RFC 9449 §4.3), checked fully: one `DPoP` header holding a JWT with typ dpop+jwt, an accepted
 * asymmetric alg, a public `jwk` that verifies its signature, `htm` = the request's method, `htu` = the
 * endpoint's URL as built from OIDC_ISSUER (without query and fragment), `iat` within ±60 s, `ath` = the
 * presented access token's hash where one is presented, the server nonce when required, and its `jti`
 * accepted once across instances (used_jtis, scoped by the key's thumbprint).
 *
 * Server nonces are stateless: an HMAC of a time window under a key derived from the key-encryption key, so
 * every instance issues and accepts the same ones; the current and the previous window's are accepted.
 */
@Injectable()
export class DpopVerifier {
  private readonly nonceKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly usedJtis: UsedJtisRepository,
    private readonly clock: Clock,
    keys: FactorKeys,
  ) {
    this.nonceKey = keys.derive('dpop-nonce');
  }

  /** The nonce to hand out now (`DPoP-Nonce` header). */
  nonce(): string {
    return this.nonceFor(this.window());
  }

  /**
   * The proof of one request. `header` is the raw DPoP header (undefined: none sent). `accessToken` is the
   * token presented with it (a resource request): its hash must be the proof's `ath`.
   */
  async verify(
    header: string | string[] | undefined,
    request: { method: string; url: string; accessToken?: string; requireNonce: boolean; context: DpopContext },
  ): Promise<DpopProof> {
    const refuse = (description: string): never => {
      throw new InvalidDpopProofError(description, request.context);
    };
    // §4.3 item 1: exactly one DPoP header (Node joins repeated headers with ", ", which no JWT contains).
    if (header === undefined) return refuse('a DPoP proof is required');
    if (Array.isArray(header) || header.includes(',') || header.length > MAX_PROOF_LENGTH)
      return refuse('send exactly one DPoP header');
    let protectedHeader: ProtectedHeaderParameters;
    try {
      protectedHeader = decodeProtectedHeader(header);
    } catch {
      return refuse('the DPoP proof is not a JWT');
    }
    if (protectedHeader.typ !== 'dpop+jwt') refuse('the DPoP proof typ must be dpop+jwt');
    if (!isProofAlgorithm(protectedHeader.alg)) refuse('the DPoP proof alg is not an accepted asymmetric one');
    if (!isPublicAsymmetricKey(protectedHeader.jwk)) refuse('the DPoP proof jwk must be a public asymmetric key');

    let payload;
    try {
      ({ payload } = await jwtVerify(header, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...PROOF_ALGORITHMS],
        currentDate: this.clock.now(),
      }));
    } catch {
      return refuse('the DPoP proof signature does not verify');
    }
    const now = Math.floor(this.clock.now().getTime() / 1000);
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
      refuse('the DPoP proof jti must be a string of 1-256 characters');
    if (payload.htm !== request.method) refuse('the DPoP proof htm does not match the request method');
    if (typeof payload.htu !== 'string' || normalisedHtu(payload.htu) !== normalisedHtu(request.url))
      refuse('the DPoP proof htu does not match the endpoint URL');
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - now) > IAT_WINDOW_SECONDS)
      refuse('the DPoP proof iat is not within 60 seconds of now');
    if (request.accessToken !== undefined) {
      const expected = sha256(request.accessToken).toString('base64url');
      if (typeof payload.ath !== 'string' || !secretsEqual(payload.ath, expected))
        refuse('the DPoP proof ath does not match the access token');
    }
    const nonced = payload.nonce !== undefined && this.nonceValid(payload.nonce);
    if (request.requireNonce && !nonced) throw new UseDpopNonceError(this.nonce(), request.context);

    const jkt = await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256');
    // Kept until the proof would be refused for its iat anyway.
    const expiresAt = new Date(((payload.iat as number) + IAT_WINDOW_SECONDS + 1) * 1000);
    if (!(await this.usedJtis.consume('dpop_proof', jkt, payload.jti as string, expiresAt)))
      refuse('the DPoP proof was already used (jti replayed)');
    return { jkt, nonced };
  }

  private window(): number {
    return Math.floor(this.clock.now().getTime() / 1000 / this.config.proofs.dpopNonceWindowSeconds);
  }

  private nonceFor(window: number): string {
    const mac = hmacSha256(this.nonceKey, `dpop-nonce:${window}`).subarray(0, 16).toString('base64url');
    return `${window.toString(36)}.${mac}`;
  }

  private nonceValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const current = this.window();
    return [current, current - 1].some((window) => secretsEqual(nonce, this.nonceFor(window)));
  }
}
