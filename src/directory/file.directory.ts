import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifySecret } from '../common/passwords';
import { canonicalUsername } from './username';
import { CredentialCheck, DirectoryUser, parseStatus, UserDirectory } from './user-directory.port';

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

  constructor(path: string) {
    super();
    const parsed = JSON.parse(readFileSync(resolve(path), 'utf8')) as { users?: FileUser[] };
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

  async findByCupid(cupid: string): Promise<DirectoryUser | null> {
    const entry = this.byCupid.get(cupid);
    return entry ? toUser(entry) : null;
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
