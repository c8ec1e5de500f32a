"""The plan of an ambito for a year and what the ricognizione collects for it beyond the units."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ambito.models import Operatore, Ruolo
from patrimonio.models import DatiEnteQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


class StatoPiano(models.TextChoices):
    RICOGNIZIONE = "ricognizione", "Ricognizione aperta"
    BOZZA = "bozza", "Bozza"
    INVIATA_ALER = "inviata_aler", "Inviata ad ALER per il parere"
    PARERE_ESPRESSO = "parere_espresso", "Parere ALER espresso"
    TRASMESSA_ASSEMBLEA = "trasmessa_assemblea", "Trasmessa all'Assemblea dei Sindaci"
    APPROVATA = "approvata", "Approvata"


class PianoQuerySet(models.QuerySet):
    def dell_ufficio_di_piano(self, user: AbstractBaseUser) -> PianoQuerySet:
        """Plans a user may compute and inspect as ufficio di piano: their ambito's (all for superusers)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        from ambito.models import Ruolo

        return self.filter(ambito__operatori__user=user, ambito__operatori__ruolo=Ruolo.UFFICIO_DI_PIANO)

    # Access rules for the plans (EnteQuerySet.visibili_a is the rule for the enti's data).

    # ALER reads the draft from when it is sent for its parere (R.R. 4/2017 art. 4 c. 4).
    STATI_LETTI_DA_ALER = (
        StatoPiano.INVIATA_ALER,
        StatoPiano.PARERE_ESPRESSO,
        StatoPiano.TRASMESSA_ASSEMBLEA,
        StatoPiano.APPROVATA,
    )
    # Comuni and the mayors read the plan from when it is sent to the Assemblea dei Sindaci.
    STATI_LETTI_DALL_ASSEMBLEA = (StatoPiano.TRASMESSA_ASSEMBLEA, StatoPiano.APPROVATA)
    # The ricognizione's data may change only until the draft goes to ALER.
    STATI_MODIFICABILI = (StatoPiano.RICOGNIZIONE, StatoPiano.BOZZA)

    def visibili_a(self, user: AbstractBaseUser | AnonymousUser) -> PianoQuerySet:
        """Plans whose computed content ``user`` may read: every state for the ambito's ufficio di
        piano; from ``inviata_aler`` on for ALER; from ``trasmessa_assemblea`` on for comuni and the
        Assemblea; all for superusers."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        operatore = Operatore.objects.di(user)
        return self.filter(
            Q(ambito_id__in=operatore.con_ruolo(Ruolo.UFFICIO_DI_PIANO).ambiti())
            | Q(ambito_id__in=operatore.con_ruolo(Ruolo.ALER).ambiti(), stato__in=self.STATI_LETTI_DA_ALER)
            | Q(
                ambito_id__in=operatore.con_ruolo(Ruolo.COMUNE, Ruolo.ASSEMBLEA).ambiti(),
                stato__in=self.STATI_LETTI_DALL_ASSEMBLEA,
            )
        )

    def compilabili_da(self, user: AbstractBaseUser | AnonymousUser) -> PianoQuerySet:
        """Plans whose ricognizione ``user`` takes part in, whatever their state: the ufficio di
        piano, comune and ALER operators of the ambito (all for superusers). Which enti's data they
        reach is ``EnteProprietario.objects.visibili_a``."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        ruoli = (Ruolo.UFFICIO_DI_PIANO, Ruolo.COMUNE, Ruolo.ALER)
        return self.filter(ambito_id__in=Operatore.objects.di(user).con_ruolo(*ruoli).ambiti())

    def modificabili(self) -> PianoQuerySet:
        """Plans whose ricognizione data may still change."""
        return self.filter(stato__in=self.STATI_MODIFICABILI)


