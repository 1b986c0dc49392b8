import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SigningKey } from './signing-key.entity';

/** The only code that touches signing_keys. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  findActive(manager: EntityManager = this.dataSource.manager): Promise<SigningKey | null> {
    return manager.getRepository(SigningKey).findOneBy({ status: 'ACTIVE' });
  }

  findByKid(kid: string): Promise<SigningKey | null> {
    return this.dataSource.getRepository(SigningKey).findOneBy({ kid });
  }

  /** The keys the JWKS publishes: the active one and retired ones whose tokens may still be alive. */
  findPublished(now: Date): Promise<SigningKey[]> {
    return this.dataSource
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .where(`k.status = 'ACTIVE' OR k.publish_until > :now`, { now })
      .orderBy('k.created_at', 'DESC')
      .getMany();
  }

  /** Serialises rotations across instances for the rest of the transaction. */
  async lockForRotation(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('signing_keys.rotate'))`);
  }

  async retire(manager: EntityManager, kid: string, at: Date, publishUntil: Date): Promise<void> {
    await manager
      .getRepository(SigningKey)
      .update({ kid, status: 'ACTIVE' }, { status: 'RETIRED', retiredAt: at, publishUntil });
  }

  async insert(manager: EntityManager, key: Partial<SigningKey>): Promise<void> {
    await manager.getRepository(SigningKey).insert(key as QueryDeepPartialEntity<SigningKey>);
  }

  /** Keys sealed with another key-encryption key than `kekId`, row-locked. */
  sealedWithOther(manager: EntityManager, kekId: string): Promise<SigningKey[]> {
    return manager
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .setLock('pessimistic_write')
      .where('k.kek_id <> :kekId', { kekId })
      .getMany();
  }

  async reseal(manager: EntityManager, kid: string, privateKeyEncrypted: Buffer, kekId: string): Promise<void> {
    await manager.getRepository(SigningKey).update({ kid }, { privateKeyEncrypted, kekId });
  }
}
