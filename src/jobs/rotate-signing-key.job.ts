import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';
import { Job, JobContext } from './job';

/** Daily check: the active signing key is rotated once it is SIGNING_KEY_ROTATION_DAYS old (the old one stays published). */
@Injectable()
export class RotateSigningKeyJob extends Job {
  readonly name = 'rotate-signing-key' as const;
  readonly destructive = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {
    super();
  }

  async run(context: JobContext): Promise<number> {
    const active = await this.keys.activeKeyCreatedAt();
    const dueAt = active && new Date(active.getTime() + this.config.jobs.signingKeyRotationDays * 86_400_000);
    if (active && dueAt && dueAt > context.now) return 0;
    await this.keys.rotate(`scheduled rotation every ${this.config.jobs.signingKeyRotationDays} days`, this.name);
    return 1;
  }
}
