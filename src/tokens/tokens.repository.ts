import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { SqlFragment } from '../audit/audit.service';
import { poolStatement, rowsOf } from '../database/sql';
import { StatementBatch } from '../database/statement-batch';
import type { SessionStatus } from '../sessions/session.entity';
import type { TokenStatus, TokenType } from './token.entity';
import { Token } from './token.entity';

/** A token row with the state of its session: what every validation needs, in one indexed lookup. */
export interface TokenState {
  id: string;
  type: TokenType;
  status: TokenStatus;
  clientId: string;
  cupid: string | null;
  /** The sub the client was given when it is not the CUPID (a pairwise pseudonym); null: the CUPID. */
  subject: string | null;
  sessionId: string | null;
  familyId: string | null;
  parentId: string | null;
  scope: string;
  jti: string | null;
  /** RFC 9449: the key thumbprint a DPoP-bound token is bound to; null for a bearer token. */
  dpopJkt: string | null;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  sessionStatus: SessionStatus | null;
  sessionIdleExpiresAt: Date | null;
  sessionAbsoluteExpiresAt: Date | null;
  sessionAuthTime: Date | null;
  sessionAmr: string[] | null;
  sessionAcr: string | null;
  sessionDirectoryCheckedAt: Date | null;
}

interface TokenStateRow {
  id: string;
  type: TokenType;
  status: TokenStatus;
  client_id: string;
  cupid: string | null;
  subject: string | null;
  session_id: string | null;
  family_id: string | null;
  parent_id: string | null;
  scope: string;
  jti: string | null;
  dpop_jkt: string | null;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
  session_status: SessionStatus | null;
  idle_expires_at: Date | null;
  absolute_expires_at: Date | null;
  auth_time: Date | null;
  amr: string[] | null;
  acr: string | null;
  directory_checked_at: Date | null;
  rotation_response?: Buffer | null;
}

const TOKEN_STATE_COLUMNS = `
  t.id, t.type, t.status, t.client_id, t.cupid, t.subject, t.session_id, t.family_id, t.parent_id, t.scope, t.jti, t.dpop_jkt,
  t.created_at, t.expires_at, t.rotated_at,
  s.status AS session_status, s.idle_expires_at, s.absolute_expires_at, s.auth_time, s.amr, s.acr, s.directory_checked_at`;

/** The token state by value hash, up to the comparison (`= $1`, `= ANY($1)`). */
const STATE_BY_HASH = `SELECT ${TOKEN_STATE_COLUMNS}, t.value_hash FROM tokens t LEFT JOIN sessions s ON s.id = t.session_id WHERE t.value_hash`;

function toState(row: TokenStateRow): TokenState {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    clientId: row.client_id,
    cupid: row.cupid,
    subject: row.subject,
    sessionId: row.session_id,
    familyId: row.family_id,
    parentId: row.parent_id,
    scope: row.scope,
    jti: row.jti,
    dpopJkt: row.dpop_jkt,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    sessionStatus: row.session_status,
    sessionIdleExpiresAt: row.idle_expires_at,
    sessionAbsoluteExpiresAt: row.absolute_expires_at,
    sessionAuthTime: row.auth_time,
    sessionAmr: row.amr,
    sessionAcr: row.acr,
    sessionDirectoryCheckedAt: row.directory_checked_at,
  };
}

