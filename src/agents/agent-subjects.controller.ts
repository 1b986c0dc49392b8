import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ClientsService } from '../clients/clients.service';
import { NotFoundProblem, ValidationFailedError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { PseudonymsService } from '../pseudonyms/pseudonyms.service';
import { agentAction } from './agent-action';
import { AgentAuthGuard } from './agent-jwt.strategy';
import type { AgentRequest } from './agent-jwt.strategy';
import { SubjectLookupQueryDto, SubjectResolutionDto } from './dto/subject.dto';

const CLIENT_ID = /^[A-Za-z0-9._~-]{3,128}$/;
const SUB = /^[\x21-\x7e]{1,255}$/;

/**
 * Issue 16 item 3: a relying party knows a customer only by the `sub` it was given; for a pairwise client that
 * is a pseudonym, and support needs the customer behind it. Agents' other views keep using CUPIDs.
 */
@ApiTags('agent')
@ApiBearerAuth('agent')
@UseGuards(AgentAuthGuard)
@ApiProblems('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('agent/clients/:clientId/subjects')
export class AgentSubjectsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly pseudonyms: PseudonymsService,
  ) {}

  @Get(':sub')
  @ApiOperation({
    summary: "The customer behind a client's sub (reverse lookup of a pairwise pseudonym)",
    description:
      'A pairwise pseudonym resolves through the mapping, including the one it had before a migration while that ' +
      'version is kept; a public client’s sub is the CUPID. Audited as pseudonym.resolved, found or not.',
  })
  @ApiParam({ name: 'clientId', description: 'The relying party', example: 'brokerage-web' })
  @ApiParam({
    name: 'sub',
    description: "The sub the relying party was given (a pairwise pseudonym, or a public client's CUPID)",
    example: 'Qk3n2mXr7pT0aLq9vW1cYb8eHf5sJd6uZo4iNg2kRlM',
  })
  @ApiOkResponse({ type: SubjectResolutionDto })
  @ApiProblems('NOT_FOUND')
  async resolve(
    @Param('clientId') clientId: string,
    @Param('sub') sub: string,
    @Query() query: SubjectLookupQueryDto,
    @Req() request: AgentRequest,
  ): Promise<SubjectResolutionDto> {
    const problems = [
      ...(CLIENT_ID.test(clientId) ? [] : [{ field: 'clientId', messages: ['clientId must be 3 to 128 characters'] }]),
      ...(SUB.test(sub) ? [] : [{ field: 'sub', messages: ['sub must be 1 to 255 visible characters'] }]),
    ];
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const client = await this.clients.findActive(clientId);
    if (!client) throw new NotFoundProblem('No active client has this id.');
    const cupid = await this.pseudonyms.resolveForAgent(client, sub, agentAction(request, query.reason));
    if (!cupid) throw new NotFoundProblem('This sub names no customer of this client.');
    return { clientId, sub, subjectType: client.subjectType, cupid };
  }
}
