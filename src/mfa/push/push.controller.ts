import { Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../../common/problem.dto';
import { requestOrigin } from '../../common/request-origin';
import { PushAnswersService } from './push-answers.service';
import { PushSender } from './push-sender.port';
import { LogPushSender } from './push-senders';

export class PushAnswerDto {
  @ApiProperty({ enum: ['approve', 'deny'] })
  @IsIn(['approve', 'deny'])
  decision: 'approve' | 'deny';

  @ApiProperty({ example: 42, description: 'The number the customer typed, as shown at sign-in' })
  @IsInt()
  @Min(10)
  @Max(99)
  number: number;

  @ApiProperty({
    description:
      'Compact JWS (ES256; header kid = the device key\'s RFC 7638 thumbprint) over {"pushChallengeId","number","decision"}',
    example:
      'eyJhbGciOiJFUzI1NiIsImtpZCI6Ik56YkxzWGg4dUQifQ.eyJwdXNoQ2hhbGxlbmdlSWQiOiIxYjJjIiwibnVtYmVyIjo0MiwiZGVjaXNpb24iOiJhcHByb3ZlIn0.MEQCIB3k',
  })
  @IsString()
  @Length(20, 8192)
  signature: string;
}

export class PushAnswerResultDto {
  @ApiProperty({ enum: ['approved', 'denied'] }) status: string;
}

/** What bound devices call. Authenticated by the device key's signature, not by a bearer token. */
@ApiTags('devices')
@Controller()
export class PushController {
  constructor(
    private readonly answers: PushAnswersService,
    private readonly push: PushSender,
  ) {}

  @Post('devices/push-challenges/:pushChallengeId/response')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A bound device answers a push challenge',
    description: 'Approve (with the number shown at sign-in) or deny, signed by the device key.',
  })
  @ApiOkResponse({ type: PushAnswerResultDto })
  @ApiProblems(
    'VALIDATION_FAILED',
    'WRONG_NUMBER',
    'SIGNATURE_REJECTED',
    'NOT_FOUND',
    'PUSH_ALREADY_ANSWERED',
    'PUSH_EXPIRED',
    'DEPENDENCY_UNAVAILABLE',
  )
  answer(
    @Param('pushChallengeId', new ParseUUIDPipe()) pushChallengeId: string,
    @Body() body: PushAnswerDto,
    @Req() request: FastifyRequest,
  ) {
    return this.answers.answer(pushChallengeId, body, requestOrigin(request));
  }

  /** GET /dev/push-outbox: what the development push adapter "sent" (PUSH_PROVIDER=log only; refused in production). */
  @Get('dev/push-outbox')
  @ApiExcludeEndpoint()
  outbox() {
    if (!(this.push instanceof LogPushSender)) throw new NotFoundException();
    return this.push.outbox();
  }
}
