import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { CLIENT_CHANGES_CHANNEL, ClientChangeKind } from './client-cache';
import { OAuthClient } from './oauth-client.entity';

export interface ClientPage {
  clients: OAuthClient[];
  /** The id to pass as `after` for the next page; null on the last one. */
  next: string | null;
}

/** The only code that reads or writes oauth_clients. */
@Injectable()
export class ClientsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Active clients only: a deactivated client can neither authenticate nor redeem anything. */
  findActive(clientId: string, manager: EntityManager = this.dataSource.manager): Promise<OAuthClient | null> {
    return manager.getRepository(OAuthClient).findOneBy({ clientId, active: true });
  }

  exists(clientId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return manager.getRepository(OAuthClient).existsBy({ clientId });
  }

  async insert(manager: EntityManager, client: Partial<OAuthClient>): Promise<OAuthClient> {
    const repository = manager.getRepository(OAuthClient);
    return repository.save(repository.create(client));
  }

  find(clientId: string): Promise<OAuthClient | null> {
    return this.dataSource.getRepository(OAuthClient).findOneBy({ clientId });
  }

  /** The row, locked until the transaction ends: an administrative change reads and writes it as one. */
  findForUpdate(manager: EntityManager, clientId: string): Promise<OAuthClient | null> {
    return manager
      .getRepository(OAuthClient)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.client_id = :clientId', { clientId })
      .getOne();
  }

  async update(manager: EntityManager, clientId: string, changes: Partial<OAuthClient>): Promise<void> {
    // TypeORM's deep-partial type cannot see that jwks (jsonb) is plain JSON.
    await manager
      .getRepository(OAuthClient)
      .update({ clientId }, changes as Parameters<Repository<OAuthClient>['update']>[1]);
  }

  async deactivate(manager: EntityManager, clientId: string, at: Date): Promise<boolean> {
    const result = await manager
      .getRepository(OAuthClient)
      .update({ clientId, active: true }, { active: false, deactivatedAt: at });
    return (result.affected ?? 0) > 0;
  }

  async reactivate(manager: EntityManager, clientId: string): Promise<boolean> {
    const result = await manager
      .getRepository(OAuthClient)
      .update({ clientId, active: false }, { active: true, deactivatedAt: null });
    return (result.affected ?? 0) > 0;
  }

  /** Keyset pagination by client id (the primary key): stable while clients are added. */
  async page(limit: number, after?: string, active?: boolean): Promise<ClientPage> {
    const query = this.dataSource.getRepository(OAuthClient).createQueryBuilder('c').orderBy('c.client_id', 'ASC');
    if (after !== undefined) query.andWhere('c.client_id > :after', { after });
    if (active !== undefined) query.andWhere('c.active = :active', { active });
    const rows = await query.limit(limit + 1).getMany();
    const clients = rows.slice(0, limit);
    return { clients, next: rows.length > limit ? clients[clients.length - 1].clientId : null };
  }

  /**
   * Tells every instance's client cache (ClientCache) that the client failed to authenticate (`failure`) or
   * changed (`changed`: a trigger on oauth_clients already announces every change to a row). Call it in the
   * transaction it belongs to: PostgreSQL delivers the notification when, and only if, that commits.
   */
  async announce(manager: EntityManager, kind: ClientChangeKind, clientId: string): Promise<void> {
    await manager.query('SELECT pg_notify($1, $2)', [CLIENT_CHANGES_CHANNEL, `${kind}:${clientId}`]);
  }

  /**
   * A condition for another repository's statement: the client is still active, with the secret hash it had
   * when this instance verified it. A statement guarded by it writes nothing for a client deactivated (or
   * whose secret changed) a moment ago, so a cached client never outlives its deactivation, whatever the
   * notification's delay. A client that verified with its previous secret (a rotation's overlap) passes while
   * that secret is still the previous one and its overlap has not ended. Parameters: $clientIdParam (text),
   * $clientIdParam+1 (the hash that verified, or null) and $clientIdParam+2 (now, timestamptz).
   */
  activeCondition(clientIdParam: number): string {
    const [id, hash, at] = [clientIdParam, clientIdParam + 1, clientIdParam + 2];
    return `EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $${id}::text AND active AND (secret_hash IS NOT DISTINCT FROM $${hash}::text OR (previous_secret_hash = $${hash}::text AND previous_secret_expires_at > $${at}::timestamptz)))`;
  }

  async setBackchannelLogout(
    manager: EntityManager,
    clientId: string,
    uri: string | null,
    sessionRequired: boolean,
  ): Promise<boolean> {
    const result = await manager
      .getRepository(OAuthClient)
      .update(
        { clientId, active: true },
        { backchannelLogoutUri: uri, backchannelLogoutSessionRequired: sessionRequired },
      );
    return (result.affected ?? 0) > 0;
  }

  /** The active clients among `clientIds` that registered a back-channel logout URI. */
  findBackchannelReceivers(clientIds: string[]): Promise<OAuthClient[]> {
    if (clientIds.length === 0) return Promise.resolve([]);
    return this.dataSource
      .getRepository(OAuthClient)
      .createQueryBuilder('c')
      .where('c.client_id = ANY(:ids) AND c.active AND c.backchannel_logout_uri IS NOT NULL', { ids: clientIds })
      .getMany();
  }

  listAll(): Promise<OAuthClient[]> {
    return this.dataSource.getRepository(OAuthClient).find({ order: { clientId: 'ASC' } });
  }
}
