import { requestOrigin } from '../common/request-origin';
import type { AgentRequest } from './agent-jwt.strategy';
import type { AgentAction } from './agent-support.service';

/** The agent behind a request (the workforce token's subject), the reason it states, and where it came from. */
export function agentAction(request: AgentRequest, reason: string): AgentAction {
  return { agent: { type: 'AGENT', id: request.user.subject }, reason, origin: requestOrigin(request) };
}
