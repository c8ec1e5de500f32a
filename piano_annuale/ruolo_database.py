"""The application's database role (PostgreSQL): rows, never tables.

The application connects with a role that owns no table: it reads and writes rows but cannot
``TRUNCATE``, ``ALTER TABLE … DISABLE TRIGGER`` nor ``SET session_replication_role``, so the
immutability triggers (migrations 0002 and 0008) hold against it. The tables belong to the owner
role that runs the migrations; ``concedi_privilegi`` (run as the owner, after ``migrate``) gives the
application's role the rows of every table, and ``prove_del_ruolo`` (run as the application) proves
what it may and may not do, inside a transaction that is always rolled back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper

# A role name as the deployment writes it: no quoting games.
NOME_RUOLO = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The table the destructive probes aim at: the frozen versions, protected by the first trigger.
TABELLA_PROVA = "piano_annuale_versionepiano"
# PostgreSQL's SQLSTATE for «permission denied» and «must be owner»: the only refusal that counts.
PRIVILEGIO_INSUFFICIENTE = "42501"


class RuoloNonValido(ValueError):
    """The application's role is missing, badly named, or would own or bypass the tables."""


def _ruolo(nome: str) -> str:
    if not NOME_RUOLO.match(nome):
        raise RuoloNonValido(
            f"Nome del ruolo dell'applicazione non valido: «{nome}» (lettere minuscole, cifre e _)."
        )
    return nome


def istruzioni_privilegi(ruolo: str) -> list[str]:
    """The GRANTs (and REVOKEs) that give ``ruolo`` the rows of the schema and nothing else.

    ``ALTER DEFAULT PRIVILEGES`` covers the tables and sequences later migrations create, as long
    as the same owner role runs them. TRUNCATE, TRIGGER and REFERENCES are revoked explicitly, in
    case an earlier deployment granted ALL. UPDATE on the sequences lets ``ripristina`` realign them
    after inserting rows with their primary keys.
    """
    r = _ruolo(ruolo)
    return [
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {r}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}",
    ]


def concedi_privilegi(ruolo: str) -> int:
    """Grant ``ruolo`` the rows of every table (idempotent); the number of tables it can now write.

    Refused when the role does not exist, is a superuser or may bypass row security, owns a table
    of the schema, or is the role connected now (the grants are given by the owner).
    """
    r = _ruolo(ruolo)
    if connection.vendor != "postgresql":
        raise RuoloNonValido("I ruoli del database si configurano solo su PostgreSQL.")
    with transaction.atomic(), connection.cursor() as cursore:
        cursore.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [r])
        riga = cursore.fetchone()
        if riga is None:
            raise RuoloNonValido(
                f"Il ruolo «{r}» non esiste nel database: crearlo prima (docker/postgres-init)."
            )
        if riga[0]:
            raise RuoloNonValido(
                f"Il ruolo «{r}» è un superutente: l'applicazione deve usare un ruolo senza privilegi."
            )
        cursore.execute("SELECT current_user")
        if cursore.fetchone()[0] == r:
            raise RuoloNonValido(
                f"Collegati come «{r}»: i privilegi si concedono collegandosi come proprietario delle tabelle."
            )
        cursore.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [r])
        if cursore.fetchone()[0]:
            raise RuoloNonValido(
                f"Il ruolo «{r}» possiede delle tabelle: le migrazioni vanno eseguite come proprietario."
            )
        for istruzione in istruzioni_privilegi(r):
            cursore.execute(istruzione)
        cursore.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND has_table_privilege(%s, c.oid, 'INSERT,UPDATE,DELETE')",
            [r],
        )
        return int(cursore.fetchone()[0])


@dataclass(frozen=True)
class Prova:
    """One thing the application's role tried: whether it must be allowed, and what happened."""

    descrizione: str
    consentita: bool  # what must happen
    riuscita: bool  # what happened
    dettaglio: str
    codice: str = ""  # PostgreSQL's SQLSTATE of the refusal: 42501 is «insufficient privilege»

    @property
    def superata(self) -> bool:
        """Allowed and done, or refused for want of privilege (not for some other reason)."""
        if self.consentita:
            return self.riuscita
        return not self.riuscita and self.codice == PRIVILEGIO_INSUFFICIENTE


def _tenta(cursore: CursorWrapper, descrizione: str, istruzione: str, *, consentita: bool) -> Prova:
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the transaction usable
            cursore.execute(istruzione)
    except DatabaseError as errore:
        codice = getattr(errore.__cause__, "sqlstate", None) or ""
        return Prova(descrizione, consentita, False, str(errore).strip().splitlines()[0], codice)
    return Prova(descrizione, consentita, True, "eseguita")


def prove_del_ruolo() -> list[Prova]:
    """What the connected role may do: read rows; not truncate, disable triggers nor replicate.

    Everything runs in one transaction rolled back at the end, so even a role that could truncate
    leaves the data as it was.
    """
    with transaction.atomic(), connection.cursor() as cursore:
        # Deferred foreign-key checks pending in this transaction would make TRUNCATE fail for
        # another reason: run them now, so that only a missing privilege refuses it.
        cursore.execute("SET CONSTRAINTS ALL IMMEDIATE")
        prove = [
            _tenta(cursore, "lettura delle righe", f"SELECT count(*) FROM {TABELLA_PROVA}", consentita=True),
            _tenta(cursore, "TRUNCATE", f"TRUNCATE {TABELLA_PROVA} CASCADE", consentita=False),
            _tenta(
                cursore,
                "ALTER TABLE … DISABLE TRIGGER",
                f"ALTER TABLE {TABELLA_PROVA} DISABLE TRIGGER {TABELLA_PROVA}_immutabile",
                consentita=False,
            ),
            _tenta(
                cursore,
                "SET session_replication_role",
                "SET LOCAL session_replication_role = replica",
                consentita=False,
            ),
        ]
        transaction.set_rollback(True)
    return prove
