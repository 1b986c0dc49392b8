/** An email to send: plain text only (no HTML, nothing remote to load). `reference` is unique per message. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  reference: string;
}

export class EmailDeliveryError extends Error {
  constructor(
    readonly provider: string,
    reason: string,
  ) {
    super(`Email via ${provider} not sent: ${reason}`);
    this.name = 'EmailDeliveryError';
  }
}

/** The email port (docs/architecture.md, rule 6). Adapters: smtp (nodemailer), log (development outbox). */
export abstract class EmailSender {
  abstract readonly name: string;
  /** Hands the message to the relay; throws EmailDeliveryError when it was not accepted. */
  abstract send(message: EmailMessage): Promise<{ providerMessageId: string | null }>;
}

/** `a***@example.com`: enough for a customer to recognise their address, never the whole of it. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  return `${address[0]}***${address.slice(at)}`;
}
