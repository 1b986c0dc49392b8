import { randomBytes } from 'node:crypto';
import { Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';
import type { Entry, Filter } from 'ldapts';
import type { Socket } from 'node:net';
import type { OnModuleDestroy } from '@nestjs/common';
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

/** The connections' two uses: searches bound as the service account, and customers' binds. */
type Use = 'search' | 'bind';

/** Idle connections kept per use: about the logins one instance runs at once. */
const MAX_IDLE = 8;

/**
 * The customer directory in LDAP (ldapts): a search bound as the service account finds the customer by
 * username, then a bind as the customer checks the password. Usernames reach the server only inside an
 * equality filter (escaped per RFC 4515), never spliced into a filter string.
 *
 * Connections are reused (issue 14: a TCP and LDAP handshake per login cost the service and slapd about as
 * much as the login's search and bind): searches on connections bound once as the service account,
 * customers' binds on connections used for nothing else (a connection a customer bound on is never used to
 * search, so a search never runs with a customer's rights, and the service account's bind is not repeated).
 * A connection is reused only after an exchange that went through (a wrong password included); after any
 * error or timeout it is closed. A reused connection the server closed meanwhile fails fast, and the work is
 * then retried once on a new connection, within the same time budget. The readiness probe (`ping`) always
 * opens a new connection, so it says whether the directory answers now.
 */
export class LdapUserDirectory extends UserDirectory implements OnModuleDestroy {
  readonly name = 'ldap';
  private readonly idle: Record<Use, Client[]> = { search: [], bind: [] };
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
    // One budget for the whole exchange (search, then bind): a directory answering each operation just in
    // time must not hold a login for several timeouts.
    const deadline = this.deadline();
    const entry = await this.withConnection('search', deadline, (client) =>
      this.findOne(client, new EqualityFilter({ attribute: this.settings.usernameAttribute, value: username })),
    );
    // Unknown: the same work as for a real customer (a bind), so the time to answer does not say so.
    const dn =
      entry?.dn ?? `${this.settings.usernameAttribute}=${randomBytes(12).toString('hex')},${this.settings.baseDn}`;
    const bound = await this.withConnection('bind', deadline, (client) => this.bindAs(client, dn, password));
    if (!entry) return { valid: false };
    const user = this.toUser(entry);
    return bound ? { valid: true, user } : { valid: false, user };
  }

  async findByUsername(username: string): Promise<DirectoryUser | null> {
    if (username.length === 0) return null;
    const entry = await this.withConnection('search', this.deadline(), (client) =>
      this.findOne(client, new EqualityFilter({ attribute: this.settings.usernameAttribute, value: username })),
    );
    return entry ? this.toUser(entry) : null;
  }

  async findByCupid(cupid: string): Promise<DirectoryUser | null> {
    const entry = await this.withConnection('search', this.deadline(), (client) =>
      this.findOne(client, new EqualityFilter({ attribute: this.settings.cupidAttribute, value: cupid })),
    );
    return entry ? this.toUser(entry) : null;
  }

  /**
   * RFC 3062 Password Modify extended operation, as the service account: the server hashes the new password
   * with its own scheme (slapd's password-hash) and runs its password policy. The service account needs write
   * access to userPassword (`access to attrs=userPassword by dn.exact="<LDAP_BIND_DN>" write ...`).
   */
  async changePassword(cupid: string, newPassword: string): Promise<boolean> {
    // A search connection is bound as the service account (withConnection), which the operation needs.
    return this.withConnection('search', this.deadline(), async (client) => {
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
    await this.attempt('search', undefined, this.deadline(), async () => undefined, false);
  }

  onModuleDestroy(): void {
    for (const use of ['search', 'bind'] as const)
      for (const client of this.idle[use].splice(0)) void client.unbind().catch(() => undefined);
  }

  /** When the exchange starting now must have answered: the connect timeout plus the operation timeout. */
  private deadline(): number {
    return Date.now() + this.settings.connectTimeoutMs + this.settings.timeoutMs;
  }

  private async withConnection<T>(use: Use, deadline: number, work: (client: Client) => Promise<T>): Promise<T> {
    const reused = this.takeIdle(use);
    if (!reused) return this.attempt(use, undefined, deadline, work, true);
    try {
      return await this.attempt(use, reused, deadline, work, true);
    } catch (error) {
      // Closed by the server while idle (a restart, an idle timeout): once more on a new connection.
      if (error instanceof DirectoryUnavailableError && !(error instanceof DirectoryTimeout)) {
        return this.attempt(use, undefined, deadline, work, true);
      }
      throw error;
    }
  }

  /**
   * `work` on `reused` or on a new connection (bound as the service account for searches), failing with
   * DirectoryUnavailableError on anything but an answer, by `deadline` at the latest; the connection goes
   * back to the idle ones (when `keep`) only after an exchange that went through.
   */
  private async attempt<T>(
    use: Use,
    reused: Client | undefined,
    deadline: number,
    work: (client: Client) => Promise<T>,
    keep: boolean,
  ): Promise<T> {
    const client =
      reused ??
      new Client({
        url: this.settings.url,
        connectTimeout: this.settings.connectTimeoutMs,
        timeout: this.settings.timeoutMs,
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new DirectoryTimeout()), Math.max(0, deadline - Date.now()));
    });
    let answered = false;
    try {
      const result = await Promise.race([
        (async () => {
          if (!reused && use === 'search')
            await this.timed('bind', () => client.bind(this.settings.bindDn, this.settings.bindPassword));
          return work(client);
        })(),
        timeout,
      ]);
      answered = true;
      return result;
    } catch (error) {
      throw error instanceof DirectoryUnavailableError ? error : new DirectoryUnavailableError(error);
    } finally {
      clearTimeout(timer);
      if (answered && keep) this.park(use, client);
      // Closing the socket also ends an operation still waiting past the deadline.
      else await client.unbind().catch(() => undefined);
    }
  }

  private takeIdle(use: Use): Client | undefined {
    for (let client = this.idle[use].pop(); client; client = this.idle[use].pop()) {
      if (!client.isConnected) continue;
      socketOf(client)?.ref();
      return client;
    }
    return undefined;
  }

  private park(use: Use, client: Client): void {
    if (!client.isConnected || this.idle[use].length >= MAX_IDLE) {
      void client.unbind().catch(() => undefined);
      return;
    }
    // An idle connection does not keep the process alive (shutdown, a test's end).
    socketOf(client)?.unref();
    this.idle[use].push(client);
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

/** The exchange's budget ran out: not retried (the budget is the login's, and it is spent). */
class DirectoryTimeout extends DirectoryUnavailableError {
  constructor() {
    super(new Error('no complete answer within the directory timeouts'));
  }
}

/** ldapts keeps its socket private; reached only to (un)reference it while the connection is idle. */
function socketOf(client: Client): Socket | undefined {
  return (client as unknown as { socket?: Socket }).socket;
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
