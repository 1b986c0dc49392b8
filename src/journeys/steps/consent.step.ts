import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import { ConsentRecordsRepository } from '../../consents/consent-records.repository';
import { consentWanted, coveredBy } from '../../consents/consent-rule';
import { describeScopes } from '../../consents/scope-wording';
import { ConsentRevocationService } from '../../tokens/consent-revocation.service';
import type { AuthContext } from '../auth-context.entity';
import type { JourneyState } from '../policy';
import { JourneyStep, PreparedStep, StepOutcome, StepRun, stepAuditBase } from './journey-step';

export interface ConsentInput {
  scopes: string[];
}

const scopesInvalid = (detail: string) =>
  new ApiError(HttpStatus.BAD_REQUEST, 'CONSENT_SCOPES_INVALID', 'Scopes not grantable', detail);

/**
 * CONSENT (issue 16 item 2): the customer allows a client the scopes it asked for, all or some. Asked last,
 * after everything that authenticates, only in journeys started by /oauth2/authorize (a client's own API
 * journey or a /me step-up has no client to consent to), when the rule of src/consents/consent-rule.ts says so:
 * prompt=consent, or a third-party client whose requested scopes are not all on record and live. A first-party
 * client has consent implied for its registered scopes, and this check reads nothing for it.
 *
 * The answer names the scopes granted (openid mandatory); they are recorded in consent_records and audited in
 * the step's transaction, and the tokens get the requested scopes ∩ the granted ones (JourneyCompletion). The
 * answer is the record: a requested scope left unticked that was allowed earlier is withdrawn in the same
 * transaction, exactly as /me/consents withdraws it (ConsentRevocationService: the client's tokens and codes
 * carrying it die, audited as consent.revoked), as a customer unticking a box expects (Google's granular consent
 * behaves so). Scopes not asked for this time stay as they are. Granting none denies and changes no record: the
 * journey ends and the browser goes back to the client with error=access_denied (RFC 6749 §4.1.2.1).
 */
@Injectable()
export class ConsentStep extends JourneyStep<ConsentInput> {
  readonly kind = 'CONSENT' as const;
  readonly role = 'authorization' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly consents: ConsentRecordsRepository,
    private readonly revocation: ConsentRevocationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    super();
  }

  maxTries(): number {
    return 3;
  }

  override async availableFor(state: JourneyState): Promise<boolean> {
    const { context, client } = state;
    // Only a browser authorization request has a client to consent to and a redirect URI to return to.
    if (!context.options?.browser || !context.redirectUri || !context.cupid) return false;
    const wanted = consentWanted(client, context.options.consentPrompt === true);
    if (wanted !== 'check') return wanted === 'ask';
    return !coveredBy(
      context.requestedScopes,
      await this.consents.liveScopes(state.db, context.cupid, client.clientId),
    );
  }

  override async prepare(context: AuthContext, state: JourneyState): Promise<PreparedStep> {
    const live = await this.consents.liveScopes(state.db, context.cupid!, state.client.clientId);
    return {
      challenge: { requested: context.requestedScopes },
      display: {
        client: { clientId: state.client.clientId, name: state.client.name },
        scopes: describeScopes(context.requestedScopes, state.client.allowedClaims ?? null, live),
      },
    };
  }

  async complete({ state, input, origin, manager }: StepRun<ConsentInput>): Promise<StepOutcome> {
    const { context, client } = state;
    const requested = context.requestedScopes;
    const granted = [...new Set(input.scopes)];
    const base = stepAuditBase(state, origin);
    if (granted.length === 0) {
      await this.audit.record(manager, {
        ...base,
        type: AUDIT_EVENT_TYPES.CONSENT_DENIED,
        outcome: 'FAILURE',
        details: { requested },
      });
      return { kind: 'failed', error: this.denied(context), reason: 'consent denied' };
    }
    const beyond = granted.filter((scope) => !requested.includes(scope));
    if (beyond.length > 0)
      return {
        kind: 'retry-same-token',
        error: scopesInvalid(`Not asked for by the client: ${beyond.join(' ')}.`),
        countAttempt: true,
      };
    if (requested.includes('openid') && !granted.includes('openid'))
      return {
        kind: 'retry-same-token',
        error: scopesInvalid('openid cannot be left out: without it there is no sign-in.'),
        countAttempt: true,
      };
    const ordered = requested.filter((scope) => granted.includes(scope));
    await this.consents.grant(manager, context.cupid!, client.clientId, ordered, this.clock.now());
    await this.audit.record(manager, {
      ...base,
      type: AUDIT_EVENT_TYPES.CONSENT_GRANTED,
      outcome: 'SUCCESS',
      details: { scopes: ordered, requested, forced: context.options?.consentPrompt === true },
    });
    const unticked = requested.filter((scope) => !granted.includes(scope));
    // Costs nothing when every box is ticked, one statement when none of the unticked ones is on record.
    if (unticked.length > 0)
      await this.revocation.revokeIn(
        manager,
        {
          cupid: context.cupid!,
          clientId: client.clientId,
          scopes: unticked,
          by: { type: 'CUSTOMER', id: context.cupid! },
          reason: 'unticked at the consent screen',
          origin,
          contextId: context.id,
        },
        // The session this journey joins or steps up gets the client's new tokens now: no logout for it.
        { backchannel: Boolean(client.backchannelLogoutUri), sparedSessionId: context.options?.stepUp?.sessionId },
      );
    return { kind: 'passed', facts: { amr: [], consentedScopes: ordered } };
  }

  /** RFC 6749 §4.1.2.1: the client hears access_denied at its redirect URI, with its state and our issuer (RFC 9207). */
  private denied(context: AuthContext): ApiError {
    const target = new URL(context.redirectUri!);
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_description', 'the customer did not allow the access asked for');
    if (context.state) target.searchParams.set('state', context.state);
    target.searchParams.set('iss', this.config.oidc.issuer);
    return new ApiError(
      HttpStatus.FORBIDDEN,
      'CONSENT_DENIED',
      'Consent denied',
      'The customer allowed none of the access asked for; the browser goes back to the application.',
      { redirectTo: target.toString() },
    );
  }
}
