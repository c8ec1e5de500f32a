"""``manage.py carica_piano [percorso]``: load (or reload) a plan from a JSON file."""

from __future__ import annotations

import pathlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Sum

from ambito.models import Popolazione
from piano_annuale.models import RISPOSTE_DATE, PianoAnnuale, Stato, StatoUnita
from piano_annuale.services.carica import carica_piano

FILE_PREDEFINITO = pathlib.Path("fixtures") / "cremonese_2025.json"


class Command(BaseCommand):
    help = (
        "Carica un piano annuale (ambito, comuni, enti, unità, ricognizione) da un file JSON. "
        "Si può ripetere: ricaricare lo stesso file lascia il database invariato. Se sostituirebbe "
        "dati inseriti dopo l'ultimo caricamento si rifiuta, a meno di --sostituisci."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "percorso",
            nargs="?",
            default=str(FILE_PREDEFINITO),
            help=f"file JSON del piano (predefinito: {FILE_PREDEFINITO}, nella cartella del progetto)",
        )
        parser.add_argument(
            "--sostituisci",
            action="store_true",
            help=(
                "sostituisce anche i dati inseriti dopo l'ultimo caricamento (dal sito, "
                "dall'amministrazione, da un'importazione); senza, il caricamento si rifiuta e dice "
                "che cosa andrebbe perso"
            ),
        )

    def handle(self, *args, percorso: str, sostituisci: bool = False, **options) -> None:
        file = pathlib.Path(percorso)
        # The default is relative to the project, so the command works from any directory.
        if not file.is_absolute() and not file.exists():
            file = settings.BASE_DIR / file
        try:
            piano = carica_piano(percorso=file, sostituisci=sostituisci)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Caricato: {piano}"))
        for riga in riepilogo(piano):
            self.stdout.write(f"  {riga}")


def riepilogo(piano: PianoAnnuale) -> list[str]:
    """A few Italian lines with what the plan now holds, to check the load at a glance."""
    ambito = piano.ambito
    abitanti = Popolazione.objects.filter(
        comune__ambito=ambito, data_riferimento=piano.data_popolazione
    ).aggregate(totale=Sum("abitanti"))["totale"]
    per_stato = dict(
        StatoUnita.objects.filter(piano=piano).values_list("stato").annotate(n=Count("pk")).order_by()
    )
    stati = ", ".join(f"{s} {per_stato[s]}" for s in Stato.values if s in per_stato)
    risposte = piano.risposte.filter(stato__in=RISPOSTE_DATE).count()
    return [
        f"comuni: {ambito.comuni.count()} in {ambito.aggregazioni.count()} aggregazioni, "
        f"{_migliaia(abitanti or 0)} abitanti al {piano.data_popolazione:%d/%m/%Y}",
        f"enti proprietari: {ambito.enti.count()} (risposte alla ricognizione: {risposte})",
        f"consistenze dichiarate: {piano.consistenze.count()}",
        f"unità nel piano: {sum(per_stato.values())} ({stati})",
        f"turnover previsto: {piano.turnover.aggregate(n=Sum('numero'))['n'] or 0} alloggi",
        f"unità destinate ai SAT: {piano.destinazioni_sat.aggregate(n=Sum('numero'))['n'] or 0}",
        f"assegnazioni dell'anno precedente: {piano.assegnazioni.aggregate(n=Sum('totale'))['n'] or 0}",
    ]


def _migliaia(numero: int) -> str:
    """156636 -> '156.636', the Italian way."""
    return f"{numero:,}".replace(",", ".")
