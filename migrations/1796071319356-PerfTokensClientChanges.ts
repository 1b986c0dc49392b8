import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client cache invalidation (helper "perf-tokens", issue 14): every instance keeps the registered clients in
 * memory (src/clients/client-cache.ts) and LISTENs on ciam_client_changes. This trigger announces every
 * change to an oauth_clients row, whoever makes it (the service, the CLI, an operator's own SQL), in the
 * transaction of the change: PostgreSQL delivers the notification when, and only if, it commits.
 */
export class PerfTokensClientChanges1796071319356 implements MigrationInterface {
  name = 'PerfTokensClientChanges1796071319356';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION announce_client_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          PERFORM pg_notify('ciam_client_changes', 'changed:' || OLD.client_id);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.client_id <> OLD.client_id) THEN
          PERFORM pg_notify('ciam_client_changes', 'changed:' || NEW.client_id);
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER oauth_clients_announce_change AFTER INSERT OR UPDATE OR DELETE ON oauth_clients
      FOR EACH ROW EXECUTE FUNCTION announce_client_change()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER IF EXISTS oauth_clients_announce_change ON oauth_clients`);
    await db.query(`DROP FUNCTION IF EXISTS announce_client_change()`);
  }
}
