"""Measures for access to and keeping of housing (Parte seconda) and other projects (Parte terza).

What a plan says about the regional measures (art. 45 c. 8 L.R. 16/2016): a catalogue of measures with
their DGR, and per plan and measure the resources committed, paid (with their «di cui» lines per source
of funding), residual and how the residual is used, and the applications; the avvisi that opened them;
the split of the contributo regionale di solidarietà per ente; the funds for renovating public housing;
the other projects of part three.

Rules one row can break are database constraints here (amounts never negative, approved + rejected =
received, solidarity total = riparto + residuo). Rules across rows (paid = sum of its «di cui» lines,
residual = its uses, residual moved between measures, …) are the M-checks of ``piano_annuale.controlli``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from piano_annuale.models import PianoAnnuale

ZERO = Decimal("0.00")
# SQLite keeps decimals as floating point: a sum compared in the database is exact to half a cent.
MEZZO_CENTESIMO = Decimal("0.005")


def campo_importo(verbose_name: str, **kwargs: Any) -> models.DecimalField:
    """An amount in euro: 14 digits with 2 decimals, never negative."""
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(ZERO, "L'importo non può essere negativo.")],
        **kwargs,
    )


def importo_non_negativo(campo: str, nome: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{campo}__isnull": True}) | Q(**{f"{campo}__gte": 0}),
        name=nome,
        violation_error_message="Gli importi non possono essere negativi.",
    )


class Delibera(models.Model):
    """A regional resolution (DGR) that finances or regulates a measure, e.g. «DGR 6970/2022»."""

    numero = models.CharField("numero", max_length=20, help_text="Ad es. «6970» o «XII/1001».")
    anno = models.PositiveSmallIntegerField("anno")
    oggetto = models.CharField("oggetto", max_length=300, blank=True)

    class Meta:
        verbose_name = "delibera regionale (DGR)"
        verbose_name_plural = "delibere regionali (DGR)"
        ordering = ["anno", "numero"]
        constraints = [
            models.UniqueConstraint(fields=["numero", "anno"], name="delibera_unica"),
            models.CheckConstraint(
                condition=Q(anno__gte=1970) & Q(anno__lte=2100),
                name="delibera_anno_plausibile",
                violation_error_message="L'anno della delibera non è plausibile.",
            ),
        ]

    def __str__(self) -> str:
        return f"DGR {self.numero}/{self.anno}"

    @property
    def chiave(self) -> str:
        """The natural key used in files and spreadsheets: «6970/2022»."""
        return f"{self.numero}/{self.anno}"


def leggi_chiave_delibera(testo: str) -> tuple[str, int]:
    """«6970/2022» or «DGR 6970/2022» → ("6970", 2022); ValueError in Italian otherwise."""
    trovata = re.fullmatch(r"\s*(?:DGR\.?\s*)?(?:n\.\s*)?([0-9A-Za-z./]+?)\s*/\s*([0-9]{4})\s*", str(testo))
    if not trovata:
        raise ValueError(f"riferimento a delibera non valido: «{testo}» (atteso ad es. «6970/2022»)")
    return trovata.group(1), int(trovata.group(2))


class Misura(models.Model):
    """A measure of the catalogue (e.g. Fondo morosità incolpevole) with the DGR that regulate it."""

    codice = models.SlugField("codice", max_length=50, unique=True)
    nome = models.CharField("nome", max_length=200)
    descrizione = models.TextField(
        "descrizione", blank=True, help_text="Che cosa prevede la misura, stampato nel piano."
    )
    delibere = models.ManyToManyField(
        Delibera, verbose_name="delibere (DGR)", blank=True, related_name="misure"
    )
    ordine = models.PositiveSmallIntegerField(
        "ordine", default=0, help_text="Posizione nel piano: la prima misura è la lettera a)."
    )

    class Meta:
        verbose_name = "misura"
        verbose_name_plural = "misure (catalogo)"
        ordering = ["ordine", "nome"]

    def __str__(self) -> str:
        return self.nome


def riferimenti(delibere: list[str]) -> str:
    """«DGR 6970/2022 e DGR 1001/2023»: the legal references as the plan prints them."""
    if len(delibere) <= 1:
        return "".join(delibere)
    return f"{', '.join(delibere[:-1])} e {delibere[-1]}"


class MisuraPianoQuerySet(models.QuerySet):
    """Rows only: the sums of a measure's lines are fields of the computed plan (``MisuraCalcolata``)."""

    def del_piano(self, piano: PianoAnnuale) -> MisuraPianoQuerySet:
        return self.filter(piano=piano)