/** One token row to write (the token itself is never stored, only the SHA-256 of its value). */
export interface TokenInsert {
  type: TokenType;
  valueHash: Buffer;
  jti?: string | null;
  clientId: string;
  cupid?: string | null;
  /** A pairwise client's sub (the pseudonym); null or absent: the CUPID. */
  subject?: string | null;
  sessionId?: string | null;
  familyId?: string | null;
  parentId?: string | null;
  scope: string;
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to (access and refresh tokens). */
  dpopJkt?: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * The rows of one grant travel as one jsonb parameter, so one INSERT writes them all (access, refresh, ID)
 * and the statement's text does not depend on how many there are (it is prepared once, by name).
 */
const INSERT_GRANT_ROWS = (param: number) =>
  `INSERT INTO tokens (type, value_hash, jti, client_id, cupid, subject, session_id, family_id, parent_id, scope, dpop_jkt, created_at, expires_at)
   SELECT r.type, decode(r.value_hash, 'hex'), r.jti, r.client_id, r.cupid, r.subject, r.session_id, r.family_id, r.parent_id,
          r.scope, r.dpop_jkt, r.created_at, r.expires_at
     FROM jsonb_to_recordset($${param}::jsonb) AS r(type token_type, value_hash text, jti text, client_id text, cupid text,
          subject text, session_id uuid, family_id uuid, parent_id uuid, scope text, dpop_jkt text, created_at timestamptz, expires_at timestamptz)`;

function grantRowsJson(rows: TokenInsert[]): string {
  return JSON.stringify(
    rows.map((row) => ({
      type: row.type,
      value_hash: row.valueHash.toString('hex'),
      jti: row.jti ?? null,
      client_id: row.clientId,
      cupid: row.cupid ?? null,
      subject: row.subject ?? null,
      session_id: row.sessionId ?? null,
      family_id: row.familyId ?? null,
      parent_id: row.parentId ?? null,
      scope: row.scope,
      dpop_jkt: row.dpopJkt ?? null,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })),
  );
}

/** A client's token (client_credentials) to write while the client is active, with its audit. */
interface GuardedGrant {
  rows: TokenInsert[];
  guard: (firstParam: number) => SqlFragment;
  audit: (firstParam: number, when: string) => SqlFragment;
}

interface RotationFragments {
  clientActive: (firstParam: number) => SqlFragment;
  session: (firstParam: number, when: string) => SqlFragment;
  audit: (firstParam: number, when: string) => SqlFragment;
}

interface Rotation {
  id: string;
  sessionId: string;
  at: Date;
  rotationResponse: Buffer;
  rows: TokenInsert[];
  fragments: RotationFragments;
}

export interface RotationResult {
  clientActive: boolean;
  rotated: boolean;
  issued: boolean;
}

/**
 * Group commit (src/database/statement-batch.ts): at most this many calls in one statement, and this many
 * such statements of one kind at once; the calls that arrive meanwhile wait for the next. Two in flight:
 * one statement runs while the next batch fills, and a lone call never waits behind a full one.
 */
const MAX_BATCH = 32;
const MAX_IN_FLIGHT = 2;

/**
 * Owns tokens: the service's only SQL on it (the jobs call `expireBatch` and `deleteDeadSessionlessBatch`
 * here; SessionsRepository.expireBatch's SQL function also ends the tokens of expired sessions;
 * docs/architecture.md, "Tables and their owners"). Each hot-path query says here which index it uses;
 * docs/performance.md has their timings.
 */
@Injectable()
export class TokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insertMany(manager: EntityManager, tokens: Array<Partial<Token>>): Promise<string[]> {
    const result = await manager.getRepository(Token).insert(tokens as Array<QueryDeepPartialEntity<Token>>);
    return result.identifiers.map((identifier) => identifier.id as string);
  }

  /**
   * Hot path (client_credentials, a code's redemption): the token rows of one grant and the request's audit
   * rows (`audit`, AuditService.fragment numbered from $2) in ONE statement, a data-modifying CTE. Without a
   * manager it runs alone on the pool as a prepared statement: one statement is its own transaction, so
   * the rows and their audit commit together without BEGIN/COMMIT round trips.
   */
  async insertGrant(manager: EntityManager | undefined, rows: TokenInsert[], audit: SqlFragment): Promise<void> {
    const text = `WITH issued AS (${INSERT_GRANT_ROWS(1)} RETURNING id), audit AS (${audit.text}) SELECT count(*)::int AS n FROM issued`;
    const values = [grantRowsJson(rows), ...audit.values];
    if (manager) await manager.query(text, values);
    else await poolStatement(this.dataSource, { text, values });
  }

