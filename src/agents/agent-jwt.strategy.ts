import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { NotPermittedError } from '../common/problem';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { WorkforceKeys } from './workforce-keys';

/** The support agent a valid workforce token speaks for. */
export interface AgentPrincipal {
  subject: string;
  roles: string[];
}

export type AgentRequest = FastifyRequest & { user: AgentPrincipal };

/**
 * Agent API authentication (passport-jwt): a bearer JWT from the configured workforce identity
 * provider, with its issuer, audience, expiry and signature checked, signed by a key from its JWKS, and
 * carrying the required role. A customer's access token has another issuer and never passes.
 */
@Injectable()
export class AgentJwtStrategy extends PassportStrategy(Strategy, 'agent-jwt') {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, keys: WorkforceKeys) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, rawJwt: string, done: (error: unknown, key?: string) => void) => {
        keys.keyFor(rawJwt).then((key) => done(null, key.export({ format: 'pem', type: 'spki' }).toString()), (error: unknown) => done(error));
      },
      issuer: config.agents.issuer,
      audience: config.agents.audience,
      algorithms: ['ES256', 'ES384', 'RS256', 'PS256'],
      jsonWebTokenOptions: { clockTolerance: config.tokens.clockSkewSeconds },
    });
  }

  validate(payload: Record<string, unknown>): AgentPrincipal {
    const claim = payload[this.config.agents.roleClaim];
    const roles = Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? claim.split(' ') : [];
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new NotPermittedError('The agent token names no subject.');
    if (!roles.includes(this.config.agents.requiredRole)) throw new NotPermittedError(`The agent token lacks the ${this.config.agents.requiredRole} role.`);
    return { subject: payload.sub, roles };
  }
}
