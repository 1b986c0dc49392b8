import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { postDelivery } from '../outbox/http-delivery';
import { stableJti } from '../outbox/stable-jti';
import { OutboxDelivery, OutboxMessage, OutboxOutcome, OutboxService } from '../outbox/outbox.service';
import { PairwiseSids } from '../pseudonyms/pairwise-sids';
import { PseudonymsService } from '../pseudonyms/pseudonyms.service';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { TokensRepository } from '../tokens/tokens.repository';
import { logoutTokenClaims } from './logout-token';

/** The outbox channels of logout: the end of a session (enqueued by a trigger on sessions), and one delivery per client. */
export const SESSION_ENDED_CHANNEL = 'session_ended';
export const BACKCHANNEL_LOGOUT_CHANNEL = 'backchannel_logout';

/** What the sessions trigger (migration OutboxBackchannelLogout) puts in a `session_ended` message. */
export interface SessionEndedPayload {
  sid: string;
  cupid: string;
  clientId: string;
  /**
   * The session's clients when it ended (sessions.client_ids): the one it was opened for and every one that got a
   * code under it by single sign-on, less those that left it (ClientSessionDetachment: a deactivated client, a
   * third-party application that revoked its refresh token). Absent from messages enqueued before migration
   * OutboxSessionEndedClientIds.
   */
  clientIds?: string[];
  status: 'REVOKED' | 'EXPIRED';
  /** Who ended it: CUSTOMER, AGENT, CLIENT or SYSTEM (expiry, reuse detection, directory). */
  endedBy: string;
  endedAt: string;
}

/** Others that react to the end of a session (Shared Signals); each returns the messages to enqueue. */
export type SessionEndedListener = (session: SessionEndedPayload) => Promise<OutboxMessage[]>;
export const SESSION_ENDED_LISTENERS = Symbol('SESSION_ENDED_LISTENERS');

/**
 * OpenID Connect Back-Channel Logout 1.0 (issue 15 item 4), in two outbox steps:
 *
 * 1. `session_ended` (one per ended session, enqueued in the statement that ended it): finds the clients of
 *    the session (its client list: the one it was opened for and every one that got a code under it by single
 *    sign-on, less those that left it; for an older message without the list, the opening client and every
 *    client its tokens were issued to) that registered a
 *    back-channel logout URI, and enqueues one `backchannel_logout` message per client (plus what other
 *    listeners want, e.g. Shared Signals SETs). Fanning out after the commit keeps the session's end one cheap
 *    statement; a crash after the fan-out but before its outcome is recorded fans out again (at least once).
 * 2. `backchannel_logout` (one per client): signs a logout token (§2.4) with the service's signing key (in
 *    /.well-known/jwks.json) and POSTs it as `logout_token` (§2.5); 2xx delivered, 5xx/timeouts retried with
 *    backoff, other answers dead-lettered.
 */
@Injectable()
export class BackchannelLogoutHandlers implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
    private readonly tokens: TokensRepository,
    private readonly clients: ClientsService,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    private readonly pseudonyms: PseudonymsService,
    private readonly sids: PairwiseSids,
    @Inject(SESSION_ENDED_LISTENERS) private readonly listeners: SessionEndedListener[],
  ) {}

  onModuleInit(): void {
    this.outbox.registerHandler(SESSION_ENDED_CHANNEL, (message) => this.fanOut(message));
    this.outbox.registerHandler(BACKCHANNEL_LOGOUT_CHANNEL, (message) => this.deliver(message));
  }

  private async fanOut(message: OutboxDelivery): Promise<OutboxOutcome> {
    const session = message.payload as unknown as SessionEndedPayload;
    // The list is the truth when the message has it: a client that left the session still has (revoked) tokens
    // under it, and must not hear of its end.
    const clientIds = new Set(
      session.clientIds ?? [session.clientId, ...(await this.tokens.clientIdsOfSession(session.sid))],
    );
    const receivers = await this.clients.backchannelReceivers([...clientIds]);
    const messages: OutboxMessage[] = receivers.map((client) => ({
      channel: BACKCHANNEL_LOGOUT_CHANNEL,
      destination: client.clientId,
      orderingKey: null,
      payload: { sid: session.sid, cupid: session.cupid },
    }));
    for (const listener of this.listeners) messages.push(...(await listener(session)));
    await this.outbox.enqueue(undefined, messages);
    return { outcome: 'delivered' };
  }

  private async deliver(message: OutboxDelivery): Promise<OutboxOutcome> {
    const client = await this.clients.findActive(message.destination);
    // Deactivated, or it removed its URI since: nobody to tell.
    if (!client?.backchannelLogoutUri) return { outcome: 'delivered' };
    const { sid, cupid } = message.payload as { sid: string; cupid: string };
    const logoutToken = await this.keys.sign(
      logoutTokenClaims({
        issuer: this.config.oidc.issuer,
        clientId: client.clientId,
        // OIDC Back-Channel Logout §2.4: the sub the client's ID tokens carried (a pairwise client's pseudonym).
        sub: await this.pseudonyms.subjectFor(client, cupid),
        // §2.4: the sid its ID tokens carried (a pairwise client's own pseudonym of the session, src/pseudonyms).
        sid: this.sids.sidFor(client, sid),
        jti: stableJti(this.config.oidc.issuer, message),
        nowSeconds: this.clock.nowSeconds(),
      }),
      'logout+jwt',
    );
    return postDelivery({
      vendor: 'backchannel-logout',
      url: client.backchannelLogoutUri,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      timeoutMs: this.config.outbox.deliveryTimeoutMs,
      nodeEnv: this.config.nodeEnv,
    });
  }
}
