/**
 * An SMS to send. `reference` is unique per message and the same on every attempt to send it (the
 * adapter's retries and the journey's retry with the same transaction token): providers that deduplicate
 * use it as the idempotency key.
 */
export interface SmsMessage {
  to: string;
  text: string;
  reference: string;
}

export class SmsDeliveryError extends Error {
  constructor(
    readonly provider: string,
    reason: string,
  ) {
    super(`SMS via ${provider} not sent: ${reason}`);
    this.name = 'SmsDeliveryError';
  }
}

/** The SMS port (docs/architecture.md, rule 6). Adapters: log (development outbox), http (JSON webhook), twilio. */
export abstract class SmsSender {
  abstract readonly name: string;
  /** Hands the message to the provider; throws SmsDeliveryError when it was not accepted. */
  abstract send(message: SmsMessage): Promise<{ providerMessageId: string | null }>;
}
