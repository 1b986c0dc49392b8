import type { AuditEvent } from '../audit/audit.service';
import { assuranceRank, highestAcr, LOA1, LOA2, levelFor } from '../common/assurance';
import type { EntityManager } from 'typeorm';
import type { OAuthClient } from '../clients/oauth-client.entity';
import type { DirectoryUser } from '../directory/user-directory.port';
import type { DrsRecommendation } from '../risk/drs-evaluation.entity';
import type { AuthContext } from './auth-context.entity';
import type { AuthStepKind } from './auth-transaction.entity';
import type { JourneyStep, StepFacts } from './steps/journey-step';

/** Everything policy decides from: the journey, its client, the steps passed so far and the risk. */
export interface JourneyState {
  context: AuthContext;
  client: OAuthClient;
  passed: Array<{ step: AuthStepKind; facts: StepFacts }>;
  risk: DrsRecommendation | null;
  /** What this request learned that is not stored (never customer data at rest). */
  transient: TransientFacts;
  /** The journey's database transaction: steps read through it (their own writes included). */
  db: EntityManager;
}

/**
 * What one request carries between the engine, its step and policy without storing it: the directory's
 * answer about the customer and the password step's failure count are personal data or only meaningful
 * now, so they live for this request only (a later request looks them up again). Every field is optional:
 * a request knows only what its own step or the engine's lookup found out.
 */
export interface TransientFacts {
  /**
   * The customer's directory entry, read outside any transaction: by the password step, or by the engine
   * before a step that needs it (`needsCustomer`). null: the directory has no such customer; absent: not
   * looked up, or the directory was down.
   */
  user?: DirectoryUser | null;
  /** Failed password attempts on the account before this success (risk's failure velocity). */
  accountFailures?: number;
  /** The journey was created in this request: it has no transaction yet, so there is none to void. */
  newJourney?: boolean;
  /** This request spent the journey's only pending transaction: none is left to void. */
  noPendingLeft?: boolean;
  /**
   * A journey not written yet, with its audit events: the first step's token is written with them, in one
   * statement (JourneyCompletion.issueTransaction), so a journey start needs no transaction.
   */
  unwritten?: { journey: AuthContext; audit: AuditEvent[] };
}

export type Decision =
  | { next: 'STEP'; steps: JourneyStep[] }
  | { next: 'EVALUATE_RISK' }
  | {
      next: 'COMPLETE';
      amr: string[];
      acr: string;
      trustedDeviceId: string | null;
      /** Set when the frontend asked to bind this device but no second factor could be done: it stays unbound. */
      bindingRefused?: 'no second factor available';
    }
  | { next: 'FAIL'; reason: string; denied: boolean };

/** The levels are defined in src/common/assurance.ts; these names stay for the policy's readers. */
export const LOA_PASSWORD = LOA1;
export const LOA_MFA = LOA2;

/**
 * The order of a journey: primary credentials; a risk evaluation (DENY ends it); the proof of a bound
 * device when the device claims to be one and risk says ALLOW; a second factor when risk says CHALLENGE
 * or the customer always needs one, unless the device proof stands in for it; documents to sign; the
 * binding of this device when the frontend asked, which itself needs a second factor in this journey
 * (a password alone never creates a factor: issue 12, ASVS 6.4.4 and NIST 800-63B §6.1.2.1, binding an
 * authenticator needs the existing factors); the customer's consent to the client (issue 16: a third-party
 * client, or prompt=consent); then tokens. Steps say which of these they are
 * (their role); policy returns every step that could satisfy the next requirement, so the frontend can
 * offer a choice.
 */
