import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Back-channel logout with single sign-on (helper "outbox", issue 15 item 4): the session_ended message also
 * names every client that received a code under the session (sessions.client_ids, migration
 * SsoProviderSessions), so a client that signed in by SSO is told even before it holds a token of the session.
 * The trigger itself (migration OutboxBackchannelLogout) is unchanged; only its function is replaced.
 */
export class OutboxSessionEndedClientIds1796084313172 implements MigrationInterface {
  name = 'OutboxSessionEndedClientIds1796084313172';

  async up(db: QueryRunner): Promise<void> {
    await db.query(enqueueSessionEnded(true));
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(enqueueSessionEnded(false));
  }
}

function enqueueSessionEnded(withClientIds: boolean): string {
  return `
    CREATE OR REPLACE FUNCTION enqueue_session_ended() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO outbox_messages (channel, destination, ordering_key, payload, created_at, next_attempt_at)
      VALUES ('session_ended', NEW.id::text, NULL,
              jsonb_build_object('sid', NEW.id, 'cupid', NEW.cupid, 'clientId', NEW.client_id,${
                withClientIds
                  ? `
                                 'clientIds', to_jsonb(NEW.client_ids),`
                  : ''
              }
                                 'status', NEW.status,
                                 'endedBy', split_part(COALESCE(NEW.revoked_by, 'SYSTEM:expiry'), ':', 1),
                                 'endedAt', COALESCE(NEW.revoked_at, now())),
              now(), now());
      RETURN NULL;
    END $$`;
}
