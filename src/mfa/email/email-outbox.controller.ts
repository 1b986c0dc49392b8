import { Controller, Get, Inject, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { EmailSender } from './email-sender.port';
import { EmailOutboxEntry, LogEmailSender } from './log.email-sender';

/**
 * GET /dev/email-outbox: what the development email adapter "sent", newest first. It exists only with
 * EMAIL_PROVIDER=log, which production refuses; otherwise it is a 404 like any unknown route.
 */
@ApiExcludeController()
@Controller('dev/email-outbox')
export class EmailOutboxController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly email: EmailSender,
  ) {}

  @Get()
  outbox(): EmailOutboxEntry[] {
    if (this.config.email.provider !== 'log' || !(this.email instanceof LogEmailSender)) throw new NotFoundException();
    return this.email.outbox();
  }
}