  /**
   * insertGrant on the pool, written only while `guard` holds (ClientsService.activeGuard at the parameter
   * number it is given; the audit fragment after it, written only with the rows: `when` it is handed).
   * False when nothing was written. Group commit (StatementBatch): concurrent calls leave as one statement
   * of one CTE pair per call, each with its own guard and audit, each answered with its own count.
   */
  insertGuardedGrant(
    rows: TokenInsert[],
    guard: (firstParam: number) => SqlFragment,
    audit: (firstParam: number, when: string) => SqlFragment,
  ): Promise<boolean> {
    return this.guardedGrants.run({ rows, guard, audit });
  }

  private readonly guardedGrants = new StatementBatch<GuardedGrant, boolean>(
    async (grant) => (await this.insertGuardedGrants([grant]))[0],
    (grants) => this.insertGuardedGrants(grants),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );

  private async insertGuardedGrants(grants: GuardedGrant[]): Promise<boolean[]> {
    const values: unknown[] = [];
    const members: string[] = [];
    grants.forEach((grant, k) => {
      values.push(grantRowsJson(grant.rows));
      const rowsParam = values.length;
      const guard = grant.guard(values.length + 1);
      values.push(...guard.values);
      const audit = grant.audit(values.length + 1, `EXISTS (SELECT 1 FROM issued${k})`);
      values.push(...audit.values);
      members.push(
        `issued${k} AS (${INSERT_GRANT_ROWS(rowsParam)} WHERE ${guard.text} RETURNING id)`,
        `audit${k} AS (${audit.text})`,
      );
    });
    const counts = grants.map((_, k) => `(SELECT count(*) FROM issued${k})::int AS n${k}`);
    const [row] = await poolStatement<Record<string, number>>(this.dataSource, {
      text: `WITH ${members.join(', ')} SELECT ${counts.join(', ')}`,
      values,
    });
    return grants.map((_, k) => row[`n${k}`] > 0);
  }

  /**
   * Hot path: a refresh's whole rotation in ONE statement (issue 14), a data-modifying CTE that
   * 1. marks the presented refresh token ROTATED (it must still be ACTIVE, unexpired, and its client still
   *    active: `clientActive`), keeping the sealed response for a retry within the grace window; the row lock
   *    this takes queues a concurrent rotation of the same token, which then finds it ROTATED and rotates nothing;
   * 2. slides and locks its session, only if the token was rotated (`session`, SessionsService.touchLiveFragment:
   *    the token's row, then its session's, the one lock order), and only while the session is live, so a
   *    revocation that committed first is seen;
   * 3. inserts the grant's new rows (access, refresh, ID) in one INSERT, only if the session was touched;
   * 4. writes the audit rows (`audit`, AuditService.fragment), only if the rows were.
   * One statement is one transaction: all of it commits, or none. `rotated` without `issued` means the
   * session ended meanwhile (the token is then spent; its session, and so its family, are dead anyway).
   */
  rotateRefresh(
    input: { id: string; sessionId: string; at: Date; rotationResponse: Buffer; rows: TokenInsert[] },
    fragments: RotationFragments,
  ): Promise<RotationResult> {
    return this.rotations.run({ ...input, fragments });
  }

