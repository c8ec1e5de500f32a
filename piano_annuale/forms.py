"""Forms of the ente workspace for the plan's per-ente choices and counts (sections c bis, d bis, h, i, i.b, k).

The per-comune SAT counts (section j) use the same formset as turnover: ``patrimonio.forms``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator
from django.http import QueryDict

from ambito.forms import ModuloPOA
from patrimonio.models import EnteProprietario

from .controlli import VINCOLI
from .models import AssegnazioniAnnoPrecedente, Parametri, ScelteEnte
from .services.versioni import CAMPO_VERSIONE

# The letters of the plan's sections in the order the plan prints them.
ORDINE_LETTERE = ["c bis", "d bis", "h", "i", "i.b"]


def _senza_parametri(messaggio: str) -> str:
    """A catalogue message used as a validator message, which Django formats with ``%``."""
    return messaggio.replace("%", "%%")


def campo_versione() -> forms.CharField:
    """The hidden version of the rows a form shows, as loaded (``piano_annuale.services.versioni``):
    the save is refused if they changed meanwhile. Optional: a client that sends none is not checked."""
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


def aggiorna_versione(form: forms.BaseForm, versione: str) -> None:
    """After a refused stale save: the form keeps the user's input and now carries the current
    version, so saving again (after reading the other change) is a deliberate choice."""
    # A posted QueryDict is immutable: a mutable copy, with every value of multiple-choice fields.
    dati = QueryDict(mutable=True)
    dati.update(form.data)
    dati[form.add_prefix(CAMPO_VERSIONE)] = versione
    form.data = dati


class ScelteForm(ModuloPOA, forms.ModelForm):
    """The ente's choices, as the plan's rules provide them.

    h) and i) are choices of a comune. The Forze di Polizia quota is per ente proprietario up to 10 %
    until R.R. 2/2025 (i.b); since then each comune sets its d bis) percentage split into the 7 bis and
    7 ter quotas, and every ente proprietario may set its c bis) threshold for the categories of
    art. 14. The limits come from the rule set (``Parametri``), never from code.
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
    quota_forze_polizia = forms.IntegerField(min_value=0, initial=0)
    quota_polizia_locale = forms.IntegerField(
        label="d bis) Percentuale di unità per la Polizia Locale (art. 7 ter)", min_value=0, initial=0
    )
    soglia_c_bis = forms.IntegerField(
        label="c bis) Soglia percentuale per le categorie dell'art. 14", min_value=0, initial=0
    )
    categorie_c_bis = forms.MultipleChoiceField(
        label="Categorie a cui è destinata la soglia c bis",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    versione = campo_versione()

    class Meta:
        model = ScelteEnte
        fields = [
            "soglia_indigenti_eccedente",
            "categoria_aggiuntiva",
            "motivazione_categoria",
            "quota_forze_polizia",
            "quota_polizia_locale",
            "soglia_c_bis",
            "categorie_c_bis",
        ]
        labels = {
            "categoria_aggiuntiva": "i) Categoria aggiuntiva di particolare rilevanza sociale",
            "motivazione_categoria": "Motivazione della categoria aggiuntiva",
        }
        widgets = {
            "categoria_aggiuntiva": forms.Textarea(attrs={"rows": 2}),
            "motivazione_categoria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self,
        *args: Any,
        ente: EnteProprietario,
        regole: Parametri,
        con_versione: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.regole = regole
        if not con_versione:
            # A spreadsheet's «Scelte» sheet has one column per field: the version is the page's only.
            del self.fields[CAMPO_VERSIONE]
        quota = regole.quota_polizia
        categorie = "; ".join(c.nome for c in regole.categorie)
        self.fields["categoria_aggiuntiva"].help_text = (
            "Una categoria in aggiunta a quelle già previste dalla legge in vigore "
            f"({categorie}). Lasciare vuoto se il comune non ne individua."
        )
        campo_fdp = cast(forms.IntegerField, self.fields["quota_forze_polizia"])  # declared above
        campo_fdp.error_messages["required"] = "Indicare la percentuale (0 se nessuna)."
        campo_fdp.error_messages["min_value"] = "La percentuale non può essere negativa."
        if quota.per == "ente":
            campo_fdp.label = "i.b) Percentuale di unità destinate a Forze di Polizia e Vigili del Fuoco"
            campo_fdp.max_value = quota.massimo
            campo_fdp.validators.append(MaxValueValidator(quota.massimo))
            campo_fdp.error_messages["max_value"] = _senza_parametri(
                f"La quota per le Forze di Polizia va da 0 a {quota.massimo}% per ente proprietario "
                "(art. 7 bis R.R. 4/2017)."
            )
            campo_fdp.help_text = f"Da 0 a {quota.massimo} (art. 7 bis R.R. 4/2017); il numero di unità è arrotondato per eccesso."
        else:
            campo_fdp.label = "d bis) Percentuale di unità per Forze di Polizia, Vigili del Fuoco e Forze Armate (art. 7 bis)"
            campo_fdp.help_text = (
                f"Con la quota per la Polizia Locale, al più il {quota.massimo}% delle unità disponibili "
                "nell'anno nel comune; si applica alle unità di ogni ente proprietario nel comune, "
                "arrotondando per eccesso."
            )
        for nome in ("quota_polizia_locale", "soglia_c_bis"):
            self.fields[nome].error_messages["min_value"] = "La percentuale non può essere negativa."
            self.fields[nome].error_messages["required"] = "Indicare la percentuale (0 se nessuna)."
        campo_categorie = cast(forms.MultipleChoiceField, self.fields["categorie_c_bis"])  # declared above
        campo_categorie.choices = [(c.codice, c.nome) for c in regole.categorie]
        if regole.c_bis_massimo is not None:
            self.fields["soglia_c_bis"].help_text = (
                f"Fino al {regole.c_bis_massimo}% delle unità disponibili nell'anno (lett. c bis R.R. 4/2017, "
                "come modificato dal R.R. 2/2025). Indicare 0 se l'ente non la prevede."
            )
        togli = set()
        if not ente.is_comune:
            togli |= {"soglia_indigenti_eccedente", "categoria_aggiuntiva", "motivazione_categoria"}
            if quota.per == "comune":
                togli.add("quota_forze_polizia")
        if quota.per != "comune" or not quota.con_7ter or not ente.is_comune:
            togli.add("quota_polizia_locale")
        if regole.c_bis_massimo is None:
            togli |= {"soglia_c_bis", "categorie_c_bis"}
        for nome in togli:
            del self.fields[nome]

    @property
    def titolo(self) -> str:
        """What the page is about, with the letters of the plan the ente fills in."""
        lettere = [
            lettera
            for nome, lettera in (
                ("soglia_indigenti_eccedente", "h"),
                ("categoria_aggiuntiva", "i"),
                ("quota_polizia_locale", "d bis"),
                ("soglia_c_bis", "c bis"),
            )
            if nome in self.fields
        ]
        if "quota_forze_polizia" in self.fields and "quota_polizia_locale" not in self.fields:
            lettere.append("d bis" if self.regole.quota_polizia.per == "comune" else "i.b")
        return f"Scelte dell'ente ({', '.join(sorted(lettere, key=ORDINE_LETTERE.index))})"

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        self._categoria_aggiuntiva(dati)
        quota = self.regole.quota_polizia
        if "quota_polizia_locale" in self.fields:
            totale = (dati.get("quota_forze_polizia") or 0) + (dati.get("quota_polizia_locale") or 0)
            if totale > quota.massimo:
                self.add_error(
                    "quota_polizia_locale",
                    f"Le due quote insieme ({totale}%) superano il {quota.massimo}% che la lett. d bis) "
                    "consente per comune.",
                )
        if "soglia_c_bis" in self.fields:
            soglia, scelte = dati.get("soglia_c_bis") or 0, dati.get("categorie_c_bis") or []
            massimo = self.regole.c_bis_massimo or 0
            if soglia > massimo:
                self.add_error(
                    "soglia_c_bis", f"La soglia c bis è al più il {massimo}% delle unità disponibili."
                )
            if soglia and not scelte:
                self.add_error("categorie_c_bis", "Indicare a quali categorie è destinata la soglia.")
            if scelte and not soglia:
                self.add_error(
                    "soglia_c_bis", "Indicare la soglia percentuale destinata alle categorie scelte."
                )
        return dati

    def _categoria_aggiuntiva(self, dati: dict[str, Any]) -> None:
        if "categoria_aggiuntiva" not in self.fields:
            return
        categoria = (dati.get("categoria_aggiuntiva") or "").strip()
        motivazione = (dati.get("motivazione_categoria") or "").strip()
        if categoria and not motivazione:
            self.add_error(
                "motivazione_categoria",
                "Indicare perché la categoria aggiuntiva è di particolare rilevanza sociale.",
            )
        if motivazione and not categoria:
            self.add_error("categoria_aggiuntiva", "Indicare la categoria a cui si riferisce la motivazione.")

    def valori(self) -> dict[str, Any]:
        """The values for the service; saving confirms choices carried over from last year."""
        valori = {nome: self.cleaned_data[nome] for nome in self.fields if nome != CAMPO_VERSIONE}
        return {**valori, "da_confermare": False}


class AssegnazioniForm(ModuloPOA, forms.ModelForm):
    """k) SAP units assigned in the year before the plan, of which by mobilità and in deroga."""

    versione = campo_versione()

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
            if campo.widget.is_hidden:
                continue
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
        return {nome: self.cleaned_data[nome] for nome in self.fields if nome != CAMPO_VERSIONE}
