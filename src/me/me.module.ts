import { Module } from '@nestjs/common';
import { JourneysModule } from '../journeys/journeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { TokensModule } from '../tokens/tokens.module';
import { ApiTokensController } from './api-tokens.controller';
import { FactorsController } from './factors.controller';
import { FactorsService } from './factors.service';
import { FreshAuthGuard } from './fresh-auth.guard';
import { MeController } from './me.controller';
import { StepUpController } from './step-up.controller';

/**
 * Customer self-service (`/me`): an HTTP API over the sessions and devices domains, beside agents/. The
 * domain modules never import it; its bearer check reaches the tokens module only through the
 * CustomerTokenVerifier port, which TokensModule provides.
 */
@Module({
  imports: [SessionsModule, JourneysModule, TokensModule],
  controllers: [MeController, StepUpController, FactorsController, ApiTokensController],
  providers: [CustomerAuthGuard, FreshAuthGuard, FactorsService],
  exports: [FactorsService],
})
export class MeModule {}