class PianoAnnuale(models.Model):
    """The Piano Annuale dell'Offerta dei Servizi Abitativi of one ambito for one year."""

    ambito = models.ForeignKey("ambito.Ambito", on_delete=models.PROTECT, related_name="piani")
    anno = models.PositiveSmallIntegerField("anno")
    stato = models.CharField(
        "stato", max_length=20, choices=StatoPiano.choices, default=StatoPiano.RICOGNIZIONE
    )
    data_popolazione = models.DateField(
        "data di riferimento della popolazione",
        help_text="La data dei dati anagrafici usati dal piano (di norma il 1° gennaio dell'anno precedente).",
    )
    scadenza_ricognizione = models.DateField("scadenza della ricognizione", null=True, blank=True)
    creato_il = models.DateTimeField("creato il", auto_now_add=True)
    aggiornato_il = models.DateTimeField("aggiornato il", auto_now=True)

    objects = PianoQuerySet.as_manager()

    class Meta:
        verbose_name = "piano annuale"
        verbose_name_plural = "piani annuali"
        ordering = ["ambito", "-anno"]
        constraints = [
            models.UniqueConstraint(fields=["ambito", "anno"], name="piano_unico_per_ambito_e_anno"),
            # R.R. 4/2017 introduced the plan: no plan can predate 2018.
            models.CheckConstraint(
                condition=Q(anno__gte=2018) & Q(anno__lte=2100), name="piano_anno_plausibile"
            ),
        ]

    def __str__(self) -> str:
        return f"Piano annuale {self.anno} – {self.ambito}"

    @property
    def anno_precedente(self) -> int:
        return self.anno - 1


class StatoRisposta(models.TextChoices):
    NESSUNA = "nessuna", "Nessuna risposta"
    IN_CORSO = "in_corso", "In compilazione"
    NIENTE_DA_DICHIARARE = "niente", "Nulla da dichiarare"
    INVIATA = "inviata", "Inviata"
    RIAPERTA = "riaperta", "Riaperta dall'ufficio di piano"


# Answers that count as a reply to the ricognizione (L.R. 16/2016 art. 6).
RISPOSTE_DATE = [StatoRisposta.NIENTE_DA_DICHIARARE, StatoRisposta.INVIATA]


class RispostaQuerySet(DatiEnteQuerySet):
    def date(self) -> RispostaQuerySet:
        """Answers given: sent, or "nothing to declare". They lock the ente's data until reopened."""
        return self.filter(stato__in=RISPOSTE_DATE)


