import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A confidential client registered for private_key_jwt (RFC 7523) authenticates with its keys only: the token
 * endpoint refuses any secret it sends, so keeping one stored (generated at registration, shown once) was a
 * credential with no use that an operator could still mistake for a working one. The rule of the first OAuth
 * migration (a confidential client has a secret, a public one none) becomes:
 * - a public client has no secret;
 * - a confidential client with token_endpoint_auth_method private_key_jwt has none, nor a previous one;
 * - any other confidential client (client_secret_basic / _post, or null: the type's rule) has one.
 * Secrets already stored for private_key_jwt clients are dropped (they could not authenticate anyway).
 */
export class ClientsHelperKeyClientsWithoutSecret1796096200000 implements MigrationInterface {
  name = 'ClientsHelperKeyClientsWithoutSecret1796096200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      UPDATE oauth_clients
         SET secret_hash = NULL, previous_secret_hash = NULL, previous_secret_expires_at = NULL
       WHERE type = 'CONFIDENTIAL' AND token_endpoint_auth_method = 'private_key_jwt';
      ALTER TABLE oauth_clients
        DROP CONSTRAINT oauth_clients_check,
        ADD CONSTRAINT oauth_clients_secret_by_auth_method CHECK (
          CASE
            WHEN type = 'PUBLIC' THEN secret_hash IS NULL
            WHEN token_endpoint_auth_method = 'private_key_jwt' THEN secret_hash IS NULL AND previous_secret_hash IS NULL
            ELSE secret_hash IS NOT NULL
          END
        );
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    // The dropped secrets cannot come back: such a client gets a hash nothing verifies against (not argon2).
    await db.query(`
      ALTER TABLE oauth_clients DROP CONSTRAINT oauth_clients_secret_by_auth_method;
      UPDATE oauth_clients SET secret_hash = 'none: private_key_jwt'
       WHERE type = 'CONFIDENTIAL' AND secret_hash IS NULL;
      ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_check CHECK ((type = 'CONFIDENTIAL') = (secret_hash IS NOT NULL));
    `);
  }
}
