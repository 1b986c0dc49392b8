import { DataSource } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { TrustedDevice } from '../../src/devices/trusted-device.entity';
import { AuthContext } from '../../src/journeys/auth-context.entity';
import { AuthTransaction } from '../../src/journeys/auth-transaction.entity';
import { DrsEvaluation } from '../../src/risk/drs-evaluation.entity';
import { Session } from '../../src/sessions/session.entity';
import { Token } from '../../src/tokens/token.entity';
import { loadConfig } from '../../src/config/config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createEmptyDatabase, useSpecDatabase } from '../support/database';
import { sha256 } from '../support/factories';

const minutes = (n: number) => new Date(Date.now() + n * 60_000);

/*
 * Raw SQL and bare entities on purpose (not test/support/factories.ts): this spec is about the schema itself,
 * its constraints, defaults and partitions, so it writes rows no repository would write and expects PostgreSQL
 * to refuse them.
 */
describe('the core schema on a real PostgreSQL', () => {
  const spec = useSpecDatabase();

  it('writes and reads a row of every table through its entity', async () => {
    const context = await spec.db.getRepository(AuthContext).save({
      clientId: 'demo-spa',
      channel: 'WEB',
      ipAddress: '203.0.113.7',
      userAgent: 'jest',
      requestedScopes: ['openid', 'profile'],
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
      nonce: 'n-1',
      expiresAt: minutes(15),
      deviceData: { fingerprint: 'abc' },
    });
    const transaction = await spec.db.getRepository(AuthTransaction).save({
      contextId: context.id,
      step: 'PASSWORD',
      tokenHash: sha256('tx-token-1'),
      expiresAt: minutes(5),
    });
    const evaluation = await spec.db.getRepository(DrsEvaluation).save({
      contextId: context.id,
      cupid: 'CUPID-1',
      recommendation: 'ALLOW',
      score: 12,
      reasons: ['known_device'],
      provider: 'builtin',
      latencyMs: 3,
    });
    const device = await spec.db.getRepository(TrustedDevice).save({
      cupid: 'CUPID-1',
      publicKeyJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
      jwkThumbprint: 'thumb-1',
      name: 'Pixel',
      platform: 'android',
      boundContextId: context.id,
    });
    const session = await spec.db.getRepository(Session).save({
      cupid: 'CUPID-1',
      clientId: 'demo-spa',
      contextId: context.id,
      trustedDeviceId: device.id,
      amr: ['pwd'],
      acr: 'urn:ciam:loa:1',
      ipAddress: '203.0.113.7',
      userAgent: 'jest',
      idleExpiresAt: minutes(30),
      absoluteExpiresAt: minutes(720),
    });
    const refresh = await spec.db.getRepository(Token).save({
      type: 'REFRESH',
      valueHash: sha256('refresh-1'),
      clientId: 'demo-spa',
      cupid: 'CUPID-1',
      sessionId: session.id,
      familyId: '00000000-0000-4000-8000-000000000001',
      scope: 'openid',
      expiresAt: minutes(30),
    });
    await spec.db.getRepository(AuditLog).insert({
      eventType: 'service.started',
      actorType: 'SYSTEM',
      outcome: 'SUCCESS',
      details: { version: 'test' },
    });

    expect(await spec.db.getRepository(AuthContext).findOneByOrFail({ id: context.id })).toMatchObject({
      status: 'PENDING',
      requestedScopes: ['openid', 'profile'],
      ipAddress: '203.0.113.7',
      deviceData: { fingerprint: 'abc' },
    });
    const storedTx = await spec.db.getRepository(AuthTransaction).findOneByOrFail({ id: transaction.id });
    expect(storedTx).toMatchObject({ status: 'PENDING', attempts: 0, maxAttempts: 5 });
    expect(storedTx.tokenHash.equals(sha256('tx-token-1'))).toBe(true);
    expect(await spec.db.getRepository(DrsEvaluation).findOneByOrFail({ id: evaluation.id })).toMatchObject({
      recommendation: 'ALLOW',
      reasons: ['known_device'],
    });
    expect(await spec.db.getRepository(TrustedDevice).findOneByOrFail({ id: device.id })).toMatchObject({
      status: 'ACTIVE',
      lastUsedAt: null,
    });
    expect(await spec.db.getRepository(Session).findOneByOrFail({ id: session.id })).toMatchObject({
      status: 'ACTIVE',
      amr: ['pwd'],
    });
    expect(await spec.db.getRepository(Token).findOneByOrFail({ id: refresh.id })).toMatchObject({
      status: 'ACTIVE',
      type: 'REFRESH',
    });
    expect(await spec.db.getRepository(AuditLog).findOneByOrFail({ eventType: 'service.started' })).toMatchObject({
      actorType: 'SYSTEM',
      details: { version: 'test' },
    });
  });

  it('finds a token by its value hash through idx_tokens_value_hash', async () => {
    await spec.db.query('SET enable_seqscan = off');
    const plan: Array<{ 'QUERY PLAN': string }> = await spec.db.query(
      'EXPLAIN SELECT * FROM tokens WHERE value_hash = $1',
      [sha256('refresh-1')],
    );
    await spec.db.query('RESET enable_seqscan');
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('idx_tokens_value_hash');
  });

  it('rejects rows that break the design rules', async () => {
    const context = await spec.db.getRepository(AuthContext).save({ clientId: 'demo-spa', expiresAt: minutes(15) });
    const violations: Array<[string, () => Promise<unknown>]> = [
      [
        'plain PKCE',
        () =>
          spec.db
            .getRepository(AuthContext)
            .save({ clientId: 'c', codeChallenge: 'x', codeChallengeMethod: 'plain' as 'S256', expiresAt: minutes(1) }),
      ],
      [
        'completed without CUPID',
        () => spec.db.query(`UPDATE auth_contexts SET status = 'COMPLETED' WHERE id = $1`, [context.id]),
      ],
      [
        'token hash of the wrong length',
        () =>
          spec.db
            .getRepository(AuthTransaction)
            .save({ contextId: context.id, step: 'PASSWORD', tokenHash: Buffer.from('short'), expiresAt: minutes(5) }),
      ],
      [
        'duplicate transaction token',
        async () => {
          await spec.db
            .getRepository(AuthTransaction)
            .save({ contextId: context.id, step: 'PASSWORD', tokenHash: sha256('dup'), expiresAt: minutes(5) });
          await spec.db
            .getRepository(AuthTransaction)
            .save({ contextId: context.id, step: 'PASSWORD', tokenHash: sha256('dup'), expiresAt: minutes(5) });
        },
      ],
      [
        'attempts above the maximum',
        () =>
          spec.db.getRepository(AuthTransaction).save({
            contextId: context.id,
            step: 'SMS_OTP',
            tokenHash: sha256('a'),
            attempts: 6,
            maxAttempts: 5,
            expiresAt: minutes(5),
          }),
      ],
      [
        'session without amr',
        () =>
          spec.db
            .getRepository(Session)
            .save({ cupid: 'C', clientId: 'c', amr: [], idleExpiresAt: minutes(1), absoluteExpiresAt: minutes(2) }),
      ],
      [
        'refresh token outside a family',
        () =>
          spec.db
            .getRepository(Token)
            .save({ type: 'REFRESH', valueHash: sha256('r-nofamily'), clientId: 'c', expiresAt: minutes(1) }),
      ],
      [
        'revoked session without revocation time',
        () =>
          spec.db.getRepository(Session).save({
            cupid: 'C',
            clientId: 'c',
            amr: ['pwd'],
            status: 'REVOKED',
            idleExpiresAt: minutes(1),
            absoluteExpiresAt: minutes(2),
          }),
      ],
      [
        'unknown enum value',
        () => spec.db.query(`INSERT INTO drs_evaluations (recommendation, provider) VALUES ('MAYBE', 'x')`),
      ],
      [
        'transaction for an unknown context',
        () =>
          spec.db.getRepository(AuthTransaction).save({
            contextId: '00000000-0000-4000-8000-0000000000ff',
            step: 'PASSWORD',
            tokenHash: sha256('orphan'),
            expiresAt: minutes(5),
          }),
      ],
      [
        'two devices with one key',
        async () => {
          await spec.db
            .getRepository(TrustedDevice)
            .insert({ cupid: 'C1', publicKeyJwk: {}, jwkThumbprint: 'same-key', name: 'phone' });
          await spec.db
            .getRepository(TrustedDevice)
            .insert({ cupid: 'C2', publicKeyJwk: {}, jwkThumbprint: 'same-key', name: 'phone' });
        },
      ],
    ];
    const accepted: string[] = [];
    for (const [rule, write] of violations) {
      const error = await write().then(
        () => undefined,
        (failure: Error) => failure,
      );
      if (!error || !/violates|invalid input value/.test(error.message)) accepted.push(rule);
    }
    expect(accepted).toEqual([]);
  });

  it('routes audit rows to their monthly partition, and rows outside them to the default partition', async () => {
    const where = async (at: string) => {
      await spec.db.query(
        `INSERT INTO audit_logs (created_at, event_type, actor_type, outcome) VALUES ($1, 'service.started', 'SYSTEM', 'SUCCESS')`,
        [at],
      );
      const [row] = await spec.db.query(
        `SELECT tableoid::regclass::text AS partition FROM audit_logs WHERE created_at = $1`,
        [at],
      );
      return row.partition as string;
    };
    const now = new Date();
    const month = `${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await where(now.toISOString())).toBe(`audit_logs_${month}`);
    expect(await where('2099-06-15T00:00:00Z')).toBe('audit_logs_default');
    expect(await where('2001-01-01T00:00:00Z')).toBe('audit_logs_default');

    // Creating the partition for a month moves that month's rows out of the default partition.
    expect((await spec.db.query(`SELECT create_audit_partition('2099-06-01') AS p`))[0].p).toBe('audit_logs_2099_06');
    const [moved] = await spec.db.query(
      `SELECT tableoid::regclass::text AS partition FROM audit_logs WHERE created_at = '2099-06-15T00:00:00Z'`,
    );
    expect(moved.partition).toBe('audit_logs_2099_06');
    // It is idempotent.
    expect((await spec.db.query(`SELECT create_audit_partition('2099-06-20') AS p`))[0].p).toBe('audit_logs_2099_06');
  });

  it('keeps the current month and the next two partitioned ahead', async () => {
    const rows: Array<{ name: string }> = await spec.db.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_logs'::regclass AND c.relname ~ '^audit_logs_\\d{4}_\\d{2}$'`,
    );
    const names = rows.map((row) => row.name);
    const now = new Date();
    for (let ahead = 0; ahead <= 2; ahead += 1) {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
      expect(names).toContain(
        `audit_logs_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`,
      );
    }
  });

  it('shows live sessions and pending transactions in the views', async () => {
    const context = await spec.db.getRepository(AuthContext).save({ clientId: 'view-client', expiresAt: minutes(15) });
    const live = await spec.db
      .getRepository(AuthTransaction)
      .save({ contextId: context.id, step: 'PASSWORD', tokenHash: sha256('view-live'), expiresAt: minutes(5) });
    await spec.db.query(
      `INSERT INTO auth_transactions (context_id, step, token_hash, created_at, expires_at)
                    VALUES ($1, 'PASSWORD', $2, now() - interval '10 minutes', now() - interval '5 minutes')`,
      [context.id, sha256('view-stale')],
    );
    const pending: Array<{ id: string }> = await spec.db.query(
      `SELECT id FROM v_pending_transactions WHERE client_id = 'view-client'`,
    );
    expect(pending.map((row) => row.id)).toEqual([live.id]);

    const active = await spec.db.getRepository(Session).save({
      cupid: 'VIEW-1',
      clientId: 'c',
      amr: ['pwd'],
      idleExpiresAt: minutes(30),
      absoluteExpiresAt: minutes(60),
    });
    await spec.db.query(`INSERT INTO sessions (cupid, client_id, amr, created_at, idle_expires_at, absolute_expires_at)
                    VALUES ('VIEW-1', 'c', '{pwd}', now() - interval '2 hours', now() - interval '1 hour', now() + interval '1 hour')`);
    const sessions: Array<{ id: string }> = await spec.db.query(
      `SELECT id FROM v_active_sessions WHERE cupid = 'VIEW-1'`,
    );
    expect(sessions.map((row) => row.id)).toEqual([active.id]);
  });

  it('expires due transactions, contexts and sessions (with their tokens) in bounded batches', async () => {
    const context = await spec.db.getRepository(AuthContext).save({ clientId: 'cleanup', expiresAt: minutes(15) });
    await spec.db.query(
      `INSERT INTO auth_transactions (context_id, step, token_hash, created_at, expires_at)
                    SELECT $1, 'PASSWORD', sha256(('cleanup-' || g)::bytea), now() - interval '1 hour', now() - interval '1 minute'
                      FROM generate_series(1, 3) g`,
      [context.id],
    );
    const fresh = await spec.db
      .getRepository(AuthTransaction)
      .save({ contextId: context.id, step: 'PASSWORD', tokenHash: sha256('cleanup-fresh'), expiresAt: minutes(5) });
    expect((await spec.db.query('SELECT cleanup_expired_transactions(2) AS n'))[0].n).toBe(2);
    expect((await spec.db.query('SELECT cleanup_expired_transactions(100) AS n'))[0].n).toBeGreaterThanOrEqual(1);
    expect((await spec.db.getRepository(AuthTransaction).findOneByOrFail({ id: fresh.id })).status).toBe('PENDING');

    const stale = await spec.db.query(
      `INSERT INTO auth_contexts (client_id, created_at, expires_at) VALUES ('cleanup', now() - interval '1 hour', now() - interval '1 minute') RETURNING id`,
    );
    await spec.db.query('SELECT cleanup_expired_contexts(1000)');
    expect((await spec.db.getRepository(AuthContext).findOneByOrFail({ id: stale[0].id })).status).toBe('EXPIRED');
    expect((await spec.db.getRepository(AuthContext).findOneByOrFail({ id: context.id })).status).toBe('PENDING');

    const [expired] = await spec.db
      .query(`INSERT INTO sessions (cupid, client_id, amr, created_at, idle_expires_at, absolute_expires_at)
                    VALUES ('CLEAN-1', 'c', '{pwd}', now() - interval '2 hours', now() - interval '1 hour', now() + interval '1 hour') RETURNING id`);
    await spec.db.query(
      `INSERT INTO tokens (type, value_hash, client_id, session_id, created_at, expires_at) VALUES ('ACCESS', $1, 'c', $2, now() - interval '1 minute', now() + interval '4 minutes')`,
      [sha256('clean-at'), expired.id],
    );
    await spec.db.query('SELECT cleanup_expired_sessions(1000)');
    expect((await spec.db.getRepository(Session).findOneByOrFail({ id: expired.id })).status).toBe('EXPIRED');
    expect((await spec.db.getRepository(Token).findOneByOrFail({ valueHash: sha256('clean-at') })).status).toBe(
      'EXPIRED',
    );
  });
});

