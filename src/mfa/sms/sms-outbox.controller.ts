import { Controller, Get, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { LogSmsSender, OutboxEntry } from './log.sms-sender';
import { SmsSender } from './sms-sender.port';

/**
 * GET /dev/sms-outbox: what the development SMS adapter "sent", newest first. It exists only with
 * SMS_PROVIDER=log, which production refuses; otherwise it is a 404 like any unknown route.
 */
@ApiExcludeController()
@Controller('dev/sms-outbox')
export class SmsOutboxController {
  constructor(private readonly sms: SmsSender) {}

  @Get()
  outbox(): OutboxEntry[] {
    if (!(this.sms instanceof LogSmsSender)) throw new NotFoundException();
    return this.sms.outbox();
  }
}
