"""``manage.py genera_pdf``: write the PDF of a plan to a file, synchronously (no Celery)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from piano_annuale.models import PianoAnnuale
from piano_annuale.rendering.pdf import genera_pdf, nome_file, scrivi_pdf_demo


class Command(BaseCommand):
    help = (
        "Scrive il PDF di un piano annuale: indicare l'id del piano oppure --anno e --ambito. "
        "Con --demo scrive la bozza del piano Cremonese 2025 in var/POA-2025-bozza.pdf."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("piano_id", nargs="?", type=int, help="id del piano")
        parser.add_argument("--anno", type=int, help="anno del piano")
        parser.add_argument("--ambito", help="nome dell'ambito (anche solo una parte)")
        parser.add_argument("-o", "--output", type=Path, help="file da scrivere (predefinito: nome del PDF)")
        parser.add_argument(
            "--bozza", action="store_true", help="produce la bozza anche per un piano approvato"
        )
        parser.add_argument(
            "--demo", action="store_true", help="bozza del piano Cremonese 2025 in var/POA-2025-bozza.pdf"
        )

    def handle(self, *args: Any, **opzioni: Any) -> None:
        if opzioni["demo"]:
            try:
                percorso = scrivi_pdf_demo(opzioni["output"])
            except PianoAnnuale.DoesNotExist as errore:
                raise CommandError(
                    "Il piano Cremonese 2025 non è caricato: eseguire prima "
                    "«manage.py carica_piano fixtures/cremonese_2025.json»."
                ) from errore
            self.stdout.write(str(percorso))
            return

        piano = self._piano(opzioni)
        generato = genera_pdf(piano, forza_bozza=opzioni["bozza"])
        destinazione = opzioni["output"] or Path(
            nome_file(piano.ambito.nome, piano.anno, definitiva=generato.definitivo)
        )
        destinazione.parent.mkdir(parents=True, exist_ok=True)
        destinazione.write_bytes(generato.contenuto)
        self.stdout.write(str(destinazione))

    def _piano(self, opzioni: dict[str, Any]) -> PianoAnnuale:
        piani = PianoAnnuale.objects.select_related("ambito")
        if opzioni["piano_id"] is not None:
            try:
                return piani.get(pk=opzioni["piano_id"])
            except PianoAnnuale.DoesNotExist as errore:
                raise CommandError(f"Nessun piano con id {opzioni['piano_id']}.") from errore
        if not (opzioni["anno"] and opzioni["ambito"]):
            raise CommandError("Indicare l'id del piano oppure sia --anno sia --ambito (o --demo).")
        trovati = list(piani.filter(anno=opzioni["anno"], ambito__nome__icontains=opzioni["ambito"]))
        if not trovati:
            raise CommandError(
                f"Nessun piano {opzioni['anno']} per un ambito che contenga «{opzioni['ambito']}»."
            )
        if len(trovati) > 1:
            nomi = ", ".join(p.ambito.nome for p in trovati)
            raise CommandError(
                f"Più ambiti corrispondono a «{opzioni['ambito']}»: {nomi}. Precisare il nome."
            )
        return trovati[0]
