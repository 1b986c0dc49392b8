import { Injectable, Logger } from '@nestjs/common';

/**
 * Tells a customer, on a channel other than the one just used, that something changed on their account (a
 * factor enrolled or removed, recovery codes used, password reset, account unlocked by support). The sending
 * implementation (email when a verified address exists, else SMS to the directory's phone) registers itself
 * at module init; until one has, notices are only logged (without personal data).
 */
export type CustomerNotice =
  | 'factor.enrolled'
  | 'factor.removed'
  | 'factors.reset'
  | 'recovery_code.used'
  | 'recovery_codes.regenerated'
  | 'password.reset'
  | 'account.unlocked'
  | 'email.verified'
  | 'api_token.created';

export interface CustomerNotifierDelegate {
  notify(cupid: string, notice: CustomerNotice, details: Record<string, string>): Promise<void>;
}

@Injectable()
export class CustomerNotifier {
  private readonly logger = new Logger(CustomerNotifier.name);
  private delegate: CustomerNotifierDelegate | null = null;

  setDelegate(delegate: CustomerNotifierDelegate): void {
    this.delegate = delegate;
  }

  /** Never throws: a notice that cannot be sent must not undo the change it reports (the change is audited). */
  async notify(cupid: string, notice: CustomerNotice, details: Record<string, string> = {}): Promise<void> {
    if (!this.delegate) {
      this.logger.log({ notice }, 'customer notice not sent: no notifier registered');
      return;
    }
    try {
      await this.delegate.notify(cupid, notice, details);
    } catch (error) {
      this.logger.warn({ notice, error: (error as Error).name }, 'customer notice failed');
    }
  }
}
