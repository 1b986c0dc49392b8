import { createTransport, Transporter } from 'nodemailer';
import type { EmailConfig } from '../../config/factor-config';
import { EmailDeliveryError, EmailMessage, EmailSender } from './email-sender.port';

/**
 * SMTP through nodemailer. TLS by default: implicit TLS when EMAIL_SMTP_SECURE, otherwise STARTTLS is required
 * (`requireTLS`: a relay that does not offer it gets nothing, so a downgrade by a man in the middle fails closed).
 * Only a loopback development relay may be spoken to in clear (EMAIL_SMTP_IGNORE_TLS, refused by the config in
 * production). The error reported never carries the message or the credentials.
 */
export class SmtpEmailSender extends EmailSender {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(private readonly config: EmailConfig) {
    super();
    const { smtp } = config;
    this.transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && !smtp.ignoreTls,
      ignoreTLS: smtp.ignoreTls,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      tls: { rejectUnauthorized: smtp.rejectUnauthorized, minVersion: 'TLSv1.2' },
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: EmailMessage): Promise<{ providerMessageId: string | null }> {
    try {
      const info = await this.transport.sendMail({
        from: this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        headers: { 'X-Ciam-Reference': message.reference, 'Auto-Submitted': 'auto-generated' },
      });
      if (!info.accepted?.length) throw new EmailDeliveryError(this.name, 'recipient refused');
      return { providerMessageId: info.messageId ?? null };
    } catch (error) {
      if (error instanceof EmailDeliveryError) throw error;
      const code = (error as { code?: string; responseCode?: number }).code ?? 'error';
      const status = (error as { responseCode?: number }).responseCode;
      throw new EmailDeliveryError(this.name, status ? `${code} ${status}` : code);
    }
  }

  close(): void {
    this.transport.close();
  }
}