  /**
   * Group commit of rotations (StatementBatch): concurrent rotations leave as one statement with the four
   * CTE members above once per rotation, each with its own guard, session and audit, each answered with its
   * own counts. Two rotations of one token, or of two tokens of one session, never share a statement (a
   * statement that updates a row twice applies one of the updates): the later one waits for the next batch,
   * where the row lock and the status decide as for two separate statements.
   */
  private readonly rotations = new StatementBatch<Rotation, RotationResult>(
    async (rotation) => (await this.rotateMany([rotation]))[0],
    (rotations) => this.rotateMany(rotations),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, keys: (rotation) => [rotation.id, rotation.sessionId] },
  );

  private async rotateMany(batch: Rotation[]): Promise<RotationResult[]> {
    // The statement takes its locks member by member (the answers below read rotated0, then issued0 through
    // touched0, then rotated1...): token then session, rotation after rotation. In session id order, as every
    // multi-session revocation locks sessions (SessionsRepository: ORDER BY id ... FOR UPDATE), so two batches
    // from two instances, or a batch and an agent's revoke-all, always lock in the same order and never deadlock.
    const rotations = [...batch].sort((a, b) => compareIds(a.sessionId, b.sessionId) || compareIds(a.id, b.id));
    const values: unknown[] = [];
    const members: string[] = [];
    const answers: string[] = [];
    rotations.forEach((input, k) => {
      const first = values.length + 1;
      const [id, at, response, rows] = [first, first + 1, first + 2, first + 3];
      values.push(input.id, input.at, input.rotationResponse, grantRowsJson(input.rows));
      const guard = input.fragments.clientActive(values.length + 1);
      values.push(...guard.values);
      const session = input.fragments.session(values.length + 1, `EXISTS (SELECT 1 FROM rotated${k})`);
      values.push(...session.values);
      const audit = input.fragments.audit(values.length + 1, `EXISTS (SELECT 1 FROM issued${k})`);
      values.push(...audit.values);
      members.push(
        `rotated${k} AS (
          UPDATE tokens SET status = 'ROTATED', rotated_at = $${at}, rotation_response = $${response}
           WHERE id = $${id} AND type = 'REFRESH' AND status = 'ACTIVE' AND expires_at > $${at} AND ${guard.text}
          RETURNING id)`,
        `touched${k} AS (${session.text})`,
        `issued${k} AS (${INSERT_GRANT_ROWS(rows)} WHERE EXISTS (SELECT 1 FROM touched${k}) RETURNING id)`,
        `audit${k} AS (${audit.text})`,
      );
      answers.push(
        `${guard.text} AS client_active${k}`,
        `(SELECT count(*) FROM rotated${k})::int AS rotated${k}`,
        `(SELECT count(*) FROM issued${k})::int AS issued${k}`,
      );
    });
    const [row] = await poolStatement<Record<string, number | boolean>>(this.dataSource, {
      text: `WITH ${members.join(',\n')}\nSELECT ${answers.join(', ')}`,
      values,
    });
    return batch.map((rotation) => {
      const k = rotations.indexOf(rotation);
      return {
        clientActive: row[`client_active${k}`] === true,
        rotated: (row[`rotated${k}`] as number) > 0,
        issued: (row[`issued${k}`] as number) > 0,
      };
    });
  }

  /**
   * Hot path: a code exchange's happy path in ONE statement (issue 14), a data-modifying CTE that spends the
   * code (`redeem`, AuthorizationCodesRepository.redeemFragment: still unredeemed and unexpired), inserts the
   * grant's rows in one INSERT only if it did, its session is live at `at` and the client still active
   * (`clientActive`), and writes the audit rows only if the rows were. `redeemed` without `issued`: the code
   * is spent but its session ended (or the client was deactivated) meanwhile.
   */
  async redeemAndIssue(
    at: Date,
    rows: TokenInsert[],
    fragments: {
      redeem: (firstParam: number) => SqlFragment;
      clientActive: (firstParam: number) => SqlFragment;
      audit: (firstParam: number, when: string) => SqlFragment;
    },
  ): Promise<{ clientActive: boolean; redeemed: boolean; issued: boolean }> {
    const redeem = fragments.redeem(3);
    const guard = fragments.clientActive(3 + redeem.values.length);
    const audit = fragments.audit(3 + redeem.values.length + guard.values.length, 'EXISTS (SELECT 1 FROM issued)');
    const text = `WITH redeemed AS (${redeem.text}),
      issued AS (${INSERT_GRANT_ROWS(1)}
                  WHERE ${guard.text} AND EXISTS (
                    SELECT 1 FROM sessions s JOIN redeemed ON s.id = redeemed.session_id
                     WHERE s.status = 'ACTIVE' AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2)
                  RETURNING id),
      audit AS (${audit.text})
      SELECT ${guard.text} AS client_active, (SELECT count(*) FROM redeemed)::int AS redeemed,
             (SELECT count(*) FROM issued)::int AS issued`;
    const [row] = await poolStatement<{ client_active: boolean; redeemed: number; issued: number }>(this.dataSource, {
      text,
      values: [grantRowsJson(rows), at, ...redeem.values, ...guard.values, ...audit.values],
    });
    return { clientActive: row.client_active, redeemed: row.redeemed > 0, issued: row.issued > 0 };
  }

  /**
   * Hot path (every bearer-token check, a refresh's first read): idx_tokens_value_hash, then the session's
   * primary key. Outside a transaction, concurrent lookups are grouped (StatementBatch) into one
   * `value_hash = ANY($1)` read, each caller answered with its own row.
   */
  async findStateByValueHash(valueHash: Buffer, manager?: EntityManager): Promise<TokenState | null> {
    if (manager) {
      const [row] = await rowsOf<TokenStateRow>(manager, `${STATE_BY_HASH} = $1`, [valueHash]);
      return row ? toState(row) : null;
    }
    return this.statesByHash.run(valueHash);
  }

  private readonly statesByHash = new StatementBatch<Buffer, TokenState | null>(
    async (valueHash) => {
      const [row] = await poolStatement<TokenStateRow>(this.dataSource, {
        name: 'tokens.state-by-hash',
        text: `${STATE_BY_HASH} = $1`,
        values: [valueHash],
      });
      return row ? toState(row) : null;
    },
    async (valueHashes) => {
      const rows = await poolStatement<TokenStateRow & { value_hash: Buffer }>(this.dataSource, {
        name: 'tokens.states-by-hashes',
        text: `${STATE_BY_HASH} = ANY($1::bytea[])`,
        values: [valueHashes],
      });
      const byHash = new Map(rows.map((row) => [row.value_hash.toString('hex'), row]));
      return valueHashes.map((hash) => {
        const row = byHash.get(hash.toString('hex'));
        return row ? toState(row) : null;
      });
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, anySize: true },
  );

  /**
   * Hot path (introspection): findStateByValueHash, and in the same statement whether `guard` holds
   * (ClientsService.activeGuard at the parameter number it is given: the introspecting client is still
   * active), so a client served from the cache is refused the moment it is deactivated, with no second round
   * trip. Concurrent calls are grouped (StatementBatch): one SELECT per call, UNION ALL, each tagged.
   */
  findStateGuarded(
    valueHash: Buffer,
    guard: (firstParam: number) => SqlFragment,
  ): Promise<{ guard: boolean; state: TokenState | null }> {
    return this.guardedStates.run({ valueHash, guard });
  }

  private readonly guardedStates = new StatementBatch<
    { valueHash: Buffer; guard: (firstParam: number) => SqlFragment },
    { guard: boolean; state: TokenState | null }
  >(
    async (lookup) => (await this.findStatesGuarded([lookup]))[0],
    (lookups) => this.findStatesGuarded(lookups),
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT, anySize: true },
  );

  /**
   * The batch's statement: every token by `value_hash = ANY($1)` (the index, as for one), and each distinct
   * guard once (the callers of a batch are usually one resource server) as a column of every row; a left
   * join from the guards, so the guards are answered when no token is found.
   */
  private async findStatesGuarded(
    lookups: Array<{ valueHash: Buffer; guard: (firstParam: number) => SqlFragment }>,
  ): Promise<Array<{ guard: boolean; state: TokenState | null }>> {
    const values: unknown[] = [lookups.map((lookup) => lookup.valueHash)];
    const columns = new Map<string, string>();
    const guardColumns: string[] = [];
    const columnOf = lookups.map((lookup) => {
      const probe = lookup.guard(1);
      const key = JSON.stringify([probe.text, probe.values]);
      let column = columns.get(key);
      if (!column) {
        const guard = lookup.guard(values.length + 1);
        values.push(...guard.values);
        column = `g${columns.size}`;
        columns.set(key, column);
        guardColumns.push(`${guard.text} AS ${column}`);
      }
      return column;
    });
    const rows = await poolStatement<TokenStateRow & { value_hash: Buffer | null } & Record<string, unknown>>(
      this.dataSource,
      {
        text: `SELECT g.*, st.* FROM (SELECT ${guardColumns.join(', ')}) AS g
                 LEFT JOIN (${STATE_BY_HASH} = ANY($1::bytea[])) AS st ON true`,
        values,
      },
    );
    if (rows.length === 0) throw new Error('introspection batch: no row');
    const byHash = new Map(rows.filter((row) => row.value_hash).map((row) => [row.value_hash!.toString('hex'), row]));
    return lookups.map((lookup, k) => {
      const row = byHash.get(lookup.valueHash.toString('hex'));
      return { guard: rows[0][columnOf[k]] === true, state: row ? toState(row) : null };
    });
  }

  /**
   * The refresh token, row-locked for the rest of the transaction (`FOR UPDATE OF t`), with its session's
   * state as read now: concurrent rotations of one token queue here, so exactly one of them rotates it.
   * The session row is not locked here; the refresh locks it next (SessionsService.touchLive), after the
   * token: the one lock order.
   */
  async lockRefreshByValueHash(
    manager: EntityManager,
    valueHash: Buffer,
  ): Promise<(TokenState & { rotationResponse: Buffer | null }) | null> {
    const [row] = await rowsOf<TokenStateRow>(
      manager,
      `SELECT ${TOKEN_STATE_COLUMNS}, t.rotation_response
         FROM tokens t LEFT JOIN sessions s ON s.id = t.session_id
        WHERE t.value_hash = $1 AND t.type = 'REFRESH'
        FOR UPDATE OF t`,
      [valueHash],
    );
    return row ? { ...toState(row), rotationResponse: row.rotation_response ?? null } : null;
  }

  /** The live successor of a rotated refresh token, if it is still unused and unrevoked. */
  async findActiveSuccessor(manager: EntityManager, parentId: string): Promise<string | null> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `SELECT id FROM tokens WHERE parent_id = $1 AND type = 'REFRESH' AND status = 'ACTIVE'`,
      [parentId],
    );
    return row?.id ?? null;
  }

  async markRotated(manager: EntityManager, id: string, at: Date, rotationResponse: Buffer): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE tokens SET status = 'ROTATED', rotated_at = $2, rotation_response = $3
        WHERE id = $1 AND status = 'ACTIVE' RETURNING id`,
      [id, at, rotationResponse],
    );
    return rows.length === 1;
  }

  /** Revokes every live token of a refresh-token family; returns how many. */
  async revokeFamily(manager: EntityManager, familyId: string, at: Date, reason: string): Promise<number> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE tokens SET status = 'REVOKED', revoked_at = $2, revoke_reason = $3, rotation_response = NULL
        WHERE family_id = $1 AND status IN ('ACTIVE', 'ROTATED') RETURNING id`,
      [familyId, at, reason],
    );
    return rows.length;
  }

  /**
   * Revokes at most `limit` live tokens a client holds for itself (client_credentials: no session to end
   * them through); bounded, so callers loop. Session tokens end with their session instead.
   */
  async revokeBatchSessionlessForClient(
    manager: EntityManager,
    clientId: string,
    at: Date,
    reason: string,
    limit: number,
  ): Promise<number> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `WITH due AS (SELECT id FROM tokens WHERE client_id = $1 AND session_id IS NULL AND status = 'ACTIVE' ORDER BY id LIMIT $4 FOR UPDATE)
       UPDATE tokens t SET status = 'REVOKED', revoked_at = $2, revoke_reason = $3
         FROM due WHERE t.id = due.id
       RETURNING t.id`,
      [clientId, at, reason, limit],
    );
    return rows.length;
  }

  /** Revokes a client's active tokens under the given sessions (idx_tokens_session): a deactivation's detach. */
  async revokeForClientInSessions(
    manager: EntityManager,
    clientId: string,
    sessionIds: string[],
    at: Date,
    reason: string,
  ): Promise<number> {
    if (sessionIds.length === 0) return 0;
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE tokens SET status = 'REVOKED', revoked_at = $3, revoke_reason = $4
        WHERE session_id = ANY($2::uuid[]) AND client_id = $1 AND status = 'ACTIVE'
        RETURNING id`,
      [clientId, sessionIds, at, reason],
    );
    return rows.length;
  }

  /**
   * Consent withdrawn (issue 16 item 2): the customer's live tokens of the client that depend on it, revoked
   * at once (introspection, userinfo and refresh read this row): every one of the client's when `scopes` is
   * null, else those whose scope names one of them. Returns the sessions they belonged to (the back-channel logout's sid).
   */
  async revokeForConsent(
    manager: EntityManager,
    consent: { cupid: string; clientId: string; scopes: readonly string[] | null },
    at: Date,
    reason: string,
  ): Promise<{ count: number; sessionIds: string[] }> {
    const rows = await rowsOf<{ session_id: string | null }>(
      manager,
      `UPDATE tokens SET status = 'REVOKED', revoked_at = $4, revoke_reason = $5, rotation_response = NULL
        WHERE cupid = $1 AND client_id = $2 AND status IN ('ACTIVE', 'ROTATED')
          AND ($3::text[] IS NULL OR string_to_array(scope, ' ') && $3::text[])
        RETURNING session_id`,
      [consent.cupid, consent.clientId, consent.scopes, at, reason],
    );
    const sessionIds = [...new Set(rows.map((row) => row.session_id).filter((id): id is string => id !== null))];
    return { count: rows.length, sessionIds: sessionIds.sort() };
  }

  async revokeById(manager: EntityManager, id: string, at: Date, reason: string): Promise<boolean> {
    const rows = await rowsOf<{ id: string }>(
      manager,
      `UPDATE tokens SET status = 'REVOKED', revoked_at = $2, revoke_reason = $3, rotation_response = NULL
        WHERE id = $1 AND status IN ('ACTIVE', 'ROTATED') RETURNING id`,
      [id, at, reason],
    );
    return rows.length === 1;
  }

  /**
   * The clients a session issued tokens to (any status: a session's tokens end with it), for the back-channel
   * logout fan-out (src/logout). Bounded: a session has a handful of clients.
   */
  async clientIdsOfSession(sessionId: string): Promise<string[]> {
    const rows = await rowsOf<{ client_id: string }>(
      this.dataSource.manager,
      'SELECT DISTINCT client_id FROM tokens WHERE session_id = $1 LIMIT 100',
      [sessionId],
    );
    return rows.map((row) => row.client_id);
  }

  /** Data lifecycle (expire-sessions job): up to `batch` live tokens past their expiry become EXPIRED. */
  async expireBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(manager, 'SELECT cleanup_expired_tokens($1, $2) AS n', [batch, asOf]);
    return Number(row?.n ?? 0);
  }

  /** Data lifecycle (purge job): dead tokens without a session (client credentials) past the retention. */
  async deleteDeadSessionlessBatch(
    manager: EntityManager,
    batch: number,
    asOf: Date,
    retentionDays: number,
  ): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      `WITH due AS (SELECT id FROM tokens WHERE session_id IS NULL AND status <> 'ACTIVE' AND expires_at < $2::timestamptz - make_interval(days => $3)
                     LIMIT $1 FOR UPDATE SKIP LOCKED),
            gone AS (DELETE FROM tokens t USING due WHERE t.id = due.id RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
  }
}

/** PostgreSQL's order of two uuids (bytewise: the order of their lower-case canonical text). */
function compareIds(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}
