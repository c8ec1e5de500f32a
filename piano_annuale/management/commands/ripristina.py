"""``manage.py ripristina --file X.tar.gz``: restore a backup into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from piano_annuale.copia_di_sicurezza import CopiaNonValida, ripristina


class Command(BaseCommand):
    help = (
        "Ripristina una copia di sicurezza (esporta_ambito) in un database vuoto, appena migrato: "
        "controlla il manifesto, inserisce le righe in una sola transazione e scrive i file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, required=True, help="archivio da ripristinare (.tar.gz)")

    def handle(self, *args: Any, **opzioni: Any) -> None:
        percorso: Path = opzioni["file"]
        if not percorso.is_file():
            raise CommandError(f"Il file «{percorso}» non esiste.")
        try:
            esito = ripristina(percorso)
        except CopiaNonValida as errore:
            raise CommandError(str(errore)) from errore
        self.stdout.write(
            f"Ripristinate {sum(esito.righe.values())} righe e {esito.file} file da {percorso}."
        )
