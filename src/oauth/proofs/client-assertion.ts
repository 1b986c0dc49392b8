import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Clock } from '../../common/clock';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import type { OAuthClient } from '../../clients/oauth-client.entity';
import { UsedJtisRepository } from '../../tokens/used-jtis.repository';
import { endpointUrl, OAUTH_PATHS } from '../oauth-endpoints';
import { isProofAlgorithm, PROOF_ALGORITHMS } from './algorithms';
import { ClientKeys, ClientKeysUnavailableError } from './client-keys';

/** RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An assertion lives at most this long from now (RFC 7523 §3 item 4 lets us bound it; a short one limits replay). */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** An `iat` further in the future than this is refused whatever the skew (SECURITY-DEFAULTS.md). */
const MAX_FUTURE_IAT_SECONDS = 60;

/** Why an assertion was refused: for the audit trail (never the assertion itself). */
export class AssertionRefused extends Error {}

/**
 * The client id an assertion claims (its `iss`, which must equal `sub`), read before any verification: only to
 * find the client's keys and its lockout standing. Undefined when it is not a JWT naming one.
 */
export function claimedClientId(assertion: string): string | undefined {
  try {
    const { iss, sub } = decodeJwt(assertion);
    if (typeof iss !== 'string' || iss !== sub || iss.length === 0 || iss.length > 128) return undefined;
    return iss;
  } catch {
    return undefined;
  }
}

/**
 * private_key_jwt (RFC 7523 §2.2 and §3, OIDC Core §9): the client signs a short JWT with one of its registered
 * keys. Accepted: `iss` = `sub` = the client id; `aud` naming the issuer identifier or the token endpoint URL
 * (RFC 7523 §3 item 3 asks for the token endpoint; OpenID Connect and RFC 8414 clients use the issuer; the
 * same assertion is then good at introspection and revocation too, as one audience for the server); `exp`
 * required, at most 5 minutes ahead; `iat` and `nbf` checked with CLOCK_SKEW_SECONDS; `jti` required and
 * accepted once across instances (used_jtis). Asymmetric algorithms only.
 */
@Injectable()
export class ClientAssertionVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ClientKeys,
    private readonly usedJtis: UsedJtisRepository,
    private readonly clock: Clock,
  ) {}

  /** Resolves when the assertion proves `client`; throws AssertionRefused with the reason otherwise. */
  async verify(client: OAuthClient, assertion: string): Promise<void> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      throw new AssertionRefused('client_assertion is not a JWT');
    }
    if (!isProofAlgorithm(alg)) throw new AssertionRefused('client_assertion alg is not an accepted asymmetric one');
    const skew = this.config.tokens.clockSkewSeconds;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    let payload;
    try {
      ({ payload } = await this.keys.verify(client, assertion, {
        algorithms: [...PROOF_ALGORITHMS],
        issuer: client.clientId,
        subject: client.clientId,
        audience: [this.config.oidc.issuer, endpointUrl(this.config, OAUTH_PATHS.token)],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: skew,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      if (error instanceof ClientKeysUnavailableError) throw new AssertionRefused(error.message);
      throw new AssertionRefused('client_assertion did not verify (signature, iss, sub, aud, exp or nbf)');
    }
    const exp = payload.exp!;
    if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS + skew)
      throw new AssertionRefused('client_assertion expires too far ahead (at most 5 minutes)');
    if (payload.iat !== undefined && payload.iat > now + Math.min(skew, MAX_FUTURE_IAT_SECONDS))
      throw new AssertionRefused('client_assertion iat is in the future');
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
      throw new AssertionRefused('client_assertion jti must be a string of 1-256 characters');
    // Kept until the assertion would be refused as expired anyway.
    const first = await this.usedJtis.consume('client_assertion', client.clientId, jti, new Date((exp + skew) * 1000));
    if (!first) throw new AssertionRefused('client_assertion was already used (jti replayed)');
  }
}