describe('the migrations', () => {
  it('migrate, revert and migrate again cleanly, leaving nothing behind on revert', async () => {
    const database = await createEmptyDatabase();
    const db = new DataSource({
      ...dataSourceOptions(loadConfig({ NODE_ENV: 'test' }), database.url),
      migrationsRun: false,
    });
    await db.initialize();
    const objects = async () =>
      (
        await db.query(`
      SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relname NOT LIKE 'migrations%' AND c.relname <> 'PK_8c82d7f526340ab734260ea46be')::int AS relations,
             (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public' AND t.typtype = 'e')::int AS enums,
             (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public')::int AS functions`)
      )[0];
    try {
      const empty = await objects();
      await db.runMigrations();
      const migrated = await objects();
      expect(migrated.relations).toBeGreaterThan(empty.relations + 20);
      expect(migrated.enums).toBe(empty.enums + 13);
      // Seven from the first migrations, then announce_client_change() (the client cache's NOTIFY trigger),
      // announce_outbox_message() (the outbox's wake-up), enqueue_session_ended() (back-channel logout),
      // audit_canonical() and audit_logs_append_only() (the audit chain).
      expect(migrated.functions).toBe(empty.functions + 12);

      for (let i = 0; i < db.migrations.length; i += 1) await db.undoLastMigration();
      expect(await objects()).toEqual(empty);

      await db.runMigrations();
      expect(await objects()).toEqual(migrated);
      expect(await db.showMigrations()).toBe(false);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
