import { Module } from '@nestjs/common';
import { PushPromptsRepository } from './push-prompts.repository';

/** The owner of push_prompts on its own, so the data lifecycle can purge it without loading the push factor. */
@Module({ providers: [PushPromptsRepository], exports: [PushPromptsRepository] })
export class PushPromptsModule {}
