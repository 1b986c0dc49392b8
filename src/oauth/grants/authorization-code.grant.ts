import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { secretsEqual, sha256 } from '../../common/crypto';
import { retryTransaction } from '../../database/retry-transaction';
import { isSessionLive, SessionsService } from '../../sessions/sessions.service';
import { AuthorizationCodesRepository, RedeemedCode } from '../../tokens/authorization-codes.repository';
import { TokensRepository } from '../../tokens/tokens.repository';
import { TokenResponse, TokensService } from '../../tokens/tokens.service';
import { ClientsService } from '../../clients/clients.service';
import { PseudonymsService } from '../../pseudonyms/pseudonyms.service';
import { InvalidClientError, InvalidRequestError } from '../oauth-errors';
import { CODE_VERIFIER } from '../oauth-params';
import { Grant, GrantOutcome, GrantRequest } from './grant';
import { GrantRefusals } from './refusals';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636, S256 only, required for every client). A code is redeemed once.
 *
 * Presenting a redeemed code again is refused. It revokes the session (and so every token) the first
 * redemption produced only when the replay is otherwise valid: the client the code was issued to, the
 * same redirect URI and the right PKCE verifier (OAuth 2.1 §4.1.3 / RFC 6749 §4.1.2 "SHOULD revoke").
 * Only the holder of the verifier can make that request, so it means the code really was used twice; a
 * stranger who saw the code but not the verifier cannot sign the customer out with it.
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
    private readonly tokenRows: TokensRepository,
    private readonly clients: ClientsService,
    private readonly pseudonyms: PseudonymsService,
  ) {
    super();
  }

  async execute(request: GrantRequest): Promise<TokenResponse> {
    const { client, params, origin } = request;
    const code = params.required('code', 512);
    const redirectUri = params.required('redirect_uri');
    const verifier = params.optional('code_verifier', 256);
    if (verifier === undefined) throw new InvalidRequestError('code_verifier is required (PKCE)');
    if (!CODE_VERIFIER.test(verifier))
      throw new InvalidRequestError('code_verifier must be 43-128 unreserved characters');

    const fast = await this.redeemInOneStatement(request, code, redirectUri, verifier);
    if (fast) return this.refusals.settle(fast);
    // Everything else (unknown, replayed, expired, a binding that does not match, an ended session, or a race
    // the single statement lost), in one transaction with the refusal and its audit, as before.
    const outcome = await retryTransaction(this.dataSource, async (tx): Promise<GrantOutcome> => {
      const now = this.clock.now();
      const codeHash = sha256(code);
      const redeemed = await this.codes.redeem(tx, codeHash, now);
      if (!redeemed) {
        const replayed = await this.codes.findRedeemed(tx, codeHash);
        if (!replayed) return this.refusals.refuse(tx, request, this.type, 'unknown authorization code');
        const mismatch = bindingMismatch(replayed, request, redirectUri, verifier);
        const revoked =
          mismatch === null &&
          (await this.sessions.revoke(
            replayed.sessionId,
            { type: 'SYSTEM', id: 'code-replay-detection' },
            'authorization code replayed',
            origin,
            tx,
          ));
        await this.audit.record(tx, {
          type: AUDIT_EVENT_TYPES.AUTHORIZATION_CODE_REPLAYED,
          outcome: 'FAILURE',
          actor: { type: 'CLIENT', id: client.clientId },
          cupid: replayed.cupid,
          sessionId: replayed.sessionId,
          clientId: client.clientId,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: {
            issuedTo: replayed.clientId,
            sessionRevoked: revoked,
            ...(mismatch ? { notRevokedBecause: mismatch } : {}),
          },
        });
        return this.refusals.refuse(tx, request, this.type, 'authorization code was already used', replayed);
      }
      // From here on the code is spent, whatever the outcome: a wrong verifier cannot be retried.
      if (redeemed.expiresAt <= now)
        return this.refusals.refuse(tx, request, this.type, 'authorization code expired', redeemed);
      const mismatch = bindingMismatch(redeemed, request, redirectUri, verifier);
      if (mismatch) return this.refusals.refuse(tx, request, this.type, mismatch, redeemed);
      const session = await this.sessions.findById(redeemed.sessionId, tx);
      if (!session || !isSessionLive(session, now))
        return this.refusals.refuse(tx, request, this.type, 'the session has ended', redeemed);
      const tokens = await this.tokens.issueForSession(
        tx,
        {
          client,
          session,
          // A pairwise client's sub (OIDC Core §8.1): the mapping's read or insert, in this transaction.
          subject: await this.pseudonyms.subjectFor(client, session.cupid, tx),
          scope: redeemed.scope,
          nonce: redeemed.nonce,
          grantType: this.type,
          dpopJkt: request.dpopJkt,
        },
        origin,
      );
      return { tokens };
    });
    return this.refusals.settle(outcome);
  }

  /**
   * The common case in two round trips (issue 14): the code and its session read together (no lock), the
   * tokens signed from that, then one statement (TokensRepository.redeemAndIssue) that spends the code only
   * if it is still unredeemed, and writes the rows and their audit only if it did, the session is still
   * live and the client still active. Undefined when the read does not show a redeemable code whose binding
   * (client, redirect URI, PKCE) holds, or when the statement did not spend it: the transaction decides.
   */
  private async redeemInOneStatement(
    request: GrantRequest,
    code: string,
    redirectUri: string,
    verifier: string,
  ): Promise<GrantOutcome | undefined> {
    const { client, origin } = request;
    const now = this.clock.now();
    const found = await this.codes.findUnredeemedWithSession(sha256(code));
    if (!found || found.expiresAt <= now || bindingMismatch(found, request, redirectUri, verifier) !== null)
      return undefined;
    const session = {
      status: found.sessionStatus,
      idleExpiresAt: found.sessionIdleExpiresAt,
      absoluteExpiresAt: found.sessionAbsoluteExpiresAt,
    };
    if (!found.sessionAuthTime || !found.sessionAbsoluteExpiresAt || !isSessionLive(session, now)) return undefined;
    const prepared = await this.tokens.prepareForSession(
      {
        client,
        session: {
          id: found.sessionId,
          cupid: found.cupid,
          authTime: found.sessionAuthTime,
          amr: found.sessionAmr ?? [],
          acr: found.sessionAcr,
          idleExpiresAt: found.sessionIdleExpiresAt!,
          absoluteExpiresAt: found.sessionAbsoluteExpiresAt,
        },
        // Pairwise clients only (OIDC Core §8.1): ONE extra statement, the mapping's read or insert; for a
        // public-subject client this is the CUPID and no query.
        subject: await this.pseudonyms.subjectFor(client, found.cupid),
        scope: found.scope,
        nonce: found.nonce,
        grantType: this.type,
        dpopJkt: request.dpopJkt,
      },
      origin,
    );
    const result = await this.tokenRows.redeemAndIssue(now, prepared.rows, {
      redeem: (first) => this.codes.redeemFragment(first, found.id, now),
      clientActive: (first) => this.clients.activeGuard(client, first),
      audit: (first, when) => this.audit.fragment([prepared.audit], first, { when }),
    });
    if (result.issued) return { tokens: prepared.response };
    if (!result.clientActive) {
      // Deactivated since this instance cached it: as if it had not authenticated (the code is spent).
      this.clients.forget(client.clientId);
      throw new InvalidClientError('client authentication failed');
    }
    if (!result.redeemed) return undefined;
    // Spent, but its session ended between the read and the statement: nothing was issued.
    return retryTransaction(this.dataSource, (tx) =>
      this.refusals.refuse(tx, request, this.type, 'the session has ended', found),
    );
  }
}

/**
 * What ties a code to the request that may redeem it (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449 §10); null when all
 * hold. A code whose authorization request named a DPoP key (dpop_jkt) needs a DPoP proof of that key: the token
 * controller has verified the proof and computed its key's thumbprint (`dpopJkt`), null without a proof.
 */
function bindingMismatch(
  code: RedeemedCode,
  { client, dpopJkt }: Pick<GrantRequest, 'client' | 'dpopJkt'>,
  redirectUri: string,
  verifier: string,
): string | null {
  if (code.clientId !== client.clientId) return 'authorization code was issued to another client';
  if (code.redirectUri !== redirectUri) return 'redirect_uri does not match the authorization request';
  if (!secretsEqual(sha256(verifier).toString('base64url'), code.codeChallenge)) return 'PKCE verification failed';
  if (code.dpopJkt !== null && code.dpopJkt !== dpopJkt)
    return dpopJkt === null
      ? 'the authorization request bound the code to a DPoP key (dpop_jkt): a DPoP proof of that key is required'
      : "the DPoP proof's key is not the one the authorization request bound the code to (dpop_jkt)";
  return null;
}
