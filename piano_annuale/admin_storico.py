"""Every write made in the Django admin goes into the history of changes, like any other write.

``ConStorico`` is mixed into every ``ModelAdmin`` of the four apps: a save (from the change page, the
add page or the editable list), its inlines and many-to-many fields, a deletion (with whatever it
cascades to) and the bulk «delete selected» action are each recorded by one ``Scrittura`` in the
admin's own transaction. ``RisorsaConStorico`` does the same for a spreadsheet imported through the
admin (django-import-export), in bulk.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest
from import_export import resources

from piano_annuale.storico import Scrittura

ORIGINE = "amministrazione del sito"
# The write under way, carried by the form from ``save_model`` to ``save_related``: the admin
# calls both with the same form, and a ModelAdmin instance is shared by concurrent requests.
ATTRIBUTO_SCRITTURA = "_scrittura_storico"


def _scrittura(request: HttpRequest) -> Scrittura:
    return Scrittura(utente=request.user, origine=ORIGINE)


class ConStorico(admin.ModelAdmin):
    """A ModelAdmin whose writes are recorded in the history (mix in before ``ModelAdmin``)."""

    def save_model(self, request: HttpRequest, obj: Model, form: BaseModelForm, change: bool) -> None:
        scrittura = _scrittura(request)
        scrittura.osserva_oggetti([obj])  # read back from the database: ``obj`` has the new values
        setattr(form, ATTRIBUTO_SCRITTURA, scrittura)
        super().save_model(request, obj, form, change)

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseFormSet, change: bool
    ) -> None:
        scrittura: Scrittura | None = getattr(form, ATTRIBUTO_SCRITTURA, None)
        if scrittura is None:
            super().save_formset(request, form, formset, change)
            return
        scrittura.osserva_oggetti(f.instance for f in formset.forms)
        for eliminato in formset.deleted_forms:
            # What deleting an inline row cascades to, or empties, is part of the change.
            scrittura.osserva_eliminazione([eliminato.instance])
        super().save_formset(request, form, formset, change)

    def save_related(self, request: HttpRequest, form: BaseModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        scrittura: Scrittura | None = getattr(form, ATTRIBUTO_SCRITTURA, None)
        if scrittura is not None:
            scrittura.registra()
            delattr(form, ATTRIBUTO_SCRITTURA)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic(using=router.db_for_write(type(obj))), _scrittura(request) as scrittura:
            scrittura.elimina([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic(using=router.db_for_write(queryset.model)), _scrittura(request) as scrittura:
            scrittura.elimina(queryset)


class RisorsaConStorico(resources.ModelResource):
    """A django-import-export resource whose imports are recorded in the history, in bulk: the
    resource's rows are read before and after the import (mix in before the resource class)."""

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        modello = self._meta.model
        nome = modello if isinstance(modello, str) else modello._meta.verbose_name_plural
        self._scrittura = Scrittura(utente=kwargs.get("user"), origine=f"{ORIGINE}: importazione di {nome}")
        self._scrittura.osserva(self.get_queryset())

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        # A trial run, or one with errors, is rolled back: nothing to record.
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            self._scrittura.registra()
