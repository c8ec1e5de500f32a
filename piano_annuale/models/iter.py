"""The plan's workflow records: state moves, frozen versions, ALER's observations and parere,
the Assemblea's approval and presences."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import operator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from piano_annuale import catalogo
from piano_annuale.models.piano import PianoAnnuale, StatoPiano
from piano_annuale.transizioni import TRANSIZIONI, transizione_tra

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# ==================================================================================================
# The plan's workflow (issue 6): state moves, ALER's observations and parere, the Assemblea's
# approval, the frozen versions and the audit of every change. Which moves exist, who makes them and
# when is the workflow's table (``piano_annuale.transizioni``): the services enforce it, and the
# constraints below, generated from it, keep the database to it.

# No plan predates R.R. 4/2017: dates before 2018 are typing mistakes.
PRIMO_GIORNO_POSSIBILE = datetime.date(2018, 1, 1)
# A SHA-256 digest as stored: 64 lowercase hexadecimal digits.
REGEX_SHA256 = r"^[0-9a-f]{64}$"
# Some text, not only blanks.
REGEX_NON_VUOTO = r"\S"


def _ritorni() -> Q:
    """Moves that need a reason (going back to bozza), grouped by the state they reach."""
    arrivi: dict[str, list[str]] = {}
    for t in TRANSIZIONI:
        if t.con_motivo:
            arrivi.setdefault(t.a, []).append(t.da)
    return functools.reduce(operator.or_, (Q(da__in=tuple(da), a=a) for a, da in arrivi.items()))


def _passaggi_consentiti() -> Q:
    """Every move of the table: the ones with a reason first, then the others in the table's order."""
    condizione = _ritorni()
    for t in TRANSIZIONI:
        if not t.con_motivo:
            condizione |= Q(da=t.da, a=t.a)
    return condizione


