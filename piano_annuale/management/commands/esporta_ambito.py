"""``manage.py esporta_ambito --ambito N | --tutto --file X.tar.gz``: a backup with its files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from piano_annuale.copia_di_sicurezza import CopiaNonValida, esporta


class Command(BaseCommand):
    help = (
        "Esporta un ambito (--ambito ID) o tutto (--tutto) in un archivio .tar.gz: le righe, i file "
        "(PDF congelati, verbali, caricamenti) e un manifesto con l'impronta SHA-256 di ogni file e il "
        "numero di righe di ogni tabella."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        gruppo = parser.add_mutually_exclusive_group(required=True)
        gruppo.add_argument("--ambito", type=int, help="id dell'ambito da esportare")
        gruppo.add_argument("--tutto", action="store_true", help="esporta tutti gli ambiti")
        parser.add_argument("--file", type=Path, required=True, help="archivio da scrivere (.tar.gz)")

    def handle(self, *args: Any, **opzioni: Any) -> None:
        percorso: Path = opzioni["file"]
        if not percorso.parent.is_dir():
            raise CommandError(f"La cartella «{percorso.parent}» non esiste.")
        try:
            esito = esporta(percorso, ambito_id=None if opzioni["tutto"] else opzioni["ambito"])
        except CopiaNonValida as errore:
            raise CommandError(str(errore)) from errore
        for avviso in esito.avvisi:
            self.stderr.write(avviso)
        righe = sum(esito.righe.values())
        self.stdout.write(f"Esportate {righe} righe e {esito.file} file ({esito.byte} byte) in {percorso}.")