export async function decide(state: JourneyState, steps: JourneyStep[]): Promise<Decision> {
  const passedKinds = new Set(state.passed.map((entry) => entry.step));
  const withRole = (role: JourneyStep['role']) => steps.filter((step) => step.role === role);
  const passedAny = (role: JourneyStep['role']) => withRole(role).some((step) => passedKinds.has(step.kind));
  /** Steps of a role that apply now; once-only roles skip steps already passed (consent and enrolment ask their own data). */
  const available = async (role: JourneyStep['role'], oncePerJourney = true) => {
    const found: JourneyStep[] = [];
    for (const step of withRole(role))
      if (!(oncePerJourney && passedKinds.has(step.kind)) && (await step.availableFor(state))) found.push(step);
    return found;
  };

  if (state.context.options?.purpose === 'password_reset') return decideReset(state, passedAny, withRole);

  // The level of assurance asked for (acr_values, an essential acr claim, the client's minimum): 0 when none.
  const required = assuranceRank(state.context.options?.acr);
  const transactionBound = state.passed.some((entry) => entry.facts.transactionBound === true);
  const stepUp = state.context.options?.stepUp;
  if (stepUp) {
    // Step-up (issue 15): the customer signed in already (the session); only what is missing is asked, never
    // the password again, and no new risk evaluation (the session's sign-in had one). A re-authentication
    // (issue 17 item 5: the sign-in is too old for a factor change) asks one second factor again whatever the
    // session's level: auth_time is renewed only by a factor passed in this journey, never for free.
    const reauthenticate = stepUp.reauthenticate === true;
    const mfaDone = passedAny('second-factor') || (!reauthenticate && assuranceRank(stepUp.acr) >= 2);
    const needsBinding = required >= 3 && !transactionBound;
    if (((required >= 2 || reauthenticate) && !mfaDone) || needsBinding) {
      // A transaction to approve is asked of the factors that show and sign it; otherwise any second factor.
      const factors = (await available('second-factor')).filter((step) => !needsBinding || step.bindsTransaction);
      if (factors.length > 0 && !passedAny('second-factor')) return { next: 'STEP', steps: factors };
      return { next: 'FAIL', reason: 'the level of assurance asked for cannot be reached', denied: false };
    }
    // Consent to the client comes last here too: a single sign-on or a step-up that lacks only that asks only that.
    const consent = await available('authorization');
    if (consent.length > 0) return { next: 'STEP', steps: consent.slice(0, 1) };
    return {
      next: 'COMPLETE',
      amr: [...new Set([...stepUp.amr, ...state.passed.flatMap((entry) => entry.facts.amr)])],
      // Never lower than the session had: re-authenticating a loa3 session keeps loa3 (a union, like amr).
      acr: highestAcr([stepUp.acr, levelFor({ secondFactor: mfaDone, transactionBound })]) ?? LOA1,
      trustedDeviceId: null,
    };
  }

  // A sign-in at an upstream provider whose subject is linked to no CUPID yet (issue 21): the customer proves a
  // CUPID with the password (then the policy's factors, below) and the link is made when the journey completes.
  if (!state.context.cupid && state.passed.some((entry) => entry.facts.linkPending === true))
    return {
      next: 'STEP',
      steps: withRole('primary')
        .filter((step) => !step.passwordless)
        .slice(0, 1),
    };
  if (!passedAny('primary')) {
    // A journey started for a passkey (passwordless) asks for a discoverable credential instead of the password.
    const passwordless = state.context.options?.passwordless === true;
    // /oauth2/authorize?idp_hint=<provider>: the upstream provider's step first (the page goes there at once).
    const first: JourneyStep[] = [];
    if (state.context.options?.idpHint)
      for (const step of withRole('primary')) if (await step.hintedFor(state)) first.push(step);
    // Otherwise the password, with the passwordless steps as alternatives its token may switch to (the hosted
    // page's "Sign in with a passkey", "Sign in with <provider>"): the first step is the one shown, the others
    // are only choices; an alternative the service cannot do now (no provider configured) is left out.
    const primary = withRole('primary').filter((step) => step.passwordless === passwordless && !first.includes(step));
    const alternatives: JourneyStep[] = [];
    if (!passwordless)
      for (const step of withRole('primary'))
        if (step.passwordless && !first.includes(step) && (await step.availableFor(state))) alternatives.push(step);
    return { next: 'STEP', steps: [...first, ...primary.slice(0, 1), ...alternatives] };
  }
  if (state.risk === null) return { next: 'EVALUATE_RISK' };
  if (state.risk === 'DENY') return { next: 'FAIL', reason: 'risk evaluation denied the sign-in', denied: true };

  // A bound device proves itself only when risk allows it to count.
  if (state.risk === 'ALLOW' && !passedAny('device-proof')) {
    const proofs = await available('device-proof');
    if (proofs.length > 0) return { next: 'STEP', steps: proofs };
  }
  const deviceVerified = state.risk === 'ALLOW' && state.passed.some((entry) => entry.facts.deviceVerified === true);
  // Linking a provider that stands in for the second factor needs one in this journey: a password alone never
  // creates a factor (as for a device binding).
  const linkNeedsMfa = state.passed.some((entry) => entry.facts.linkNeedsMfa === true);
  const mfaRequired =
    (state.risk === 'CHALLENGE' ||
      required >= 2 ||
      linkNeedsMfa ||
      state.passed.some((entry) => entry.facts.mfaRequired === true)) &&
    !deviceVerified;
  // A user-verified passkey sign-in proved two factors in one step (possession and a PIN or biometric).
  const mfaPassed = passedAny('second-factor') || state.passed.some((entry) => entry.facts.multiFactor === true);
  // Binding asks for a second factor even where the sign-in alone would not (a step-up for the binding).
  const bindingWanted = state.context.bindDevice && !passedKinds.has('DEVICE_BIND');
  if ((mfaRequired || bindingWanted) && !mfaPassed) {
    const factors = await available('second-factor');
    if (factors.length > 0) return { next: 'STEP', steps: factors };
    if (mfaRequired)
      return { next: 'FAIL', reason: 'a second factor is required and the customer has none available', denied: false };
    // Binding only: the sign-in goes on and the device stays unbound (the binding step is not available).
  }

  for (const role of ['consent', 'enrolment'] as const) {
    const due = await available(role, false);
    if (due.length > 0) return { next: 'STEP', steps: due.slice(0, 1) };
  }
  // The customer's consent to the client (issue 16), last: asked only of someone fully signed in, once a journey.
  const authorization = await available('authorization');
  if (authorization.length > 0) return { next: 'STEP', steps: authorization.slice(0, 1) };

  const amr = [...new Set(state.passed.flatMap((entry) => entry.facts.amr))];
  const trustedDeviceId =
    [...state.passed]
      .reverse()
      .map((entry) => entry.facts.trustedDeviceId)
      .find((id): id is string => typeof id === 'string') ?? null;
  // A provider's own level counts where its sign-in stands in for the second factor (federatedAcr, issue 21).
  const acr =
    highestAcr([
      levelFor({ secondFactor: mfaPassed || deviceVerified, transactionBound }),
      ...state.passed.map((entry) => (typeof entry.facts.federatedAcr === 'string' ? entry.facts.federatedAcr : null)),
    ]) ?? LOA1;
  // A level asked for and not reached (loa3 needs a transaction approved by the factor) ends the journey.
  if (assuranceRank(acr) < required)
    return { next: 'FAIL', reason: 'the level of assurance asked for cannot be reached', denied: false };
  return {
    next: 'COMPLETE',
    amr,
    acr,
    trustedDeviceId,
    ...(bindingWanted && !mfaPassed ? { bindingRefused: 'no second factor available' as const } : {}),
  };
}

