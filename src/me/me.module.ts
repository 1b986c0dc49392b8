import { Module } from '@nestjs/common';
import { JourneysModule } from '../journeys/journeys.module';
import { EmailModule } from '../mfa/email/email.module';
import { TotpModule } from '../mfa/totp/totp.module';
import { RecoveryCodesModule } from '../mfa/recovery-codes/recovery-codes.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { EmailController } from './email.controller';
import { FreshAuthGuard } from './fresh-auth.guard';
import { MeController } from './me.controller';
import { StepUpController } from './step-up.controller';
import { TotpController } from './totp.controller';
import { RecoveryCodesController } from './recovery-codes.controller';

/**
 * Customer self-service (`/me`): an HTTP API over the sessions and devices domains, beside agents/. The
 * domain modules never import it; its bearer check reaches the tokens module only through the
 * CustomerTokenVerifier port, which TokensModule provides.
 */
@Module({
  imports: [SessionsModule, JourneysModule, EmailModule, TotpModule, RecoveryCodesModule],
  controllers: [MeController, StepUpController, EmailController, TotpController, RecoveryCodesController],
  providers: [CustomerAuthGuard, FreshAuthGuard],
  exports: [FreshAuthGuard],
})
export class MeModule {}
