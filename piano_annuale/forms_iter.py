"""Forms of the plan's workflow: going back to bozza, ALER's observations and parere, the answers,
the approval with the signed verbale and the presences at the Assemblea dei Sindaci."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from ambito.forms import ModuloPOA
from ambito.models import Comune
from piano_annuale.services.iter import Presenza
from piano_annuale.services.verbali import DIMENSIONE_MASSIMA_VERBALE, VerbaleCaricato

from .models import EsitoParere, SezionePiano

CAMPO_DATA = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MotivoForm(ModuloPOA, forms.Form):
    motivo = forms.CharField(
        label="Motivo",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Ad es. «correzione dei dati di Soresina dopo le osservazioni di ALER». "
        "Il motivo è comunicato a chi segue il piano e resta nella sua storia.",
        error_messages={"required": "Indicare il motivo per cui il piano torna in bozza."},
    )


class OsservazioneForm(ModuloPOA, forms.Form):
    sezione = forms.ChoiceField(label="Sezione del piano", choices=SezionePiano.choices)
    testo = forms.CharField(
        label="Osservazione",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Scrivere il testo dell'osservazione."},
    )


class OsservazioniForm(ModuloPOA, forms.Form):
    """ALER's observations written on the plan page: one optional text per section, sent together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for valore, etichetta in SezionePiano.choices:
            self.fields[f"testo_{valore}"] = forms.CharField(
                label=f"Osservazione su «{etichetta}»",
                widget=forms.Textarea(attrs={"rows": 3, "form": "modulo-osservazioni-aler"}),
                max_length=5000,
                required=False,
            )

    def testi(self) -> dict[str, str]:
        """The texts written, by section."""
        return {
            sezione: self.cleaned_data.get(f"testo_{sezione}", "")
            for sezione in SezionePiano.values
            if self.cleaned_data.get(f"testo_{sezione}", "").strip()
        }

    def campo(self, sezione: str) -> forms.BoundField:
        return self[f"testo_{sezione}"]


