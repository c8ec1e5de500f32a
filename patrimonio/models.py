"""Enti proprietari, their housing units, and what each ente declares about them in a plan year."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q

from ambito.italiano import con_preposizione
from ambito.models import Ambito, Comune
from patrimonio.accesso import (
    RUOLI_CON_ENTE,
    Operatore,
    Ruolo,
    q_ambiti_dell_ufficio,
    q_enti_modificabili,
    q_enti_visibili,
)

__all__ = ["RUOLI_CON_ENTE", "Operatore", "Ruolo"]

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    Utente = User | AnonymousUser


class TipoEnte(models.TextChoices):
    COMUNE = "comune", "Comune"
    ALER = "aler", "ALER"
    OPERATORE = "operatore", "Operatore accreditato"


class EnteQuerySet(models.QuerySet):
    def dell_ambito(self, ambito: Ambito | int) -> EnteQuerySet:
        return self.filter(ambito=ambito)

    def comunali(self) -> EnteQuerySet:
        return self.filter(tipo=TipoEnte.COMUNE)

    # Access rules: the one place that says which enti's data a user reaches. Every view of an
    # ente's data (units, answers, choices) starts from these; links are never the protection.

    def visibili_a(self, user: Utente) -> EnteQuerySet:
        """Enti whose data ``user`` may read (``accesso.q_enti_visibili``)."""
        return self.filter(q_enti_visibili(user))

    def modificabili_da(self, user: Utente) -> EnteQuerySet:
        """Enti whose data ``user`` may change (``accesso.q_enti_modificabili``)."""
        return self.filter(q_enti_modificabili(user))

    def dell_ufficio_di_piano(self, user: Utente) -> EnteQuerySet:
        """Enti of the ambiti where ``user`` is the ufficio di piano: those whose answers they follow
        in the dashboard, remind and reopen."""
        return self.filter(q_ambiti_dell_ufficio(user))


class DatiEnteQuerySet(models.QuerySet):
    """Rows that belong to one ente (its units, counts, answers, choices): visible and changeable
    exactly where the ente is, by ``EnteQuerySet.visibili_a`` / ``modificabili_da``."""

    # The lookup from the row to its ente.
    campo_ente = "ente"

    def visibili_a(self, user: Utente) -> models.QuerySet:
        return self.filter(q_enti_visibili(user, self.campo_ente))

    def modificabili_da(self, user: Utente) -> models.QuerySet:
        return self.filter(q_enti_modificabili(user, self.campo_ente))


class EnteProprietario(models.Model):
    """Who owns housing units in an ambito: a comune, ALER (one U.O.G.), or an operatore accreditato.

    Every comune of the ambito has its ente, even when it owns nothing: the ricognizione asks all of
    them for an answer. ``gestore`` is the ente that manages the units (many comuni delegate to ALER).
    """

    ambito = models.ForeignKey("ambito.Ambito", on_delete=models.PROTECT, related_name="enti")
    tipo = models.CharField("tipo", max_length=10, choices=TipoEnte.choices)
    denominazione = models.CharField("denominazione", max_length=200)
    comune = models.OneToOneField(
        "ambito.Comune",
        verbose_name="comune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ente",
        help_text="Solo per gli enti di tipo Comune.",
    )
    uog = models.CharField(
        "unità organizzativa",
        max_length=100,
        blank=True,
        help_text="Per ALER: l'U.O.G. territorialmente competente, ad es. «U.O.G. di Cremona».",
    )
    gestore = models.ForeignKey(
        "self",
        verbose_name="ente gestore",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enti_gestiti",
        help_text="Vuoto se l'ente gestisce direttamente le proprie unità.",
    )
    email = models.EmailField("e-mail", blank=True)

    objects = EnteQuerySet.as_manager()

    class Meta:
        verbose_name = "ente proprietario"
        verbose_name_plural = "enti proprietari"
        ordering = ["ambito", "tipo", "denominazione"]
        constraints = [
            models.UniqueConstraint(fields=["ambito", "denominazione"], name="ente_denominazione_unica"),
            models.CheckConstraint(
                condition=(Q(tipo=TipoEnte.COMUNE) & Q(comune__isnull=False))
                | (~Q(tipo=TipoEnte.COMUNE) & Q(comune__isnull=True)),
                name="ente_comune_solo_per_tipo_comune",
            ),
            models.CheckConstraint(
                condition=Q(gestore__isnull=True) | ~Q(gestore=models.F("pk")),
                name="ente_non_gestore_di_se_stesso",
            ),
        ]

    def __str__(self) -> str:
        return self.denominazione

    @property
    def is_comune(self) -> bool:
        return self.tipo == TipoEnte.COMUNE

    def clean(self) -> None:
        """An ente of type comune lies in its comune's ambito (the database checks it too:
        ``ambito/integrita.py``)."""
        super().clean()
        if self.comune_id is None or self.ambito_id is None:
            return
        comune = Comune.objects.select_related("ambito").get(pk=self.comune_id)
        if comune.ambito_id != self.ambito_id:
            dove = f"nell'ambito «{comune.ambito}»" if comune.ambito else "in nessun ambito"
            # Not tied to a field: the forms that save an ente may not show its comune.
            raise ValidationError(
                f"Il comune di {comune.nome} è {dove}: il suo ente deve appartenere allo stesso ambito."
            )


class TipoServizio(models.TextChoices):
    SAP = "SAP", "SAP – servizi abitativi pubblici"
    SAS = "SAS", "SAS – servizi abitativi sociali"


# An ID regionale that normalisation (``controlli.normalizza_id_regionale``: no separators, upper case,
# no leading zeros) would change. Two stored IDs can share a normalised form only if one of them is
# such an ID, so the duplicate-ID check starts from these few units (partial index ``unita_id_irregolare``).
ID_REGIONALE_IRREGOLARE = r"[^0-9A-Z]|^0"


class UnitaQuerySet(DatiEnteQuerySet):
    def dell_ambito(self, ambito: Ambito | int) -> UnitaQuerySet:
        """Units owned by the enti of an ambito (wherever they stand)."""
        return self.filter(ente__ambito=ambito)

    def per_ente_e_tipo(self) -> models.QuerySet:
        """Rows ``{ente_id, tipo, numero}``: how many units each ente lists, SAP and SAS apart."""
        return self.values("ente_id", "tipo").annotate(numero=Count("pk")).order_by()

    def coppie_ente_comune(self) -> models.QuerySet:
        """Distinct ``(ente_id, comune_id)`` pairs where an ente has at least one unit."""
        return self.values_list("ente_id", "comune_id").distinct().order_by()


class UnitaAbitativa(models.Model):
    """One housing unit (U.I.) in an ente's registry.

    The ID regionale is unique when known; units whose ID was "non comunicato" have it unset.
    """

    ente = models.ForeignKey(EnteProprietario, on_delete=models.PROTECT, related_name="unita")
    comune = models.ForeignKey(
        "ambito.Comune",
        verbose_name="comune in cui si trova",
        on_delete=models.PROTECT,
        related_name="unita",
    )
    id_regionale = models.CharField(
        "ID regionale",
        max_length=20,
        null=True,
        blank=True,
        help_text="Identificativo nell'anagrafe regionale del patrimonio. Vuoto se non comunicato.",
    )
    codice_ente = models.CharField("codice dell'ente", max_length=40, blank=True)
    tipo = models.CharField("servizio", max_length=3, choices=TipoServizio.choices, default=TipoServizio.SAP)
    indirizzo = models.CharField("indirizzo", max_length=200, blank=True)

    objects = UnitaQuerySet.as_manager()

    class Meta:
        verbose_name = "unità abitativa"
        verbose_name_plural = "unità abitative"
        ordering = ["ente", "comune", "id_regionale", "codice_ente", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_regionale"],
                condition=Q(id_regionale__isnull=False),
                name="unita_id_regionale_unico",
            ),
            models.CheckConstraint(
                condition=Q(id_regionale__isnull=True) | Q(id_regionale__regex=r"^[0-9A-Za-z./-]+$"),
                name="unita_id_regionale_non_vuoto",
            ),
            models.UniqueConstraint(
                fields=["ente", "codice_ente"],
                condition=~Q(codice_ente=""),
                name="unita_codice_ente_unico_per_ente",
            ),
        ]
        indexes = [
            models.Index(fields=["ente", "comune"], name="unita_ente_comune"),
            # The few units of an ente whose ID normalisation would change: where the duplicate-ID check
            # starts, without reading the ente's whole registry.
            models.Index(
                fields=["ente"],
                condition=Q(id_regionale__regex=ID_REGIONALE_IRREGOLARE),
                name="unita_id_irregolare",
            ),
        ]

    def __str__(self) -> str:
        ident = self.id_regionale or "ID non comunicato"
        codice = f" ({self.codice_ente})" if self.codice_ente else ""
        return f"U.I. {ident}{codice} – {self.comune}"

    def clean(self) -> None:
        """A unit's comune lies in its ente's ambito (the database checks it too:
        ``ambito/integrita.py``)."""
        super().clean()
        if self.comune_id is None or self.ente_id is None:
            return
        comune = Comune.objects.select_related("ambito").get(pk=self.comune_id)
        ente = EnteProprietario.objects.select_related("ambito").get(pk=self.ente_id)
        if comune.ambito_id != ente.ambito_id:
            raise ValidationError(
                f"Il comune di {comune.nome} non fa parte dell'ambito «{ente.ambito}» {con_preposizione(ente, 'di')}: "
                "l'unità deve trovarsi in un comune dello stesso ambito."
            )
