import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { CustomerAuthGuard } from './customer-auth.guard';
import { MeController } from './me.controller';

/**
 * Customer self-service (`/me`): an HTTP API over the sessions and devices domains, beside agents/. The
 * domain modules never import it; its bearer check reaches the tokens module only through the
 * CustomerTokenVerifier port, which TokensModule provides.
 */
@Module({
  imports: [SessionsModule],
  controllers: [MeController],
  providers: [CustomerAuthGuard],
})
export class MeModule {}
