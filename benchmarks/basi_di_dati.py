"""What the benchmark scripts share about their database."""

from __future__ import annotations

import os

import dj_database_url
import psycopg


def crea_database_postgres() -> None:
    """Create the PostgreSQL database of DATABASE_URL if it is missing (benchmark convenience)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    conf = dj_database_url.parse(url)
    with psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=conf["HOST"] or "127.0.0.1",
        port=conf["PORT"] or 5432,
        user=conf["USER"],
        password=conf["PASSWORD"] or None,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [conf["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{conf["NAME"]}"')
