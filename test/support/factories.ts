import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditLogInsert, AuditLogRepository } from '../../src/audit/audit-log.repository';
import { sha256 } from '../../src/common/crypto';
import type { JobName } from '../../src/config/config';
import { EsignDocument, EsignRepository } from '../../src/esign/esign.repository';
import { JobRunsRepository } from '../../src/jobs/job-runs.repository';
import { DevicesRepository } from '../../src/devices/devices.repository';
import { AuthContext } from '../../src/journeys/auth-context.entity';
import { AuthContextsRepository } from '../../src/journeys/auth-contexts.repository';
import { AuthTransaction } from '../../src/journeys/auth-transaction.entity';
import { AuthTransactionsRepository } from '../../src/journeys/auth-transactions.repository';
import { LoginAttemptsRepository } from '../../src/journeys/lockout/login-attempts.repository';
import { MfaLockoutRepository } from '../../src/mfa/mfa-lockout.repository';
import { PushChallengesRepository } from '../../src/mfa/push/push-challenges.repository';
import { PushPromptsRepository } from '../../src/mfa/push/push-prompts.repository';
import { DrsEvaluationsRepository, NewDrsEvaluation } from '../../src/risk/drs-evaluations.repository';
import { Session } from '../../src/sessions/session.entity';
import { SessionsRepository } from '../../src/sessions/sessions.repository';
import { Token } from '../../src/tokens/token.entity';
import { TokensRepository } from '../../src/tokens/tokens.repository';

export { sha256 };

/**
 * Test data written through the owning repositories' real insert methods (STYLE habit 17), so a fixture
 * row is a row the application could have written: a column the repository fills, a default it relies on,
 * or a renamed field shows up here rather than drifting in a hand-written INSERT. Every field has a
 * sensible default and can be overridden, timestamps included (the jobs specs need old rows).
 */

