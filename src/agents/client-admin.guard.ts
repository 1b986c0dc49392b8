import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { AgentRequest, AgentRoleMissingError } from './agent-jwt.strategy';

/**
 * After the agent guard (a valid workforce token with the support role): registering and changing OAuth clients
 * also needs CLIENT_ADMIN_ROLE, a role of its own: a client's redirect URIs and keys decide where customers'
 * tokens go, which is not every administrator's business (nor every support agent's).
 */
@Injectable()
export class ClientAdminGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AgentRequest>();
    if (!request.user?.roles?.includes(this.config.agents.clientAdminRole))
      throw new AgentRoleMissingError(this.config.agents.clientAdminRole);
    return true;
  }
}
