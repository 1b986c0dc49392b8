import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { AgentRequest, AgentRoleMissingError } from './agent-jwt.strategy';

/**
 * After the agent guard (a valid workforce token with the support role): the admin endpoints also need
 * AGENT_ADMIN_ROLE, so a support agent who reads a customer's trail cannot, say, point audit events elsewhere.
 */
@Injectable()
export class AgentAdminGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AgentRequest>();
    if (!request.user?.roles?.includes(this.config.agents.adminRole))
      throw new AgentRoleMissingError(this.config.agents.adminRole);
    return true;
  }
}
