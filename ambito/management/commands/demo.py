"""``manage.py demo``: a working demo on the embedded database, with one login per role.

It migrates, loads the Ambito Cremonese 2025 plan through ``carica_piano`` and creates the demo users.
It is the only place that creates them, it is idempotent, and it refuses to run with DEBUG off so the
demo users can never appear in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ambito.insediamento.demo import NOME as NOME_SECONDO_AMBITO
from ambito.insediamento.demo import insedia_ambito_demo
from ambito.models import Ambito
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte
from piano_annuale.rendering.pdf import scrivi_pdf_demo

PASSWORD_DEMO = "demo2025!"
INDIRIZZO_DEMO = "http://127.0.0.1:8000"
NOME_AMBITO = "Cremonese"
ANNO_DEMO = 2025
DOMINIO_EMAIL = "demo.invalid"

# Apps whose data the ufficio di piano may handle in the admin.


@dataclass(frozen=True)
class UtenteDemo:
    username: str
    nome: str
    cognome: str
    ruolo: Ruolo | None  # None: the amministratore, who has no Operatore row
    comune_ente: str = ""  # for comunali: the comune whose ente they act for
    tipo_ente: str = ""  # for ALER: the tipo of the ente they act for

    @property
    def descrizione_ruolo(self) -> str:
        return self.ruolo.label if self.ruolo else "Amministratore (superutente)"


UTENTI_DEMO = [
    UtenteDemo("ufficio.piano", "Giulia", "Ferrari", Ruolo.UFFICIO_DI_PIANO),
    UtenteDemo("comune.cremona", "Marco", "Bianchi", Ruolo.COMUNE, comune_ente="Cremona"),
    UtenteDemo("comune.soresina", "Laura", "Rossi", Ruolo.COMUNE, comune_ente="Soresina"),
    UtenteDemo("aler.cremona", "Paolo", "Galli", Ruolo.ALER, tipo_ente=TipoEnte.ALER),
    UtenteDemo("assemblea", "Anna", "Conti", Ruolo.ASSEMBLEA),
    UtenteDemo("osservatore.regione", "Carla", "Marini", Ruolo.OSSERVATORE_REGIONALE),
    UtenteDemo("admin", "Amministratore", "POA", None),
]
# The second ambito (``ambito.insediamento.demo``), onboarded through the onboarding's services;
# aler.cremona works in both (ALER Brescia-Cremona-Mantova owns units in each).
UTENTI_SECONDO_AMBITO = [
    UtenteDemo("ufficio.suzzara", "Elena", "Sala", Ruolo.UFFICIO_DI_PIANO),
    UtenteDemo("comune.suzzara", "Luca", "Ferri", Ruolo.COMUNE, comune_ente="Suzzara"),
]


class Command(BaseCommand):
    help = (
        "Prepara la demo: applica le migrazioni, carica il piano 2025 dell'Ambito Cremonese e crea "
        "un utente per ciascun ruolo (solo con DEBUG attivo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=PASSWORD_DEMO,
            help=f"Password di tutti gli utenti demo (predefinita: {PASSWORD_DEMO}).",
        )
        parser.add_argument(
            "--indirizzo",
            default=INDIRIZZO_DEMO,
            help=f"Indirizzo dell'applicazione da stampare (predefinito: {INDIRIZZO_DEMO}).",
        )
        parser.add_argument(
            "--pdf",
            type=Path,
            default=None,
            help="Dove scrivere il PDF della bozza del piano 2025 (predefinito: var/POA-2025-bozza.pdf).",
        )
        parser.add_argument(
            "--senza-pdf", action="store_true", help="Non generare il PDF della bozza (più veloce)."
        )
        parser.add_argument(
            "--ricomincia",
            action="store_true",
            help="Ricarica i dati del Cremonese anche se sono stati modificati dal web (le modifiche si perdono).",
        )
        parser.add_argument(
            "--fixture",
            dest="percorso",
            default=None,
            help="File dei dati da caricare con carica_piano (predefinito: fixtures/cremonese_2025.json).",
        )

    def handle(
        self,
        *args,
        password: str,
        indirizzo: str,
        percorso: str | None,
        pdf: Path | None,
        senza_pdf: bool,
        ricomincia: bool = False,
        **options,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Il comando demo funziona solo con DEBUG attivo: gli utenti dimostrativi, con una "
                "password nota, non devono mai esistere in produzione."
            )
        if not password:
            raise CommandError("La password degli utenti demo non può essere vuota.")
        verbosity = options["verbosity"]

        # What migrate and carica_piano print goes where this command prints; nowhere at verbosity 0.
        uscita = self.stdout if verbosity > 0 else StringIO()

        self._prepara_cartella_sqlite()
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=uscita)
        argomenti = [percorso] if percorso else []
        if ricomincia:
            argomenti.append("--sostituisci")
        try:
            call_command("carica_piano", *argomenti, verbosity=verbosity, stdout=uscita)
        except CommandError as exc:
            # The loader refuses to wipe what was entered through the web since the last load.
            raise CommandError(
                f"{exc}\n\nPer ripartire dai dati originali della demo, perdendo le modifiche: "
                "manage.py demo --ricomincia"
            ) from exc
        # The Cremonese fixture has no surfaces: the ISTAT data shipped with the project fills them
        # (only where missing), so the demo shows surface and density.
        call_command("carica_comuni_istat", "--province", "CR", verbosity=verbosity, stdout=uscita)

        righe = self._crea_utenti(password)
        righe += self._secondo_ambito(password)
        self._stampa_riepilogo(righe, password, indirizzo.rstrip("/"))
        if not senza_pdf:
            percorso_pdf = scrivi_pdf_demo(pdf)
            self.stdout.write(f"\nBozza del piano 2025 in PDF: {percorso_pdf}")

    def _prepara_cartella_sqlite(self) -> None:
        """The embedded SQLite file lives in var/, which a fresh clone does not have."""
        database = connections[DEFAULT_DB_ALIAS].settings_dict
        if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) not in ("", ":memory:"):
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)

    @transaction.atomic
    def _crea_utenti(self, password: str) -> list[tuple[UtenteDemo, EnteProprietario | None]]:
        ambito = self._ambito()
        righe = []
        for utente_demo in UTENTI_DEMO:
            ente = self._ente(ambito, utente_demo)
            user = self._utente(utente_demo, password)
            # The demo user's memberships in this ambito are exactly the listed one (other ambiti's
            # memberships, e.g. ALER's in a second ambito, are left alone).
            Operatore.objects.filter(user=user, ambito=ambito).delete()
            if utente_demo.ruolo == Ruolo.OSSERVATORE_REGIONALE:
                # The regional observer belongs to no ambito: it reads them all.
                Operatore.objects.get_or_create(user=user, ambito=None, ruolo=utente_demo.ruolo)
            elif utente_demo.ruolo is not None:
                Operatore.objects.create(user=user, ambito=ambito, ruolo=utente_demo.ruolo, ente=ente)
            righe.append((utente_demo, ente))
        return righe

    @transaction.atomic
    def _secondo_ambito(self, password: str) -> list[tuple[UtenteDemo, EnteProprietario | None]]:
        """The second ambito and its people, made through the onboarding's services."""
        User = get_user_model()
        persone = {u.username: self._utente(u, password) for u in UTENTI_SECONDO_AMBITO}
        persone["aler.cremona"] = User.objects.get(username="aler.cremona")
        ambito = insedia_ambito_demo(amministratore=User.objects.get(username="admin"), persone=persone)
        righe = [(u, self._ente(ambito, u)) for u in UTENTI_SECONDO_AMBITO]
        aler = next(u for u in UTENTI_DEMO if u.username == "aler.cremona")
        return [*righe, (aler, self._ente(ambito, aler))]

    def _ambito(self) -> Ambito:
        ambiti = list(Ambito.objects.filter(nome__icontains=NOME_AMBITO, piani__anno=ANNO_DEMO).distinct())
        if len(ambiti) != 1:
            raise CommandError(
                f"Non trovo un solo ambito «{NOME_AMBITO}» con il piano {ANNO_DEMO} "
                f"(trovati: {len(ambiti)}): controlla che carica_piano abbia caricato i dati."
            )
        return ambiti[0]

    def _ente(self, ambito: Ambito, utente_demo: UtenteDemo) -> EnteProprietario | None:
        if utente_demo.comune_ente:
            enti = EnteProprietario.objects.filter(
                ambito=ambito, tipo=TipoEnte.COMUNE, comune__nome__iexact=utente_demo.comune_ente
            )
            descrizione = f"del Comune di {utente_demo.comune_ente}"
        elif utente_demo.tipo_ente:
            enti = EnteProprietario.objects.filter(ambito=ambito, tipo=utente_demo.tipo_ente)
            descrizione = f"di tipo {TipoEnte(utente_demo.tipo_ente).label}"
        else:
            return None
        ente = enti.order_by("pk").first()
        if ente is None:
            raise CommandError(f"Nell'ambito «{ambito}» manca l'ente proprietario {descrizione}.")
        return ente

    def _utente(self, utente_demo: UtenteDemo, password: str):
        User = get_user_model()
        amministratore = utente_demo.ruolo is None
        user, _ = User.objects.update_or_create(
            username=utente_demo.username,
            defaults={
                "first_name": utente_demo.nome,
                "last_name": utente_demo.cognome,
                "email": f"{utente_demo.username}@{DOMINIO_EMAIL}",
                "is_active": True,
                # Only the platform administrator uses the Django admin.
                "is_staff": amministratore,
                "is_superuser": amministratore,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        user.user_permissions.clear()
        return user

    def _stampa_riepilogo(
        self, righe: list[tuple[UtenteDemo, EnteProprietario | None]], password: str, indirizzo: str
    ) -> None:
        intestazione = ("Ruolo", "Utente", "Ente per cui opera")
        tabella = [intestazione] + [
            (
                utente_demo.descrizione_ruolo,
                utente_demo.username,
                (f"{ente} ({ente.uog})" if ente.uog else str(ente)) if ente else "–",
            )
            for utente_demo, ente in righe
        ]
        larghezze = [max(len(riga[i]) for riga in tabella) for i in range(len(intestazione))]

        def formatta(riga: tuple[str, ...]) -> str:
            return "  ".join(cella.ljust(larghezza) for cella, larghezza in zip(riga, larghezze, strict=True))

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo pronta: {indirizzo}"))
        self.stdout.write("")
        self.stdout.write(formatta(intestazione).rstrip())
        self.stdout.write("  ".join("-" * larghezza for larghezza in larghezze))
        for riga in tabella[1:]:
            self.stdout.write(formatta(riga).rstrip())
        self.stdout.write("")
        self.stdout.write(
            f"Secondo ambito: {NOME_SECONDO_AMBITO} (ufficio.suzzara, comune.suzzara); aler.cremona opera "
            "in entrambi gli ambiti e sceglie quello in cui lavorare nell'intestazione."
        )
        self.stdout.write(f"Password di tutti gli utenti demo: {password}")
        self.stdout.write(f"Amministrazione: {indirizzo}/admin/")