class MisuraPiano(models.Model):
    """What a plan reports for one measure: resources, applications, notes.

    Every figure is optional: the plan prints what the ufficio di piano knows, and an unknown figure
    (empty) is not a zero.
    """

    piano = models.ForeignKey("piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="misure")
    misura = models.ForeignKey(Misura, on_delete=models.PROTECT, related_name="dati_annuali")
    risorse_impegnate = campo_importo("risorse impegnate (€)", null=True, blank=True)
    risorse_erogate = campo_importo(
        "risorse complessive erogate (€)",
        null=True,
        blank=True,
        help_text="Deve essere la somma delle voci «di cui», se indicate.",
    )
    risorse_residue = campo_importo(
        "risorse residue (€)",
        null=True,
        blank=True,
        help_text="Impegnate meno erogate a valere sull'impegno; il loro utilizzo si indica nelle righe sotto.",
    )
    domande_pervenute = models.PositiveIntegerField("domande pervenute", null=True, blank=True)
    domande_approvate = models.PositiveIntegerField("domande approvate e finanziate", null=True, blank=True)
    domande_respinte = models.PositiveIntegerField("domande non approvate", null=True, blank=True)
    note = models.TextField("note", blank=True, help_text="Testo stampato dopo i dati della misura.")
    rinnovo_previsto = models.BooleanField(
        "prevista per l'anno del piano",
        default=False,
        help_text="La misura dovrebbe essere rinnovata nell'anno del piano, subordinatamente al "
        "trasferimento di risorse nazionali e/o regionali.",
    )

    objects = MisuraPianoQuerySet.as_manager()

    class Meta:
        verbose_name = "misura nel piano"
        verbose_name_plural = "misure nel piano"
        ordering = ["piano", "misura__ordine", "misura__nome"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "misura"],
                name="misura_piano_unica",
                violation_error_message="Questa misura è già presente nel piano.",
            ),
            importo_non_negativo("risorse_impegnate", "misura_impegnate_non_negative"),
            importo_non_negativo("risorse_erogate", "misura_erogate_non_negative"),
            importo_non_negativo("risorse_residue", "misura_residue_non_negative"),
            models.CheckConstraint(
                condition=Q(domande_pervenute__isnull=True)
                | Q(domande_approvate__isnull=True)
                | Q(domande_respinte__isnull=True)
                | Q(domande_pervenute=F("domande_approvate") + F("domande_respinte")),
                name="misura_domande_approvate_piu_respinte",
                violation_error_message=(
                    "Le domande approvate più quelle non approvate devono essere pari alle domande pervenute."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.misura} – piano {self.piano.anno}" if self.piano_id else str(self.misura)


class Provenienza(models.TextChoices):
    """Where a «di cui» share of the paid resources comes from."""

    IMPEGNO = "impegno", "Risorse impegnate per la misura"
    RESIDUO = "residuo", "Residui di altre misure"
    ALTRO = "altro", "Altro finanziamento"


class QuotaErogata(models.Model):
    """A «di cui» line: how much of the paid resources (and how many approved applications) one source
    of funding financed, e.g. «finanziate con DGR 1001/23: € 52.539,00, 30 domande»."""

    misura_piano = models.ForeignKey(MisuraPiano, on_delete=models.CASCADE, related_name="quote")
    ordine = models.PositiveSmallIntegerField("ordine", default=0)
    voce = models.CharField("fonte di finanziamento", max_length=300, help_text="Come la stampa il piano.")
    provenienza = models.CharField(
        "provenienza", max_length=10, choices=Provenienza.choices, default=Provenienza.IMPEGNO
    )
    delibera = models.ForeignKey(
        Delibera, verbose_name="delibera", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    residuo_di = models.ManyToManyField(
        Misura,
        verbose_name="residuo delle misure",
        blank=True,
        related_name="quote_finanziate_col_residuo",
        help_text="Solo per la provenienza «residui di altre misure»: di quali misure.",
    )
    importo = campo_importo("importo (€)", null=True, blank=True)
    domande_approvate = models.PositiveIntegerField("domande approvate e finanziate", null=True, blank=True)

    class Meta:
        verbose_name = "quota erogata per fonte («di cui»)"
        verbose_name_plural = "quote erogate per fonte («di cui»)"
        ordering = ["misura_piano", "ordine", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["misura_piano", "voce"],
                name="quota_erogata_voce_unica",
                violation_error_message="Questa fonte di finanziamento è già indicata per la misura.",
            ),
            importo_non_negativo("importo", "quota_erogata_importo_non_negativo"),
            models.CheckConstraint(
                condition=Q(importo__isnull=False) | Q(domande_approvate__isnull=False),
                name="quota_erogata_importo_o_domande",
                violation_error_message="Indicare l'importo o il numero di domande finanziate con questa fonte.",
            ),
        ]

    def __str__(self) -> str:
        return self.voce


class UtilizzoResiduo(models.Model):
    """How part of a measure's residual is used, e.g. «per domande sospese … Misura unica: € 42.637,55»."""

    misura_piano = models.ForeignKey(MisuraPiano, on_delete=models.CASCADE, related_name="utilizzi")
    ordine = models.PositiveSmallIntegerField("ordine", default=0)
    voce = models.CharField("utilizzo", max_length=300, help_text="Come lo stampa il piano.")
    misura_destinataria = models.ForeignKey(
        Misura,
        verbose_name="a favore della misura",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="La misura che il residuo finanzia, se è una misura del catalogo.",
    )
    importo = campo_importo("importo (€)")

    class Meta:
        verbose_name = "utilizzo del residuo"
        verbose_name_plural = "utilizzi del residuo"
        ordering = ["misura_piano", "ordine", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["misura_piano", "voce"],
                name="utilizzo_residuo_voce_unica",
                violation_error_message="Questo utilizzo è già indicato per la misura.",
            ),
            importo_non_negativo("importo", "utilizzo_residuo_importo_non_negativo"),
        ]

    def __str__(self) -> str:
        return self.voce


