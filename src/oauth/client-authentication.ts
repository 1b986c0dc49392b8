import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import { AuditService } from '../audit/audit.service';
import { LockoutService } from '../journeys/lockout/lockout.service';
import { ClientsService } from '../clients/clients.service';
import type { OAuthClient } from '../clients/oauth-client.entity';
import { InvalidClientError, InvalidRequestError, OAuthError } from './oauth-errors';
import { OAuthParams } from './oauth-params';
import type { RequestOrigin } from '../common/request-origin';
import {
  AssertionRefused,
  claimedClientId,
  ClientAssertionVerifier,
  JWT_BEARER_ASSERTION_TYPE,
} from './proofs/client-assertion';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  client: OAuthClient;
  method: ClientAuthMethod;
}

/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
 * client_secret_basic, client_secret_post, private_key_jwt (RFC 7523, src/oauth/proofs/client-assertion.ts), or
 * none for public clients (which must then prove possession otherwise: PKCE, refresh-token binding). Exactly one
 * method per request. A client registered with private_key_jwt authenticates with its keys only (it has no
 * secret, and one it sends is refused), and a client not registered so cannot send assertions.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    private readonly clients: ClientsService,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly lockout: LockoutService,
    private readonly assertions: ClientAssertionVerifier,
  ) {}

  async authenticate(
    authorization: string | undefined,
    params: OAuthParams,
    endpoint: string,
    origin: RequestOrigin,
  ): Promise<AuthenticatedClient> {
    const basic = parseBasic(authorization);
    const postId = params.optional('client_id', 128);
    const postSecret = params.optional('client_secret', 512);
    const assertionType = params.optional('client_assertion_type', 128);
    const assertion = params.optional('client_assertion', 8192);
    if (basic && (postSecret !== undefined || (postId !== undefined && postId !== basic.clientId))) {
      throw new InvalidRequestError('use exactly one client authentication method');
    }
    if (assertion !== undefined || assertionType !== undefined) {
      if (basic || postSecret !== undefined)
        throw new InvalidRequestError('use exactly one client authentication method');
      if (assertionType !== JWT_BEARER_ASSERTION_TYPE)
        throw new InvalidRequestError(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
      if (assertion === undefined)
        throw new InvalidRequestError('client_assertion is required with client_assertion_type');
    }

    const fail = async (clientId: string | undefined, method: ClientAuthMethod, reason: string): Promise<never> => {
      await this.dataSource.transaction(async (manager) => {
        await this.audit.record(manager, {
          type: AUDIT_EVENT_TYPES.CLIENT_AUTHENTICATION_FAILED,
          outcome: 'FAILURE',
          actor: { type: 'CLIENT', id: clientId ?? null },
          clientId: clientId ?? null,
          ip: origin.ip,
          userAgent: origin.userAgent,
          details: { endpoint, method, reason },
        });
        if (!clientId || method === 'none') return;
        await this.clients.recordFailure(manager, clientId);
        for (const lock of await this.lockout.recordClientFailure(manager, clientId, origin.ip)) {
          await this.audit.record(manager, {
            type: AUDIT_EVENT_TYPES.LOCKOUT_ENGAGED,
            outcome: 'FAILURE',
            actor: { type: 'SYSTEM', id: 'lockout' },
            clientId,
            ip: origin.ip,
            details: { subject: lock.subject, lockedUntil: lock.lockedUntil.toISOString(), failures: lock.failures },
          });
        }
      });
      throw new InvalidClientError('client authentication failed', method === 'client_secret_basic');
    };

    // Before any argon2id work: a client id or address that failed too often waits, whatever it sends now.
    // The check reads login_attempts, so it is skipped for a cached client no instance has seen fail within
    // the lockout windows (failures are announced to every instance, ClientsService.recordFailure); an
    // unknown or uncached client id, or a recent failure, is always checked.
    const asserted = assertion !== undefined ? claimedClientId(assertion) : undefined;
    if (assertion !== undefined && (!asserted || (postId !== undefined && postId !== asserted)))
      return fail(asserted ?? postId, 'private_key_jwt', 'client_assertion names no client, or another than client_id');
    const claimed = basic?.clientId ?? (postSecret !== undefined ? postId : asserted);
    if (claimed) await this.clients.findActive(claimed);
    if (claimed && this.clients.needsLockoutCheck(claimed)) {
      const { lock, lastClientFailureAt } = await this.lockout.checkClientStanding(
        this.dataSource.manager,
        claimed,
        origin.ip,
      );
      this.clients.noteLockoutChecked(claimed, lastClientFailureAt);
      if (lock) {
        throw new OAuthError('invalid_client', 'too many failed client authentications; try again later', 429, {
          'Retry-After': String(lock.retryAfterSeconds),
        });
      }
    }

    if (assertion !== undefined && asserted) {
      const client = await this.clients.findActive(asserted);
      if (!client) return fail(asserted, 'private_key_jwt', 'unknown client');
      if (client.tokenEndpointAuthMethod !== 'private_key_jwt')
        return fail(asserted, 'private_key_jwt', 'client is not registered for private_key_jwt');
      try {
        await this.assertions.verify(client, assertion);
      } catch (error) {
        if (error instanceof AssertionRefused) return fail(asserted, 'private_key_jwt', error.message);
        throw error;
      }
      return { client, method: 'private_key_jwt' };
    }
    if (basic) {
      const client = await this.clients.verifySecret(basic.clientId, basic.secret);
      if (client?.tokenEndpointAuthMethod === 'private_key_jwt')
        return fail(basic.clientId, 'client_secret_basic', 'client is registered for private_key_jwt');
      return client
        ? { client, method: 'client_secret_basic' }
        : fail(basic.clientId, 'client_secret_basic', 'unknown client or wrong secret');
    }
    if (postId === undefined) return fail(undefined, 'none', 'no client credentials');
    if (postSecret !== undefined) {
      const client = await this.clients.verifySecret(postId, postSecret);
      if (client?.tokenEndpointAuthMethod === 'private_key_jwt')
        return fail(postId, 'client_secret_post', 'client is registered for private_key_jwt');
      return client
        ? { client, method: 'client_secret_post' }
        : fail(postId, 'client_secret_post', 'unknown client or wrong secret');
    }
    const client = await this.clients.findActive(postId);
    if (!client) return fail(postId, 'none', 'unknown client');
    // A confidential client must always prove itself with its secret.
    if (!client.isPublic) return fail(postId, 'none', 'confidential client sent no credentials');
    return { client, method: 'none' };
  }
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined by ':' and base64-encoded. */
function parseBasic(authorization: string | undefined): { clientId: string; secret: string } | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClientError('malformed Basic credentials', true);
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    if (clientId.length > 128 || secret.length > 512) throw new InvalidClientError('malformed Basic credentials', true);
    return { clientId, secret };
  } catch (error) {
    if (error instanceof InvalidClientError) throw error;
    throw new InvalidClientError('malformed Basic credentials', true);
  }
}
