import { Module } from '@nestjs/common';
import { PushChallengesRepository } from './push-challenges.repository';
import { PushPromptsRepository } from './push-prompts.repository';

/**
 * The owners of the push factor's tables (push_prompts, push_challenges) on their own, so the data
 * lifecycle can purge them without loading the push factor.
 */
@Module({
  providers: [PushPromptsRepository, PushChallengesRepository],
  exports: [PushPromptsRepository, PushChallengesRepository],
})
export class PushPromptsModule {}
