#!/usr/bin/env bash
# Each benchmark and drill once at a small size, so that none rots (`make bench-smoke`; CI runs it).
# The full-size figures and their targets: README, «Prestazioni».
#
# On PostgreSQL (DATABASE_URL=postgres://…) each script gets a database of its own on the same server,
# poa_bench_<name>, created when missing: the scripts that write (a plan sent and approved, units
# added by the fault drill) never touch the application's database nor each other's. On the embedded
# SQLite default the scripts that need PostgreSQL and Redis (concurrent writes, fault drill, the
# regional database and the load test) are skipped with a message.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}

su_postgres=false
case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) su_postgres=true ;;
esac

database_di() {  # database_di NOME: DATABASE_URL with the database poa_bench_NOME, created if missing
    "$PY" - "$1" <<'PYTHON'
import sys, os
import dj_database_url, psycopg
conf = dj_database_url.parse(os.environ["DATABASE_URL"])
nome = f"poa_bench_{sys.argv[1]}"
params = dict(host=conf["HOST"] or None, port=conf["PORT"] or None, user=conf["USER"] or None,
              password=conf["PASSWORD"] or None, dbname="postgres", autocommit=True)
with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (nome,)).fetchone():
        conn.execute(f'CREATE DATABASE "{nome}"')
url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
print(f"{url}/{nome}")
PYTHON
}

esegui() {  # esegui NOME COMANDO...: run COMANDO on the database of NOME (PostgreSQL) or the default
    local nome=$1
    shift
    printf '\n==> %s\n' "$*"
    if $su_postgres; then
        DATABASE_URL=$(database_di "$nome") "$@"
    else
        "$@"
    fi
}

solo_postgres() {  # solo_postgres NOME COMANDO...: as esegui, skipped without PostgreSQL
    if $su_postgres; then
        esegui "$@"
    else
        printf '\n==> %s: saltato (richiede PostgreSQL e Redis: impostare DATABASE_URL)\n' "$2 $3"
    fi
}

esegui import "$PY" benchmarks/import_units.py --smoke
esegui pdf "$PY" benchmarks/pdf.py --runs 1 --grande --grande-scala 0.1
esegui cache "$PY" benchmarks/cache_calcolo.py --runs 1
esegui file_ostili "$PY" benchmarks/file_ostili.py --smoke
esegui invio "$PY" benchmarks/invio_approvazione.py --smoke
solo_postgres scritture "$PY" benchmarks/scritture_concorrenti.py --enti 2 --salvataggi 3
solo_postgres regione "$PY" benchmarks/regione.py --scala 0.02 --giri 1 --ripetizioni 2
solo_postgres carico "$PY" benchmarks/carico.py --smoke
solo_postgres guasti "$PY" scripts/guasti.py --smoke
