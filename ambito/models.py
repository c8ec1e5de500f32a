"""The territory: ambiti, their aggregazioni territoriali, comuni and population."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery

if TYPE_CHECKING:
    pass


class Ambito(models.Model):
    """An Ambito territoriale: the comuni that share a Piano di Zona and approve one POA a year."""

    nome = models.CharField("nome", max_length=200, unique=True)
    comune_capofila = models.ForeignKey(
        "Comune",
        verbose_name="comune capofila",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ente_strumentale = models.CharField(
        "ente strumentale",
        max_length=200,
        blank=True,
        help_text="Ad es. l'azienda sociale che supporta l'ufficio di piano.",
    )
    termine_aggregazioni = models.CharField(
        "termine per le aggregazioni",
        max_length=30,
        default="AT",
        help_text="La parola che l'ambito usa per le aggregazioni: «AT», «sub-ambito», «distretto».",
    )

    class Meta:
        verbose_name = "ambito territoriale"
        verbose_name_plural = "ambiti territoriali"
        ordering = ["nome"]

    def __str__(self) -> str:
        return self.nome


class AggregazioneTerritoriale(models.Model):
    """A sub-ambito (AT 1 … AT 7 in the Cremonese), used to group comuni in the plan's tables."""

    ambito = models.ForeignKey(Ambito, on_delete=models.CASCADE, related_name="aggregazioni")
    numero = models.PositiveSmallIntegerField("numero")
    denominazione = models.CharField(
        "denominazione", max_length=100, blank=True, help_text="Ad es. «Nord», «Centro Sud»."
    )

    class Meta:
        verbose_name = "aggregazione territoriale"
        verbose_name_plural = "aggregazioni territoriali"
        ordering = ["ambito", "numero"]
        constraints = [
            models.UniqueConstraint(fields=["ambito", "numero"], name="aggregazione_numero_unico"),
            models.CheckConstraint(condition=Q(numero__gte=1), name="aggregazione_numero_positivo"),
        ]

    def __str__(self) -> str:
        suffix = f" – {self.denominazione}" if self.denominazione else ""
        return f"{self.etichetta}{suffix}"

    @property
    def etichetta(self) -> str:
        """«AT 3», «sub-ambito 3», «distretto 3»: the ambito's own word and the number."""
        return f"{self.ambito.termine_aggregazioni} {self.numero}"


class ComuneQuerySet(models.QuerySet):
    def dell_ambito(self, ambito: Ambito | int) -> ComuneQuerySet:
        return self.filter(ambito=ambito)

    def con_popolazione(self, data: datetime.date) -> ComuneQuerySet:
        """Annotate ``abitanti``, ``famiglie`` and ``fonte_popolazione`` at ``data`` (None where not
        recorded)."""
        alla_data = Popolazione.objects.filter(comune=OuterRef("pk"), data_riferimento=data)
        return self.annotate(
            abitanti=Subquery(alla_data.values("abitanti")[:1]),
            famiglie=Subquery(alla_data.values("famiglie")[:1]),
            fonte_popolazione=Subquery(alla_data.values("fonte")[:1]),
        )


class Comune(models.Model):
    """A comune, identified by its ISTAT code. A comune outside every ambito has ``ambito`` unset."""

    codice_istat = models.CharField("codice ISTAT", max_length=6, unique=True)
    nome = models.CharField("nome", max_length=100)
    provincia = models.CharField("sigla provincia", max_length=2)
    ambito = models.ForeignKey(Ambito, on_delete=models.PROTECT, null=True, blank=True, related_name="comuni")
    aggregazione = models.ForeignKey(
        AggregazioneTerritoriale,
        verbose_name="aggregazione territoriale",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comuni",
    )
    superficie_kmq = models.DecimalField(
        "superficie (km²)", max_digits=9, decimal_places=2, null=True, blank=True
    )

    objects = ComuneQuerySet.as_manager()

    # Present only on rows read with ``ComuneQuerySet.con_popolazione`` (query annotations, not
    # columns): declared for the type checker.
    abitanti: int | None
    famiglie: int | None
    fonte_popolazione: str | None

    class Meta:
        verbose_name = "comune"
        verbose_name_plural = "comuni"
        ordering = ["nome"]
        constraints = [
            models.CheckConstraint(
                condition=Q(codice_istat__regex=r"^[0-9]{6}$"), name="comune_codice_istat_6_cifre"
            ),
            models.CheckConstraint(
                condition=Q(provincia__regex=r"^[A-Z]{2}$"), name="comune_provincia_sigla"
            ),
            models.CheckConstraint(
                condition=Q(superficie_kmq__isnull=True) | Q(superficie_kmq__gt=0),
                name="comune_superficie_positiva",
            ),
        ]

    def __str__(self) -> str:
        return self.nome

    def clean(self) -> None:
        """A comune's aggregazione belongs to the comune's ambito (the database checks it too)."""
        super().clean()
        if self.aggregazione_id is None:
            return
        aggregazione = AggregazioneTerritoriale.objects.select_related("ambito").get(pk=self.aggregazione_id)
        if aggregazione.ambito_id != self.ambito_id:
            # Not tied to a field: the forms that place a comune may not show both.
            raise ValidationError(
                f"«{aggregazione}» è un'aggregazione dell'ambito «{aggregazione.ambito}»: il comune di "
                f"{self.nome} può stare solo in un'aggregazione del proprio ambito."
            )


class Popolazione(models.Model):
    """Resident population of a comune at a reference date, with its source."""

    comune = models.ForeignKey(Comune, on_delete=models.CASCADE, related_name="popolazioni")
    data_riferimento = models.DateField("data di riferimento")
    abitanti = models.PositiveIntegerField("abitanti")
    famiglie = models.PositiveIntegerField("famiglie", null=True, blank=True)
    fonte = models.CharField("fonte", max_length=100, default="ISTAT")

    class Meta:
        verbose_name = "popolazione"
        verbose_name_plural = "popolazione"
        ordering = ["comune", "-data_riferimento"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "data_riferimento"], name="popolazione_una_per_data"),
            models.CheckConstraint(condition=Q(abitanti__gte=0), name="popolazione_abitanti_non_negativi"),
            models.CheckConstraint(
                condition=Q(famiglie__isnull=True) | Q(famiglie__gte=0),
                name="popolazione_famiglie_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comune} al {self.data_riferimento:%d/%m/%Y}: {self.abitanti}"


def data_popolazione_default(anno_piano: int) -> datetime.date:
    """The population date a plan for ``anno_piano`` uses: 1 January of the year before."""
    return datetime.date(anno_piano - 1, 1, 1)
