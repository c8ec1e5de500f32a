"""``manage.py verifica_ruolo_applicazione``: prove, as the application connects, that its role reads
rows but cannot TRUNCATE, disable triggers nor set session_replication_role (PostgreSQL).

Nothing is changed: the probes run in a transaction that is rolled back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from piano_annuale.ruolo_database import prove_del_ruolo


class Command(BaseCommand):
    help = (
        "Verifica che il ruolo con cui si collega l'applicazione legga le righe ma non possa svuotare "
        "le tabelle né aggirare i trigger di immutabilità; esce con errore altrimenti."
    )

    def handle(self, *args: Any, **opzioni: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("La verifica del ruolo si esegue solo su PostgreSQL.")
        with connection.cursor() as cursore:
            cursore.execute("SELECT current_user")
            ruolo = cursore.fetchone()[0]
        prove = prove_del_ruolo()
        for prova in prove:
            atteso = "consentita" if prova.consentita else "rifiutata"
            esito = "ok" if prova.superata else "NON SUPERATA"
            self.stdout.write(f"[{esito}] {prova.descrizione}: deve essere {atteso} – {prova.dettaglio}")
        fallite = [p for p in prove if not p.superata]
        if fallite:
            raise CommandError(
                f"Il ruolo «{ruolo}» non è adeguato: "
                + ", ".join(p.descrizione for p in fallite)
                + (" non rifiutata." if len(fallite) == 1 else " non rifiutate.")
            )
        self.stdout.write(f"Ruolo «{ruolo}»: le {len(prove)} prove sono superate.")
