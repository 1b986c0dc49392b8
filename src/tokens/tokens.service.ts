import { API_TOKEN_PREFIX, ApiTokensService } from './api-tokens.service';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditEvent, AuditService, SqlFragment } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { RequestOrigin } from '../common/request-origin';
import { randomSecret, sha256 } from '../common/crypto';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { ClientsService } from '../clients/clients.service';
import { PairwiseSids } from '../pseudonyms/pairwise-sids';
import { isSessionLive } from '../sessions/sessions.service';
import { SigningKeysService } from './keys/signing-keys.service';
import { TokenInsert, TokensRepository, TokenState } from './tokens.repository';

/** The token endpoint's success response (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP when the access token is bound to the proof's key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** The signed-in session a grant issues tokens for. */
export interface SessionForTokens {
  id: string;
  cupid: string;
  authTime: Date;
  amr: string[];
  acr: string | null;
  absoluteExpiresAt: Date;
  idleExpiresAt: Date;
}

export interface SessionGrant {
  client: OAuthClient;
  session: SessionForTokens;
  /** What the access and ID tokens carry. */
  scope: string;
  /**
   * What the refresh token carries: the whole original grant, even when this request narrowed `scope`
   * (RFC 6749 §6: a narrower refresh does not shrink what the grant allows later). Defaults to `scope`.
   */
  refreshScope?: string;
  grantType: 'authorization_code' | 'refresh_token';
  /**
   * The `sub` the client sees when it is not the CUPID: a pairwise client's pseudonym (OIDC Core §8.1, src/pseudonyms),
   * computed at the code exchange and kept by refreshes (it rides the token rows). Absent: the CUPID.
   */
  subject?: string | null;
  /** The nonce of the authorization request; only the first ID token of a session carries it. */
  nonce?: string | null;
  /** When rotating: the family and the parent of the new refresh token. */
  rotation?: { familyId: string; parentId: string };
  /** RFC 9449: the thumbprint of the request's DPoP key; the access token is bound to it (`cnf.jkt`). */
  dpopJkt?: string | null;
  /**
   * The key the new refresh token is bound to; defaults to `dpopJkt`. A rotation passes the family's binding:
   * a family that started bound stays bound to its key, one that started as bearer stays so.
   */
  refreshDpopJkt?: string | null;
}

/** What a valid access token says about its bearer. */
export interface AccessTokenContext {
  tokenId: string;
  cupid: string | null;
  /** The sub the client was given (the CUPID, or a pairwise client's pseudonym). */
  subject: string | null;
  clientId: string;
  sessionId: string | null;
  scope: string[];
  jti: string | null;
  /** RFC 9449: the key thumbprint the token is bound to; null for a bearer token. */
  dpopJkt: string | null;
  expiresAt: Date;
}

export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  token_type?: string;
  iss?: string;
  aud?: string;
  sid?: string;
  jti?: string;
  /** RFC 9449 §6.2: the key a DPoP-bound token is bound to. */
  cnf?: { jkt: string };
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A session grant's tokens, signed, with the rows and the audit event that record them, not yet written. */
export interface PreparedGrant {
  response: TokenResponse;
  rows: TokenInsert[];
  audit: AuditEvent;
}

/**
 * Issues and validates tokens. JWT access tokens (RFC 9068) and ID tokens are signed with the active
 * key; refresh tokens are 256 random bits. Every token has a row, found by the SHA-256 of its value, so
 * revocation takes effect at once.
 */
