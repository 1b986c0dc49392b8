import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { Clock } from '../common/clock';
import { ConsentRecordsRepository } from '../consents/consent-records.repository';
import { consentWanted, coveredBy } from '../consents/consent-rule';
import type { RequestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { retryTransaction } from '../database/retry-transaction';
import { DirectoryUnavailableError, UserDirectory } from '../directory/user-directory.port';
import type { Session } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { AuthorizationCodesService } from '../tokens/authorization-codes.service';

/** What a code issued under a live session is bound to: the authorization request's own parameters. */
export interface SsoCodeRequest {
  redirectUri: string;
  codeChallenge: string;
  nonce?: string;
  scope: string;
  prompt: string[];
  /** RFC 9449 §10: the DPoP key the code is bound to (dpop_jkt), if the request named one. */
  dpopJkt?: string;
}

/**
 * Single sign-on (issue 15): the browser's provider session cookie names a live session, and a later
 * /oauth2/authorize from any client is answered with a code under that same session, no login. The rules of
 * what counts as live are the refresh's: ACTIVE, before both expiries, and the directory still lets the
 * customer sign in (asked again when its last answer is older than REFRESH_DIRECTORY_CHECK_SECONDS; a
 * directory that cannot answer means no SSO, so the customer signs in, and that login fails closed itself).
 */
@Injectable()
export class SsoService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
    private readonly codes: AuthorizationCodesService,
    private readonly directory: UserDirectory,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly consents: ConsentRecordsRepository,
  ) {}

  /** The live session the cookie names, or null (no cookie, unknown, ended, or the directory says no). */
  async liveSession(cookie: string | undefined): Promise<Session | null> {
    if (!cookie) return null;
    const session = await this.sessions.findLiveByCookie(cookie);
    if (!session) return null;
    const intervalMs = this.config.tokens.refreshDirectoryCheckSeconds * 1000;
    const checkedAt = session.directoryCheckedAt;
    if (intervalMs > 0 && checkedAt && this.clock.now().getTime() - checkedAt.getTime() < intervalMs) return session;
    try {
      const user = await this.directory.findByCupid(session.cupid);
      return user?.status === 'ACTIVE' ? session : null;
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) return null;
      throw error;
    }
  }

  /**
   * A code for `client` under the session, in one transaction with the session's client list and the
   * audit; `ended` when the session ended meanwhile (a revocation that committed first wins); `consent` when the
   * customer must be asked first (issue 16 item 2, src/consents/consent-rule.ts): prompt=consent, or a
   * third-party client without live consent to every scope, read in this transaction (a withdrawal racing it
   * waits for the code and deletes it, or wins and no code is minted). A first-party client reads nothing.
   */
  issueCode(
    session: Session,
    client: OAuthClient,
    request: SsoCodeRequest,
    origin: RequestOrigin,
  ): Promise<{ code: string } | { consent: true } | { ended: true }> {
    return retryTransaction(this.dataSource, async (tx) => {
      const wanted = consentWanted(client, request.prompt.includes('consent'));
      if (wanted === 'ask') return { consent: true as const };
      if (wanted === 'check') {
        const live = await this.consents.liveScopes(tx, session.cupid, client.clientId);
        if (!coveredBy(request.scope.split(' '), live)) return { consent: true as const };
      }
      if (!(await this.sessions.joinClient(tx, session.id, client))) return { ended: true as const };
      const code = await this.codes.mint(tx, {
        client,
        sessionId: session.id,
        cupid: session.cupid,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        nonce: request.nonce ?? null,
        scope: request.scope,
        dpopJkt: request.dpopJkt ?? null,
      });
      await this.audit.record(tx, {
        type: AUDIT_EVENT_TYPES.SSO_CODE_ISSUED,
        outcome: 'SUCCESS',
        actor: { type: 'CUSTOMER', id: session.cupid },
        cupid: session.cupid,
        sessionId: session.id,
        clientId: client.clientId,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: { acr: session.acr, prompt: request.prompt.join(' ') || null },
      });
      return { code };
    });
  }
}
