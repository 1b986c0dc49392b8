import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { randomSecret, sha256 } from '../common/crypto';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { AuthorizationCodesRepository } from './authorization-codes.repository';

export interface CodeRequest {
  client: OAuthClient;
  sessionId: string;
  cupid: string;
  redirectUri: string;
  /** S256 PKCE challenge from the authorization request. */
  codeChallenge: string;
  nonce?: string | null;
  scope: string;
  contextId?: string | null;
  /** RFC 9449 §10: the DPoP key's JWK thumbprint the authorization request named (dpop_jkt), if any. */
  dpopJkt?: string | null;
}

export class InvalidCodeRequestError extends Error {}

/** A SHA-256 JWK thumbprint (RFC 7638), base64url: what dpop_jkt carries (RFC 9449 §10). */
export const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * Mints one-time authorization codes for completed logins (called by the journeys). Redemption is the
 * authorization_code grant's job (oauth/grants/authorization-code.grant.ts).
 */
@Injectable()
export class AuthorizationCodesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly codes: AuthorizationCodesRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * A 256-bit code bound to client, redirect URI, PKCE challenge, nonce, session and (RFC 9449 §10) the DPoP key
   * the request named; only its hash is kept.
   */
  async mint(manager: EntityManager, request: CodeRequest): Promise<string> {
    if (!request.client.redirectUris.includes(request.redirectUri)) {
      throw new InvalidCodeRequestError('redirect_uri is not registered for this client');
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(request.codeChallenge)) {
      throw new InvalidCodeRequestError('code_challenge must be an S256 challenge (43 base64url characters)');
    }
    if (request.dpopJkt != null && !JWK_THUMBPRINT.test(request.dpopJkt)) {
      throw new InvalidCodeRequestError('dpop_jkt must be a SHA-256 JWK thumbprint (43 base64url characters)');
    }
    const code = randomSecret(32);
    const now = this.clock.now();
    await this.codes.insert(manager, {
      codeHash: sha256(code),
      clientId: request.client.clientId,
      sessionId: request.sessionId,
      cupid: request.cupid,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce ?? null,
      scope: request.scope,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.tokens.authorizationCodeTtlSeconds * 1000),
      dpopJkt: request.dpopJkt ?? null,
    });
    await this.audit.record(manager, {
      type: AUDIT_EVENT_TYPES.AUTHORIZATION_CODE_ISSUED,
      outcome: 'SUCCESS',
      actor: { type: 'CUSTOMER', id: request.cupid },
      cupid: request.cupid,
      sessionId: request.sessionId,
      contextId: request.contextId,
      clientId: request.client.clientId,
      details: { scope: request.scope, ...(request.dpopJkt ? { dpopBound: true } : {}) },
    });
    return code;
  }
}
