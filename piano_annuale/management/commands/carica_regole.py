"""``manage.py carica_regole FILE.json``: create or update rule sets from a JSON list.

The file is shaped like ``piano_annuale/migrations/dati/regole_2018_2025.json``: a list of objects
with ``codice``, ``nome``, ``riferimenti``, ``in_vigore_dal`` (AAAA-MM-GG) and ``parametri``. A new
rule set is data: loading it changes what the plans computed under it say, without any code change.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from piano_annuale.services.regole import carica_regole


class Command(BaseCommand):
    help = (
        "Crea o aggiorna le regole in vigore da un file JSON (un elenco come "
        "piano_annuale/migrations/dati/regole_2018_2025.json). Ogni voce è controllata prima di "
        "scrivere: il file si carica tutto o niente; le regole applicate da un piano approvato non "
        "si possono cambiare."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("percorso", help="file JSON con l'elenco delle regole")

    def handle(self, *args: Any, percorso: str, **options: Any) -> None:
        file = pathlib.Path(percorso)
        try:
            voci = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"File non trovato: {file}.") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as errore:
            raise CommandError(f"Il file {file} non è un JSON valido: {errore}.") from None
        try:
            esito = carica_regole(voci)
        except ValidationError as errore:
            raise CommandError(f"Nessuna regola caricata. {' '.join(errore.messages)}") from None
        for titolo, codici in (
            ("Create", esito.create),
            ("Aggiornate", esito.aggiornate),
            ("Invariate", esito.invariate),
        ):
            if codici:
                self.stdout.write(f"{titolo}: {', '.join(codici)}")
        self.stdout.write(self.style.SUCCESS(f"Regole caricate da {file}."))