class RispostaRicognizione(models.Model):
    """Where an ente stands in answering the ricognizione of a plan."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="risposte")
    ente = models.ForeignKey("patrimonio.EnteProprietario", on_delete=models.CASCADE, related_name="risposte")
    stato = models.CharField(
        "stato", max_length=10, choices=StatoRisposta.choices, default=StatoRisposta.NESSUNA
    )
    aggiornata_il = models.DateTimeField("ultima modifica", null=True, blank=True)
    aggiornata_da = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modificata da",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    inviata_il = models.DateTimeField("inviata il", null=True, blank=True)

    objects = RispostaQuerySet.as_manager()

    class Meta:
        verbose_name = "risposta alla ricognizione"
        verbose_name_plural = "risposte alla ricognizione"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="risposta_una_per_ente"),
            models.CheckConstraint(
                condition=~Q(stato__in=RISPOSTE_DATE) | Q(inviata_il__isnull=False),
                name="risposta_data_invio_se_inviata",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ente}: {self.get_stato_display()}"

    @property
    def ha_risposto(self) -> bool:
        return self.stato in RISPOSTE_DATE


class ScelteEnte(models.Model):
    """An ente's choices for the plan: indigenti threshold (h), extra category (i), FdP quota (i.b)."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="scelte")
    ente = models.ForeignKey("patrimonio.EnteProprietario", on_delete=models.CASCADE, related_name="scelte")
    soglia_indigenti_eccedente = models.PositiveSmallIntegerField(
        "soglia % indigenti eccedente il 20%",
        default=0,
        help_text="Punti percentuali oltre il 20% riservati ai nuclei indigenti (ISEE ≤ € 3.000).",
    )
    categoria_aggiuntiva = models.TextField(
        "categoria aggiuntiva di particolare rilevanza sociale", blank=True
    )
    motivazione_categoria = models.TextField("motivazione della categoria", blank=True)
    quota_forze_polizia = models.PositiveSmallIntegerField(
        "% U.I. destinate a Forze di Polizia e Vigili del Fuoco",
        default=0,
        help_text="Da 0 a 10 (art. 7 bis R.R. 4/2017).",
    )

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "scelte dell'ente"
        verbose_name_plural = "scelte degli enti"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="scelte_una_per_ente"),
            models.CheckConstraint(
                condition=Q(soglia_indigenti_eccedente__gte=0) & Q(soglia_indigenti_eccedente__lte=80),
                name="scelte_soglia_indigenti_0_80",
            ),
            models.CheckConstraint(
                condition=Q(quota_forze_polizia__gte=0) & Q(quota_forze_polizia__lte=10),
                name="scelte_forze_polizia_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"Scelte di {self.ente}"


class DestinazioneSAT(models.Model):
    """Units an ente destines to servizi abitativi transitori in a comune (section j): a count."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="destinazioni_sat")
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario", on_delete=models.CASCADE, related_name="destinazioni_sat"
    )
    comune = models.ForeignKey("ambito.Comune", on_delete=models.PROTECT, related_name="+")
    numero = models.PositiveIntegerField("numero di U.I.")

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "destinazione ai SAT"
        verbose_name_plural = "destinazioni ai SAT"
        ordering = ["piano", "ente", "comune"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente", "comune"], name="sat_unico"),
            models.CheckConstraint(condition=Q(numero__gte=1), name="sat_positivo"),
        ]

    def __str__(self) -> str:
        return f"{self.ente} – {self.comune}: {self.numero} SAT"


class AssegnazioniAnnoPrecedente(models.Model):
    """SAP units an ente assigned in the year before the plan (section k)."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="assegnazioni")
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario", on_delete=models.CASCADE, related_name="assegnazioni"
    )
    totale = models.PositiveIntegerField("U.I. assegnate")
    mobilita = models.PositiveIntegerField("di cui per mobilità", default=0)
    in_deroga = models.PositiveIntegerField("di cui in deroga", default=0)

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "assegnazioni dell'anno precedente"
        verbose_name_plural = "assegnazioni dell'anno precedente"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="assegnazioni_una_per_ente"),
            models.CheckConstraint(
                condition=Q(mobilita__lte=models.F("totale")), name="assegnazioni_mobilita_entro_totale"
            ),
            models.CheckConstraint(
                condition=Q(in_deroga__lte=models.F("totale")), name="assegnazioni_deroga_entro_totale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ente}: {self.totale} assegnate"


class RiepilogoDichiarato(models.Model):
    """The section totals an ente declared on the regional platform (the figures of Allegato A).

    The plan never uses these numbers: it counts the listed units. They are kept to find where an
    ente's declaration and its own unit lists disagree.
    """

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="riepiloghi")
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario", on_delete=models.CASCADE, related_name="riepiloghi"
    )
    disponibili = models.PositiveIntegerField("U.I. disponibili nell'anno", default=0)
    libere_turnover = models.PositiveIntegerField("U.I. libere e per turn-over", default=0)
    carenza_manutentiva = models.PositiveIntegerField("U.I. in carenza manutentiva", default=0)
    nuove_ristrutturate = models.PositiveIntegerField(
        "U.I. di nuova edificazione o ristrutturazione", default=0
    )
    transitori = models.PositiveIntegerField("U.I. per servizi abitativi transitori", default=0)
    conferite_privati = models.PositiveIntegerField("U.I. conferite da privati", default=0)
    # The columns below may be left empty on the platform: empty is not zero, so they are nullable.
    sap = models.PositiveIntegerField("U.I. SAP", null=True, blank=True)
    sas = models.PositiveIntegerField("U.I. SAS", null=True, blank=True)
    assegnate_anno_precedente = models.PositiveIntegerField(
        "U.I. assegnate l'anno precedente", null=True, blank=True
    )
    soglia_indigenti = models.PositiveSmallIntegerField(
        "soglia % indigenti eccedente il 20%", null=True, blank=True
    )
    forze_polizia = models.PositiveSmallIntegerField("% U.I. per le Forze di Polizia", null=True, blank=True)

    class Meta:
        verbose_name = "riepilogo dichiarato in piattaforma"
        verbose_name_plural = "riepiloghi dichiarati in piattaforma"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="riepilogo_uno_per_ente"),
        ]

    def __str__(self) -> str:
        return f"Riepilogo dichiarato da {self.ente}"


