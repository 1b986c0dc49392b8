import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { secretsEqual, sha256 } from '../../common/crypto';
import { isSessionLive, SessionsService } from '../../sessions/sessions.service';
import { AuthorizationCodesRepository } from '../../tokens/authorization-codes.repository';
import { TokenResponse, TokensService } from '../../tokens/tokens.service';
import { InvalidRequestError } from '../oauth-errors';
import { CODE_VERIFIER } from '../oauth-params';
import { Grant, GrantOutcome, GrantRequest } from './grant';
import { GrantRefusals } from './refusals';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636, S256 only, required for every client). A code is redeemed once;
 * presenting it again revokes the session (and so every token) the first redemption produced (§4.1.2).
 */
@Injectable()
export class AuthorizationCodeGrant extends Grant {
  readonly type = 'authorization_code' as const;

  constructor(
    private readonly dataSource: DataSource,
    private readonly codes: AuthorizationCodesRepository,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly refusals: GrantRefusals,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  async execute(request: GrantRequest): Promise<TokenResponse> {
    const { client, params, origin } = request;
    const code = params.required('code', 512);
    const redirectUri = params.required('redirect_uri');
    const verifier = params.optional('code_verifier', 256);
    if (verifier === undefined) throw new InvalidRequestError('code_verifier is required (PKCE)');
    if (!CODE_VERIFIER.test(verifier)) throw new InvalidRequestError('code_verifier must be 43-128 unreserved characters');

    const outcome = await this.dataSource.transaction(async (tx): Promise<GrantOutcome> => {
      const now = this.clock.now();
      const codeHash = sha256(code);
      const redeemed = await this.codes.redeem(tx, codeHash, now);
      if (!redeemed) {
        const replayed = await this.codes.findRedeemed(tx, codeHash);
        if (!replayed) return this.refusals.refuse(tx, request, this.type, 'unknown authorization code');
        await this.sessions.revoke(replayed.sessionId, { type: 'SYSTEM', id: 'code-replay-detection' }, 'authorization code replayed', origin, tx);
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.AUTHORIZATION_CODE_REPLAYED, outcome: 'FAILURE', actor: { type: 'CLIENT', id: client.clientId },
          cupid: replayed.cupid, sessionId: replayed.sessionId, clientId: client.clientId, ip: origin.ip, userAgent: origin.userAgent,
          details: { issuedTo: replayed.clientId },
        });
        return this.refusals.refuse(tx, request, this.type, 'authorization code was already used', replayed);
      }
      // From here on the code is spent, whatever the outcome: a wrong verifier cannot be retried.
      if (redeemed.clientId !== client.clientId) return this.refusals.refuse(tx, request, this.type, 'authorization code was issued to another client', redeemed);
      if (redeemed.expiresAt <= now) return this.refusals.refuse(tx, request, this.type, 'authorization code expired', redeemed);
      if (redeemed.redirectUri !== redirectUri) return this.refusals.refuse(tx, request, this.type, 'redirect_uri does not match the authorization request', redeemed);
      if (!secretsEqual(sha256(verifier).toString('base64url'), redeemed.codeChallenge)) {
        return this.refusals.refuse(tx, request, this.type, 'PKCE verification failed', redeemed);
      }
      const session = await this.sessions.findById(redeemed.sessionId, tx);
      if (!session || !isSessionLive(session, now)) return this.refusals.refuse(tx, request, this.type, 'the session has ended', redeemed);
      const tokens = await this.tokens.issueForSession(tx, {
        client, session, scope: redeemed.scope, nonce: redeemed.nonce, grantType: this.type,
      }, origin);
      return { tokens };
    });
    return this.refusals.settle(outcome);
  }
}
