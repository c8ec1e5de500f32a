"""The audit: one row per recorded change of a domain row (who, when, before, after)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from piano_annuale.models.piano import PianoAnnuale

if TYPE_CHECKING:
    pass


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
