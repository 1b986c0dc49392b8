import { AUDIT_EVENT_TYPES } from '../../src/audit/audit-events';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { AuditLogRepository } from '../../src/audit/audit-log.repository';
import { AuditService } from '../../src/audit/audit.service';
import { readFileSync } from 'node:fs';
import { startTestApp } from '../support/app';
import { useSpecDatabase } from '../support/database';

describe('AuditService: the only writer of audit_logs', () => {
  const spec = useSpecDatabase();
  const audit = new AuditService(new AuditLogRepository());

  it('appends an event with every field inside the caller transaction', async () => {
    await spec.db.transaction((manager) =>
      audit.record(manager, {
        type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
        outcome: 'SUCCESS',
        actor: { type: 'CUSTOMER', id: 'CUPID-42' },
        cupid: 'CUPID-42',
        sessionId: '00000000-0000-4000-8000-000000000001',
        contextId: '00000000-0000-4000-8000-000000000002',
        clientId: 'demo-spa',
        ip: '2001:db8::1',
        userAgent: 'Mozilla/5.0',
        details: { step: 'PASSWORD', attemptsLeft: 4 },
      }),
    );
    const row = await spec.db.getRepository(AuditLog).findOneByOrFail({ cupid: 'CUPID-42' });
    expect(row).toMatchObject({
      eventType: 'service.started',
      outcome: 'SUCCESS',
      actorType: 'CUSTOMER',
      actorId: 'CUPID-42',
      sessionId: '00000000-0000-4000-8000-000000000001',
      contextId: '00000000-0000-4000-8000-000000000002',
      clientId: 'demo-spa',
      ipAddress: '2001:db8::1',
      userAgent: 'Mozilla/5.0',
      details: { step: 'PASSWORD', attemptsLeft: 4 },
    });
  });

  it('rolls back with the state change it describes', async () => {
    await expect(
      spec.db.transaction(async (manager) => {
        await audit.record(manager, {
          type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
          outcome: 'FAILURE',
          actor: { type: 'SYSTEM' },
          cupid: 'CUPID-ROLLBACK',
        });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await spec.db.getRepository(AuditLog).countBy({ cupid: 'CUPID-ROLLBACK' })).toBe(0);
  });

  it('never stores a secret in details, however deeply it is nested', async () => {
    await audit.record(spec.db.manager, {
      type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
      outcome: 'SUCCESS',
      actor: { type: 'CLIENT', id: 'demo-service' },
      cupid: 'CUPID-SECRETS',
      details: {
        password: 'alice-password',
        client_secret: 'demo-service-secret',
        otp: '123456',
        code: 'auth-code-value',
        refresh_token: 'rt-value',
        request: { headers: { authorization: 'Bearer at-value' }, transactionToken: 'tx-value' },
        otpHash: 'abcd',
        tokenType: 'REFRESH',
        grant_type: 'refresh_token',
        attemptsLeft: 2,
      },
    });
    const row = await spec.db.getRepository(AuditLog).findOneByOrFail({ cupid: 'CUPID-SECRETS' });
    const stored = JSON.stringify(row.details);
    for (const secret of [
      'alice-password',
      'demo-service-secret',
      '123456',
      'auth-code-value',
      'rt-value',
      'at-value',
      'tx-value',
      'abcd',
    ]) {
      expect(stored).not.toContain(secret);
    }
    expect(row.details).toMatchObject({
      tokenType: 'REFRESH',
      grant_type: 'refresh_token',
      attemptsLeft: 2,
      password: '[REDACTED]',
    });
  });

  it('writes far in the past or future without failing', async () => {
    for (const at of [new Date('1999-12-31T23:59:59Z'), new Date('2199-01-01T00:00:00Z')]) {
      await audit.record(spec.db.manager, {
        type: AUDIT_EVENT_TYPES.SERVICE_STARTED,
        outcome: 'SUCCESS',
        actor: { type: 'SYSTEM' },
        cupid: 'CUPID-TIME',
        at,
      });
    }
    expect(await spec.db.getRepository(AuditLog).countBy({ cupid: 'CUPID-TIME' })).toBe(2);
  });
});

describe('start-up audit', () => {
  it('records each start of the service and creates missing audit partitions ahead of time', async () => {
    const t = await startTestApp();
    try {
      const started = await t.dataSource.query(
        `SELECT actor_type, details FROM audit_logs WHERE event_type = 'service.started'`,
      );
      expect(started).toEqual([
        { actor_type: 'SYSTEM', details: { version: packageVersion(), instance: expect.stringContaining(':') } },
      ]);

      // An instance that was down across a month boundary: next month's partition is missing at start.
      const next = new Date();
      next.setUTCDate(1);
      next.setUTCMonth(next.getUTCMonth() + 1);
      const partition = `audit_logs_${next.getUTCFullYear()}_${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
      await t.dataSource.query(`DROP TABLE ${partition}`);
      await t.app.close();
      const again = await startTestApp({ database: t.database });
      try {
        const [exists] = await again.dataSource.query('SELECT to_regclass($1) IS NOT NULL AS ok', [partition]);
        expect(exists.ok).toBe(true);
        const events = await again.dataSource.query(
          `SELECT details FROM audit_logs WHERE event_type = 'audit.partition_created'`,
        );
        expect(events).toEqual([{ details: { partition } }]);
      } finally {
        await again.app.close();
      }
    } finally {
      await t.database.drop();
    }
  });
});

/** What the production image ships: the version in package.json (npm_package_version is unset there). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string }).version;
}