class DataEffettivaForm(ModuloPOA, forms.Form):
    """The day a step really happened (today unless it is recorded later): the day the draft reached
    ALER, the day the plan was sent to the mayors."""

    ETICHETTA = "Data"
    AIUTO = ""
    # The form metaclass moves declared fields to base_fields (see ParereForm).
    data = forms.DateField(  # type: ignore[assignment]
        label="Data",
        widget=CAMPO_DATA,
        error_messages={"required": "Indicare la data.", "invalid": "Data non valida."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data"].initial = timezone.localdate()
        self.fields["data"].label = self.ETICHETTA
        self.fields["data"].help_text = self.AIUTO


class InvioAlerForm(DataEffettivaForm):
    ETICHETTA = "Data dell'invio ad ALER"
    AIUTO = (
        "Il giorno in cui la bozza è stata inviata ad ALER (ad es. la data della PEC), se precedente a oggi. "
        "Restano registrati anche chi registra l'invio e quando."
    )


class TrasmissioneForm(DataEffettivaForm):
    ETICHETTA = "Data della trasmissione all'Assemblea"
    AIUTO = (
        "Il giorno in cui il piano è stato inviato ai sindaci (ad es. la data della PEC), se precedente a "
        "oggi. Restano registrati anche chi registra la trasmissione e quando."
    )


class RispostaForm(ModuloPOA, forms.Form):
    risposta = forms.CharField(
        label="Risposta dell'ufficio di piano",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Scrivere il testo della risposta."},
    )


class ParereForm(ModuloPOA, forms.Form):
    esito = forms.ChoiceField(label="Esito del parere", choices=EsitoParere.choices, widget=forms.RadioSelect)
    # The form metaclass moves declared fields to base_fields: BaseForm.data (the bound data) is
    # not shadowed, though the type checker sees a class attribute named like it.
    data = forms.DateField(label="Data del parere", widget=CAMPO_DATA)  # type: ignore[assignment]
    protocollo = forms.CharField(label="Protocollo", max_length=60, required=False)
    testo = forms.CharField(
        label="Testo del parere",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
        help_text="Obbligatorio se il parere non è semplicemente favorevole.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data"].initial = timezone.localdate()
        # Radio buttons take Bootstrap Italia's own classes, not form-control.
        self.fields["esito"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        if (
            dati.get("esito")
            and dati["esito"] != EsitoParere.FAVOREVOLE
            and not dati.get("testo", "").strip()
        ):
            self.add_error("testo", f"Un parere «{EsitoParere(dati['esito']).label.lower()}» va motivato.")
        return dati


class ApprovazioneForm(ModuloPOA, forms.Form):
    """The approval and, optionally, the presences: one checkbox and one name per comune."""

    data_seduta = forms.DateField(label="Data della seduta dell'Assemblea dei Sindaci", widget=CAMPO_DATA)
    numero_verbale = forms.CharField(label="Numero del verbale", max_length=30, help_text="Ad es. «01/2025».")
    protocollo = forms.CharField(
        label="Protocollo del verbale", max_length=60, required=False, help_text="Ad es. «10.64 / 2025»."
    )
    luogo = forms.CharField(label="Luogo della seduta", max_length=200, required=False)
    verbale = forms.FileField(
        label="Verbale firmato (PDF)",
        help_text=f"Un file PDF di al massimo {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB.",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": "Caricare il verbale firmato (PDF)."},
    )
    # The token of a verbale uploaded by an earlier submission (``services.verbali``).
    verbale_caricato = forms.CharField(widget=forms.HiddenInput, required=False)
    tutti_presenti = forms.BooleanField(
        label="Tutti presenti",
        required=False,
        help_text="Segna presenti tutti i comuni dell'ambito.",
    )
    quorum = forms.IntegerField(
        label="Numero minimo di comuni presenti per la validità della seduta",
        min_value=1,
        required=False,
        help_text="Secondo il regolamento dell'Assemblea. Se indicato con le presenze, la validità della "
        "seduta è calcolata; lasciare vuoto se il regolamento usa un altro criterio (ad es. le quote).",
    )
    seduta_valida = forms.TypedChoiceField(
        label="La seduta era valida?",
        choices=[
            ("", "Come risulta dalle presenze e dal quorum"),
            ("si", "Sì, come da verbale"),
            ("no", "No"),
        ],
        coerce=lambda v: v == "si",
        empty_value=None,
        required=False,
    )

    def __init__(
        self, *args: Any, comuni: list[Comune], caricato: VerbaleCaricato | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.comuni = comuni
        self.imposta_caricato(caricato)
        for comune in comuni:
            self.fields[f"presente_{comune.pk}"] = forms.BooleanField(
                label=f"{comune.nome} presente", required=False
            )
            self.fields[f"rappresentante_{comune.pk}"] = forms.CharField(
                label=f"Rappresentante di {comune.nome}", required=False, max_length=200
            )
        self.fields["data_seduta"].initial = timezone.localdate()
        # Half the comuni plus one: the usual rule, offered as a starting point.
        self.fields["quorum"].initial = len(comuni) // 2 + 1 if comuni else None

    def imposta_caricato(self, caricato: VerbaleCaricato | None) -> None:
        """The verbale kept from an earlier submission: the upload becomes optional (a new file
        replaces it) and the page shows «File già caricato: …»."""
        self.caricato = caricato
        self.fields["verbale"].required = caricato is None
        if self.is_bound:
            dati = QueryDict(mutable=True)
            dati.update(self.data)
            dati["verbale_caricato"] = caricato.gettone if caricato else ""
            self.data = dati

    def clean_verbale(self) -> Any:
        verbale = self.cleaned_data["verbale"]
        if not verbale:
            return None
        if not verbale.name.lower().endswith(".pdf"):
            raise forms.ValidationError("Il verbale firmato deve essere un file PDF (estensione .pdf).")
        if verbale.size > DIMENSIONE_MASSIMA_VERBALE:
            raise forms.ValidationError(
                f"Il file supera la dimensione massima di {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB."
            )
        return verbale

    def righe_presenze(self) -> list[tuple[Comune, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"presente_{c.pk}"], self[f"rappresentante_{c.pk}"]) for c in self.comuni]

    def presenze(self) -> dict[int, Presenza] | None:
        """Who was present, or None when no comune is marked present (presences not recorded);
        «Tutti presenti» marks every comune present."""
        tutti = bool(self.cleaned_data.get("tutti_presenti"))
        if not tutti and not any(self.cleaned_data.get(f"presente_{c.pk}") for c in self.comuni):
            return None
        return {
            c.pk: Presenza(
                presente=tutti or bool(self.cleaned_data.get(f"presente_{c.pk}")),
                rappresentante=self.cleaned_data.get(f"rappresentante_{c.pk}", ""),
            )
            for c in self.comuni
        }
