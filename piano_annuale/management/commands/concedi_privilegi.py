"""``manage.py concedi_privilegi``: give the application's role the rows of every table (PostgreSQL).

Run as the owner role, after ``migrate`` (docker-compose's migrate service does both)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from piano_annuale.ruolo_database import RuoloNonValido, concedi_privilegi


class Command(BaseCommand):
    help = (
        "Concede al ruolo dell'applicazione (DATABASE_APP_ROLE o --ruolo) lettura e scrittura delle righe "
        "di tutte le tabelle, ora e per quelle create dalle migrazioni future; da eseguire come proprietario."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ruolo", default=None, help="ruolo dell'applicazione (predefinito: DATABASE_APP_ROLE)"
        )

    def handle(self, *args: Any, **opzioni: Any) -> None:
        ruolo = opzioni["ruolo"] or getattr(settings, "DATABASE_APP_ROLE", "")
        if not ruolo:
            raise CommandError("Indicare il ruolo dell'applicazione con --ruolo o DATABASE_APP_ROLE.")
        try:
            tabelle = concedi_privilegi(ruolo)
        except RuoloNonValido as errore:
            raise CommandError(str(errore)) from errore
        self.stdout.write(f"Ruolo «{ruolo}»: lettura e scrittura delle righe di {tabelle} tabelle.")
