import { randomBytes } from 'node:crypto';
import { Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';
import type { Entry, Filter } from 'ldapts';
import type { AppConfig } from '../config/config';
import { DependencyMeter, DependencyOutcome, meteredCall, Meters } from '../common/meters';
import {
  CredentialCheck,
  DirectoryUnavailableError,
  DirectoryUser,
  parseStatus,
  UserDirectory,
} from './user-directory.port';

type LdapSettings = AppConfig['directory']['ldap'];

/**
 * The customer directory in LDAP (ldapts): a service bind finds the customer by username, then a bind
 * as the customer checks the password. Usernames reach the server only inside an equality filter
 * (escaped per RFC 4515), never spliced into a filter string.
 */
export class LdapUserDirectory extends UserDirectory {
  readonly name = 'ldap';
  private readonly bindMeter?: DependencyMeter;
  private readonly searchMeter?: DependencyMeter;
  private readonly modifyMeter?: DependencyMeter;

  constructor(
    private readonly settings: LdapSettings,
    meters?: Meters,
  ) {
    super();
    this.bindMeter = meters?.dependency('ldap', 'bind');
    this.searchMeter = meters?.dependency('ldap', 'search');
    this.modifyMeter = meters?.dependency('ldap', 'modify');
  }

  async verifyCredentials(username: string, password: string): Promise<CredentialCheck> {
    // RFC 4513 §5.1.2: a bind with an empty password is an unauthenticated bind and "succeeds".
    if (password.length === 0 || username.length === 0) return { valid: false };
    return this.withServiceBind(async (client) => {
      const entry = await this.findOne(
        client,
        new EqualityFilter({ attribute: this.settings.usernameAttribute, value: username }),
      );
      if (!entry) {
        // Same work as for a real customer, so the time to answer does not say the username is unknown.
        await this.bindAs(
          client,
          `${this.settings.usernameAttribute}=${randomBytes(12).toString('hex')},${this.settings.baseDn}`,
          password,
        );
        return { valid: false };
      }
      const user = this.toUser(entry);
      return (await this.bindAs(client, entry.dn, password)) ? { valid: true, user } : { valid: false, user };
    });
  }

  async findByCupid(cupid: string): Promise<DirectoryUser | null> {
    return this.withServiceBind(async (client) => {
      const entry = await this.findOne(
        client,
        new EqualityFilter({ attribute: this.settings.cupidAttribute, value: cupid }),
      );
      return entry ? this.toUser(entry) : null;
    });
  }

  /**
   * RFC 3062 Password Modify extended operation, as the service account: the server hashes the new password
   * with its own scheme (slapd's password-hash) and runs its password policy. The service account needs write
   * access to userPassword (`access to attrs=userPassword by dn.exact="<LDAP_BIND_DN>" write ...`).
   */
  async changePassword(cupid: string, newPassword: string): Promise<boolean> {
    return this.withServiceBind(async (client) => {
      const entry = await this.findOne(
        client,
        new EqualityFilter({ attribute: this.settings.cupidAttribute, value: cupid }),
      );
      if (!entry) return false;
      await this.timed('modify', () => client.exop(PASSWORD_MODIFY_OID, passwordModifyRequest(entry.dn, newPassword)));
      return true;
    });
  }

  async ping(): Promise<void> {
    await this.withServiceBind(async () => undefined);
  }

  /**
   * One connection per operation, bound as the service account; any failure but a wrong password is an
   * outage. The whole exchange (service bind, search, customer bind) has one budget, the connect timeout
   * plus the operation timeout: a directory answering each operation just in time must not hold a login
   * for several timeouts.
   */
  private async withServiceBind<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({
      url: this.settings.url,
      connectTimeout: this.settings.connectTimeoutMs,
      timeout: this.settings.timeoutMs,
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new DirectoryUnavailableError(new Error('no complete answer within the directory timeouts'))),
        this.settings.connectTimeoutMs + this.settings.timeoutMs,
      );
    });
    try {
      return await Promise.race([
        (async () => {
          await this.timed('bind', () => client.bind(this.settings.bindDn, this.settings.bindPassword));
          return work(client);
        })(),
        deadline,
      ]);
    } catch (error) {
      throw error instanceof DirectoryUnavailableError ? error : new DirectoryUnavailableError(error);
    } finally {
      clearTimeout(timer);
      // Closing the socket also ends an operation still waiting past the deadline.
      await client.unbind().catch(() => undefined);
    }
  }

  /** True when the password is right; false on LDAP result 49 (invalid credentials); throws otherwise. */
  private async bindAs(client: Client, dn: string, password: string): Promise<boolean> {
    try {
      await this.timed('bind', () => client.bind(dn, password));
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw error;
    }
  }

  private async findOne(client: Client, filter: Filter): Promise<Entry | undefined> {
    const s = this.settings;
    const { searchEntries } = await this.timed('search', () =>
      client.search(s.baseDn, {
        scope: 'sub',
        filter,
        sizeLimit: 2,
        attributes: [
          s.usernameAttribute,
          s.cupidAttribute,
          s.phoneAttribute,
          s.emailAttribute,
          s.nameAttribute,
          s.statusAttribute,
          s.mfaAttribute,
          'pwdAccountLockedTime',
        ],
      }),
    );
    // Two entries for one username is a directory fault: refuse rather than guess.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  /** One LDAP operation in a client span, its latency on the operation's histogram (never a DN or a filter value). */
  private timed<T>(operation: 'bind' | 'search' | 'modify', work: () => Promise<T>): Promise<T> {
    return meteredCall(
      operation === 'bind' ? this.bindMeter : operation === 'search' ? this.searchMeter : this.modifyMeter,
      { name: `ldap ${operation}`, attributes: { 'peer.service': 'ldap', 'ldap.operation': operation } },
      work,
      ldapOutcome,
    );
  }

  private toUser(entry: Entry): DirectoryUser {
    const s = this.settings;
    const value = (attribute: string): string | null => {
      const raw = entry[attribute];
      const first = Array.isArray(raw) ? raw[0] : raw;
      return first === undefined ? null : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
    };
    const all = (attribute: string): string[] => {
      const raw = entry[attribute];
      return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((item) =>
        Buffer.isBuffer(item) ? item.toString('utf8') : String(item),
      );
    };
    const cupid = value(s.cupidAttribute);
    if (!cupid) throw new DirectoryUnavailableError(new Error(`entry ${entry.dn} has no ${s.cupidAttribute}`));
    // An OpenLDAP ppolicy lock counts as a lock whatever the status attribute says.
    const status = value('pwdAccountLockedTime') ? 'LOCKED' : parseStatus(value(s.statusAttribute));
    return {
      cupid,
      username: value(s.usernameAttribute) ?? '',
      status,
      displayName: value(s.nameAttribute),
      phoneNumber: value(s.phoneAttribute),
      email: value(s.emailAttribute),
      mfaRequired: all(s.mfaAttribute).some((item) => item.toLowerCase() === 'mfa-required'),
    };
  }
}

/** RFC 3062 §2: the Password Modify extended operation. */
const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

/**
 * PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OCTET STRING OPTIONAL, oldPasswd [1] OPTIONAL,
 * newPasswd [2] OCTET STRING OPTIONAL } (RFC 3062 §2), BER-encoded: the entry's DN and the new password; no old
 * password (the service account acts after the customer proved a factor).
 */
export function passwordModifyRequest(dn: string, newPassword: string): Buffer {
  const member = (tag: number, value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from([tag]), berLength(bytes.length), bytes]);
  };
  const body = Buffer.concat([member(0x80, dn), member(0x82, newPassword)]);
  return Buffer.concat([Buffer.from([0x30]), berLength(body.length), body]);
}

/** A BER definite length: short form below 128, else long form (X.690 §8.1.3). */
function berLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A wrong password (result 49) is the directory answering no; ldapts says "Operation timed out" past LDAP_TIMEOUT_MS. */
function ldapOutcome(error: unknown): DependencyOutcome {
  if (error instanceof InvalidCredentialsError) return 'rejected';
  return /timed out/i.test((error as Error)?.message ?? '') ? 'timeout' : 'error';
}
