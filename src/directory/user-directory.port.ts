import { DependencyUnavailableError } from '../common/problem';

/**
 * The customer directory: credentials and the few attributes a login needs. Nothing it returns is
 * stored in the database except the CUPID; phone and email are shown only masked.
 */
export type DirectoryUserStatus = 'ACTIVE' | 'LOCKED' | 'DISABLED';

export interface DirectoryUser {
  cupid: string;
  username: string;
  status: DirectoryUserStatus;
  displayName: string | null;
  /** E.164; used to send an SMS, never stored or logged. */
  phoneNumber: string | null;
  email: string | null;
  /** The customer always needs a second factor, whatever the risk. */
  mfaRequired: boolean;
}

export type CredentialCheck =
  | { valid: true; user: DirectoryUser }
  /** Wrong password or unknown username; `user` is set only when the username exists. */
  | { valid: false; user?: DirectoryUser };

export class DirectoryUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('the user directory is not answering');
    this.name = 'DirectoryUnavailableError';
    this.cause = cause;
  }
}

/**
 * What a request hears when the directory cannot answer (DirectoryUnavailableError): 503 DEPENDENCY_UNAVAILABLE,
 * failing closed; null for any other error.
 */
export function directoryOutage(error: unknown): DependencyUnavailableError | null {
  return error instanceof DirectoryUnavailableError ? new DependencyUnavailableError('customer directory') : null;
}

/** The directory's answer to `lookup`; when it cannot answer, directoryOutage's 503 instead. */
export function orDirectoryOutage<T>(lookup: Promise<T>): Promise<T> {
  return lookup.catch((error: unknown) => {
    throw directoryOutage(error) ?? error;
  });
}

/** The port (docs/architecture.md, rule 6): an abstract class used as the injection token. */
export abstract class UserDirectory {
  abstract readonly name: string;
  /** Verifies a username and password. Costs the same time whether or not the username exists. */
  abstract verifyCredentials(username: string, password: string): Promise<CredentialCheck>;
  abstract findByCupid(cupid: string): Promise<DirectoryUser | null>;
  /**
   * The entry a username names (a forgot-password journey starts with the username alone): null when none. One
   * search whether or not it exists; the caller keeps its answer the same either way.
   */
  abstract findByUsername(username: string): Promise<DirectoryUser | null>;
  /**
   * Sets a customer's password (a forgotten-password recovery, issue 17): false when the directory has no
   * such customer. The caller enforces the password policy first; the directory hashes the password itself.
   * Throws DirectoryUnavailableError when the directory cannot be reached or refuses the change.
   */
  abstract changePassword(cupid: string, newPassword: string): Promise<boolean>;
  /** Throws DirectoryUnavailableError when the directory cannot be reached (readiness check). */
  abstract ping(): Promise<void>;
}

export function parseStatus(raw: string | undefined | null): DirectoryUserStatus {
  const value = (raw ?? '').trim().toUpperCase();
  return value === 'LOCKED' || value === 'DISABLED' ? value : 'ACTIVE';
}

/** "+44 7700 900123" → "+44 ••• ••• •123": enough to recognise, not enough to use. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length < 6) return '••••';
  return `${digits.slice(0, 3)}•••••${digits.slice(-3)}`;
}
