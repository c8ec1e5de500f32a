"""The plan of an ambito for a year: the plan-year record every declaration hangs on."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q

from patrimonio.accesso import q_ambiti_dell_ufficio, q_piani_compilabili, q_piani_visibili
from piano_annuale.models.regole import RegoleAnno

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class StatoPiano(models.TextChoices):
    RICOGNIZIONE = "ricognizione", "Ricognizione aperta"
    BOZZA = "bozza", "Bozza"
    INVIATA_ALER = "inviata_aler", "Inviata ad ALER per il parere"
    PARERE_ESPRESSO = "parere_espresso", "Parere ALER espresso"
    TRASMESSA_ASSEMBLEA = "trasmessa_assemblea", "Trasmessa all'Assemblea dei Sindaci"
    APPROVATA = "approvata", "Approvata"


class PianoQuerySet(models.QuerySet):
    def dell_ufficio_di_piano(self, user: User | AnonymousUser) -> PianoQuerySet:
        """Plans a user may compute and inspect as ufficio di piano: their ambito's (all for superusers)."""
        return self.filter(q_ambiti_dell_ufficio(user))

    # The ricognizione's data may change only until the draft goes to ALER.
    STATI_MODIFICABILI = (StatoPiano.RICOGNIZIONE, StatoPiano.BOZZA)

    def visibili_a(self, user: User | AnonymousUser) -> PianoQuerySet:
        """Plans whose computed content ``user`` may read (``accesso.q_piani_visibili``)."""
        return self.filter(q_piani_visibili(user, list(StatoPiano.values)))

    def compilabili_da(self, user: User | AnonymousUser) -> PianoQuerySet:
        """Plans whose ricognizione ``user`` takes part in, whatever their state."""
        return self.filter(q_piani_compilabili(user))

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
    # The rules the plan is computed under: recorded when the plan is created (those in force at its
    # reference date), or chosen by the ufficio di piano with a reason (a plan approved across a change).
    regole = models.ForeignKey(
        RegoleAnno,
        verbose_name="regole applicate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="piani",
    )
    motivo_regole = models.TextField("motivo della scelta delle regole", blank=True)
    triennio_inizio = models.PositiveSmallIntegerField("piano triennale: primo anno", null=True, blank=True)
    triennio_fine = models.PositiveSmallIntegerField("piano triennale: ultimo anno", null=True, blank=True)
    creato_il = models.DateTimeField("creato il", auto_now_add=True)
    aggiornato_il = models.DateTimeField("aggiornato il", auto_now=True)
    # Bumped in the same transaction as every write that can change the computed plan: the key of
    # the cached computation (``calcolo.cache``), so a stale result is never read.
    revisione = models.PositiveBigIntegerField("revisione dei dati", default=0, editable=False)

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
            # A triennale covers three years and contains the plan's year.
            models.CheckConstraint(
                condition=Q(triennio_inizio__isnull=True, triennio_fine__isnull=True)
                | Q(
                    triennio_fine=F("triennio_inizio") + 2,
                    triennio_inizio__lte=F("anno"),
                    triennio_fine__gte=F("anno"),
                ),
                name="piano_triennio_di_tre_anni_con_l_anno",
            ),
        ]

    def __str__(self) -> str:
        return f"Piano annuale {self.anno} – {self.ambito}"

    @property
    def anno_precedente(self) -> int:
        return self.anno - 1

    @property
    def data_riferimento_regole(self) -> datetime.date:
        """The date whose rules a plan follows unless the ufficio chose others: 1 January of its year."""
        return datetime.date(self.anno, 1, 1)

    def regole_applicate(self) -> RegoleAnno:
        """The recorded rule set, or the one in force at the plan's reference date."""
        if self.regole_id is not None:
            return self.regole  # type: ignore[return-value]  # set when regole_id is
        regole = RegoleAnno.objects.in_vigore_al(self.data_riferimento_regole)
        if regole is None:
            raise RegoleAnno.DoesNotExist(
                f"Nessuna regola in vigore al {self.data_riferimento_regole:%d/%m/%Y}."
            )
        return regole
