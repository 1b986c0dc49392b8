import { Module } from '@nestjs/common';
import { LockoutService } from './lockout.service';
import { LoginAttemptsRepository } from './login-attempts.repository';

/**
 * Brute-force protection and the owner of login_attempts, on their own so that the journeys, the client
 * authentication of the token endpoint and the data lifecycle share one repository without loading the journeys.
 */
@Module({ providers: [LoginAttemptsRepository, LockoutService], exports: [LockoutService, LoginAttemptsRepository] })
export class LockoutModule {}
