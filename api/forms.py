"""The form that creates a personal API token on the profile page."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from ambito.forms import ModuloPOA

from .credenziali import NOME_MASSIMO

DURATE = [
    ("", "Nessuna scadenza"),
    ("30", "30 giorni"),
    ("90", "90 giorni"),
    ("365", "Un anno"),
]


class TokenForm(ModuloPOA, forms.Form):
    nome = forms.CharField(
        label="Nome del token",
        max_length=NOME_MASSIMO,
        help_text="Per riconoscerlo nell'elenco, ad es. «Gestionale ALER» o «Foglio di controllo».",
        error_messages={"required": "Indicare un nome per il token."},
    )
    sola_lettura = forms.BooleanField(
        label="Sola lettura",
        required=False,
        initial=True,
        help_text="Il token legge i dati ma non può modificarli. Toglierlo solo per i sistemi che inviano dati.",
    )
    durata = forms.ChoiceField(
        label="Scadenza",
        required=False,
        choices=DURATE,
        initial="90",
        help_text="Dopo la scadenza il token non è più accettato.",
    )

    def scadenza(self) -> datetime.datetime | None:
        giorni = self.cleaned_data.get("durata")
        return timezone.now() + datetime.timedelta(days=int(giorni)) if giorni else None

    def clean_nome(self) -> Any:
        nome = (self.cleaned_data.get("nome") or "").strip()
        if not nome:
            raise forms.ValidationError("Indicare un nome per il token.")
        return nome
