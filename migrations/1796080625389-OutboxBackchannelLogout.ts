import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Connect Back-Channel Logout 1.0 (helper "outbox", issue 15 item 4).
 *
 * - oauth_clients gains `backchannel_logout_uri` and `backchannel_logout_session_required` (§2.2).
 * - Every end of a session enqueues one `session_ended` outbox message IN THE SAME STATEMENT that ends it: a
 *   row trigger on the status change ACTIVE -> REVOKED or EXPIRED. Sessions end in many places (RP-initiated
 *   logout, self-service and agent revocation, refresh-token reuse, a directory disable found at refresh,
 *   device revocation, the expire-sessions job's SQL function, client deactivation); the trigger reaches every
 *   one of them, and any added later, without another statement on the hot paths (a refresh's rotation keeps
 *   its single statement). `UPDATE OF status ... WHEN` keeps it off every other update of a session (the
 *   sliding idle expiry on each refresh). The handler (src/logout) fans the message out to the session's
 *   clients and to Shared Signals receivers. The payload holds ids only: no reason text (an agent may type
 *   anything there), no secret.
 */
export class OutboxBackchannelLogout1796080625389 implements MigrationInterface {
  name = 'OutboxBackchannelLogout1796080625389';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_uri text`);
    await db.query(
      `ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT false`,
    );
    await db.query(`
      CREATE FUNCTION enqueue_session_ended() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO outbox_messages (channel, destination, ordering_key, payload, created_at, next_attempt_at)
        VALUES ('session_ended', NEW.id::text, NULL,
                jsonb_build_object('sid', NEW.id, 'cupid', NEW.cupid, 'clientId', NEW.client_id, 'status', NEW.status,
                                   'endedBy', split_part(COALESCE(NEW.revoked_by, 'SYSTEM:expiry'), ':', 1),
                                   'endedAt', COALESCE(NEW.revoked_at, now())),
                now(), now());
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER sessions_enqueue_session_ended AFTER UPDATE OF status ON sessions
      FOR EACH ROW WHEN (OLD.status = 'ACTIVE' AND NEW.status <> 'ACTIVE')
      EXECUTE FUNCTION enqueue_session_ended()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER IF EXISTS sessions_enqueue_session_ended ON sessions`);
    await db.query(`DROP FUNCTION IF EXISTS enqueue_session_ended()`);
    await db.query(`ALTER TABLE oauth_clients DROP COLUMN IF EXISTS backchannel_logout_session_required`);
    await db.query(`ALTER TABLE oauth_clients DROP COLUMN IF EXISTS backchannel_logout_uri`);
  }
}
