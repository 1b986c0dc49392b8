import { Body, Controller, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { assuranceRank, LOA2, LOA3 } from '../common/assurance';
import { Clock } from '../common/clock';
import { ApiJourneyProblems, ApiProblems } from '../common/problem.dto';
import { requestOrigin } from '../common/request-origin';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { transactionHash } from '../common/transaction-binding';
import { JOURNEY_RESPONSE } from '../journeys/dto/journey-response.dto';
import { InvalidJourneyRequestError } from '../journeys/journey-errors';
import { JourneyService, JourneyView } from '../journeys/journey.service';
import { isSessionLive, SessionsService } from '../sessions/sessions.service';
import { CustomerAuthGuard } from './customer-auth.guard';
import type { CustomerRequest } from './customer-auth.guard';
import { StartStepUpDto } from './dto/step-up.dto';

/**
 * Step-up for first-party frontends (issue 15): before a payment, the app asks for more assurance on the
 * session its access token belongs to. The journey skips the password and asks only the missing factor;
 * the same session's acr/amr grow. With a transaction, the push prompt shows it and the device signs its hash
 * (dynamic linking), which alone reaches loa3; the completed answer returns that hash (`transactionHash`), and
 * the code's tokens carry the raised acr.
 *
 * Re-authentication (issue 17 item 5): a factor change under /me needs a recent sign-in (FreshAuthGuard). When the
 * session's auth_time is older than `maxAge` (OIDC Core §3.1.2.1's max_age, asked by the frontend) or than
 * FACTOR_CHANGE_MAX_AGE_SECONDS, the step-up asks one second factor again even at the level already reached
 * (never the password: the session is live), and its pass renews auth_time. Without a factor passed, nothing is renewed.
 */
@ApiTags('self-service')
@ApiBearerAuth('customer')
@UseGuards(CustomerAuthGuard)
@ApiProblems('UNAUTHENTICATED', 'FORBIDDEN')
@Controller('me')
export class StepUpController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly journeys: JourneyService,
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
  ) {}

  @Post('step-up')
  @ApiOperation({
    summary: 'Step up my session',
    description:
      'Starts a journey bound to the session of this token that asks only for what its level lacks (never the password). ' +
      'When its last authentication is older than maxAge or FACTOR_CHANGE_MAX_AGE_SECONDS, it asks one second factor ' +
      'again (a re-authentication), whose pass renews auth_time for the factor changes under /me. ' +
      'Continue it with the journey step operations; it completes with a code for the token endpoint.',
  })
  @ApiCreatedResponse({ schema: JOURNEY_RESPONSE, description: 'The step-up journey and its first step' })
  @ApiJourneyProblems('VALIDATION_FAILED', 'INVALID_JOURNEY_REQUEST', 'DEPENDENCY_UNAVAILABLE')
  async start(@Body() body: StartStepUpDto, @Req() request: CustomerRequest): Promise<JourneyView> {
    const { cupid, sessionId, clientId } = request.customer;
    const session = await this.sessions.findById(sessionId);
    if (!session || session.cupid !== cupid || !isSessionLive(session, this.clock.now()))
      throw new InvalidJourneyRequestError('the session of this token has ended');
    const transaction = body.transaction ? { ...body.transaction, hash: transactionHash(body.transaction) } : undefined;
    // A transaction is approved only by a factor that shows and signs it: loa3 (src/common/assurance.ts).
    const acr = transaction ? LOA3 : (body.acr ?? LOA2);
    if (assuranceRank(acr) < 2) throw new InvalidJourneyRequestError('a step-up asks for urn:ciam:loa:2 or higher');
    const ageSeconds = (this.clock.now().getTime() - session.authTime.getTime()) / 1000;
    const reauthenticate =
      (body.maxAge !== undefined && ageSeconds > body.maxAge) || ageSeconds > this.config.factorChange.maxAgeSeconds;
    // Nothing to ask would raise nothing: refused rather than renewing auth_time without an authentication.
    if (!transaction && !reauthenticate && assuranceRank(session.acr) >= assuranceRank(acr))
      throw new InvalidJourneyRequestError('the session already has this level of assurance');
    const view = await this.journeys.start(
      {
        clientId,
        redirectUri: body.redirectUri,
        codeChallenge: body.codeChallenge,
        codeChallengeMethod: 'S256',
        scope: body.scope ?? 'openid',
        nonce: body.nonce,
        state: body.state,
        channel: 'API',
        startedBy: 'api',
        cupid,
        options: {
          acr,
          stepUp: {
            sessionId: session.id,
            acr: session.acr,
            amr: session.amr,
            ...(reauthenticate ? { reauthenticate: true } : {}),
          },
          ...(transaction ? { transaction } : {}),
        },
      },
      requestOrigin(request),
    );
    // The cookie is a browser's (set only for journeys /oauth2/authorize started): never in this answer.
    delete view.sessionCookie;
    return view;
  }
}
