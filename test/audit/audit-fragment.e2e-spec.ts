import { AuditLogRepository } from '../../src/audit/audit-log.repository';
import { AuditService } from '../../src/audit/audit.service';
import { AUDIT_EVENT_TYPES } from '../../src/audit/audit-events';
import { useSpecDatabase } from '../support/database';

/**
 * The fragment API other repositories use to fold audit rows into their own statement (issue 14): the rows
 * land with the change, in order, scrubbed, and only when the caller's condition holds.
 */
describe('audit rows as a fragment of another statement', () => {
  const spec = useSpecDatabase();
  const audit = new AuditService(new AuditLogRepository());

  const rowsFor = (clientId: string) =>
    spec.db.query(
      `SELECT event_type, outcome, actor_type, client_id, host(ip_address) AS ip, details FROM audit_logs
        WHERE client_id = $1 ORDER BY created_at, event_type`,
      [clientId],
    ) as Promise<Array<Record<string, unknown>>>;

  it('writes every event of the fragment, in order, in the same statement as a data-modifying CTE', async () => {
    const fragment = audit.fragment(
      [
        {
          type: AUDIT_EVENT_TYPES.TOKENS_ISSUED,
          outcome: 'SUCCESS',
          actor: { type: 'CLIENT', id: 'frag-a' },
          clientId: 'frag-a',
          ip: '192.0.2.7',
          details: { grant: 'client_credentials', client_secret: 'hunter2hunter2' },
        },
        {
          type: AUDIT_EVENT_TYPES.TOKEN_REVOKED,
          outcome: 'FAILURE',
          actor: { type: 'SYSTEM' },
          clientId: 'frag-a',
        },
      ],
      2,
    );
    const [row] = (await spec.db.query(`WITH audit AS (${fragment.text}) SELECT $1::int AS answer`, [
      42,
      ...fragment.values,
    ])) as Array<{ answer: number }>;
    expect(row.answer).toBe(42);
    const rows = await rowsFor('frag-a');
    expect(rows.map((r) => [r.event_type, r.outcome, r.actor_type, r.ip])).toEqual([
      [AUDIT_EVENT_TYPES.TOKENS_ISSUED, 'SUCCESS', 'CLIENT', '192.0.2.7'],
      [AUDIT_EVENT_TYPES.TOKEN_REVOKED, 'FAILURE', 'SYSTEM', null],
    ]);
    expect(rows[0].details).toEqual({ grant: 'client_credentials', client_secret: '[REDACTED]' });
    expect(JSON.stringify(fragment.values)).not.toContain('hunter2');
  });

  it('writes nothing when the caller’s condition does not hold, and rolls back with the statement', async () => {
    const event = {
      type: AUDIT_EVENT_TYPES.TOKENS_ISSUED,
      outcome: 'SUCCESS' as const,
      actor: { type: 'CLIENT' as const },
      clientId: 'frag-b',
    };
    const skipped = audit.fragment([event], 1, { when: 'EXISTS (SELECT 1 FROM nothing)' });
    await spec.db.query(`WITH nothing AS (SELECT 1 WHERE false), audit AS (${skipped.text}) SELECT 1`, skipped.values);
    expect(await rowsFor('frag-b')).toEqual([]);

    const failing = audit.fragment([event], 1);
    await expect(spec.db.query(`WITH audit AS (${failing.text}) SELECT 1 / 0`, failing.values)).rejects.toThrow();
    expect(await rowsFor('frag-b')).toEqual([]);
  });

  it('keeps the same text whatever the number of events, so it can be prepared once', () => {
    const one = audit.fragment(
      [{ type: AUDIT_EVENT_TYPES.TOKENS_ISSUED, outcome: 'SUCCESS', actor: { type: 'SYSTEM' } }],
      3,
    );
    const none = audit.fragment([], 3);
    expect(one.text).toBe(none.text);
    expect(one.values).toHaveLength(1);
  });

  it('records several events in one INSERT through recordAll', async () => {
    await spec.db.transaction((manager) =>
      audit.recordAll(manager, [
        { type: AUDIT_EVENT_TYPES.TOKENS_ISSUED, outcome: 'SUCCESS', actor: { type: 'CLIENT' }, clientId: 'frag-c' },
        {
          type: AUDIT_EVENT_TYPES.REFRESH_TOKEN_ROTATED,
          outcome: 'SUCCESS',
          actor: { type: 'CLIENT' },
          clientId: 'frag-c',
        },
      ]),
    );
    expect((await rowsFor('frag-c')).map((r) => r.event_type)).toEqual([
      AUDIT_EVENT_TYPES.TOKENS_ISSUED,
      AUDIT_EVENT_TYPES.REFRESH_TOKEN_ROTATED,
    ]);
  });
});
