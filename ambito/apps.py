from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate

from ambito.integrita import dopo_migrate, prima_di_migrate


def _prima_di_migrate(sender: AppConfig, using: str, **kwargs: Any) -> None:
    prima_di_migrate(connections[using])


def _dopo_migrate(sender: AppConfig, using: str, **kwargs: Any) -> None:
    dopo_migrate(connections[using])


class AmbitoConfig(AppConfig):
    name = "ambito"
    verbose_name = "Ambito territoriale"

    def ready(self) -> None:
        # The integrity triggers on SQLite (ambito/integrita.py): out of the way of the migrations.
        pre_migrate.connect(_prima_di_migrate, sender=self, dispatch_uid="ambito_integrita_prima")
        post_migrate.connect(_dopo_migrate, sender=self, dispatch_uid="ambito_integrita_dopo")