class Avviso(models.Model):
    """A public notice that opened one or more measures, and the comuni of the ambito that joined it."""

    piano = models.ForeignKey("piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="avvisi")
    titolo = models.CharField("titolo", max_length=300)
    numero = models.CharField("numero", max_length=50, blank=True)
    data = models.DateField("data", null=True, blank=True)
    delibera = models.ForeignKey(
        Delibera, verbose_name="delibera", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    misure = models.ManyToManyField(Misura, verbose_name="misure aperte", blank=True, related_name="avvisi")
    comuni_aderenti = models.ManyToManyField(
        "ambito.Comune", verbose_name="comuni aderenti", blank=True, related_name="avvisi_misure"
    )
    note = models.TextField("note", blank=True)

    class Meta:
        verbose_name = "avviso"
        verbose_name_plural = "avvisi"
        ordering = ["piano", "data", "titolo"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "titolo"],
                name="avviso_titolo_unico",
                violation_error_message="Un avviso con questo titolo è già registrato nel piano.",
            ),
            models.CheckConstraint(
                condition=~Q(numero="") | Q(data__isnull=False),
                name="avviso_numero_o_data",
                violation_error_message="Indicare il numero o la data dell'avviso.",
            ),
        ]

    def __str__(self) -> str:
        return self.titolo


