"""What each ente declares for a plan year: its answer, unit states, consistenza, turnover,
choices (h, i, i.b), SAT (j), previous-year assignments (k), platform figures and uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q

from ambito.italiano import con_preposizione
from patrimonio.models import DatiEnteQuerySet, EnteProprietario, UnitaAbitativa
from piano_annuale.models.piano import PianoAnnuale

if TYPE_CHECKING:
    pass


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
    # The Forze di Polizia quota (art. 7 bis): per ente up to 10 % until R.R. 2/2025; since then, for
    # a comune, the 7 bis part of its d bis) percentage. Its limits come from the plan's rule set.
    quota_forze_polizia = models.PositiveSmallIntegerField(
        "% U.I. destinate a Forze di Polizia, Vigili del Fuoco (e Forze Armate, art. 7 bis)",
        default=0,
        help_text="Il limite dipende dalle regole del piano: 10% per ente fino al R.R. 2/2025, poi 20% per comune con la quota art. 7 ter.",
    )
    quota_polizia_locale = models.PositiveSmallIntegerField(
        "% U.I. destinate alla Polizia Locale (art. 7 ter)",
        default=0,
        help_text="Lett. d bis) R.R. 4/2017 come sostituita dal R.R. 2/2025: con la quota art. 7 bis, al più il 20%.",
    )
    soglia_c_bis = models.PositiveSmallIntegerField(
        "soglia % per le categorie (lett. c bis)",
        default=0,
        help_text="Fino al 20% delle unità disponibili nell'anno, per una o più categorie dell'art. 14 (R.R. 2/2025).",
    )
    categorie_c_bis = models.JSONField(
        "categorie della soglia c bis", default=list, blank=True, help_text="I codici delle categorie scelte."
    )
    # Choices carried over from last year's plan stay a proposal until the ente confirms them.
    da_confermare = models.BooleanField("da confermare", default=False)

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
            # The limits of each quota come from the plan's rule set (a check and the forms apply
            # them); the database keeps what no rule set can allow.
            models.CheckConstraint(
                condition=Q(quota_forze_polizia__lte=100 - F("quota_polizia_locale")),
                name="scelte_quote_polizia_entro_100",
            ),
            models.CheckConstraint(condition=Q(soglia_c_bis__lte=100), name="scelte_soglia_c_bis_entro_100"),
        ]

    def __str__(self) -> str:
        return f"Scelte {con_preposizione(self.ente, 'di')}"


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
    # Where the figures come from: the ufficio di piano's upload of the platform's report, or the
    # ente's own correction in its workspace.
    fonte = models.CharField("fonte", max_length=200, blank=True)
    aggiornato_il = models.DateTimeField("ultima modifica", null=True, blank=True)
    aggiornato_da = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modificato da",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "riepilogo dichiarato in piattaforma"
        verbose_name_plural = "riepiloghi dichiarati in piattaforma"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente"], name="riepilogo_uno_per_ente"),
        ]

    def __str__(self) -> str:
        return f"Riepilogo dichiarato {con_preposizione(self.ente, 'da')}"


class Stato(models.TextChoices):
    """The state of a unit in a plan year: the plan section that counts it."""

    CARENZA_MANUTENTIVA = "carenza", "In carenza manutentiva (art. 10)"  # section b
    RISTRUTTURAZIONE = "ristrutturazione", "In ristrutturazione / recupero"  # section c
    NUOVA_EDIFICAZIONE = "nuova", "Di nuova edificazione"  # section d
    LIBERA = "libera", "Già libera"  # section e
    CONFERITA_PRIVATI = "conferita", "Conferita da privati (art. 23 c. 2)"  # section f


class StatoUnitaQuerySet(DatiEnteQuerySet):
    campo_ente = "unita__ente"

    def del_piano(self, piano: PianoAnnuale) -> StatoUnitaQuerySet:
        return self.filter(piano=piano)

    def per_ente_comune_stato(self) -> models.QuerySet:
        """Rows ``{ente_id, comune_id, stato, tipo, programma, senza_id, numero}``: the counts every
        section of the plan is built from, in one grouped query."""
        return (
            self.values(
                "stato",
                "programma",
                ente_id=models.F("unita__ente_id"),
                comune_id=models.F("unita__comune_id"),
                tipo=models.F("unita__tipo"),
            )
            .annotate(
                numero=Count("pk"),
                senza_id=Count("pk", filter=Q(unita__id_regionale__isnull=True)),
            )
            .order_by()
        )

    def in_due_sezioni(self) -> StatoUnitaQuerySet:
        """Units declared in a state other than renovation yet placed in a renovation programme."""
        return self.exclude(stato=Stato.RISTRUTTURAZIONE).exclude(programma="")


class StatoUnita(models.Model):
    """What an ente declares about one unit for a plan: at most one state per unit per plan."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="stati_unita"
    )
    unita = models.ForeignKey(UnitaAbitativa, on_delete=models.CASCADE, related_name="stati")
    stato = models.CharField("stato", max_length=20, choices=Stato.choices)
    programma = models.CharField(
        "programma / lotto",
        max_length=120,
        blank=True,
        help_text="Il programma di ristrutturazione o il lotto in cui l'unità è inserita.",
    )
    stato_origine = models.CharField(
        "stato come dichiarato",
        max_length=120,
        blank=True,
        help_text="Il testo dello stato come riportato dalla piattaforma regionale o dall'ente.",
    )
    note = models.CharField("note", max_length=300, blank=True)
    # A state carried over from the previous year's plan stays a proposal until the ente confirms
    # it (or changes it): the new ricognizione asks for every unit again.
    da_confermare = models.BooleanField(
        "da confermare",
        default=False,
        help_text="Stato ripreso dal piano dell'anno precedente, che l'ente deve ancora confermare.",
    )
    # L.R. 18/2025 art. 13: units in carenza manutentiva go only to households able to bear the
    # estimated cost of the works, so section b) states it per unit (required by the newer rules).
    costo_lavori = models.DecimalField(
        "costo stimato dei lavori (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Per le unità in carenza manutentiva: il costo stimato degli interventi di ristrutturazione.",
    )
    note_lavori = models.CharField("lavori previsti", max_length=300, blank=True)

    objects = StatoUnitaQuerySet.as_manager()

    class Meta:
        verbose_name = "stato dell'unità nel piano"
        verbose_name_plural = "stati delle unità nel piano"
        ordering = ["piano", "unita"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "unita"], name="stato_unico_per_unita_e_piano"),
            models.CheckConstraint(
                condition=Q(costo_lavori__isnull=True) | Q(costo_lavori__gte=0),
                name="stato_costo_lavori_non_negativo",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unita}: {self.get_stato_display()}"


