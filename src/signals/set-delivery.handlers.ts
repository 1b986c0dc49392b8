import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { postDelivery } from '../outbox/http-delivery';
import { OutboxDelivery, OutboxOutcome, OutboxService } from '../outbox/outbox.service';
import { stableJti } from '../outbox/stable-jti';
import { SECURITY_EVENT_CHANNEL, SecurityEvent } from '../outbox/security-events';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { securityEventTokenClaims } from './security-event-token';
import { SetReceiversRepository } from './set-receivers.repository';

export const SET_CHANNEL = 'set';

type SecurityEventPayload = Omit<SecurityEvent, 'occurredAt'> & { occurredAt: string };

/**
 * Shared Signals delivery (issue 19 item 3), in two outbox steps:
 *
 * 1. `security_event` (enqueued where the event happened, in its transaction): one `set` message per active
 *    receiver that asked for the event's type, ordered per customer (orderingKey = CUPID), so a receiver
 *    sees a customer's events in the order they happened.
 * 2. `set` (one per receiver): signs the RFC 8417 SET (typ secevent+jwt, the service's signing key, verifiable
 *    with /.well-known/jwks.json) and pushes it per RFC 8935 §2: POST, Content-Type application/secevent+jwt,
 *    Accept application/json; 202 (any 2xx) delivered; 5xx, timeouts, 429 retried; a 400 error (the receiver
 *    rejected the SET: invalid_request, invalid_key, authentication_failed, access_denied) dead-lettered.
 */
@Injectable()
export class SetDeliveryHandlers implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
    private readonly receivers: SetReceiversRepository,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.outbox.registerHandler(SECURITY_EVENT_CHANNEL, (message) => this.fanOut(message));
    this.outbox.registerHandler(SET_CHANNEL, (message) => this.push(message));
  }

  private async fanOut(message: OutboxDelivery): Promise<OutboxOutcome> {
    const event = message.payload as unknown as SecurityEventPayload;
    const receivers = await this.receivers.wanting(event.type);
    await this.outbox.enqueue(
      undefined,
      receivers.map((receiver) => ({
        channel: SET_CHANNEL,
        destination: receiver.id,
        orderingKey: event.cupid,
        payload: { ...event },
      })),
    );
    return { outcome: 'delivered' };
  }

  private async push(message: OutboxDelivery): Promise<OutboxOutcome> {
    const receiver = await this.receivers.findActive(message.destination);
    // Deactivated since: it asked for no more SETs.
    if (!receiver) return { outcome: 'delivered' };
    const event = message.payload as unknown as SecurityEventPayload;
    const set = await this.keys.sign(
      securityEventTokenClaims({
        issuer: this.config.oidc.issuer,
        audience: receiver.audience,
        jti: stableJti(this.config.oidc.issuer, message),
        nowSeconds: this.clock.nowSeconds(),
        event,
      }),
      'secevent+jwt',
    );
    return postDelivery({
      vendor: 'set-receiver',
      url: receiver.endpointUrl,
      contentType: 'application/secevent+jwt',
      headers: { accept: 'application/json' },
      body: set,
      timeoutMs: this.config.outbox.deliveryTimeoutMs,
      nodeEnv: this.config.nodeEnv,
    });
  }
}
