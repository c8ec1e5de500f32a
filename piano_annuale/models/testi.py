"""The plan's editable narratives and its rendered PDF documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from piano_annuale import catalogo
from piano_annuale.models.piano import PianoAnnuale


class SezioneTesto(models.TextChoices):
    """The narrative parts of the plan, in the order the document prints them; the titles of the
    chapters they open come from the catalogue."""

    PREMESSA = "premessa", catalogo.voce("premessa").titolo
    NORMATIVA = "normativa", f"{catalogo.voce('normativa').titolo} (quadro normativo)"
    # Optional since L.R. 11/2024 art. 21: no default text, printed only when written.
    AGGIORNAMENTO_TRIENNALE = "aggiornamento_triennale", catalogo.voce("aggiornamento_triennale").titolo
    CONTESTO = "contesto", catalogo.voce("contesto").titolo
    PARTE_SECONDA = "parte_seconda", "Introduzione alla parte seconda (misure)"
    PARTE_TERZA = "parte_terza", "Introduzione alla parte terza (altre progettualità)"
    NOTE_CHIUSURA = "note_chiusura", catalogo.voce("note").titolo


class TestoPiano(models.Model):
    """A narrative section of a plan, editable by the ufficio di piano: HTML from the rich-text editor
    or an imported document, or Markdown (the project's defaults, older texts); both rendered by the
    same sanitiser, placeholders included (``rendering.testi``)."""

    piano = models.ForeignKey(PianoAnnuale, on_delete=models.CASCADE, related_name="testi")
    sezione = models.CharField("sezione", max_length=30, choices=SezioneTesto.choices)
    testo = models.TextField("testo (HTML o Markdown)", blank=True)
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
    # The job's heartbeat: bumped while it runs; the sweep fails jobs whose heartbeat stopped.
    aggiornato_il = models.DateTimeField("ultimo segnale", auto_now=True)
    # The frozen version whose PDF this job renders (send to ALER, approval), if any.
    versione = models.ForeignKey(
        "piano_annuale.VersionePiano",
        verbose_name="versione congelata",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documenti",
    )

    class Meta:
        verbose_name = "documento PDF del piano"
        verbose_name_plural = "documenti PDF del piano"
        ordering = ["piano", "-creato_il"]
        constraints = [
            models.CheckConstraint(condition=Q(progresso__lte=100), name="documento_progresso_0_100"),
        ]

    def __str__(self) -> str:
        return f"PDF {self.piano} ({self.get_stato_display()})"
