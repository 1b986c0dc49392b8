import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../database/sql';

export interface SetReceiver {
  id: string;
  name: string;
  endpointUrl: string;
  audience: string;
  eventTypes: string[];
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type Row = {
  id: string;
  name: string;
  endpoint_url: string;
  audience: string;
  event_types: string[];
  active: boolean;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = 'id, name, endpoint_url, audience, event_types, active, created_at, updated_at';

/** Owns set_receivers: the Shared Signals receivers SETs are pushed to (src/signals). */
@Injectable()
export class SetReceiversRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    receiver: Pick<SetReceiver, 'name' | 'endpointUrl' | 'audience' | 'eventTypes'>,
  ): Promise<SetReceiver> {
    const [row] = await rowsOf<Row>(
      manager,
      `INSERT INTO set_receivers (name, endpoint_url, audience, event_types) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [receiver.name, receiver.endpointUrl, receiver.audience, receiver.eventTypes],
    );
    return toReceiver(row);
  }

  async deactivate(manager: EntityManager, id: string): Promise<SetReceiver | null> {
    const [row] = await rowsOf<Row>(
      manager,
      `UPDATE set_receivers SET active = false, updated_at = now() WHERE id = $1 AND active RETURNING ${COLUMNS}`,
      [id],
    );
    return row ? toReceiver(row) : null;
  }

  async list(): Promise<SetReceiver[]> {
    const rows = await rowsOf<Row>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM set_receivers ORDER BY created_at, id LIMIT 1000`,
    );
    return rows.map(toReceiver);
  }

  async findActive(id: string): Promise<SetReceiver | null> {
    const [row] = await rowsOf<Row>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM set_receivers WHERE id = $1 AND active`,
      [id],
    );
    return row ? toReceiver(row) : null;
  }

  /** The active receivers that asked for `eventType`. */
  async wanting(eventType: string): Promise<SetReceiver[]> {
    const rows = await rowsOf<Row>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM set_receivers WHERE active AND event_types @> ARRAY[$1::text] ORDER BY id LIMIT 1000`,
      [eventType],
    );
    return rows.map(toReceiver);
  }
}

function toReceiver(row: Row): SetReceiver {
  return {
    id: row.id,
    name: row.name,
    endpointUrl: row.endpoint_url,
    audience: row.audience,
    eventTypes: row.event_types,
    active: row.active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
