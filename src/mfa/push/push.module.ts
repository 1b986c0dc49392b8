import { Module } from '@nestjs/common';
import { countingSends, Meters } from '../../common/meters';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { DevicesModule } from '../../devices/devices.module';
import { PushAnswersService } from './push-answers.service';
import { PushBudget } from './push-budget';
import { PushChallengesService } from './push-challenges.service';
import { PushPromptsModule } from './push-prompts.module';
import { PushController } from './push.controller';
import { PushDecisions } from './push-decisions';
import { PushSender } from './push-sender.port';
import { HttpPushSender, LogPushSender } from './push-senders';

/** PUSH_PROVIDER picks the adapter: `log` (development) or `http` (FCM-style webhook). */
@Module({
  imports: [DevicesModule, PushPromptsModule],
  controllers: [PushController],
  providers: [
    {
      provide: PushSender,
      inject: [APP_CONFIG, { token: Meters, optional: true }],
      useFactory: (config: AppConfig, meters?: Meters): PushSender =>
        countingSends(
          'push',
          config.push.provider === 'http' ? new HttpPushSender(config.push, meters) : new LogPushSender(),
          meters,
        ),
    },
    PushDecisions,
    PushAnswersService,
    PushBudget,
    PushChallengesService,
  ],
  exports: [PushSender, PushAnswersService, PushBudget, PushChallengesService],
})
export class PushModule {}
