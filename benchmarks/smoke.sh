#!/usr/bin/env bash
# Each benchmark and drill once at a small size, so that none rots (`make bench-smoke`; CI runs it).
# The full-size figures and their targets: README, «Prestazioni».
#
# Each script gets a database of its own, made anew for the run (poa_bench_<name> on DATABASE_URL's
# PostgreSQL server, or a file in a temporary folder on the SQLite default), empty or a copy of one
# migrated with the Cremonese plan: the scripts that write (a plan sent and approved, units added by
# the fault drill) never touch the application's database nor each other's. Without PostgreSQL the
# scripts that need it and Redis (concurrent writes, fault drill, regional database, load test) are
# skipped with a message.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}

su_postgres=false
case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) su_postgres=true ;;
esac

# database_di NOME [MODELLO]: DATABASE_URL with a new, empty database poa_bench_NOME (dropped first
# if a previous run left it), or a copy of poa_bench_MODELLO.
database_di() {
    "$PY" - "$@" <<'PYTHON'
import os, sys
import dj_database_url, psycopg
conf = dj_database_url.parse(os.environ["DATABASE_URL"])
nome = f"poa_bench_{sys.argv[1]}"
modello = f' TEMPLATE "poa_bench_{sys.argv[2]}"' if len(sys.argv) > 2 else ""
params = dict(host=conf["HOST"] or None, port=conf["PORT"] or None, user=conf["USER"] or None,
              password=conf["PASSWORD"] or None, dbname="postgres", autocommit=True)
with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{nome}"{modello}')
url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
print(f"{url}/{nome}")
PYTHON
}

# On SQLite each script gets a file of its own in a temporary folder, never the demo's var/db.sqlite3.
cartella=$(mktemp -d)
trap 'rm -rf "$cartella"' EXIT
if ! $su_postgres; then
    database_di() {
        if [ $# -gt 1 ]; then cp "$cartella/$2.sqlite3" "$cartella/$1.sqlite3"; fi
        echo "sqlite:///$cartella/$1.sqlite3"
    }
fi

# The scripts that read the Cremonese plan get a copy of one database, migrated and loaded once.
printf '\n==> database modello: migrazioni e piano del Cremonese\n'
modello=$(database_di modello)
DATABASE_URL=$modello "$PY" manage.py migrate --noinput -v 0
DATABASE_URL=$modello "$PY" manage.py carica_piano >/dev/null

esegui() {  # esegui NOME COMANDO...: run COMANDO on a new, empty database of its own
    local nome=$1
    shift
    printf '\n==> %s\n' "$*"
    DATABASE_URL=$(database_di "$nome") "$@"
}

con_piano() {  # con_piano NOME COMANDO...: as esegui, on a copy of the database with the Cremonese plan
    local nome=$1
    shift
    printf '\n==> %s\n' "$*"
    DATABASE_URL=$(database_di "$nome" modello) "$@"
}

solo_postgres() {  # solo_postgres esegui|con_piano NOME COMANDO...: skipped without PostgreSQL
    if $su_postgres; then
        "$@"
    else
        printf '\n==> %s: saltato (richiede PostgreSQL e Redis: impostare DATABASE_URL)\n' "$3 $4"
    fi
}

esegui import "$PY" benchmarks/import_units.py --smoke
esegui api "$PY" benchmarks/api_bulk.py --smoke
esegui pdf "$PY" benchmarks/pdf.py --runs 1 --grande --grande-scala 0.1
con_piano cache "$PY" benchmarks/cache_calcolo.py --runs 1
con_piano file_ostili "$PY" benchmarks/file_ostili.py --smoke
con_piano invio "$PY" benchmarks/invio_approvazione.py --smoke
solo_postgres con_piano scritture "$PY" benchmarks/scritture_concorrenti.py --enti 2 --salvataggi 3
solo_postgres esegui regione "$PY" benchmarks/regione.py --scala 0.02 --giri 1 --ripetizioni 2
solo_postgres esegui carico "$PY" benchmarks/carico.py --smoke
solo_postgres con_piano guasti "$PY" scripts/guasti.py --smoke
