import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * push_challenges: the push factor's own state (issue 20: one table, one owning repository). Until now a
 * push challenge and the device's answer lived in the journey's transaction row
 * (`auth_transactions.challenge`), so the push factor wrote a table the journeys own. A challenge is
 * created when a push reached a device; the device's answer moves it out of PENDING once (a conditional
 * UPDATE, docs/architecture.md rule 5); the journey keeps only its id and asks the factor for a verdict.
 *
 * `number` is the two-digit number to match (shown at sign-in, never pushed); `device_ids` the devices it
 * went to (only they may answer); `answered_by_thumbprint` the approving device's key, which the journey
 * policy keeps from vouching for itself. `context_id` is set to NULL when the journey is purged, like
 * push_prompts; the rows themselves go with the journey-data purge through the push factor's repository.
 * Rows that were in flight at deploy time (a challenge inside `auth_transactions.challenge`) are not
 * carried over: their long-poll answers "expired" and the same token sends a new push.
 */
export class PushChallenges1796065162518 implements MigrationInterface {
  name = 'PushChallenges1796065162518';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE push_challenges (
        id                      uuid PRIMARY KEY,
        context_id              uuid REFERENCES auth_contexts (id) ON DELETE SET NULL,
        cupid                   text NOT NULL CHECK (length(cupid) BETWEEN 1 AND 64),
        device_ids              uuid[] NOT NULL,
        number                  smallint NOT NULL CHECK (number BETWEEN 10 AND 99),
        status                  text NOT NULL DEFAULT 'PENDING'
                                CHECK (status IN ('PENDING', 'APPROVED', 'DENIED', 'REJECTED', 'EXPIRED')),
        reason                  text,
        created_at              timestamptz NOT NULL,
        expires_at              timestamptz NOT NULL,
        answered_at             timestamptz,
        answered_by_device_id   uuid,
        answered_by_thumbprint  text,
        CONSTRAINT chk_push_challenges_answered CHECK ((status IN ('PENDING', 'EXPIRED')) = (answered_at IS NULL))
      );
      -- The long-poll finds the journey's waiting challenge; the purge walks by age.
      CREATE INDEX idx_push_challenges_context ON push_challenges (context_id, created_at DESC);
      CREATE INDEX idx_push_challenges_created ON push_challenges (created_at);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS push_challenges`);
  }
}
