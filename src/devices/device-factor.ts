/** What a bound device is, for the factor rule (a subset of the devices repository's row). */
export interface DeviceStanding {
  cupid: string;
  status: 'ACTIVE' | 'REVOKED';
  /** Bound in a journey that passed a second factor. */
  boundWithMfa: boolean;
}

/**
 * Whether a bound device may act as a factor for this customer (approve a push, stand in for MFA by a
 * proof): it must be theirs, active, and have been bound after a second factor. A device bound with a
 * password alone would turn one factor into two (issue 12; ASVS 6.4.4, NIST 800-63B §6.1.2.1). The
 * journey policy (src/journeys/policy.ts) applies it; the push answer checks it too, since a factor must
 * never take the journey module's word for it.
 */
export function deviceActsAsFactor(device: DeviceStanding | null, cupid: string | null): boolean {
  return Boolean(device && cupid && device.cupid === cupid && device.status === 'ACTIVE' && device.boundWithMfa);
}