class ConsistenzaDichiarata(models.Model):
    """The consistenza an ente declares for the plan (section a).

    A row with no numbers records that the ente owns units but did not communicate how many.
    """

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="consistenze"
    )
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="consistenze")
    # Empty: the whole ente's patrimonio (section a). A comune: the part of it in that comune, an
    # optional breakdown for an ente with units in several comuni (TAB 2 and check T01 read it).
    comune = models.ForeignKey(
        "ambito.Comune",
        verbose_name="comune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sap = models.PositiveIntegerField("alloggi SAP", null=True, blank=True)
    sas = models.PositiveIntegerField("alloggi SAS", null=True, blank=True)
    fonte = models.CharField(
        "fonte",
        max_length=120,
        blank=True,
        help_text="Ad es. «ricognizione 2025», «comunicata in anni precedenti», «piattaforma regionale».",
    )

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "consistenza dichiarata"
        verbose_name_plural = "consistenze dichiarate"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "ente"], condition=Q(comune__isnull=True), name="consistenza_una_per_ente"
            ),
            models.UniqueConstraint(
                fields=["piano", "ente", "comune"],
                condition=Q(comune__isnull=False),
                name="consistenza_una_per_comune",
            ),
            models.CheckConstraint(
                condition=(Q(sap__isnull=True) & Q(sas__isnull=True))
                | (Q(sap__isnull=False) & Q(sas__isnull=False)),
                name="consistenza_sap_sas_entrambi_o_nessuno",
            ),
            models.CheckConstraint(
                condition=Q(sap__isnull=True) | (Q(sap__gte=0) & Q(sas__gte=0)),
                name="consistenza_non_negativa",
            ),
        ]

    def __str__(self) -> str:
        dove = f" a {self.comune}" if self.comune_id else ""
        return f"{self.ente}{dove}: {self.totale if self.comunicata else 'non comunicata'}"

    @property
    def comunicata(self) -> bool:
        return self.sap is not None

    @property
    def totale(self) -> int | None:
        if self.sap is None or self.sas is None:  # both or neither, by a constraint
            return None
        return self.sap + self.sas