/** The factors a forgot-password journey offers: what the customer holds without their password. */
export const RESET_FACTORS: readonly AuthStepKind[] = ['SMS_OTP', 'EMAIL_OTP', 'TOTP', 'PASSKEY', 'RECOVERY_CODE'];

/**
 * A forgot-password journey (issue 17, item 6): the username, one registered factor, the new password, then
 * the end (no session: the customer signs in with the new password). The factors are offered as they are, not
 * filtered by what the named account has: the offer must be the same for every username, known or not, until
 * a factor is proven (ASVS 6.3.8); a factor the account lacks simply never passes. Only what the service itself
 * cannot do is left out (email codes without an email provider: JourneyStep.offeredByService). No risk evaluation: nothing
 * is signed in.
 */
function decideReset(
  state: JourneyState,
  passedAny: (role: JourneyStep['role']) => boolean,
  withRole: (role: JourneyStep['role']) => JourneyStep[],
): Decision {
  if (!passedAny('reset-identify')) return { next: 'STEP', steps: withRole('reset-identify') };
  if (!passedAny('second-factor')) {
    const factors = withRole('second-factor').filter(
      (step) => RESET_FACTORS.includes(step.kind) && step.offeredByService(),
    );
    return { next: 'STEP', steps: factors };
  }
  if (!passedAny('reset-password')) return { next: 'STEP', steps: withRole('reset-password') };
  return {
    next: 'COMPLETE',
    amr: [...new Set(state.passed.flatMap((entry) => entry.facts.amr))],
    acr: LOA1,
    trustedDeviceId: null,
  };
}

/** The device rule lives beside the devices (a factor may not import the journeys); policy states it here too. */
export { deviceActsAsFactor } from '../devices/device-factor';
export type { DeviceStanding } from '../devices/device-factor';

/**
 * Whether the journey passed a second factor that did not come from the device with this key: a push
 * approved by a device cannot vouch for that same device (renew its trust window, or bind it again).
 * With no key given, any second factor counts.
 */
export function independentSecondFactor(passed: JourneyState['passed'], deviceThumbprint: string | null): boolean {
  return passed.some(
    (entry) =>
      entry.facts.secondFactor === true &&
      (deviceThumbprint === null || entry.facts.factorDeviceThumbprint !== deviceThumbprint),
  );
}
