"""Forms of the ente workspace for units, their state in the plan, turnover and consistenza.

Every rule the database enforces on these rows is also checked here, so the user reads an Italian
message next to the field instead of a refused write; the views still catch ``IntegrityError``
(two users saving at once) and show ``messaggio_vincolo``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms
from django.core.validators import MinValueValidator
from django.forms.formsets import DELETION_FIELD_NAME

from ambito.forms import ModuloPOA
from ambito.models import Comune
from misure.forms import CampoImporto
from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.controlli import VINCOLI
from piano_annuale.forms import campo_versione
from piano_annuale.models import ConsistenzaDichiarata, Parametri, PianoAnnuale, Stato, StatoUnita


class UnitaForm(ModuloPOA, forms.ModelForm):
    """A unit of the ente's registry. The ente is fixed by the page, never chosen in the form."""

    versione = campo_versione()

    class Meta:
        model = UnitaAbitativa
        fields = ["id_regionale", "codice_ente", "comune", "tipo", "indirizzo"]
        labels = {
            "comune": "Comune in cui si trova",
            "tipo": "Servizio",
            "codice_ente": "Codice dell'ente",
        }
        help_texts = {
            "id_regionale": "Identificativo nell'anagrafe regionale del patrimonio (lettere, cifre, punto, "
            "barra o trattino). Lasciare vuoto se non comunicato.",
            "codice_ente": "Il codice con cui l'ente identifica l'unità, ad es. BS151842. Facoltativo.",
        }

    def __init__(self, *args: Any, ente: EnteProprietario, piano: PianoAnnuale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ente = ente
        comune = self.fields["comune"]
        assert isinstance(comune, forms.ModelChoiceField)  # the model's foreign key
        comune.queryset = Comune.objects.dell_ambito(piano.ambito_id).order_by("nome")
        comune.empty_label = "— scegliere il comune —"
        comune.error_messages["invalid_choice"] = "Scegliere un comune dell'ambito."
        comune.error_messages["required"] = "Indicare il comune in cui si trova l'unità."
        if ente.is_comune and not self.instance.pk and not self.initial.get("comune"):
            self.initial["comune"] = ente.comune_id  # a comune's units are mostly in the comune

    def clean_id_regionale(self) -> str | None:
        valore = (self.cleaned_data.get("id_regionale") or "").strip() or None
        if valore is None:
            return None
        if not re.fullmatch(r"[0-9A-Za-z./-]+", valore):
            raise forms.ValidationError(
                "L'ID regionale può contenere solo lettere, cifre, punto, barra e trattino (senza spazi)."
            )
        altre = UnitaAbitativa.objects.filter(id_regionale=valore).exclude(pk=self.instance.pk)
        if altre.exists():
            raise forms.ValidationError(VINCOLI["unita_id_regionale_unico"])
        return valore

    def clean_codice_ente(self) -> str:
        valore = (self.cleaned_data.get("codice_ente") or "").strip()
        if valore:
            altre = UnitaAbitativa.objects.filter(ente=self.ente, codice_ente=valore).exclude(
                pk=self.instance.pk
            )
            if altre.exists():
                raise forms.ValidationError(VINCOLI["unita_codice_ente_unico_per_ente"])
        return valore


UNITA_VUOTA = (
    "Il modulo è vuoto: per aggiungere un'unità indicare almeno l'ID regionale, il codice dell'ente, "
    "l'indirizzo o lo stato nell'anno."
)


def unita_vuota(form: UnitaForm, form_stato: StatoUnitaForm) -> bool:
    """Whether a valid «Aggiungi un'unità» form says nothing about the unit but its comune (which the
    page may have prefilled): saving it would add a blank unit to the registry."""
    if form.instance.pk is not None:
        return False
    campi = ("id_regionale", "codice_ente", "indirizzo")
    return not any(form.cleaned_data.get(c) for c in campi) and form_stato.valori() is None


class StatoUnitaForm(ModuloPOA, forms.ModelForm):
    """The unit's state in the plan: the section that counts it (b–f), or none this year."""

    stato = forms.ChoiceField(
        label="Stato nell'anno",
        required=False,
        choices=[("", "— nessuno: l'unità non è assegnabile nell'anno —"), *Stato.choices],
        help_text="La sezione del piano che conta l'unità: b) carenza manutentiva, c) ristrutturazione, "
        "d) nuova edificazione, e) già libera, f) conferita da privati.",
    )

    class Meta:
        model = StatoUnita
        fields = ["stato", "programma", "note", "costo_lavori", "note_lavori"]
        help_texts = {
            "programma": "Solo per le unità in ristrutturazione: il programma o il lotto, ad es. «LOTTO 2.2».",
            "note_lavori": "Solo per le unità in carenza manutentiva: gli interventi previsti, in breve.",
        }
        field_classes = {"costo_lavori": CampoImporto}

    def __init__(self, *args: Any, regole: Parametri, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regole = regole
        if not regole.con_costo_lavori:
            # The rules of the plan's year do not ask for it (before L.R. 18/2025 and R.R. 2/2025).
            del self.fields["costo_lavori"]
            del self.fields["note_lavori"]
        else:
            obbligo = "obbligatorio" if regole.costo_lavori_carenza == "obbligatorio" else "da indicare"
            self.fields["costo_lavori"].validators.append(
                MinValueValidator(0, message="Il costo stimato non può essere negativo.")
            )
            self.fields["costo_lavori"].help_text = (
                f"Per le unità in carenza manutentiva, {obbligo}: il costo stimato degli interventi di "
                "ristrutturazione, che il nucleo assegnatario deve poter sostenere (L.R. 16/2016 art. 23 "
                "c. 11). Ad es. 15.000,00."
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        stato, programma = dati.get("stato"), (dati.get("programma") or "").strip()
        if programma and stato != Stato.RISTRUTTURAZIONE:
            # The plan would count the unit in two sections (check U01).
            self.add_error(
                "programma",
                "Il programma o lotto si indica solo per le unità in ristrutturazione: "
                "un'unità è contata in una sola sezione del piano.",
            )
        if not stato and (dati.get("note") or "").strip():
            self.add_error("note", "Le note si riferiscono allo stato nell'anno: indicare prima lo stato.")
        if stato != Stato.CARENZA_MANUTENTIVA:
            for campo in ("costo_lavori", "note_lavori"):
                if dati.get(campo) not in (None, ""):
                    self.add_error(
                        campo,
                        "Il costo e gli interventi si indicano solo per le unità in carenza manutentiva.",
                    )
        return dati

    def valori(self) -> dict[str, Any] | None:
        """The values for the service, or None when the unit has no state in the year."""
        if not self.cleaned_data.get("stato"):
            return None
        valori = {
            "stato": self.cleaned_data["stato"],
            "programma": self.cleaned_data.get("programma", "").strip(),
            "note": self.cleaned_data.get("note", "").strip(),
        }
        if "costo_lavori" in self.fields:
            valori["costo_lavori"] = self.cleaned_data.get("costo_lavori")
            valori["note_lavori"] = (self.cleaned_data.get("note_lavori") or "").strip()
        return valori


class ConsistenzaForm(ModuloPOA, forms.ModelForm):
    """Section a: how many SAP and SAS units the ente owns — both, or neither if not communicated."""

    versione = campo_versione()

    class Meta:
        model = ConsistenzaDichiarata
        fields = ["sap", "sas", "fonte"]
        labels = {"sap": "Alloggi SAP di proprietà", "sas": "Alloggi SAS di proprietà"}
        help_texts = {
            "sap": "Numero complessivo, non solo quelli assegnabili nell'anno.",
            "sas": "Indicare 0 se l'ente non ha alloggi SAS.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's positive integer fields already refuse negative numbers; say it in Italian.
        for nome in ("sap", "sas"):
            self.fields[nome].error_messages["min_value"] = "Il numero non può essere negativo."

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        sap, sas = dati.get("sap"), dati.get("sas")
        if "sap" in dati and "sas" in dati and (sap is None) != (sas is None):
            messaggio = VINCOLI["consistenza_sap_sas_entrambi_o_nessuno"]
            self.add_error("sas" if sas is None else "sap", messaggio)
        return dati


class RigaConteggioForm(ModuloPOA, forms.Form):
    """One row of a per-comune count (turnover, SAT): the comune and how many units."""

    comune = forms.TypedChoiceField(
        label="Comune",
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Scegliere un comune dell'ambito."},
    )
    numero = forms.IntegerField(
        label="Numero di alloggi",
        required=False,
        min_value=1,
        error_messages={
            "min_value": "Indicare almeno 1; per togliere il comune spuntare «Elimina».",
            "invalid": "Indicare un numero intero.",
        },
    )

    def __init__(self, *args: Any, comuni: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain choices computed once for the whole formset: no query per row.
        comune = self.fields["comune"]
        assert isinstance(comune, forms.TypedChoiceField)
        comune.choices = [("", "— scegliere il comune —"), *comuni]
        self.fields["numero"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        if self.errors or dati.get("DELETE"):
            return dati
        comune, numero = dati.get("comune"), dati.get("numero")
        if comune and numero is None:
            self.add_error("numero", "Indicare il numero di alloggi per il comune scelto.")
        if numero is not None and not comune:
            self.add_error("comune", "Scegliere il comune a cui si riferisce il numero.")
        return dati


def da_eliminare(form: forms.BaseForm) -> bool:
    """Whether the user ticked «Elimina» on a formset row (what Django's private
    ``BaseFormSet._should_delete_form`` reads)."""
    return bool(form.cleaned_data.get(DELETION_FIELD_NAME, False))


class BaseConteggiFormSet(forms.BaseFormSet):
    """Rows of per-comune counts: each comune at most once."""

    def __init__(self, *args: Any, comuni: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        self.comuni = list(comuni)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "comuni": self.comuni}

    def clean(self) -> None:
        nomi = dict(self.comuni)
        visti: set[int] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or da_eliminare(form):
                continue
            comune = form.cleaned_data.get("comune")
            if not comune:
                continue
            if comune in visti:
                form.add_error("comune", f"Il comune di {nomi[comune]} è già indicato in un'altra riga.")
            visti.add(comune)

    def numeri(self) -> dict[int, int]:
        """comune id → number, for the rows kept (valid formset only)."""
        return {
            form.cleaned_data["comune"]: form.cleaned_data["numero"]
            for form in self.forms
            if form.cleaned_data.get("comune") and not da_eliminare(form)
        }


# Typed as the base class it builds on: the views pass it ``comuni`` and read ``numeri``.
ConteggiFormSet = cast(
    type[BaseConteggiFormSet],
    forms.formset_factory(
        RigaConteggioForm, formset=BaseConteggiFormSet, extra=3, can_delete=True, max_num=1000
    ),
)


def conteggi_iniziali(righe: Iterable[Any]) -> list[dict[str, Any]]:
    """Initial rows of the formset from stored per-comune counts."""
    return [{"comune": r.comune_id, "numero": r.numero} for r in righe]
