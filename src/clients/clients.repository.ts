import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
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

  listAll(): Promise<OAuthClient[]> {
    return this.dataSource.getRepository(OAuthClient).find({ order: { clientId: 'ASC' } });
  }
}
