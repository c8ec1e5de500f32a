"""What every form of the service shares: Bootstrap Italia markup and Italian constraint messages.

Forms render through ``RendererPOA``: each field with its label, its errors *before* the control
(so a screen reader meets them first) and its help text, both linked to the control by the
``aria-describedby`` Django sets; the form opens with a summary of the errors linking to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.renderers import DjangoTemplates

from piano_annuale.controlli import VINCOLI  # the catalogue of constraint messages


class RendererPOA(DjangoTemplates):
    form_template_name = "ambito/forms/modulo.html"
    field_template_name = "ambito/forms/campo.html"


def testo_vincolo(messaggio: str) -> str:
    """The Italian message for a database constraint named in a validation message, if known."""
    for nome, testo in VINCOLI.items():
        if nome in messaggio:
            return testo
    return messaggio


class ModuloPOA(forms.BaseForm):
    """Mixin for Form and ModelForm (listed first among the bases): Bootstrap Italia classes on the
    widgets, and constraint violations found by model validation shown with the catalogue's Italian
    message. It derives from ``BaseForm`` so that ``fields``, ``error_class`` and ``renderer`` are
    known to the type checker; ``Form``/``ModelForm`` later in the bases keep their metaclass."""

    default_renderer = RendererPOA()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for campo in self.fields.values():
            widget = campo.widget
            if isinstance(widget, forms.CheckboxInput):
                classe = "form-check-input"
            elif isinstance(widget, forms.Select):
                classe = "form-select"
            else:
                classe = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {classe}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        errori = getattr(self, "_errors", None)
        if errori and NON_FIELD_ERRORS in errori:
            errori[NON_FIELD_ERRORS] = self.error_class(
                [testo_vincolo(str(m)) for m in errori[NON_FIELD_ERRORS]],
                error_class="nonfield",
                renderer=self.renderer,
            )
