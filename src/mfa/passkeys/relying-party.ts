import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { sha256 } from '../../common/crypto';
import { APP_CONFIG } from '../../config/config';
import type { AppConfig } from '../../config/config';
import type { PasskeyCredential } from './passkeys.repository';

export type AssertionCheck =
  | {
      ok: true;
      newCounter: number;
      userVerified: boolean;
      backupState: boolean;
    }
  | { ok: false; reason: 'invalid' | 'counter_regressed' | 'user_not_verified'; presentedCounter?: number };

export interface RegisteredPasskey {
  credentialId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backupState: boolean;
  userVerified: boolean;
}

/**
 * The WebAuthn relying party (@simplewebauthn/server): options for the browser, and verification of what it
 * answers against this RP ID and these origins (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS). Pure computation, no I/O:
 * it runs inside the journeys' short transactions without calling anything.
 */
@Injectable()
export class PasskeyRelyingParty {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * The user handle given to authenticators: a hash of the CUPID, never the CUPID itself nor anything personal
   * (WebAuthn §14.6.1: the handle must not reveal the account), and stable, so one account has one handle.
   */
  userHandle(cupid: string): Uint8Array {
    return new Uint8Array(sha256(`passkey-user-handle:${cupid}`));
  }

  registrationOptions(
    cupid: string,
    user: { name: string; displayName: string },
    existing: PasskeyCredential[],
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.config.webauthn.rpName,
      rpID: this.config.webauthn.rpId,
      userName: user.name,
      userDisplayName: user.displayName,
      userID: this.userHandle(cupid) as Uint8Array<ArrayBuffer>,
      timeout: this.config.webauthn.challengeTtlSeconds * 1000,
      // No attestation: we do not restrict authenticator models, and "none" reveals nothing about the device.
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports as AuthenticatorTransport[],
      })),
      // A discoverable credential (passwordless sign-in needs it) with user verification: possession + inherence/PIN.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Verifies a registration response against the challenge it must sign; null when it does not verify. */
  async verifyRegistration(response: unknown, expectedChallenge: string): Promise<RegisteredPasskey | null> {
    try {
      const result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
      });
      if (!result.verified) return null;
      const info = result.registrationInfo;
      return {
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey),
        signCount: info.credential.counter,
        transports: info.credential.transports ?? [],
        aaguid: info.aaguid,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backupState: info.credentialBackedUp,
        userVerified: info.userVerified,
      };
    } catch {
      // A malformed or forged response is a refusal, never a 500 (the library throws on every defect).
      return null;
    }
  }

  /**
   * Request options: for a second factor, the customer's own credentials (allowCredentials); for passwordless,
   * none, so the authenticator offers its discoverable credentials for this RP (WebAuthn §5.1.4).
   */
  authenticationOptions(
    allow: PasskeyCredential[] | null,
    userVerification: 'required' | 'preferred',
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      timeout: this.config.webauthn.challengeTtlSeconds * 1000,
      userVerification,
      ...(allow
        ? {
            allowCredentials: allow.map((passkey) => ({
              id: passkey.credentialId,
              transports: passkey.transports as AuthenticatorTransport[],
            })),
          }
        : {}),
    });
  }

  /**
   * Verifies an assertion by this credential over `expectedChallenge`. The signature counter is checked here,
   * not by the library (it is given 0, which disables its own check): a counter that does not grow, where
   * either side is non-zero, means a cloned authenticator (WebAuthn §6.1.1) and is refused with its own reason.
   * Authenticators without a counter (synced passkeys) always say 0 and pass.
   */
  async verifyAssertion(
    passkey: PasskeyCredential,
    response: unknown,
    expectedChallenge: string,
    requireUserVerification: boolean,
  ): Promise<AssertionCheck> {
    let info;
    try {
      const result = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey) as Uint8Array<ArrayBuffer>,
          counter: 0,
          transports: passkey.transports as AuthenticatorTransport[],
        },
        requireUserVerification: false,
      });
      if (!result.verified) return { ok: false, reason: 'invalid' };
      info = result.authenticationInfo;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    // The user handle, when the authenticator gives one, must be this credential's customer's.
    const handle = (response as AuthenticationResponseJSON).response?.userHandle;
    if (handle && handle !== Buffer.from(this.userHandle(passkey.cupid)).toString('base64url'))
      return { ok: false, reason: 'invalid' };
    if (requireUserVerification && !info.userVerified) return { ok: false, reason: 'user_not_verified' };
    if ((info.newCounter > 0 || passkey.signCount > 0) && info.newCounter <= passkey.signCount)
      return { ok: false, reason: 'counter_regressed', presentedCounter: info.newCounter };
    return {
      ok: true,
      newCounter: info.newCounter,
      userVerified: info.userVerified,
      backupState: info.credentialBackedUp,
    };
  }
}

/** The credential id an assertion or registration response names, if it has the shape of one. */
export function credentialIdOf(response: unknown): string | null {
  const id = (response as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,1400}$/.test(id) ? id : null;
}

/** The challenge a response's clientDataJSON says it signed (checked again by the verification). */
export function challengeOf(response: unknown): string | null {
  const data = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof data !== 'string' || data.length > 4096) return null;
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' && parsed.challenge.length <= 512 ? parsed.challenge : null;
  } catch {
    return null;
  }
}