class PassaggioDiStato(models.Model):
    """One move of a plan from a state to another: who, when and, going back to bozza, why."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="passaggi")
    da = models.CharField("dallo stato", max_length=20, choices=StatoPiano.choices)
    a = models.CharField("allo stato", max_length=20, choices=StatoPiano.choices)
    utente = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="eseguito da", on_delete=models.PROTECT, related_name="+"
    )
    eseguito_il = models.DateTimeField("eseguito il", default=timezone.now)
    motivo = models.TextField("motivo", blank=True)
    # The day the move really happened (e.g. the plan sent to the mayors by PEC), when it is recorded
    # later; ``eseguito_il`` and ``utente`` say when and by whom it was recorded. Nullable without a
    # default, so that SQLite adds the column without rebuilding the table and its triggers (0008).
    avvenuto_il = models.DateField(
        "data effettiva",
        null=True,
        blank=True,
        help_text="Il giorno in cui il passaggio è avvenuto, se registrato in un giorno successivo.",
    )

    class Meta:
        verbose_name = "passaggio di stato del piano"
        verbose_name_plural = "passaggi di stato del piano"
        ordering = ["piano", "-eseguito_il", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_passaggi_consentiti(), name="passaggio_consentito"),
            models.CheckConstraint(
                condition=~_ritorni() | Q(motivo__regex=REGEX_NON_VUOTO),
                name="passaggio_ritorno_in_bozza_motivato",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.piano}: {self.get_da_display()} → {self.get_a_display()}"

    @property
    def data(self) -> datetime.date:
        """The day the move happened: the one recorded as effective, else the day it was recorded."""
        return self.avvenuto_il or timezone.localtime(self.eseguito_il).date()

    @property
    def e_ritorno(self) -> bool:
        """Whether the move went back to an earlier step (to bozza, with a reason)."""
        mossa = transizione_tra(self.da, self.a)
        return mossa is not None and mossa.ritorno


class TipoVersione(models.TextChoices):
    INVIATA_ALER = "inviata_aler", "Inviata ad ALER per il parere"
    APPROVATA = "approvata", "Approvata dall'Assemblea dei Sindaci"


class VersioneQuerySet(models.QuerySet):
    def visibili_a(self, user: User | AnonymousUser) -> VersioneQuerySet:
        """Versions of the plans ``user`` may read (``PianoQuerySet.visibili_a``)."""
        return self.filter(piano__in=PianoAnnuale.objects.visibili_a(user))


class VersionePiano(models.Model):
    """A frozen version of the plan: the computed plan as JSON and its PDF, each with its SHA-256.

    Written once, when the plan is sent to ALER and when it is approved, and never changed: the
    migration installs a database trigger (SQLite and PostgreSQL) that refuses every UPDATE and
    DELETE of these rows, but one: with a broker the PDF is rendered in the background, so a row may
    be written without it and receive its PDF and digest once (``pdf`` from empty to a file, nothing
    else changed; migration 0012). ``dati_json`` keeps the exact text that was hashed. On SQLite a later
    migration that rebuilds this table must create the trigger again (``test_versioni`` checks it).
    """

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.PROTECT, related_name="versioni")
    numero = models.PositiveSmallIntegerField("numero della versione")
    tipo = models.CharField("tipo", max_length=20, choices=TipoVersione.choices)
    dati_json = models.TextField("piano calcolato (JSON)")
    dati_sha256 = models.CharField("SHA-256 del JSON", max_length=64)
    pdf = models.FileField("documento PDF", upload_to="piani/versioni/%Y/", blank=True)
    pdf_sha256 = models.CharField("SHA-256 del PDF", max_length=64, blank=True)
    creata_da = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="creata da", on_delete=models.PROTECT, related_name="+"
    )
    creata_il = models.DateTimeField("creata il", default=timezone.now)

    objects = VersioneQuerySet.as_manager()

    class Meta:
        verbose_name = "versione congelata del piano"
        verbose_name_plural = "versioni congelate del piano"
        ordering = ["piano", "-numero"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "numero"], name="versione_numero_unico"),
            models.CheckConstraint(condition=Q(numero__gte=1), name="versione_numero_positivo"),
            models.CheckConstraint(condition=Q(tipo__in=TipoVersione.values), name="versione_tipo_valido"),
            models.UniqueConstraint(
                fields=["piano"], condition=Q(tipo=TipoVersione.APPROVATA), name="versione_approvata_unica"
            ),
            models.CheckConstraint(
                condition=Q(dati_sha256__regex=REGEX_SHA256), name="versione_sha256_dati_valido"
            ),
            # The PDF and its digest come together: both empty while it is being rendered.
            models.CheckConstraint(
                condition=(Q(pdf="") & Q(pdf_sha256="")) | (~Q(pdf="") & Q(pdf_sha256__regex=REGEX_SHA256)),
                name="versione_pdf_con_impronta",
            ),
        ]

    def __str__(self) -> str:
        return f"Versione {self.numero} del {self.piano} ({self.get_tipo_display().lower()})"

    @property
    def dati(self) -> dict[str, Any]:
        """The frozen computed plan (and its Note di chiusura) as a dict."""
        return json.loads(self.dati_json)

    def integra(self) -> bool:
        """Whether the stored JSON and PDF still have the digests recorded when they were frozen."""
        if hashlib.sha256(self.dati_json.encode()).hexdigest() != self.dati_sha256:
            return False
        try:
            with self.pdf.open("rb") as file:
                digest = hashlib.sha256(file.read()).hexdigest()
        except (FileNotFoundError, OSError):
            return False
        return digest == self.pdf_sha256


class SezionePiano(models.TextChoices):
    """The parts of the plan an observation of ALER may be about: the plan as a whole and each part
    the catalogue marks ``osservabile``, with the catalogue's labels (a test checks the two agree;
    the members are spelt out so that type checkers know them)."""

    GENERALE = catalogo.GENERALE
    PREMESSA = "premessa", catalogo.voce("premessa").nome
    CONTESTO = "contesto", catalogo.voce("contesto").nome
    RICOGNIZIONE = "ricognizione", catalogo.voce("ricognizione").nome
    A = "a", catalogo.voce("a").nome
    B = "b", catalogo.voce("b").nome
    COSTI_B = "costi_b", catalogo.voce("costi_b").nome
    C = "c", catalogo.voce("c").nome
    CBIS = "cbis", catalogo.voce("cbis").nome
    D = "d", catalogo.voce("d").nome
    DBIS = "dbis", catalogo.voce("dbis").nome
    E = "e", catalogo.voce("e").nome
    F = "f", catalogo.voce("f").nome
    G = "g", catalogo.voce("g").nome
    H = "h", catalogo.voce("h").nome
    I = "i", catalogo.voce("i").nome  # noqa: E741 - the letter of the section
    IB = "ib", catalogo.voce("ib").nome
    J = "j", catalogo.voce("j").nome
    K = "k", catalogo.voce("k").nome
    PARTE_SECONDA = "parte_seconda", catalogo.voce("parte_seconda").nome
    PARTE_TERZA = "parte_terza", catalogo.voce("parte_terza").nome
    ALLEGATO_A = "allegato_a", catalogo.voce("allegato_a").nome
    ALLEGATO_B = "allegato_b", catalogo.voce("allegato_b").nome
    SINTESI = "sintesi", catalogo.voce("sintesi").nome


class OsservazioneAler(models.Model):
    """An observation of ALER on one part of the draft it was sent, and the ufficio di piano's answer."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="osservazioni")
    versione = models.ForeignKey(
        VersionePiano,
        verbose_name="versione letta",
        on_delete=models.PROTECT,
        related_name="osservazioni",
        help_text="La versione inviata ad ALER a cui l'osservazione si riferisce.",
    )
    sezione = models.CharField("sezione del piano", max_length=20, choices=SezionePiano.choices)
    testo = models.TextField("osservazione")
    autore = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="scritta da", on_delete=models.PROTECT, related_name="+"
    )
    creata_il = models.DateTimeField("scritta il", default=timezone.now)
    risposta = models.TextField("risposta dell'ufficio di piano", blank=True)
    risposta_di = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="risposta di",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    risposta_il = models.DateTimeField("risposta il", null=True, blank=True)

    class Meta:
        verbose_name = "osservazione di ALER"
        verbose_name_plural = "osservazioni di ALER"
        ordering = ["piano", "creata_il", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(testo__regex=REGEX_NON_VUOTO), name="osservazione_con_testo"),
            models.CheckConstraint(
                condition=Q(sezione__in=SezionePiano.values), name="osservazione_sezione_valida"
            ),
            # An answer is its text, its author and its time together, or nothing.
            models.CheckConstraint(
                condition=(Q(risposta="") & Q(risposta_di__isnull=True) & Q(risposta_il__isnull=True))
                | (
                    Q(risposta__regex=REGEX_NON_VUOTO)
                    & Q(risposta_di__isnull=False)
                    & Q(risposta_il__isnull=False)
                ),
                name="osservazione_risposta_completa",
            ),
        ]

    def __str__(self) -> str:
        return f"Osservazione su «{self.get_sezione_display()}» – {self.piano}"

    @property
    def ha_risposta(self) -> bool:
        return bool(self.risposta)


