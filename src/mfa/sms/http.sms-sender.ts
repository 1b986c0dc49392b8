import type { AppConfig } from '../../config/config';
import type { DependencyMeter, Meters } from '../../common/meters';
import { callVendor, headerFromSetting, VendorUnavailableError } from '../../common/vendor-http';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender.port';

/**
 * A JSON webhook any SMS gateway can sit behind: POST { to, text, reference } with the configured auth
 * header and an Idempotency-Key (the message's reference, the same on every attempt, with the same code),
 * so retries on timeout or 5xx (and only those) never send twice, nor a second code.
 */
export class HttpSmsSender extends SmsSender {
  readonly name = 'http';
  private readonly authHeader: Record<string, string>;
  private readonly meter?: DependencyMeter;

  constructor(
    private readonly settings: AppConfig['sms'],
    meters?: Meters,
  ) {
    super();
    this.authHeader = headerFromSetting(settings.http.authHeader);
    this.meter = meters?.dependency('sms-http', 'send');
  }

  async send(message: SmsMessage): Promise<{ providerMessageId: string | null }> {
    let response;
    try {
      response = await callVendor({
        vendor: 'sms-http',
        operation: 'send',
        meter: this.meter,
        url: this.settings.http.url,
        method: 'POST',
        timeoutMs: this.settings.timeoutMs,
        retries: this.settings.http.retries,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': message.reference,
          ...this.authHeader,
        },
        body: JSON.stringify({ to: message.to, text: message.text, reference: message.reference }),
      });
    } catch (error) {
      throw new SmsDeliveryError(this.name, error instanceof VendorUnavailableError ? error.message : 'request failed');
    }
    if (response.status < 200 || response.status >= 300)
      throw new SmsDeliveryError(this.name, `HTTP ${response.status}`);
    const id = (response.body as { id?: unknown } | null)?.id;
    return { providerMessageId: typeof id === 'string' ? id.slice(0, 128) : null };
  }
}
