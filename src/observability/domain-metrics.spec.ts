import { Registry } from 'prom-client';
import { AUDIT_EVENT_TYPES as T } from '../audit/audit-events';
import { DomainMetrics } from './domain-metrics';

/** Which audit event moves which series: the table, one row per case (no HTTP, no database). */
describe('the domain metrics follow the audit events', () => {
  async function after(event: { type: string; outcome: string; details?: Record<string, unknown> }) {
    const registry = new Registry();
    new DomainMetrics(registry).auditEvent(event);
    const moved: string[] = [];
    for (const metric of await registry.getMetricsAsJSON())
      for (const value of metric.values as Array<{ labels: Record<string, string | number>; value: number }>)
        if (value.value !== 0)
          moved.push(
            `${metric.name}{${Object.entries(value.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')}} ${value.value}`,
          );
    return moved;
  }

  it.each([
    [T.JOURNEY_STARTED, {}, 'ciam_journeys_started_total{} 1'],
    [T.JOURNEY_COMPLETED, {}, 'ciam_journeys_ended_total{outcome=completed} 1'],
    [T.JOURNEY_FAILED, { reason: 'too many failed PASSWORD attempts' }, 'ciam_journeys_ended_total{outcome=failed} 1'],
    [T.PASSWORD_VERIFIED, {}, 'ciam_password_checks_total{outcome=success} 1'],
    [T.PASSWORD_REJECTED, { reason: 'account_locked' }, 'ciam_password_checks_total{outcome=account_locked} 1'],
    [T.PASSWORD_REJECTED, { reason: 'something new' }, 'ciam_password_checks_total{outcome=other} 1'],
    [T.SMS_OTP_SENT, { provider: 'http' }, 'ciam_factor_challenges_total{factor=sms} 1'],
    [T.PUSH_SENT, { provider: 'http' }, 'ciam_factor_challenges_total{factor=push} 1'],
    [T.OTP_REJECTED, { reason: 'expired' }, 'ciam_factor_failures_total{factor=sms,reason=expired} 1'],
    [T.EMAIL_CODE_SENT, { purpose: 'login' }, 'ciam_factor_challenges_total{factor=email} 1'],
    [
      T.OTP_REJECTED,
      { reason: 'invalid', factor: 'email' },
      'ciam_factor_failures_total{factor=email,reason=invalid} 1',
    ],
    [T.MFA_REFUSED_LOCKED, { step: 'EMAIL_OTP' }, 'ciam_factor_failures_total{factor=email,reason=locked} 1'],
    [T.PUSH_COMPLETED, { outcome: 'denied' }, 'ciam_factor_failures_total{factor=push,reason=denied} 1'],
    [T.MFA_REFUSED_LOCKED, { step: 'PUSH' }, 'ciam_factor_failures_total{factor=push,reason=locked} 1'],
    [T.LOCKOUT_ENGAGED, { subject: 'account' }, 'ciam_lockouts_total{kind=account} 1'],
    [T.LOCKOUT_ENGAGED, { subject: 'ip' }, 'ciam_lockouts_total{kind=ip} 1'],
    [T.LOCKOUT_ENGAGED, { subject: 'client' }, 'ciam_lockouts_total{kind=client} 1'],
    [T.LOCKOUT_ENGAGED, { subject: 'customer:CUPID-1' }, 'ciam_lockouts_total{kind=other} 1'],
    [T.MFA_LOCKED, {}, 'ciam_lockouts_total{kind=mfa} 1'],
  ])('%s %j moves %s', async (type, details, series) => {
    expect(await after({ type, outcome: 'SUCCESS', details })).toEqual([series]);
  });

  it.each([
    [T.PUSH_COMPLETED, { outcome: 'approved' }],
    // A verification code under /me is not a sign-in challenge.
    [T.EMAIL_CODE_SENT, { purpose: 'verify' }],
    [T.TOKENS_ISSUED, {}],
    [T.SESSION_CREATED, {}],
  ])('%s %j moves nothing', async (type, details) => {
    expect(await after({ type, outcome: 'SUCCESS', details })).toEqual([]);
  });

  it('counts a refused device proof as a challenge and a failure', async () => {
    expect(
      await after({ type: T.DEVICE_PROOF_REJECTED, outcome: 'FAILURE', details: { reason: 'stale challenge' } }),
    ).toEqual([
      'ciam_factor_challenges_total{factor=device} 1',
      'ciam_factor_failures_total{factor=device,reason=rejected} 1',
    ]);
  });
});