class SezioneTesto(models.TextChoices):
    """The narrative parts of the plan, in the order the document prints them."""

    PREMESSA = "premessa", "Premessa"
    NORMATIVA = "normativa", "Il sistema regionale dei servizi abitativi (quadro normativo)"
    CONTESTO = "contesto", "Analisi del contesto"
    PARTE_SECONDA = "parte_seconda", "Introduzione alla parte seconda (misure)"
    PARTE_TERZA = "parte_terza", "Introduzione alla parte terza (altre progettualità)"
    NOTE_CHIUSURA = "note_chiusura", "Note di chiusura"


class TestoPiano(models.Model):
    """A narrative section of a plan, in Markdown, editable by the ufficio di piano."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="testi")
    sezione = models.CharField("sezione", max_length=20, choices=SezioneTesto.choices)
    testo = models.TextField("testo (Markdown)", blank=True)
    aggiornato_il = models.DateTimeField("ultima modifica", auto_now=True)
    aggiornato_da = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modificato da",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "testo del piano"
        verbose_name_plural = "testi del piano"
        ordering = ["piano", "sezione"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "sezione"], name="testo_uno_per_sezione"),
        ]

    def __str__(self) -> str:
        return f"{self.get_sezione_display()} – {self.piano}"


class StatoDocumento(models.TextChoices):
    IN_CODA = "in_coda", "In coda"
    IN_CORSO = "in_corso", "In preparazione"
    PRONTO = "pronto", "Pronto"
    ERRORE = "errore", "Errore"


class DocumentoPiano(models.Model):
    """A rendered PDF of a plan. ``chiave`` hashes everything the file depends on, so the same data
    and template version render once and later requests reuse the file."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="documenti")
    chiave = models.CharField("impronta dei contenuti", max_length=64, unique=True)
    definitivo = models.BooleanField(
        "versione approvata", default=False, help_text="PDF/A-3b con il piano calcolato allegato."
    )
    stato = models.CharField(
        "stato", max_length=10, choices=StatoDocumento.choices, default=StatoDocumento.IN_CODA
    )
    progresso = models.PositiveSmallIntegerField("avanzamento (%)", default=0)
    file = models.FileField("file PDF", upload_to="piani/pdf/", blank=True)
    sha256 = models.CharField("SHA-256 del file", max_length=64, blank=True)
    errore = models.TextField("messaggio di errore", blank=True)
    richiesto_da = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="richiesto da",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    creato_il = models.DateTimeField("richiesto il", auto_now_add=True)
    completato_il = models.DateTimeField("completato il", null=True, blank=True)

    class Meta:
        verbose_name = "documento PDF del piano"
        verbose_name_plural = "documenti PDF del piano"
        ordering = ["piano", "-creato_il"]
        constraints = [
            models.CheckConstraint(condition=Q(progresso__lte=100), name="documento_progresso_0_100"),
        ]

    def __str__(self) -> str:
        return f"PDF {self.piano} ({self.get_stato_display()})"


# ==================================================================================================
# The plan's workflow (issue 6): state moves, ALER's observations and parere, the Assemblea's
# approval, the frozen versions and the audit of every change. The rules about *when* a move is
# allowed live in ``services``; the rules about one row are the constraints below.