class RipartoSolidarieta(models.Model):
    """The contributo regionale di solidarietà in a plan: which riparto, its DGR, and the summary as the
    source document states it.

    The plan computes the summary from the rows (``QuotaSolidarieta``); the ``dichiarati_*`` counts
    are kept only so that check M10 finds where a typed summary contradicts the table.
    """

    piano = models.OneToOneField(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="riparto_solidarieta"
    )
    anno_riparto = models.PositiveSmallIntegerField("anno del riparto")
    delibera = models.ForeignKey(
        Delibera, verbose_name="delibera", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nota = models.TextField("nota dopo la tabella", blank=True)
    dichiarati_con_riparto = models.PositiveSmallIntegerField(
        "comuni con nuova assegnazione (come dichiarati)", null=True, blank=True
    )
    dichiarati_solo_residuo = models.PositiveSmallIntegerField(
        "comuni con soli residui (come dichiarati)", null=True, blank=True
    )
    dichiarati_senza_contributo = models.PositiveSmallIntegerField(
        "comuni senza contributo (come dichiarati)", null=True, blank=True
    )

    class Meta:
        verbose_name = "riparto del contributo di solidarietà"
        verbose_name_plural = "riparti del contributo di solidarietà"
        ordering = ["piano"]
        constraints = [
            models.CheckConstraint(
                condition=Q(anno_riparto__gte=2016) & Q(anno_riparto__lte=2100),
                name="riparto_solidarieta_anno_plausibile",
                violation_error_message="L'anno del riparto non è plausibile (il contributo nasce con la L.R. 16/2016).",
            ),
        ]

    def __str__(self) -> str:
        return f"Riparto {self.anno_riparto} del contributo di solidarietà"


class QuotaSolidarietaQuerySet(models.QuerySet):
    """Rows only: their sums and the summary (3 / 18 / 27) are computed once, with the plan
    (``piano_annuale.calcolo.contributo_solidarieta``), where a row outside the ambito is not counted."""

    def del_piano(self, piano: PianoAnnuale) -> QuotaSolidarietaQuerySet:
        return self.filter(piano=piano)


class QuotaSolidarieta(models.Model):
    """One row of the contributo di solidarietà split: an ente's new allocation, residual, total.

    The plan groups the rows by the aggregazione of the ente's comune. ``aggregazione_indicata`` keeps
    where the source table listed the ente, when it says so: check M11 reports where it differs.
    """

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="quote_solidarieta"
    )
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario", on_delete=models.PROTECT, related_name="quote_solidarieta"
    )
    riparto = campo_importo("nuova assegnazione (riparto, €)", default=ZERO)
    residuo = campo_importo("residuo degli anni precedenti (€)", default=ZERO)
    totale = campo_importo("totale disponibile (€)")
    aggregazione_indicata = models.ForeignKey(
        "ambito.AggregazioneTerritoriale",
        verbose_name="aggregazione indicata nel riparto",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Solo se la tabella di riparto colloca l'ente in un'aggregazione: il piano usa "
        "comunque l'aggregazione del comune.",
    )

    objects = QuotaSolidarietaQuerySet.as_manager()

    class Meta:
        verbose_name = "quota del contributo di solidarietà"
        verbose_name_plural = "quote del contributo di solidarietà"
        ordering = ["piano", "ente"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "ente"],
                name="solidarieta_una_per_ente",
                violation_error_message="L'ente ha già una riga nel riparto del contributo di solidarietà.",
            ),
            importo_non_negativo("riparto", "solidarieta_riparto_non_negativo"),
            importo_non_negativo("residuo", "solidarieta_residuo_non_negativo"),
            models.CheckConstraint(
                condition=Q(totale__gte=F("riparto") + F("residuo") - MEZZO_CENTESIMO)
                & Q(totale__lte=F("riparto") + F("residuo") + MEZZO_CENTESIMO),
                name="solidarieta_totale_riparto_piu_residuo",
                violation_error_message=(
                    "Il totale disponibile deve essere la somma della nuova assegnazione e del residuo "
                    "degli anni precedenti."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ente}: {self.totale} €"


class InterventoRiqualificazione(models.Model):
    """Access to funds for renovating public housing, per ente: what, with which funds, how many units."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="interventi_riqualificazione"
    )
    ordine = models.PositiveSmallIntegerField("ordine", default=0)
    contesto = models.CharField(
        "contesto territoriale", max_length=100, help_text="Ad es. «Città di Cremona», «Territorio»."
    )
    ente = models.ForeignKey(
        "patrimonio.EnteProprietario",
        verbose_name="ente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventi_riqualificazione",
    )
    titolo = models.CharField("titolo", max_length=300)
    descrizione = models.TextField("descrizione")
    finanziamento = models.CharField("fonte del finanziamento", max_length=300, blank=True)
    importo = campo_importo("importo (€)", null=True, blank=True)
    alloggi = models.PositiveIntegerField("alloggi interessati", null=True, blank=True)

    class Meta:
        verbose_name = "intervento di riqualificazione"
        verbose_name_plural = "interventi di riqualificazione"
        ordering = ["piano", "ordine", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "titolo"],
                name="riqualificazione_titolo_unico",
                violation_error_message="Un intervento con questo titolo è già registrato nel piano.",
            ),
            importo_non_negativo("importo", "riqualificazione_importo_non_negativo"),
        ]

    def __str__(self) -> str:
        return self.titolo


class Progettualita(models.Model):
    """Another project against housing hardship (Parte terza), e.g. the tutor condominiale service."""

    piano = models.ForeignKey(
        "piano_annuale.PianoAnnuale", on_delete=models.CASCADE, related_name="progettualita"
    )
    ordine = models.PositiveSmallIntegerField("ordine", default=0)
    titolo = models.CharField("titolo", max_length=300)
    descrizione = models.TextField("descrizione")
    promotore = models.ForeignKey(
        "patrimonio.EnteProprietario",
        verbose_name="ente promotore",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="progettualita",
    )
    partner = models.TextField("soggetti coinvolti", blank=True)
    periodo = models.CharField("periodo", max_length=200, blank=True, help_text="Come lo descrive il piano.")
    data_inizio = models.DateField("inizio", null=True, blank=True)
    data_fine = models.DateField("fine", null=True, blank=True)
    costo = campo_importo("costo (€)", null=True, blank=True)
    finanziamento = models.TextField("finanziamento", blank=True)

    class Meta:
        verbose_name = "progettualità"
        verbose_name_plural = "progettualità"
        ordering = ["piano", "ordine", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["piano", "titolo"],
                name="progettualita_titolo_unico",
                violation_error_message="Una progettualità con questo titolo è già registrata nel piano.",
            ),
            importo_non_negativo("costo", "progettualita_costo_non_negativo"),
            models.CheckConstraint(
                condition=Q(data_inizio__isnull=True)
                | Q(data_fine__isnull=True)
                | Q(data_fine__gte=F("data_inizio")),
                name="progettualita_fine_dopo_inizio",
                violation_error_message="La data di fine non può precedere quella di inizio.",
            ),
        ]

    def __str__(self) -> str:
        return self.titolo


# Every rule of this app the database enforces, for ``piano_annuale.controlli.VINCOLI``: a refused
# write is shown to the user with the same Italian message the forms give.
VINCOLI_MISURE: tuple[models.BaseConstraint, ...] = tuple(
    vincolo
    for modello in (
        Delibera,
        MisuraPiano,
        QuotaErogata,
        UtilizzoResiduo,
        Avviso,
        RipartoSolidarieta,
        QuotaSolidarieta,
        InterventoRiqualificazione,
        Progettualita,
    )
    for vincolo in modello._meta.constraints
)
