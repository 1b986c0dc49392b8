import { Logger } from '@nestjs/common';
import { EmailMessage, EmailSender, maskEmail } from './email-sender.port';

export interface EmailOutboxEntry extends EmailMessage {
  sentAt: string;
}

/**
 * Development only (refused in production): messages go to an in-memory outbox the developer reads at
 * GET /dev/email-outbox, like the SMS one. The log line names the masked recipient, never the text (it holds a code).
 */
export class LogEmailSender extends EmailSender {
  readonly name = 'log';
  private readonly logger = new Logger('EmailOutbox');
  private readonly entries: EmailOutboxEntry[] = [];

  async send(message: EmailMessage): Promise<{ providerMessageId: string | null }> {
    this.entries.unshift({ ...message, sentAt: new Date().toISOString() });
    this.entries.length = Math.min(this.entries.length, 100);
    this.logger.log(`Email to ${maskEmail(message.to)} queued in the development outbox (GET /dev/email-outbox)`);
    return Promise.resolve({ providerMessageId: `outbox-${message.reference}` });
  }

  outbox(): EmailOutboxEntry[] {
    return [...this.entries];
  }
}
