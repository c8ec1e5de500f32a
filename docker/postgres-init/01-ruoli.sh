#!/bin/bash
# Run once by the postgres image on a fresh data volume (docker-entrypoint-initdb.d), as the
# superuser POSTGRES_USER. Creates the two roles of POA:
#   poa_owner  owns the database, its schema and every table: the migrations run as it;
#   poa_app    the application (web, worker, beat): reads and writes rows, owns nothing, so it cannot
#              TRUNCATE, ALTER TABLE … DISABLE TRIGGER nor SET session_replication_role and the
#              immutability triggers of approved plans and frozen versions hold against it.
# The tables the owner creates are granted to poa_app by the default privileges below (and again
# by `manage.py concedi_privilegi`, which the migrate service runs after `migrate`).
# On an existing volume this script does not run: run it by hand once, e.g.
#   docker compose exec -e POA_OWNER_PASSWORD=… -e POA_APP_PASSWORD=… db bash /docker-entrypoint-initdb.d/01-ruoli.sh
set -euo pipefail

: "${POA_OWNER_PASSWORD:?Imposta POA_OWNER_PASSWORD}"
: "${POA_APP_PASSWORD:?Imposta POA_APP_PASSWORD}"
database="${POSTGRES_DB:-poa}"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$database" \
    -v owner_pw="$POA_OWNER_PASSWORD" -v app_pw="$POA_APP_PASSWORD" -v db="$database" <<'SQL'
SELECT 'CREATE ROLE poa_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'poa_owner') \gexec
SELECT 'CREATE ROLE poa_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'poa_app') \gexec
ALTER ROLE poa_owner PASSWORD :'owner_pw';
ALTER ROLE poa_app PASSWORD :'app_pw';

ALTER DATABASE :"db" OWNER TO poa_owner;
ALTER SCHEMA public OWNER TO poa_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO poa_app;
ALTER DEFAULT PRIVILEGES FOR ROLE poa_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO poa_app;
ALTER DEFAULT PRIVILEGES FOR ROLE poa_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO poa_app;
SQL
