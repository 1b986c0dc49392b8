import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hashSecret, verifySecret } from '../common/passwords';
import { canonicalUsername } from './username';
import {
  CredentialCheck,
  DirectoryUnavailableError,
  DirectoryUser,
  parseStatus,
  UserDirectory,
} from './user-directory.port';

interface FileUser {
  username: string;
  cupid: string;
  passwordHash: string;
  status?: string;
  displayName?: string;
  phoneNumber?: string;
  email?: string;
  mfaRequired?: boolean;
}

/**
 * A JSON directory with argon2id password hashes: the development default, so `npm start` logs demo
 * customers in with no LDAP at hand (README, "Demo customers").
 */
export class FileUserDirectory extends UserDirectory {
  readonly name = 'file';
  private readonly byUsername = new Map<string, FileUser>();
  private readonly byCupid = new Map<string, FileUser>();
  private readonly path: string;
  private readonly document: { users?: FileUser[] };
  /** Rewrites of the file, one after another (two changes at once must not lose one). */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    super();
    this.path = resolve(path);
    const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { users?: FileUser[] };
    this.document = parsed;
    for (const user of parsed.users ?? []) {
      if (!user.username || !user.cupid || !user.passwordHash?.startsWith('$argon2id$')) {
        throw new Error(`${path}: every user needs username, cupid and an argon2id passwordHash`);
      }
      const canonical = canonicalUsername(user.username);
      if (!canonical || this.byUsername.has(canonical))
        throw new Error(`${path}: username "${user.username}" is not valid or not unique`);
      this.byUsername.set(canonical, user);
      this.byCupid.set(user.cupid, user);
    }
  }

  async verifyCredentials(username: string, password: string): Promise<CredentialCheck> {
    // Matched like LDAP's caseIgnoreMatch folds (case, full-width and mathematical letters): one entry per spelling.
    const entry = this.byUsername.get(canonicalUsername(username) ?? '');
    // An unknown username is verified against a decoy hash, so it costs the same time.
    const valid = await verifySecret(entry?.passwordHash, password);
    if (!entry) return { valid: false };
    return valid ? { valid: true, user: toUser(entry) } : { valid: false, user: toUser(entry) };
  }

  async findByUsername(username: string): Promise<DirectoryUser | null> {
    const entry = this.byUsername.get(canonicalUsername(username) ?? '');
    return entry ? toUser(entry) : null;
  }

  async findByCupid(cupid: string): Promise<DirectoryUser | null> {
    const entry = this.byCupid.get(cupid);
    return entry ? toUser(entry) : null;
  }

  /**
   * A new argon2id hash in memory and in the file, rewritten atomically (a temporary file renamed over it), so
   * a crash leaves the old file or the new one, never half of one. Only this instance sees the change at once;
   * the file directory is for development and single-instance use.
   */
  async changePassword(cupid: string, newPassword: string): Promise<boolean> {
    const entry = this.byCupid.get(cupid);
    if (!entry) return false;
    const previous = entry.passwordHash;
    entry.passwordHash = await hashSecret(newPassword);
    const write = this.writes.then(async () => {
      const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, `${JSON.stringify(this.document, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, this.path);
    });
    this.writes = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      entry.passwordHash = previous; // the file still has the old one: stay consistent with it
      throw new DirectoryUnavailableError(error);
    }
    return true;
  }

  async ping(): Promise<void> {
    // A file read at start-up cannot go away.
  }
}

function toUser(entry: FileUser): DirectoryUser {
  return {
    cupid: entry.cupid,
    username: entry.username,
    status: parseStatus(entry.status),
    displayName: entry.displayName ?? null,
    phoneNumber: entry.phoneNumber ?? null,
    email: entry.email ?? null,
    mfaRequired: entry.mfaRequired ?? false,
  };
}