@Injectable()
export class TokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
    private readonly tokens: TokensRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly apiTokens: ApiTokensService,
    private readonly clients: ClientsService,
    private readonly sids: PairwiseSids,
  ) {}

  /**
   * Access, ID (for `openid`) and refresh (when the client may refresh) tokens for a session: the rows of
   * the grant and its audit event in one statement, in the caller's transaction.
   */
  async issueForSession(
    manager: EntityManager,
    grant: SessionGrant,
    origin: Partial<RequestOrigin> = {},
  ): Promise<TokenResponse> {
    const prepared = await this.prepareForSession(grant, origin, manager);
    await this.tokens.insertGrant(manager, prepared.rows, this.audit.fragment([prepared.audit], 2));
    return prepared.response;
  }

  /**
   * Signs a session grant's tokens and describes their rows and audit event, writing nothing: the caller
   * writes them (issueForSession, or a refresh's rotation statement). `manager` only for a signing-key
   * refresh inside a transaction.
   */
  async prepareForSession(
    grant: SessionGrant,
    origin: Partial<RequestOrigin> = {},
    manager?: EntityManager,
  ): Promise<PreparedGrant> {
    const { client, session } = grant;
    const sub = grant.subject ?? session.cupid;
    // Stored only when it differs: a public-subject client's rows stay as they were.
    const subject = grant.subject && grant.subject !== session.cupid ? grant.subject : null;
    // The session as this client knows it: its id, or a pairwise client's pseudonym of it (src/pseudonyms).
    const sid = this.sids.sidFor(client, session.id);
    const now = this.clock.now();
    const iat = seconds(now);
    const accessTtl = client.accessTokenTtlSeconds ?? this.config.tokens.accessTtlSeconds;
    const jti = randomUUID();
    const accessToken = await this.keys.sign(
      {
        iss: this.config.oidc.issuer,
        sub,
        aud: this.config.oidc.accessTokenAudience,
        client_id: client.clientId,
        scope: grant.scope,
        sid,
        auth_time: seconds(session.authTime),
        jti,
        iat,
        exp: iat + accessTtl,
        ...(grant.dpopJkt ? { cnf: { jkt: grant.dpopJkt } } : {}),
      },
      'at+jwt',
      manager,
    );
    const rows: TokenInsert[] = [
      {
        type: 'ACCESS',
        valueHash: sha256(accessToken),
        jti,
        clientId: client.clientId,
        cupid: session.cupid,
        subject,
        sessionId: session.id,
        scope: grant.scope,
        dpopJkt: grant.dpopJkt ?? null,
        createdAt: now,
        expiresAt: new Date((iat + accessTtl) * 1000),
      },
    ];
    const response: TokenResponse = {
      access_token: accessToken,
      token_type: grant.dpopJkt ? 'DPoP' : 'Bearer',
      expires_in: accessTtl,
      scope: grant.scope,
    };

    if (grant.scope.split(' ').includes('openid')) {
      const idTtl = client.idTokenTtlSeconds ?? this.config.tokens.idTtlSeconds;
      const idJti = randomUUID();
      response.id_token = await this.keys.sign(
        {
          iss: this.config.oidc.issuer,
          sub,
          aud: client.clientId,
          azp: client.clientId,
          iat,
          exp: iat + idTtl,
          auth_time: seconds(session.authTime),
          ...(grant.nonce ? { nonce: grant.nonce } : {}),
          ...(session.acr ? { acr: session.acr } : {}),
          amr: session.amr,
          sid,
          at_hash: atHash(accessToken),
          jti: idJti,
        },
        'JWT',
        manager,
      );
      rows.push({
        type: 'ID',
        valueHash: sha256(response.id_token),
        jti: idJti,
        clientId: client.clientId,
        cupid: session.cupid,
        subject,
        sessionId: session.id,
        scope: grant.scope,
        createdAt: now,
        expiresAt: new Date((iat + idTtl) * 1000),
      });
    }

    if (client.allowsGrant('refresh_token')) {
      response.refresh_token = randomSecret(32);
      // A refresh token lives while its session does: idle window from now, never past the absolute end, and
      // never past the client's own refresh lifetime when it has one (issue 16: per-client policy).
      const idleTtl = client.sessionIdleTtlSeconds ?? this.config.sessions.idleTtlSeconds;
      const idleEnd = now.getTime() + Math.min(idleTtl, client.refreshTokenTtlSeconds ?? idleTtl) * 1000;
      rows.push({
        type: 'REFRESH',
        valueHash: sha256(response.refresh_token),
        clientId: client.clientId,
        cupid: session.cupid,
        subject,
        sessionId: session.id,
        scope: grant.refreshScope ?? grant.scope,
        familyId: grant.rotation?.familyId ?? randomUUID(),
        parentId: grant.rotation?.parentId ?? null,
        dpopJkt: grant.refreshDpopJkt !== undefined ? grant.refreshDpopJkt : (grant.dpopJkt ?? null),
        createdAt: now,
        expiresAt: new Date(Math.min(idleEnd, session.absoluteExpiresAt.getTime())),
      });
    }
    const audit: AuditEvent = {
      type: AUDIT_EVENT_TYPES.TOKENS_ISSUED,
      outcome: 'SUCCESS',
      actor: { type: 'CLIENT', id: client.clientId },
      cupid: session.cupid,
      sessionId: session.id,
      clientId: client.clientId,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: {
        grantType: grant.grantType,
        types: rows.map((row) => row.type),
        scope: grant.scope,
        accessTokenJti: jti,
        ...(grant.dpopJkt ? { dpopJkt: grant.dpopJkt } : {}),
      },
    };
    return { response, rows, audit };
  }

  /**
   * client_credentials: an access token for the client itself; no session, no refresh, no ID token. The
   * token row and its audit event are one statement on the pool (one round trip, no transaction needed),
   * written only while `guard` holds (ClientsService.activeGuard at the parameter number it is given): null,
   * and nothing written, when the client was deactivated or its secret changed since this instance verified it.
   * Concurrent issues share one statement (group commit, TokensRepository.insertGuardedGrant).
   */
  async issueForClient(
    guard: (firstParam: number) => SqlFragment,
    client: OAuthClient,
    scope: string,
    origin: Partial<RequestOrigin> = {},
    dpopJkt: string | null = null,
  ): Promise<TokenResponse | null> {
    const now = this.clock.now();
    const iat = seconds(now);
    const ttl = client.accessTokenTtlSeconds ?? this.config.tokens.accessTtlSeconds;
    const jti = randomUUID();
    const accessToken = await this.keys.sign(
      {
        iss: this.config.oidc.issuer,
        sub: client.clientId,
        aud: this.config.oidc.accessTokenAudience,
        client_id: client.clientId,
        scope,
        jti,
        iat,
        exp: iat + ttl,
        ...(dpopJkt ? { cnf: { jkt: dpopJkt } } : {}),
      },
      'at+jwt',
    );
    const audit = (firstParam: number, when: string) =>
      this.audit.fragment(
        [
          {
            type: AUDIT_EVENT_TYPES.TOKENS_ISSUED,
            outcome: 'SUCCESS',
            actor: { type: 'CLIENT', id: client.clientId },
            clientId: client.clientId,
            ip: origin.ip,
            userAgent: origin.userAgent,
            details: {
              grantType: 'client_credentials',
              types: ['ACCESS'],
              scope,
              accessTokenJti: jti,
              ...(dpopJkt ? { dpopJkt } : {}),
            },
          },
        ],
        firstParam,
        { when },
      );
    const written = await this.tokens.insertGuardedGrant(
      [
        {
          type: 'ACCESS',
          valueHash: sha256(accessToken),
          jti,
          clientId: client.clientId,
          scope,
          dpopJkt,
          createdAt: now,
          expiresAt: new Date((iat + ttl) * 1000),
        },
      ],
      guard,
      audit,
    );
    if (!written) return null;
    return { access_token: accessToken, token_type: dpopJkt ? 'DPoP' : 'Bearer', expires_in: ttl, scope };
  }

  /**
   * A bearer access token's context, or null when it is unknown, expired, revoked or its session ended.
   * The row, found by the SHA-256 of the exact token string, is the authority: only we could have stored
   * that hash, so the signature needs no second check here, and revocation is seen at once.
   */
  async validateAccessToken(token: string): Promise<AccessTokenContext | null> {
    if (token.length > 4096) return null;
    const state = await this.tokens.findStateByValueHash(sha256(token));
    if (!state || state.type !== 'ACCESS' || !this.isLive(state)) return null;
    if (!(await this.clientActive(state.clientId))) return null;
    return {
      tokenId: state.id,
      cupid: state.cupid,
      subject: state.subject ?? state.cupid,
      clientId: state.clientId,
      sessionId: state.sessionId,
      scope: state.scope.split(' ').filter(Boolean),
      jti: state.jti,
      dpopJkt: state.dpopJkt,
      expiresAt: state.expiresAt,
    };
  }

  /**
   * RFC 7662. Anything not active says only `{ "active": false }`. An access token is described to any
   * client allowed to introspect (resource servers check the tokens presented to them); a refresh token
   * only to the client it was issued to: it is a credential of that client, and another must not learn
   * whose it is or that it works (RFC 7662 §2.2, "the authorization server MAY ... active false").
   * `callerGuard` is ClientsService.activeGuard for the caller (at the parameter number it is given); null
   * when it no longer holds.
   */
  async introspect(
    token: string,
    callerClientId: string,
    callerGuard: (firstParam: number) => SqlFragment,
  ): Promise<IntrospectionResponse | null> {
    if (token.length > 4096) return { active: false };
    // An API token (issue 17) is told by its prefix: its own table, still one statement with the caller's check.
    if (token.startsWith(API_TOKEN_PREFIX)) return this.apiTokens.introspect(token, callerGuard(2));
    // One statement: the token's state and whether the caller is still active (null: it is not).
    const found = await this.tokens.findStateGuarded(sha256(token), callerGuard);
    if (!found.guard) return null;
    const state = found.state;
    if (!state || state.type === 'ID' || !this.isLive(state)) return { active: false };
    if (state.type === 'REFRESH' && state.clientId !== callerClientId) return { active: false };
    const client = await this.clients.findActive(state.clientId);
    if (!client) return { active: false };
    return {
      active: true,
      scope: state.scope,
      client_id: state.clientId,
      sub: state.subject ?? state.cupid ?? state.clientId,
      exp: seconds(state.expiresAt),
      iat: seconds(state.createdAt),
      token_type: state.type === 'ACCESS' ? (state.dpopJkt ? 'DPoP' : 'Bearer') : 'refresh_token',
      iss: this.config.oidc.issuer,
      ...(state.type === 'ACCESS' ? { aud: this.config.oidc.accessTokenAudience } : {}),
      // The sid the token's client was given (a pairwise client's is its own pseudonym of the session), so a
      // resource server sees the same sid as the relying party, and no sid that links two pairwise clients.
      ...(state.sessionId ? { sid: this.sids.sidFor(client, state.sessionId) } : {}),
      ...(state.jti ? { jti: state.jti } : {}),
      ...(state.dpopJkt ? { cnf: { jkt: state.dpopJkt } } : {}),
    };
  }

  findState(token: string): Promise<TokenState | null> {
    return this.tokens.findStateByValueHash(sha256(token));
  }

  /** ACTIVE, not expired, and (for session tokens) its session still live. */
  /**
   * A deactivated client's tokens die with it at once (issue 16): its deactivation revokes them in bounded
   * batches, and until the last batch (or a re-run after a crash) a token the batches have not reached yet must not
   * pass. From ClientsService's cache, which every instance drops on the client's change notification: no
   * statement for a cached client.
   */
  private async clientActive(clientId: string): Promise<boolean> {
    return (await this.clients.findActive(clientId)) !== null;
  }

  isLive(state: TokenState): boolean {
    const now = this.clock.now();
    if (state.status !== 'ACTIVE' || state.expiresAt <= now) return false;
    if (!state.sessionId) return true;
    return isSessionLive(
      {
        status: state.sessionStatus,
        idleExpiresAt: state.sessionIdleExpiresAt,
        absoluteExpiresAt: state.sessionAbsoluteExpiresAt,
      },
      now,
    );
  }
}

/** OIDC Core §3.1.3.6: base64url of the left half of the SHA-256 of the access token (ES256 and RS256). */
export function atHash(accessToken: string): string {
  return sha256(accessToken).subarray(0, 16).toString('base64url');
}
