"""``manage.py importa_unita --ente "…" --piano <id> FILE [--conferma]``: bulk upload from the shell.

For the ufficio di piano and ALER's large files: prints the preview (or the errors, row by row) and
writes only with ``--conferma``, through the same engine and the same checks as the web pages (the
ente's answer must still be open). Every run with ``--conferma`` is recorded in the upload history.
"""

from __future__ import annotations

import pathlib
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from patrimonio.importazione import (
    DatiCambiati,
    FileNonValido,
    analizza,
    anteprima,
    crea_caricamento,
    registra,
    riepilogo_testuale,
)
from patrimonio.models import EnteProprietario
from piano_annuale.controlli import messaggio_vincolo
from piano_annuale.models import PianoAnnuale, StatoCaricamento
from piano_annuale.services.errori import ModificaNonConsentita


class Command(BaseCommand):
    help = (
        "Carica le unità abitative (e il turn-over) di un ente da un foglio di calcolo: mostra "
        "l'anteprima e registra solo con --conferma."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=pathlib.Path, help="Il file .xlsx, .xls, .ods o .csv.")
        parser.add_argument("--ente", required=True, help="La denominazione dell'ente proprietario.")
        parser.add_argument("--piano", required=True, type=int, help="L'id del piano annuale.")
        parser.add_argument("--conferma", action="store_true", help="Registra le modifiche.")
        parser.add_argument("--utente", help="Nome utente da registrare come autore (facoltativo).")

    def handle(self, *args: Any, **opzioni: Any) -> None:
        piano = PianoAnnuale.objects.select_related("ambito").filter(pk=opzioni["piano"]).first()
        if piano is None:
            raise CommandError(f"Il piano {opzioni['piano']} non esiste.")
        ente = (
            EnteProprietario.objects.select_related("comune")
            .filter(ambito_id=piano.ambito_id, denominazione__iexact=opzioni["ente"].strip())
            .first()
        )
        if ente is None:
            raise CommandError(f"Nessun ente «{opzioni['ente']}» nell'ambito {piano.ambito}.")
        utente = None
        if opzioni.get("utente"):
            utente = get_user_model().objects.filter(username=opzioni["utente"]).first()
            if utente is None:
                raise CommandError(f"L'utente «{opzioni['utente']}» non esiste.")
        percorso: pathlib.Path = opzioni["file"]
        try:
            contenuto = percorso.read_bytes()
        except OSError as errore:
            raise CommandError(f"Impossibile leggere {percorso}: {errore}") from errore

        analisi = analizza(contenuto=contenuto, nome_file=percorso.name, piano=piano, ente=ente)
        self.stdout.write(f"{ente} – piano {piano.anno} ({piano.ambito})")
        self.stdout.write(riepilogo_testuale(analisi))
        if analisi.errori:
            raise CommandError("Il file contiene errori: nessun dato è stato registrato.")
        if not opzioni["conferma"]:
            self.stdout.write("Anteprima: nulla è stato registrato. Ripetere con --conferma per registrare.")
            return
        try:
            caricamento = crea_caricamento(
                piano=piano, ente=ente, utente=utente, nome_file=percorso.name, contenuto=contenuto
            )
        except FileNonValido as errore:  # already refused by the analysis; kept for clarity
            raise CommandError(str(errore)) from errore
        caricamento.anteprima = anteprima(analisi)
        try:
            esito = registra(analisi=analisi, utente=utente, caricamento=caricamento)
        except (ModificaNonConsentita, DatiCambiati) as errore:
            caricamento.stato, caricamento.esito = StatoCaricamento.FALLITO, str(errore)
            caricamento.save(update_fields=["stato", "esito"])
            raise CommandError(f"{errore} Nessun dato è stato registrato.") from errore
        except IntegrityError as errore:
            caricamento.stato, caricamento.esito = StatoCaricamento.FALLITO, messaggio_vincolo(errore)
            caricamento.save(update_fields=["stato", "esito"])
            raise CommandError(f"{messaggio_vincolo(errore)} Nessun dato è stato registrato.") from errore
        self.stdout.write(self.style.SUCCESS(esito.descrizione()))
