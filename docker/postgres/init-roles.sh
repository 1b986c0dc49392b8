#!/bin/sh
# First start of the compose stack's PostgreSQL (docker-entrypoint-initdb.d, run as the superuser):
# the database, its two roles and what each may do. See docker/postgres/README.md.
#   ciam_owner  owns the database and schema; the migrate step and the audit-partitions job use it.
#   ciam_app    the serving app: data only (SELECT/INSERT/UPDATE/DELETE, sequences, the functions it
#               calls), no DDL, no TRUNCATE, no CREATE in any schema.
set -eu
: "${CIAM_OWNER_PASSWORD:?}" "${CIAM_APP_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$CIAM_OWNER_PASSWORD" -v app_pw="$CIAM_APP_PASSWORD" <<'SQL'
CREATE ROLE ciam_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE ciam_app LOGIN PASSWORD :'app_pw';
CREATE DATABASE ciam OWNER ciam_owner;
REVOKE ALL ON DATABASE ciam FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ciam TO ciam_app;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname ciam <<'SQL'
-- Loaded by shared_preload_libraries (docker-compose.yml); the view lives in the database the DBA queries.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

ALTER SCHEMA public OWNER TO ciam_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ciam_app;

-- Every table, sequence and function the migrations (run as ciam_owner) create gets these grants as it is
-- created, so a new migration needs no grant of its own.
ALTER DEFAULT PRIVILEGES FOR ROLE ciam_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ciam_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ciam_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ciam_app;
-- Functions are executable by PUBLIC by default; only the app gets them. They run with the caller's
-- rights (SECURITY INVOKER), so the cleanup functions do what the app's table grants allow and no more:
-- create_audit_partition() (CREATE TABLE, ATTACH PARTITION) fails for ciam_app, which is why the
-- audit-partitions job runs as ciam_owner (the db-maintenance service), not in the app.
ALTER DEFAULT PRIVILEGES FOR ROLE ciam_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE ciam_owner IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ciam_app;
SQL
