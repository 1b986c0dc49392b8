import { Logger } from '@nestjs/common';
import { maskPhone } from '../../directory/user-directory.port';
import { SmsMessage, SmsSender } from './sms-sender.port';

export interface OutboxEntry extends SmsMessage {
  sentAt: string;
}

/**
 * Development only (refused in production): messages go to an in-memory outbox the developer reads at
 * GET /dev/sms-outbox. The log line says a message was queued and to whom (masked), never its text,
 * because the text holds a code.
 */
export class LogSmsSender extends SmsSender {
  readonly name = 'log';
  private readonly logger = new Logger('SmsOutbox');
  private readonly entries: OutboxEntry[] = [];

  async send(message: SmsMessage): Promise<{ providerMessageId: string | null }> {
    this.entries.unshift({ ...message, sentAt: new Date().toISOString() });
    this.entries.length = Math.min(this.entries.length, 100);
    this.logger.log(`SMS to ${maskPhone(message.to)} queued in the development outbox (GET /dev/sms-outbox)`);
    return { providerMessageId: `outbox-${message.reference}` };
  }

  outbox(): OutboxEntry[] {
    return [...this.entries];
  }
}
