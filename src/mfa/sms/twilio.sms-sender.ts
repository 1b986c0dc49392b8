import type { AppConfig } from '../../config/config';
import type { DependencyMeter, Meters } from '../../common/meters';
import { callVendor, VendorUnavailableError } from '../../common/vendor-http';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender.port';

/**
 * Twilio's Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From and
 * Body, HTTP Basic with the account SID and auth token. Twilio does not deduplicate, so a timeout is not
 * retried here (it may have been sent); when the journey retries the send, it is the same code again.
 */
export class TwilioSmsSender extends SmsSender {
  readonly name = 'twilio';
  private readonly meter?: DependencyMeter;

  constructor(
    private readonly settings: AppConfig['sms'],
    meters?: Meters,
  ) {
    super();
    this.meter = meters?.dependency('twilio', 'send');
  }

  async send(message: SmsMessage): Promise<{ providerMessageId: string | null }> {
    const { baseUrl, accountSid, authToken, from } = this.settings.twilio;
    let response;
    try {
      response = await callVendor({
        vendor: 'twilio',
        operation: 'send',
        meter: this.meter,
        method: 'POST',
        timeoutMs: this.settings.timeoutMs,
        retries: 0,
        url: `${baseUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        },
        body: new URLSearchParams({ To: message.to, From: from, Body: message.text }).toString(),
      });
    } catch (error) {
      throw new SmsDeliveryError(this.name, error instanceof VendorUnavailableError ? error.message : 'request failed');
    }
    if (response.status !== 201 && response.status !== 200) {
      const code = (response.body as { code?: unknown } | null)?.code;
      throw new SmsDeliveryError(this.name, `HTTP ${response.status}${code ? ` (Twilio error ${String(code)})` : ''}`);
    }
    const sid = (response.body as { sid?: unknown } | null)?.sid;
    return { providerMessageId: typeof sid === 'string' ? sid : null };
  }
}
