import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CLIENT_CHANGES_CHANNEL, ClientChangeKind } from './client-cache';
import { OAuthClient } from './oauth-client.entity';

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

  async deactivate(manager: EntityManager, clientId: string): Promise<boolean> {
    const result = await manager.getRepository(OAuthClient).update({ clientId, active: true }, { active: false });
    return (result.affected ?? 0) > 0;
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
   * notification's delay. Parameters: $clientIdParam (text) and $clientIdParam+1 (the hash, or null).
   */
  activeCondition(clientIdParam: number): string {
    return `EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $${clientIdParam}::text AND active AND secret_hash IS NOT DISTINCT FROM $${clientIdParam + 1}::text)`;
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