class EsitoParere(models.TextChoices):
    FAVOREVOLE = "favorevole", "Favorevole"
    FAVOREVOLE_CON_OSSERVAZIONI = "con_osservazioni", "Favorevole con osservazioni"
    NON_FAVOREVOLE = "non_favorevole", "Non favorevole"


class ParereAler(models.Model):
    """ALER's parere preliminare on the version of the draft it was sent (R.R. 4/2017 art. 4 c. 4)."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="pareri")
    versione = models.OneToOneField(
        VersionePiano, verbose_name="versione esaminata", on_delete=models.PROTECT, related_name="parere"
    )
    esito = models.CharField("esito", max_length=20, choices=EsitoParere.choices)
    testo = models.TextField("testo del parere", blank=True)
    data = models.DateField("data del parere")
    protocollo = models.CharField("protocollo", max_length=60, blank=True)
    espresso_da = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="espresso da", on_delete=models.PROTECT, related_name="+"
    )
    registrato_il = models.DateTimeField("registrato il", default=timezone.now)

    class Meta:
        verbose_name = "parere di ALER"
        verbose_name_plural = "pareri di ALER"
        ordering = ["piano", "-registrato_il"]
        constraints = [
            models.CheckConstraint(condition=Q(esito__in=EsitoParere.values), name="parere_esito_valido"),
            # A parere that is not plainly favourable says why.
            models.CheckConstraint(
                condition=Q(esito=EsitoParere.FAVOREVOLE) | Q(testo__regex=REGEX_NON_VUOTO),
                name="parere_motivato",
            ),
            models.CheckConstraint(
                condition=Q(data__gte=PRIMO_GIORNO_POSSIBILE), name="parere_data_plausibile"
            ),
        ]

    def __str__(self) -> str:
        return f"Parere ALER {self.get_esito_display().lower()} del {self.data:%d/%m/%Y} – {self.piano}"


class Approvazione(models.Model):
    """The Assemblea dei Sindaci's approval of the plan: session, verbale and, optionally, who was there."""

    piano = models.OneToOneField(PianoAnnuale, on_delete=models.PROTECT, related_name="approvazione")
    data_seduta = models.DateField("data della seduta dell'Assemblea dei Sindaci")
    numero_verbale = models.CharField("numero del verbale", max_length=30, help_text="Ad es. «01/2025».")
    protocollo = models.CharField(
        "protocollo del verbale", max_length=60, blank=True, help_text="Ad es. «10.64 / 2025»."
    )
    luogo = models.CharField("luogo della seduta", max_length=200, blank=True)
    verbale = models.FileField("verbale firmato (PDF)", upload_to="piani/verbali/%Y/")
    verbale_sha256 = models.CharField("SHA-256 del verbale", max_length=64)
    # The regolamento's rule, when the presences are recorded: the comuni that must be present.
    quorum = models.PositiveSmallIntegerField(
        "numero minimo di comuni presenti",
        null=True,
        blank=True,
        help_text="Secondo il regolamento dell'Assemblea; lasciare vuoto se il quorum non è un numero di comuni.",
    )
    seduta_valida = models.BooleanField(
        "quorum raggiunto", null=True, blank=True, help_text="Vuoto se il verbale non lo indica."
    )
    registrata_da = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="registrata da", on_delete=models.PROTECT, related_name="+"
    )
    registrata_il = models.DateTimeField("registrata il", default=timezone.now)

    class Meta:
        verbose_name = "approvazione dell'Assemblea dei Sindaci"
        verbose_name_plural = "approvazioni dell'Assemblea dei Sindaci"
        ordering = ["-data_seduta"]
        constraints = [
            models.CheckConstraint(
                condition=Q(numero_verbale__regex=REGEX_NON_VUOTO), name="approvazione_numero_verbale"
            ),
            models.CheckConstraint(condition=~Q(verbale=""), name="approvazione_con_verbale"),
            models.CheckConstraint(
                condition=Q(verbale_sha256__regex=REGEX_SHA256), name="approvazione_sha256_valido"
            ),
            models.CheckConstraint(
                condition=Q(data_seduta__gte=PRIMO_GIORNO_POSSIBILE), name="approvazione_data_plausibile"
            ),
            models.CheckConstraint(
                condition=Q(quorum__isnull=True) | Q(quorum__gte=1), name="approvazione_quorum_positivo"
            ),
        ]

    def __str__(self) -> str:
        return f"Approvazione del {self.piano} ({self.data_seduta:%d/%m/%Y}, verbale {self.numero_verbale})"


class PresenzaAssemblea(models.Model):
    """Whether a comune was present at the session that approved the plan, and who stood for it."""

    approvazione = models.ForeignKey(Approvazione, on_delete=models.CASCADE, related_name="presenze")
    comune = models.ForeignKey("ambito.Comune", on_delete=models.PROTECT, related_name="+")
    presente = models.BooleanField("presente")
    rappresentante = models.CharField("rappresentato da", max_length=200, blank=True)

    class Meta:
        verbose_name = "presenza all'Assemblea dei Sindaci"
        verbose_name_plural = "presenze all'Assemblea dei Sindaci"
        ordering = ["approvazione", "comune__nome"]
        constraints = [
            models.UniqueConstraint(fields=["approvazione", "comune"], name="presenza_una_per_comune"),
        ]

    def __str__(self) -> str:
        return f"{self.comune}: {'presente' if self.presente else 'assente'}"
