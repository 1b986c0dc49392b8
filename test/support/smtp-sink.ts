import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The message as received (headers and body), soft line breaks of quoted-printable undone. */
  raw: string;
}

/**
 * A real SMTP server on 127.0.0.1 for the email specs (smtp-server): the app's smtp adapter talks to it over
 * TCP; every message it accepts is kept. No STARTTLS (the app is told EMAIL_SMTP_IGNORE_TLS, loopback only).
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/=\r?\n/g, '');
          const subject = /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
          this.messages.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), subject, raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  /** The environment that points the app's smtp adapter here. */
  env(): Record<string, string> {
    return {
      EMAIL_PROVIDER: 'smtp',
      EMAIL_SMTP_HOST: '127.0.0.1',
      EMAIL_SMTP_PORT: String(this.port),
      EMAIL_SMTP_IGNORE_TLS: 'true',
      EMAIL_FROM: 'no-reply@ciam.test',
    };
  }

  /** The 6-digit code in the latest message to `address`. */
  codeFor(address: string): string {
    const mail = this.messages.filter((message) => message.to.includes(address)).at(-1);
    const code = mail && /\bis (\d{6})\b/.exec(mail.raw)?.[1];
    if (!code) throw new Error(`no code mailed to ${address}`);
    return code;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