class TurnoverPrevisto(models.Model):
    """Units an ente expects to free up by turnover in a comune during the year (a count, section e)."""

    piano = models.ForeignKey("piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="turnover")
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="turnover")
    comune = models.ForeignKey("ambito.Comune", on_delete=models.PROTECT, related_name="+")
    numero = models.PositiveIntegerField("numero di alloggi")

    objects = DatiEnteQuerySet.as_manager()

    class Meta:
        verbose_name = "turnover previsto"
        verbose_name_plural = "turnover previsti"
        ordering = ["piano", "ente", "comune"]
        constraints = [
            models.UniqueConstraint(fields=["piano", "ente", "comune"], name="turnover_unico"),
            models.CheckConstraint(condition=Q(numero__gte=1), name="turnover_positivo"),
        ]

    def __str__(self) -> str:
        return f"{self.ente} – {self.comune}: {self.numero}"


class StatoCaricamento(models.TextChoices):
    IN_LETTURA = "in_lettura", "In lettura"
    ANTEPRIMA = "anteprima", "Anteprima pronta"
    CON_ERRORI = "con_errori", "Con errori"
    IN_SCRITTURA = "in_scrittura", "In registrazione"
    CONFERMATO = "confermato", "Confermato"
    ANNULLATO = "annullato", "Annullato"
    FALLITO = "fallito", "Non riuscito"


class Caricamento(models.Model):
    """One spreadsheet an ente uploaded for a plan: the original file, its preview and its outcome."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="caricamenti"
    )
    ente = models.ForeignKey(EnteProprietario, on_delete=models.CASCADE, related_name="caricamenti")
    utente = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="caricato da",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file = models.FileField("file originale", upload_to="caricamenti/%Y/")
    nome_file = models.CharField("nome del file", max_length=255)
    formato = models.CharField("formato", max_length=20, blank=True)
    stato = models.CharField(
        "stato", max_length=15, choices=StatoCaricamento.choices, default=StatoCaricamento.IN_LETTURA
    )
    progresso = models.PositiveSmallIntegerField("avanzamento (%)", default=0)
    righe = models.PositiveIntegerField("righe lette", default=0)
    aggiunte = models.PositiveIntegerField("unità aggiunte", default=0)
    modificate = models.PositiveIntegerField("unità modificate", default=0)
    rimosse = models.PositiveIntegerField("unità rimosse", default=0)
    invariate = models.PositiveIntegerField("unità invariate", default=0)
    errori = models.JSONField("errori per riga", default=list, blank=True)
    anteprima = models.JSONField("anteprima delle modifiche", default=dict, blank=True)
    esito = models.TextField("esito", blank=True)
    creato_il = models.DateTimeField("caricato il", auto_now_add=True)
    completato_il = models.DateTimeField("completato il", null=True, blank=True)
    # The job's heartbeat: bumped while it runs; the sweep fails jobs whose heartbeat stopped.
    aggiornato_il = models.DateTimeField("ultimo segnale", auto_now=True)

    class Meta:
        verbose_name = "caricamento"
        verbose_name_plural = "caricamenti"
        ordering = ["-creato_il"]
        constraints = [
            models.CheckConstraint(condition=Q(progresso__lte=100), name="caricamento_progresso_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.nome_file} – {self.ente} ({self.get_stato_display()})"


class CaricamentoPiattaforma(models.Model):
    """The regional platform's programming report (the Allegato A layout, one row per ente), uploaded
    once for all enti by the ufficio di piano: the original file, its preview and its outcome.

    Confirming it writes the figures each ente declared on the platform (``RiepilogoDichiarato``).
    """

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="caricamenti_piattaforma"
    )
    utente = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="caricato da",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file = models.FileField("file originale", upload_to="piattaforma/%Y/")
    nome_file = models.CharField("nome del file", max_length=255)
    stato = models.CharField(
        "stato", max_length=15, choices=StatoCaricamento.choices, default=StatoCaricamento.IN_LETTURA
    )
    righe = models.PositiveIntegerField("righe lette", default=0)
    errori = models.JSONField("errori per riga", default=list, blank=True)
    anteprima = models.JSONField("anteprima delle modifiche", default=dict, blank=True)
    impronta = models.CharField("impronta delle modifiche", max_length=64, blank=True)
    esito = models.TextField("esito", blank=True)
    creato_il = models.DateTimeField("caricato il", auto_now_add=True)
    completato_il = models.DateTimeField("completato il", null=True, blank=True)

    class Meta:
        verbose_name = "caricamento del report della piattaforma"
        verbose_name_plural = "caricamenti del report della piattaforma"
        ordering = ["-creato_il"]

    def __str__(self) -> str:
        return f"{self.nome_file} – piano {self.piano_id} ({self.get_stato_display()})"
