"""The plan of an ambito for a year and what the ricognizione collects for it beyond the units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

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
