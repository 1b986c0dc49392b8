import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '../sessions/sessions.module';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';
import { SignalsModule } from '../signals/signals.module';
import { AgentSignalsController } from './agent-signals.controller';
import { AgentJwtStrategy } from './agent-jwt.strategy';
import { AgentMfaController } from './agent-mfa.controller';
import { AgentSupportService } from './agent-support.service';
import { AgentController } from './agent.controller';
import { DevSignInController } from './dev-sign-in.controller';
import { WorkforceKeys } from './workforce-keys';

@Module({
  imports: [PassportModule, SessionsModule, MfaLockoutModule, SignalsModule],
  controllers: [AgentController, AgentMfaController, AgentSignalsController, DevSignInController],
  providers: [WorkforceKeys, AgentJwtStrategy, AgentSupportService],
})
export class AgentsModule {}