# The one forward move from each state. The ufficio di piano makes them all, except
# inviata_aler → parere_espresso, which follows from ALER giving its parere.
PASSAGGI_IN_AVANTI: dict[str, str] = {
    StatoPiano.RICOGNIZIONE: StatoPiano.BOZZA,
    StatoPiano.BOZZA: StatoPiano.INVIATA_ALER,
    StatoPiano.INVIATA_ALER: StatoPiano.PARERE_ESPRESSO,
    StatoPiano.PARERE_ESPRESSO: StatoPiano.TRASMESSA_ASSEMBLEA,
    StatoPiano.TRASMESSA_ASSEMBLEA: StatoPiano.APPROVATA,
}
# Until it is approved, a plan that left the ufficio di piano can go back to bozza, with a reason.
STATI_RIPORTABILI_IN_BOZZA = (
    StatoPiano.INVIATA_ALER,
    StatoPiano.PARERE_ESPRESSO,
    StatoPiano.TRASMESSA_ASSEMBLEA,
)
# No plan predates R.R. 4/2017: dates before 2018 are typing mistakes.
PRIMO_GIORNO_POSSIBILE = datetime.date(2018, 1, 1)
# A SHA-256 digest as stored: 64 lowercase hexadecimal digits.
REGEX_SHA256 = r"^[0-9a-f]{64}$"
# Some text, not only blanks.
REGEX_NON_VUOTO = r"\S"


def _passaggi_consentiti() -> Q:
    condizione = Q(da__in=STATI_RIPORTABILI_IN_BOZZA, a=StatoPiano.BOZZA)
    for da, a in PASSAGGI_IN_AVANTI.items():
        condizione |= Q(da=da, a=a)
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

    class Meta:
        verbose_name = "passaggio di stato del piano"
        verbose_name_plural = "passaggi di stato del piano"
        ordering = ["piano", "-eseguito_il", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_passaggi_consentiti(), name="passaggio_consentito"),
            models.CheckConstraint(
                condition=~Q(da__in=STATI_RIPORTABILI_IN_BOZZA, a=StatoPiano.BOZZA)
                | Q(motivo__regex=REGEX_NON_VUOTO),
                name="passaggio_ritorno_in_bozza_motivato",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.piano}: {self.get_da_display()} → {self.get_a_display()}"

    @property
    def e_ritorno(self) -> bool:
        return self.a == StatoPiano.BOZZA and self.da in STATI_RIPORTABILI_IN_BOZZA


class TipoVersione(models.TextChoices):
    INVIATA_ALER = "inviata_aler", "Inviata ad ALER per il parere"
    APPROVATA = "approvata", "Approvata dall'Assemblea dei Sindaci"


class VersioneQuerySet(models.QuerySet):
    def visibili_a(self, user: AbstractBaseUser | AnonymousUser) -> VersioneQuerySet:
        """Versions of the plans ``user`` may read (``PianoQuerySet.visibili_a``)."""
        return self.filter(piano__in=PianoAnnuale.objects.visibili_a(user))


class VersionePiano(models.Model):
    """A frozen version of the plan: the computed plan as JSON and its PDF, each with its SHA-256.

    Written once, when the plan is sent to ALER and when it is approved, and never changed: the
    migration installs a database trigger (SQLite and PostgreSQL) that refuses every UPDATE and
    DELETE of these rows. ``dati_json`` keeps the exact text that was hashed. On SQLite a later
    migration that rebuilds this table must create the trigger again (``test_versioni`` checks it).
    """

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.PROTECT, related_name="versioni")
    numero = models.PositiveSmallIntegerField("numero della versione")
    tipo = models.CharField("tipo", max_length=20, choices=TipoVersione.choices)
    dati_json = models.TextField("piano calcolato (JSON)")
    dati_sha256 = models.CharField("SHA-256 del JSON", max_length=64)
    pdf = models.FileField("documento PDF", upload_to="piani/versioni/%Y/")
    pdf_sha256 = models.CharField("SHA-256 del PDF", max_length=64)
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
            models.CheckConstraint(
                condition=Q(pdf_sha256__regex=REGEX_SHA256), name="versione_sha256_pdf_valido"
            ),
            models.CheckConstraint(condition=~Q(pdf=""), name="versione_con_pdf"),
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
    """The parts of the plan an observation of ALER may be about."""

    GENERALE = "generale", "Il piano nel suo complesso"
    PREMESSA = "premessa", "Premessa e quadro normativo"
    CONTESTO = "contesto", "Analisi del contesto e dati anagrafici"
    RICOGNIZIONE = "ricognizione", "Esito della ricognizione"
    A = "a", "a) Consistenza del patrimonio"
    B = "b", "b) Unità in carenza manutentiva"
    C = "c", "c) Unità in ristrutturazione"
    D = "d", "d) Unità di nuova edificazione"
    E = "e", "e) Unità già libere e turn-over"
    F = "f", "f) Unità conferite da privati"
    G = "g", "g) Unità assegnabili nell'anno"
    H = "h", "h) Soglia per i nuclei indigenti"
    I = "i", "i) Categorie aggiuntive"  # noqa: E741 - the letter of the section
    IB = "ib", "i.b) Forze di Polizia"
    J = "j", "j) Servizi abitativi transitori"
    K = "k", "k) Assegnazioni dell'anno precedente"
    PARTE_SECONDA = "parte_seconda", "Parte seconda – misure"
    PARTE_TERZA = "parte_terza", "Parte terza – altre progettualità"
    ALLEGATO_A = "allegato_a", "Allegato A – report per ente"
    ALLEGATO_B = "allegato_b", "Allegato B – unità ALER"
    SINTESI = "sintesi", "Sintesi per l'Assemblea"


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


