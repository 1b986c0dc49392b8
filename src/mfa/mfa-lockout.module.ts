import { Module } from '@nestjs/common';
import { MfaLockoutRepository } from './mfa-lockout.repository';
import { MfaLockoutService } from './mfa-lockout.service';

/** The per-customer MFA lock, shared by the second-factor steps and the agent API (and its repository with the data lifecycle). */
@Module({ providers: [MfaLockoutRepository, MfaLockoutService], exports: [MfaLockoutService, MfaLockoutRepository] })
export class MfaLockoutModule {}
