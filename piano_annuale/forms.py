"""Forms of the ente workspace for the plan's per-ente choices and counts (sections h, i, i.b, k).

The per-comune SAT counts (section j) use the same formset as turnover: ``patrimonio.forms``.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ambito.forms import ModuloPOA
from patrimonio.models import EnteProprietario

from .controlli import VINCOLI
from .models import AssegnazioniAnnoPrecedente, ScelteEnte


def _senza_parametri(messaggio: str) -> str:
    """A catalogue message used as a validator message, which Django formats with ``%``."""
    return messaggio.replace("%", "%%")


QUOTA_POLIZIA_FUORI_LIMITE = (
    "La quota di unità per le Forze di Polizia e i Vigili del Fuoco va da 0 a 10% (art. 7 bis R.R. 4/2017)."
)


class ScelteForm(ModuloPOA, forms.ModelForm):
    """h) indigenti threshold, i) additional category with its reason, i.b) Forze di Polizia quota.

    h and i are choices of a comune; every ente may reserve a Forze di Polizia quota.
    """

    soglia_indigenti_eccedente = forms.IntegerField(
        label="h) Punti percentuali oltre il 20% riservati ai nuclei indigenti",
        min_value=0,
        max_value=80,
        initial=0,
        help_text="Nuclei con ISEE fino a € 3.000. Indicare 0 se il comune mantiene la quota del 20%; "
        "ad es. 10 per una quota complessiva del 30%.",
        error_messages={
            "min_value": _senza_parametri(VINCOLI["scelte_soglia_indigenti_0_80"]),
            "max_value": _senza_parametri(VINCOLI["scelte_soglia_indigenti_0_80"]),
            "required": "Indicare i punti percentuali (0 se nessuno).",
        },
    )
    quota_forze_polizia = forms.IntegerField(
        label="i.b) Percentuale di unità destinate a Forze di Polizia e Vigili del Fuoco",
        min_value=0,
        max_value=10,
        initial=0,
        help_text="Da 0 a 10 (art. 7 bis R.R. 4/2017); il numero di unità è arrotondato per eccesso.",
        error_messages={
            "min_value": _senza_parametri(QUOTA_POLIZIA_FUORI_LIMITE),
            "max_value": _senza_parametri(QUOTA_POLIZIA_FUORI_LIMITE),
            "required": "Indicare la percentuale (0 se nessuna).",
        },
    )

    class Meta:
        model = ScelteEnte
        fields = [
            "soglia_indigenti_eccedente",
            "categoria_aggiuntiva",
            "motivazione_categoria",
            "quota_forze_polizia",
        ]
        labels = {
            "categoria_aggiuntiva": "i) Categoria aggiuntiva di particolare rilevanza sociale",
            "motivazione_categoria": "Motivazione della categoria aggiuntiva",
        }
        help_texts = {
            "categoria_aggiuntiva": "Lasciare vuoto se il comune non individua categorie aggiuntive."
        }
        widgets = {
            "categoria_aggiuntiva": forms.Textarea(attrs={"rows": 2}),
            "motivazione_categoria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, ente: EnteProprietario, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ente.is_comune:
            for nome in ("soglia_indigenti_eccedente", "categoria_aggiuntiva", "motivazione_categoria"):
                del self.fields[nome]

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        if "categoria_aggiuntiva" not in self.fields:
            return dati
        categoria = (dati.get("categoria_aggiuntiva") or "").strip()
        motivazione = (dati.get("motivazione_categoria") or "").strip()
        if categoria and not motivazione:
            self.add_error(
                "motivazione_categoria",
                "Indicare perché la categoria aggiuntiva è di particolare rilevanza sociale.",
            )
        if motivazione and not categoria:
            self.add_error("categoria_aggiuntiva", "Indicare la categoria a cui si riferisce la motivazione.")
        return dati

    def valori(self) -> dict[str, Any]:
        return {nome: self.cleaned_data[nome] for nome in self.fields}


class AssegnazioniForm(ModuloPOA, forms.ModelForm):
    """k) SAP units assigned in the year before the plan, of which by mobilità and in deroga."""

    class Meta:
        model = AssegnazioniAnnoPrecedente
        fields = ["totale", "mobilita", "in_deroga"]
        labels = {
            "totale": "U.I. SAP assegnate nell'anno precedente",
            "mobilita": "di cui per mobilità",
            "in_deroga": "di cui in deroga",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's positive integer fields already refuse negative numbers; say it in Italian.
        for campo in self.fields.values():
            campo.error_messages["min_value"] = "Il numero non può essere negativo."
            campo.error_messages["required"] = "Indicare il numero (0 se nessuna)."

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        totale = dati.get("totale")
        if totale is not None:
            if (dati.get("mobilita") or 0) > totale:
                self.add_error("mobilita", VINCOLI["assegnazioni_mobilita_entro_totale"])
            if (dati.get("in_deroga") or 0) > totale:
                self.add_error("in_deroga", VINCOLI["assegnazioni_deroga_entro_totale"])
        return dati

    def valori(self) -> dict[str, int]:
        return {nome: self.cleaned_data[nome] for nome in self.fields}
