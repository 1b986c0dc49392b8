import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { NotFoundProblem } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { ApiTokensService } from '../tokens/api-tokens.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { ApiTokenListDto, CreateApiTokenDto, CreatedApiTokenDto, toApiTokenDto } from './dto/api-token.dto';
import { FreshAuthGuard } from './fresh-auth.guard';

/**
 * A customer's API tokens (issue 17, item 8): long-lived credentials, so creating one needs the same fresh
 * step-up as a factor change; listing and revoking do not (revoking only takes access away).
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', 'DEPENDENCY_UNAVAILABLE')
@Controller('me/api-tokens')
export class ApiTokensController {
  constructor(private readonly apiTokens: ApiTokensService) {}

  @Get()
  @ApiOperation({ summary: 'My API tokens', description: 'Live ones, newest first; never their values.' })
  @ApiOkResponse({ type: ApiTokenListDto })
  async list(@Req() request: CustomerRequest): Promise<ApiTokenListDto> {
    return { apiTokens: (await this.apiTokens.list(request.customer.cupid)).map(toApiTokenDto) };
  }

  @Post()
  @UseGuards(FreshAuthGuard)
  @ApiOperation({
    summary: 'Create an API token',
    description:
      'Needs a fresh step-up. The answer carries the token (`ciam_at_…`) this once; it is stored only as its SHA-256.',
  })
  @ApiCreatedResponse({ type: CreatedApiTokenDto })
  @ApiProblems('VALIDATION_FAILED', 'STEP_UP_REQUIRED')
  async create(@Body() body: CreateApiTokenDto, @Req() request: CustomerRequest): Promise<CreatedApiTokenDto> {
    const { row, token } = await this.apiTokens.createForCustomer(
      request.customer.cupid,
      { name: body.name, scopes: body.scopes, expiresInDays: body.expiresInDays ?? 90 },
      requestOrigin(request),
    );
    return { ...toApiTokenDto(row), token };
  }

  @Delete(':apiTokenId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of my API tokens', description: 'It stops working at once.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems('NOT_FOUND')
  async revoke(@Param('apiTokenId', new ParseUUIDPipe()) id: string, @Req() request: CustomerRequest): Promise<void> {
    const { cupid } = request.customer;
    const revoked = await this.apiTokens.end(
      'revoke',
      cupid,
      id,
      { type: 'CUSTOMER', id: cupid },
      'revoked by the customer',
      requestOrigin(request),
    );
    if (!revoked) throw new NotFoundProblem('No live API token of yours has this id.');
  }
}
