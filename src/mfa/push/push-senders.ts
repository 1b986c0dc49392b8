import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/config';
import type { DependencyMeter, Meters } from '../../common/meters';
import { callVendor, headerFromSetting, VendorUnavailableError } from '../../common/vendor-http';
import { PushDeliveryError, PushMessage, PushSender } from './push-sender.port';

/** Development only (refused in production): pushes go to an outbox at GET /dev/push-outbox. */
export class LogPushSender extends PushSender {
  readonly name = 'log';
  private readonly logger = new Logger('PushOutbox');
  private readonly entries: Array<PushMessage & { sentAt: string }> = [];

  async send(message: PushMessage): Promise<void> {
    this.entries.unshift({ ...message, sentAt: new Date().toISOString() });
    this.entries.length = Math.min(this.entries.length, 100);
    this.logger.log(`push ${message.data.pushChallengeId} queued in the development outbox (GET /dev/push-outbox)`);
  }

  outbox(): Array<PushMessage & { sentAt: string }> {
    return [...this.entries];
  }
}

/**
 * An FCM-style webhook: POST { message: { token, data } } with the configured auth header. Retried on
 * timeout or 5xx with the challenge id as idempotency key.
 */
export class HttpPushSender extends PushSender {
  readonly name = 'http';
  private readonly authHeader: Record<string, string>;
  private readonly meter?: DependencyMeter;

  constructor(
    private readonly settings: AppConfig['push'],
    meters?: Meters,
  ) {
    super();
    this.authHeader = headerFromSetting(settings.http.authHeader);
    this.meter = meters?.dependency('push-http', 'send');
  }

  async send(message: PushMessage): Promise<void> {
    let response;
    try {
      response = await callVendor({
        vendor: 'push-http',
        operation: 'send',
        meter: this.meter,
        url: this.settings.http.url,
        method: 'POST',
        timeoutMs: this.settings.timeoutMs,
        retries: 1,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${message.data.pushChallengeId}:${message.to.slice(-16)}`,
          ...this.authHeader,
        },
        body: JSON.stringify({ message: { token: message.to, data: message.data } }),
      });
    } catch (error) {
      throw new PushDeliveryError(
        this.name,
        error instanceof VendorUnavailableError ? error.message : 'request failed',
      );
    }
    if (response.status < 200 || response.status >= 300)
      throw new PushDeliveryError(this.name, `HTTP ${response.status}`);
  }
}
