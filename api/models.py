"""Personal API tokens: a system acts with its operator's memberships, never more.

The secret is shown once, when the token is created; only its SHA-256 is stored, with a short prefix
the operator sees in the list to tell tokens apart. A revoked or expired token authenticates no one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TokenQuerySet(models.QuerySet):
    def di(self, user_id: int) -> TokenQuerySet:
        return self.filter(user_id=user_id)

    def validi(self) -> TokenQuerySet:
        """Not revoked and not expired: the tokens that still authenticate."""
        adesso = timezone.now()
        return self.filter(revocato_il__isnull=True).filter(Q(scadenza__isnull=True) | Q(scadenza__gt=adesso))


class TokenPersonale(models.Model):
    """A personal API token of one user (``Authorization: Bearer <token>``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="utente", on_delete=models.CASCADE, related_name="token_api"
    )
    nome = models.CharField("nome", max_length=100, help_text="Ad es. «Gestionale ALER».")
    prefisso = models.CharField("inizio del token", max_length=16, unique=True)
    impronta = models.CharField("SHA-256 del segreto", max_length=64, unique=True)
    sola_lettura = models.BooleanField(
        "sola lettura", default=False, help_text="Un token in sola lettura non può modificare alcun dato."
    )
    creato_il = models.DateTimeField("creato il", default=timezone.now)
    scadenza = models.DateTimeField("scade il", null=True, blank=True)
    usato_il = models.DateTimeField("ultimo uso", null=True, blank=True)
    revocato_il = models.DateTimeField("revocato il", null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = "token di accesso personale"
        verbose_name_plural = "token di accesso personali"
        ordering = ["user", "-creato_il", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(impronta__regex=r"^[0-9a-f]{64}$"), name="token_impronta_sha256"
            ),
            models.CheckConstraint(condition=Q(nome__regex=r"\S"), name="token_con_nome"),
        ]

    def __str__(self) -> str:
        return f"{self.nome} ({self.prefisso}…)"

    @property
    def revocato(self) -> bool:
        return self.revocato_il is not None

    @property
    def scaduto(self) -> bool:
        return self.scadenza is not None and self.scadenza <= timezone.now()

    @property
    def valido(self) -> bool:
        return not self.revocato and not self.scaduto