class AzioneModifica(models.TextChoices):
    CREAZIONE = "creazione", "Creazione"
    MODIFICA = "modifica", "Modifica"
    ELIMINAZIONE = "eliminazione", "Eliminazione"


class ModificaQuerySet(models.QuerySet):
    def del_piano(self, piano: PianoAnnuale) -> ModificaQuerySet:
        return self.filter(piano_id=piano.pk)

    def dell_unita(self, unita_id: int) -> ModificaQuerySet:
        """Changes of a unit and of its states in every plan."""
        return self.filter(unita_id=unita_id)


class Modifica(models.Model):
    """One recorded change of a row: who, when, before and after (the audit).

    Written by the service functions and, in bulk, by ``storico.registra_modifiche`` (imports): the
    demo runs on SQLite, where trigger-based history libraries do not work. ``piano``, ``ente`` and
    ``unita`` are plain references without a database constraint, so the history outlives the rows.
    """

    modello = models.CharField("tabella", max_length=100, help_text="Ad es. «patrimonio.unitaabitativa».")
    oggetto_id = models.PositiveBigIntegerField("id della riga")
    descrizione = models.CharField("riga", max_length=300, blank=True)
    azione = models.CharField("azione", max_length=15, choices=AzioneModifica.choices)
    prima = models.JSONField("valori prima", null=True, blank=True)
    dopo = models.JSONField("valori dopo", null=True, blank=True)
    utente = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="eseguita da",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    eseguita_il = models.DateTimeField("eseguita il", default=timezone.now)
    origine = models.CharField(
        "origine", max_length=200, blank=True, help_text="Ad es. «importazione n. 12»; vuota per i moduli."
    )
    motivo = models.TextField("motivo", blank=True)
    piano = models.ForeignKey(
        PianoAnnuale,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    unita = models.ForeignKey(
        "patrimonio.UnitaAbitativa",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ModificaQuerySet.as_manager()

    class Meta:
        verbose_name = "modifica registrata"
        verbose_name_plural = "modifiche registrate"
        ordering = ["-eseguita_il", "-pk"]
        indexes = [
            models.Index(fields=["modello", "oggetto_id"], name="modifica_oggetto"),
            models.Index(fields=["piano", "eseguita_il"], name="modifica_piano"),
            models.Index(fields=["unita", "eseguita_il"], name="modifica_unita"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(azione__in=AzioneModifica.values), name="modifica_azione_valida"
            ),
            # A creation has only the after, a deletion only the before, a change both.
            models.CheckConstraint(
                condition=Q(azione=AzioneModifica.CREAZIONE, prima__isnull=True, dopo__isnull=False)
                | Q(azione=AzioneModifica.MODIFICA, prima__isnull=False, dopo__isnull=False)
                | Q(azione=AzioneModifica.ELIMINAZIONE, prima__isnull=False, dopo__isnull=True),
                name="modifica_valori_coerenti",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_azione_display()} di {self.descrizione or self.modello} ({self.eseguita_il:%d/%m/%Y %H:%M})"
