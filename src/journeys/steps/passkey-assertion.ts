import { HttpStatus } from '@nestjs/common';
import { AUDIT_EVENT_TYPES } from '../../audit/audit-events';
import type { AuditService } from '../../audit/audit.service';
import type { Clock } from '../../common/clock';
import { ApiError } from '../../common/problem';
import type { PasskeyCredential, PasskeysRepository } from '../../mfa/passkeys/passkeys.repository';
import { credentialIdOf, PasskeyRelyingParty } from '../../mfa/passkeys/relying-party';
import type { StepRun } from './journey-step';
import { stepAuditBase } from './journey-step';

export interface PasskeyAssertionInput {
  /** The browser's PublicKeyCredential.toJSON() of navigator.credentials.get(). */
  credential?: unknown;
}

/** What a passkey step keeps on its transaction row: the challenge the assertion must sign (single use with the token). */
export interface PasskeyChallenge {
  passkeyChallenge: string;
  challengeExpiresAt: string;
}

export function passkeyInvalid(): ApiError {
  return new ApiError(
    HttpStatus.UNAUTHORIZED,
    'PASSKEY_INVALID',
    'Passkey not accepted',
    'This passkey could not be verified. Try again, choose another factor, or start again.',
  );
}

export function passkeyOptionsRequired(): ApiError {
  return new ApiError(
    HttpStatus.CONFLICT,
    'PASSKEY_OPTIONS_REQUIRED',
    'No passkey challenge yet',
    'Ask for the passkey options first, then sign their challenge.',
  );
}

export type VerifiedAssertion = {
  passkey: PasskeyCredential;
  newCounter: number;
  userVerified: boolean;
  backupState: boolean;
};

/**
 * The checks both passkey steps make, in the journey's transaction (no I/O besides the database): a challenge
 * of this very transaction that has not expired, a known live credential (of `cupid` when the customer is known),
 * a valid signature over that challenge from an allowed origin, user verification when asked, and a counter
 * that grew. Every refusal is audited with its reason; the caller answers PASSKEY_INVALID whatever it is.
 */
export async function checkAssertion(
  run: StepRun<PasskeyAssertionInput>,
  deps: { passkeys: PasskeysRepository; relyingParty: PasskeyRelyingParty; audit: AuditService; clock: Clock },
  options: { cupid: string | null; requireUserVerification: boolean },
): Promise<VerifiedAssertion | { refused: ApiError; countAttempt: boolean }> {
  const { state, transaction, manager, origin, input } = run;
  const challenge = transaction.challenge as Partial<PasskeyChallenge>;
  if (!challenge.passkeyChallenge) return { refused: passkeyOptionsRequired(), countAttempt: false };
  const base = { ...stepAuditBase(state, origin), step: transaction.step };
  const reject = async (reason: string, passkey?: PasskeyCredential) => {
    await deps.audit.record(manager, {
      ...base,
      actor: { type: 'CUSTOMER', id: passkey?.cupid ?? state.context.cupid },
      cupid: passkey?.cupid ?? state.context.cupid,
      type: AUDIT_EVENT_TYPES.PASSKEY_REJECTED,
      outcome: 'FAILURE',
      details: { step: transaction.step, reason, passkeyId: passkey?.id ?? null },
    });
    return { refused: passkeyInvalid(), countAttempt: true };
  };
  if (new Date(challenge.challengeExpiresAt ?? 0) <= deps.clock.now()) return reject('challenge_expired');
  const credentialId = credentialIdOf(input.credential);
  const passkey = credentialId ? await deps.passkeys.findByCredentialId(manager, credentialId) : null;
  if (!passkey) return reject('unknown_credential');
  if (passkey.revokedAt) return reject('revoked', passkey);
  if (options.cupid && passkey.cupid !== options.cupid) return reject('not_yours', passkey);
  const check = await deps.relyingParty.verifyAssertion(
    passkey,
    input.credential,
    challenge.passkeyChallenge,
    options.requireUserVerification,
  );
  if (!check.ok) {
    if (check.reason === 'counter_regressed')
      await deps.audit.record(manager, {
        ...base,
        actor: { type: 'CUSTOMER', id: passkey.cupid },
        cupid: passkey.cupid,
        type: AUDIT_EVENT_TYPES.PASSKEY_COUNTER_REGRESSED,
        outcome: 'FAILURE',
        details: { passkeyId: passkey.id, stored: passkey.signCount, presented: check.presentedCounter ?? null },
      });
    return reject(check.reason, passkey);
  }
  return { passkey, newCounter: check.newCounter, userVerified: check.userVerified, backupState: check.backupState };
}

/**
 * Records the use (counter, backup state, last use) only if nobody used or revoked the credential in between
 * (revocation wins the race), and audits the success.
 */
export async function recordAssertion(
  run: StepRun<PasskeyAssertionInput>,
  deps: { passkeys: PasskeysRepository; audit: AuditService; clock: Clock },
  verified: VerifiedAssertion,
): Promise<boolean> {
  const { state, transaction, manager, origin } = run;
  const { passkey } = verified;
  const recorded = await deps.passkeys.recordUse(manager, passkey.id, {
    expectedCount: passkey.signCount,
    newCount: verified.newCounter,
    backupState: verified.backupState,
    at: deps.clock.now(),
  });
  await deps.audit.record(manager, {
    ...stepAuditBase(state, origin),
    actor: { type: 'CUSTOMER', id: passkey.cupid },
    cupid: passkey.cupid,
    type: recorded ? AUDIT_EVENT_TYPES.PASSKEY_VERIFIED : AUDIT_EVENT_TYPES.PASSKEY_REJECTED,
    outcome: recorded ? 'SUCCESS' : 'FAILURE',
    details: recorded
      ? {
          step: transaction.step,
          passkeyId: passkey.id,
          userVerified: verified.userVerified,
          backupState: verified.backupState,
        }
      : { step: transaction.step, reason: 'revoked', passkeyId: passkey.id },
  });
  return recorded;
}

/**
 * amr (RFC 8176) for a passkey: `hwk` for a device-bound key, `swk` for a synced one (backup eligible: the key
 * leaves the device), `user` for presence, and `mfa` when the authenticator verified the user (a PIN or a
 * biometric unlocks the key: possession plus knowledge or inherence).
 */
export function passkeyAmr(passkey: PasskeyCredential, userVerified: boolean): string[] {
  return [passkey.backupEligible ? 'swk' : 'hwk', 'user', ...(userVerified ? ['mfa'] : [])];
}

export async function passkeyPrepared(
  relyingParty: PasskeyRelyingParty,
  clock: Clock,
  ttlSeconds: number,
  allow: PasskeyCredential[] | null,
  userVerification: 'required' | 'preferred',
  phase?: 'ASSERT',
) {
  const publicKey = await relyingParty.authenticationOptions(allow, userVerification);
  const challenge: PasskeyChallenge = {
    passkeyChallenge: publicKey.challenge,
    challengeExpiresAt: new Date(clock.now().getTime() + ttlSeconds * 1000).toISOString(),
  };
  return { challenge: { ...challenge }, display: { ...(phase ? { phase } : {}), publicKey }, ttlSeconds };
}
