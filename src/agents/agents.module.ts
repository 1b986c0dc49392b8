import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '../sessions/sessions.module';
import { AgentJwtStrategy } from './agent-jwt.strategy';
import { AgentController } from './agent.controller';
import { WorkforceKeys } from './workforce-keys';

@Module({
  imports: [PassportModule, SessionsModule],
  controllers: [AgentController],
  providers: [WorkforceKeys, AgentJwtStrategy],
})
export class AgentsModule {}
