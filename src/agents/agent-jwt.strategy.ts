import { ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { parseBearer } from '../common/bearer';
import { Clock } from '../common/clock';
import { ApiError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { WorkforceKeys } from './workforce-keys';

/** The support agent a valid workforce token speaks for. */
export interface AgentPrincipal {
  subject: string;
  roles: string[];
}

export type AgentRequest = FastifyRequest & { user: AgentPrincipal };

/** How far in the future `iat` or `nbf` may lie: clock drift between the IdP and us, nothing more. */
export const AGENT_TOKEN_FUTURE_LEEWAY_SECONDS = 60;

const REALM = 'ciam-agent';

/**
 * RFC 6750 §3: 401 with a Bearer challenge. Without a token the challenge carries no error code (§3.1);
 * with one, `invalid_token`. The reason stays generic: which check failed helps only a forger.
 */
export class AgentTokenRejectedError extends ApiError {
  constructor(presented: boolean) {
    super(
      HttpStatus.UNAUTHORIZED,
      'UNAUTHENTICATED',
      'Authentication required',
      presented ? 'The workforce token is invalid or expired.' : 'A workforce bearer token is required.',
      {},
      undefined,
      { 'WWW-Authenticate': presented ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"` },
    );
  }
}

/** RFC 6750 §3.1 insufficient_scope: a genuine agent token without the role the API requires. */
export class AgentRoleMissingError extends ApiError {
  constructor(role: string) {
    super(
      HttpStatus.FORBIDDEN,
      'FORBIDDEN',
      'Not permitted',
      `The agent token lacks the ${role} role.`,
      {},
      undefined,
      { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope"` },
    );
  }
}

/**
 * Agent API authentication (passport-jwt): a bearer JWT from the configured workforce identity
 * provider, with its issuer, audience, expiry and signature checked, signed by a key from its JWKS, and
 * carrying the required role. A customer's access token has another issuer and never passes.
 * RFC 8725 §3: only asymmetric algorithms, so a JWKS public key can never be used as an HMAC secret.
 */
@Injectable()
export class AgentJwtStrategy extends PassportStrategy(Strategy, 'agent-jwt') {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    keys: WorkforceKeys,
    private readonly clock: Clock,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, rawJwt: string, done: (error: unknown, key?: string) => void) => {
        keys.keyFor(rawJwt).then(
          (key) => done(null, key.export({ format: 'pem', type: 'spki' }).toString()),
          (error: unknown) => done(error),
        );
      },
      issuer: config.agents.issuer,
      audience: config.agents.audience,
      algorithms: ['ES256', 'ES384', 'RS256', 'PS256'],
      jsonWebTokenOptions: { clockTolerance: config.tokens.clockSkewSeconds },
    });
  }

  validate(payload: Record<string, unknown>): AgentPrincipal {
    // jsonwebtoken checks exp only when present: a token that never expires is refused here.
    if (typeof payload.exp !== 'number') throw new AgentTokenRejectedError(true);
    // A token minted "in the future" is a forged or badly clocked one; it would outlive its intended life.
    const latest = this.clock.nowSeconds() + AGENT_TOKEN_FUTURE_LEEWAY_SECONDS;
    for (const claim of ['iat', 'nbf'] as const) {
      const value = payload[claim];
      if (value !== undefined && (typeof value !== 'number' || value > latest)) throw new AgentTokenRejectedError(true);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AgentTokenRejectedError(true);
    const claim = payload[this.config.agents.roleClaim];
    const roles = Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? claim.split(' ') : [];
    if (!roles.includes(this.config.agents.requiredRole))
      throw new AgentRoleMissingError(this.config.agents.requiredRole);
    return { subject: payload.sub, roles };
  }
}

/** The agent API's guard: every refusal is RFC 6750's, as on the customer API. */
@Injectable()
export class AgentAuthGuard extends AuthGuard('agent-jwt') {
  override handleRequest<T>(error: unknown, user: T | false, _info: unknown, context: ExecutionContext): T {
    if (error instanceof ApiError) throw error;
    if (error || !user) {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      throw new AgentTokenRejectedError(
        request.headers.authorization !== undefined && parseBearer(request.headers.authorization) !== null,
      );
    }
    return user;
  }
}
