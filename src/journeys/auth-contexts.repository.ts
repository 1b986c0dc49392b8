import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { rowsOf } from '../database/sql';
import { AuthContext } from './auth-context.entity';

/**
 * Owns auth_contexts. Inputs are written once (device hints may be added once, by the password step); afterwards
 * only status and CUPID move. The jobs expire and
 * purge contexts through `expireBatch` and `deleteFinishedBatch` here. Not yet its only user:
 * src/risk/risk-signals.repository.ts and src/mfa/push/push-answers.service.ts read it (docs/architecture.md,
 * "Tables and their owners").
 */
@Injectable()
export class AuthContextsRepository {
  async insert(manager: EntityManager, context: Partial<AuthContext>): Promise<AuthContext> {
    const repository = manager.getRepository(AuthContext);
    const result = await repository.insert(context as QueryDeepPartialEntity<AuthContext>);
    return repository.findOneByOrFail({ id: result.identifiers[0].id as string });
  }

  /** The journey, row-locked until the transaction ends: one step of a journey runs at a time. */
  lockById(manager: EntityManager, id: string): Promise<AuthContext | null> {
    return manager
      .getRepository(AuthContext)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.id = :id', { id })
      .getOne();
  }

  /** Who the journey has identified so far (null before the password step), read without a lock. */
  async findCupid(manager: EntityManager, id: string): Promise<string | null> {
    const context = await manager
      .getRepository(AuthContext)
      .findOne({ where: { id }, select: { id: true, cupid: true } });
    return context?.cupid ?? null;
  }

  async identify(manager: EntityManager, id: string, cupid: string): Promise<void> {
    await manager.getRepository(AuthContext).update({ id, status: 'PENDING' }, { cupid });
  }

  /**
   * The device hints a browser gives with its password when /oauth2/authorize opened the journey (the relying
   * party cannot know them): only what the start left unset is filled in, never overwritten, and only before
   * any device step has run (the password is the first step).
   */
  async attachDevice(
    manager: EntityManager,
    id: string,
    device: { deviceId?: string | null; bindDevice?: boolean; deviceKeyThumbprint?: string | null },
  ): Promise<void> {
    await manager.query(
      `UPDATE auth_contexts
          SET device_id = COALESCE(device_id, $2),
              bind_device = bind_device OR $3,
              device_key_thumbprint = COALESCE(device_key_thumbprint, $4)
        WHERE id = $1 AND status = 'PENDING'`,
      [id, device.deviceId ?? null, device.bindDevice ?? false, device.deviceKeyThumbprint ?? null],
    );
  }

  async complete(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager
      .getRepository(AuthContext)
      .update({ id, status: 'PENDING' }, { status: 'COMPLETED', completedAt: at });
  }

  async fail(manager: EntityManager, id: string, reason: string): Promise<void> {
    await manager
      .getRepository(AuthContext)
      .update({ id, status: 'PENDING' }, { status: 'FAILED', failureReason: reason });
  }

  /** Data lifecycle (expire-contexts job): up to `batch` pending journeys past expiry become EXPIRED. */
  async expireBatch(manager: EntityManager, batch: number, asOf: Date): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(manager, 'SELECT cleanup_expired_contexts($1, $2) AS n', [batch, asOf]);
    return Number(row?.n ?? 0);
  }

  /**
   * Data lifecycle (purge job): finished journeys older than the retention; their transactions and risk
   * evaluations go with them by ON DELETE CASCADE (the foreign keys are the migrations').
   */
  async deleteFinishedBatch(manager: EntityManager, batch: number, asOf: Date, retentionDays: number): Promise<number> {
    const [row] = await rowsOf<{ n: number }>(
      manager,
      'SELECT cleanup_old_journeys(make_interval(days => $3), $1, $2) AS n',
      [batch, asOf, retentionDays],
    );
    return Number(row?.n ?? 0);
  }
}