/** A point in time relative to now: `ago(60)` is a minute ago, `ago(-60)` a minute from now. */
export function ago(seconds: number): Date {
  return new Date(Date.now() - seconds * 1000);
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** A login journey (auth_contexts), pending for 15 minutes unless overridden. */
export function newJourney(db: DataSource, fields: Partial<AuthContext> = {}): Promise<AuthContext> {
  const completed = fields.status === 'COMPLETED';
  const createdAt = fields.createdAt ?? new Date();
  return new AuthContextsRepository().insert(db.manager, {
    clientId: 'test-spa',
    expiresAt: ago(-15 * MINUTE),
    // A completed journey has a completion time; the status alone would be a row the app never writes.
    ...(completed ? { completedAt: createdAt } : {}),
    ...fields,
  });
}

/** One step of a journey (auth_transactions); returns its id. `token` is hashed into token_hash. */
export function newTransaction(
  db: DataSource,
  fields: Partial<AuthTransaction> & { contextId: string; token?: string },
): Promise<string> {
  const { token, ...rest } = fields;
  return new AuthTransactionsRepository().insert(db.manager, {
    step: 'PASSWORD',
    tokenHash: sha256(token ?? randomBytes(16).toString('base64url')),
    expiresAt: ago(-5 * MINUTE),
    ...rest,
  });
}

/** A signed-in session, live for an hour idle and two hours absolute unless overridden. */
export function newSession(db: DataSource, fields: Partial<Session> & { cupid: string }): Promise<Session> {
  return new SessionsRepository(db).insert(db.manager, {
    clientId: 'test-spa',
    amr: ['pwd'],
    idleExpiresAt: ago(-HOUR),
    absoluteExpiresAt: ago(-2 * HOUR),
    ...fields,
  });
}

/** An access (default) or refresh token row; `value` is hashed into value_hash. Returns its id. */
export async function newToken(db: DataSource, fields: Partial<Token> & { value?: string } = {}): Promise<string> {
  const { value, ...rest } = fields;
  const [id] = await new TokensRepository(db).insertMany(db.manager, [
    {
      type: 'ACCESS',
      valueHash: sha256(value ?? randomBytes(16).toString('base64url')),
      clientId: 'test-spa',
      expiresAt: ago(-10 * MINUTE),
      ...rest,
    },
  ]);
  return id;
}

export interface NewDevice {
  cupid: string;
  name?: string;
  platform?: string | null;
  thumbprint?: string;
  /** The device's public key (a TestDevice's `publicJwk`); empty when the test never checks a signature. */
  publicKeyJwk?: Record<string, unknown>;
  pushAddress?: string | null;
  /** The binding journey; a completed one for the same customer is created when unset (the column is a foreign key). */
  contextId?: string;
  at?: Date;
  /** Set: bound after a second factor, so the device counts as a factor. */
  mfaAt?: Date | null;
}

/** A trusted device as the device-bind step leaves it (DevicesRepository.insert); returns its id. */
export async function newDevice(db: DataSource, device: NewDevice): Promise<string> {
  const contextId =
    device.contextId ?? (await newJourney(db, { cupid: device.cupid, status: 'COMPLETED', bindDevice: true })).id;
  return new DevicesRepository(db).insert(db.manager, {
    cupid: device.cupid,
    publicKeyJwk: device.publicKeyJwk ?? {},
    thumbprint: device.thumbprint ?? randomBytes(32).toString('base64url'),
    name: device.name ?? 'Test phone',
    platform: device.platform ?? null,
    pushAddress: device.pushAddress ?? null,
    contextId,
    at: device.at ?? new Date(),
    mfaAt: device.mfaAt ?? null,
  });
}

/** The journey a row belongs to when the test does not care which: a fresh pending one for the customer. */
async function journeyFor(db: DataSource, cupid: string, contextId?: string): Promise<string> {
  return contextId ?? (await newJourney(db, { cupid })).id;
}

/** A push prompt sent (push_prompts, PushPromptsRepository.record); returns its id. */
export async function newPushPrompt(
  db: DataSource,
  prompt: { cupid: string; contextId?: string; at?: Date },
): Promise<string> {
  return new PushPromptsRepository().record(db.manager, {
    cupid: prompt.cupid,
    contextId: await journeyFor(db, prompt.cupid, prompt.contextId),
    at: prompt.at ?? new Date(),
  });
}

/** A push challenge waiting for the customer's devices for two minutes unless overridden; returns its id. */
export async function newPushChallenge(
  db: DataSource,
  challenge: {
    cupid: string;
    contextId?: string;
    deviceIds?: string[];
    number?: number;
    createdAt?: Date;
    expiresAt?: Date;
  },
): Promise<string> {
  const id = randomUUID();
  const createdAt = challenge.createdAt ?? new Date();
  await new PushChallengesRepository().insert(db.manager, {
    id,
    cupid: challenge.cupid,
    contextId: await journeyFor(db, challenge.cupid, challenge.contextId),
    deviceIds: challenge.deviceIds ?? [],
    number: challenge.number ?? 42,
    createdAt,
    expiresAt: challenge.expiresAt ?? new Date(createdAt.getTime() + 2 * MINUTE * 1000),
  });
  return id;
}

/** A wrong MFA code entered (mfa_code_failures, MfaLockoutRepository.recordFailure); no journey unless given. */
export function newMfaFailure(
  db: DataSource,
  failure: { cupid: string; contextId?: string | null; at?: Date },
): Promise<void> {
  return new MfaLockoutRepository().recordFailure(db.manager, {
    cupid: failure.cupid,
    contextId: failure.contextId ?? null,
    at: failure.at ?? new Date(),
  });
}

/** A risk assessment of a journey (drs_evaluations), an ALLOW from the built-in provider unless overridden. */
export function newDrsEvaluation(
  db: DataSource,
  evaluation: Partial<NewDrsEvaluation> & { contextId: string },
): Promise<void> {
  return new DrsEvaluationsRepository().insert(db.manager, {
    cupid: null,
    recommendation: 'ALLOW',
    score: null,
    reasons: [],
    provider: 'builtin',
    rawResponse: null,
    latencyMs: 0,
    ...evaluation,
  });
}

/** An audit_logs row as AuditService would append it (AuditLogRepository.append); `at` backdates it. */
export function newAuditEvent(db: DataSource, event: Partial<AuditLogInsert> = {}): Promise<void> {
  return new AuditLogRepository().append(db.manager, {
    at: null,
    eventType: 'service.started',
    outcome: 'SUCCESS',
    actorType: 'SYSTEM',
    actorId: null,
    cupid: null,
    sessionId: null,
    contextId: null,
    clientId: null,
    ip: null,
    userAgent: null,
    details: {},
    ...event,
  });
}

/**
 * A subject's counter at exactly `count` consecutive failed sign-ins and no lock, as LockoutService leaves it:
 * cleared (LoginAttemptsRepository.clearConsecutive), then one counted failure at a time.
 */
export async function newLoginFailures(db: DataSource, subject: string, count: number): Promise<void> {
  const attempts = new LoginAttemptsRepository();
  const now = new Date();
  await attempts.clearConsecutive(db.manager, subject, now);
  for (let i = 0; i < count; i += 1) await attempts.countConsecutiveFailure(db.manager, subject, now);
}

/** An e-signature document version customers must sign (EsignRepository.publish, as the CLI does). */
export async function newEsignDocument(db: DataSource, document: Partial<EsignDocument> = {}): Promise<EsignDocument> {
  const published: EsignDocument = {
    documentId: 'terms',
    version: 'v1',
    title: 'Terms',
    url: 'https://bank.example/terms',
    sha256: '0'.repeat(64),
    ...document,
  };
  await new EsignRepository(db).publish(published);
  return published;
}

/**
 * A finished run of a job for `slot`, by `instance`, as JobRunner records it (JobRunsRepository.claimSlot then
 * recordSuccess): the job started and finished at the slot.
 */
export async function newJobRun(
  db: DataSource,
  run: { name: JobName; slot: Date; instance?: string; rows?: number },
): Promise<void> {
  const jobRuns = new JobRunsRepository();
  await jobRuns.claimSlot(db.manager, run.name, run.slot, run.slot, run.instance ?? 'test:1', false);
  await jobRuns.recordSuccess(db.manager, run.name, run.slot, run.rows ?? 0);
}
