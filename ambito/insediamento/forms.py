"""The onboarding's forms: each the fields of one action of a step (the services check the data
against the stored rows; these check what a form can)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from ambito import istat
from ambito.forms import ModuloPOA
from ambito.models import Ambito, Comune

CAMPO_DATA = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AIUTO_FILE = (
    "Foglio di calcolo (.xlsx, .xls, .ods) o CSV, al massimo 2 MB; la prima riga può essere l'intestazione."
)


class NuovoAmbitoForm(ModuloPOA, forms.Form):
    nome = forms.CharField(
        label="Nome dell'ambito",
        max_length=200,
        help_text="Come compare nel piano, ad es. «Ambito territoriale di Suzzara».",
        error_messages={"required": "Indicare il nome dell'ambito."},
    )


class InvitoForm(ModuloPOA, forms.Form):
    nome = forms.CharField(
        label="Nome e cognome",
        max_length=300,
        error_messages={"required": "Indicare nome e cognome della persona."},
    )
    email = forms.EmailField(
        label="Indirizzo e-mail",
        help_text="Riceve il collegamento per impostare la password; è anche il nome utente.",
        error_messages={
            "required": "Indicare l'indirizzo e-mail.",
            "invalid": "Indicare un indirizzo e-mail valido, ad es. nome.cognome@comune.it.",
        },
    )


class CercaComuniForm(ModuloPOA, forms.Form):
    q = forms.CharField(
        label="Cerca un comune per nome o codice ISTAT",
        max_length=100,
        required=False,
        help_text="Ad es. «Suzzara» o «020065».",
    )


class ElencoComuniForm(ModuloPOA, forms.Form):
    elenco = forms.CharField(
        label="Elenco dei comuni",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text="Un comune per riga: il nome o il codice ISTAT.",
        error_messages={"required": "Incollare almeno un comune."},
    )


class CapofilaForm(ModuloPOA, forms.Form):
    comune_capofila = forms.ModelChoiceField(
        label="Comune capofila",
        queryset=Comune.objects.none(),
        required=False,
        empty_label="— non ancora indicato —",
        error_messages={"invalid_choice": "Scegliere uno dei comuni dell'ambito."},
    )
    ente_strumentale = forms.CharField(
        label="Ente strumentale",
        max_length=200,
        required=False,
        help_text="Ad es. l'azienda sociale che supporta l'ufficio di piano (facoltativo).",
    )

    def __init__(self, *args: Any, ambito: Ambito, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"comune_capofila": ambito.comune_capofila_id, "ente_strumentale": ambito.ente_strumentale},
        )
        super().__init__(*args, **kwargs)
        campo = self.fields["comune_capofila"]
        assert isinstance(campo, forms.ModelChoiceField)
        campo.queryset = Comune.objects.filter(ambito=ambito)


class TermineForm(ModuloPOA, forms.Form):
    termine_aggregazioni = forms.CharField(
        label="Parola usata per le aggregazioni",
        max_length=30,
        help_text="Compare nel piano davanti al numero: «AT 1», «sub-ambito 1», «distretto 1».",
        error_messages={"required": "Indicare la parola, ad es. «AT»."},
    )


class NuovaAggregazioneForm(ModuloPOA, forms.Form):
    denominazione = forms.CharField(
        label="Nome della nuova aggregazione",
        max_length=100,
        help_text="Ad es. «Nord», «Oglio Po».",
        error_messages={"required": "Indicare il nome dell'aggregazione."},
    )


class FileForm(ModuloPOA, forms.Form):
    file = forms.FileField(
        label="File",
        help_text=AIUTO_FILE,
        error_messages={"required": "Scegliere il file da caricare.", "empty": "Il file è vuoto."},
    )

    def __init__(self, *args: Any, etichetta: str = "File", aiuto: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = etichetta
        if aiuto:
            self.fields["file"].help_text = f"{aiuto} {AIUTO_FILE}"


def scelte_aler() -> list[tuple[str, str]]:
    return [
        (f"{a.denominazione}|{u}", f"{a.denominazione} – {u}") for a in istat.ALER_LOMBARDE for u in a.uog
    ]


class AlerForm(ModuloPOA, forms.Form):
    aler = forms.ChoiceField(
        label="ALER e U.O.G. competente",
        choices=[],
        error_messages={
            "required": "Scegliere l'ALER.",
            "invalid_choice": "Scegliere una delle ALER in elenco.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campo = self.fields["aler"]
        assert isinstance(campo, forms.ChoiceField)
        campo.choices = [("", "— scegliere —"), *scelte_aler()]


class OperatoreAccreditatoForm(ModuloPOA, forms.Form):
    denominazione = forms.CharField(
        label="Denominazione dell'operatore accreditato",
        max_length=200,
        error_messages={"required": "Indicare la denominazione dell'operatore accreditato."},
    )


class InvitiForm(ModuloPOA, forms.Form):
    elenco = forms.CharField(
        label="Persone da invitare",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
        required=False,
        help_text="Una persona per riga: ente; nome e cognome; e-mail. L'ente è il nome del comune, "
        "dell'ALER o dell'operatore accreditato, oppure «ufficio di piano» o «assemblea».",
    )
    file = forms.FileField(
        label="Oppure un file con le stesse tre colonne",
        required=False,
        help_text=AIUTO_FILE,
    )

    def clean(self) -> dict[str, Any]:
        dati = super().clean() or {}
        if not (dati.get("elenco") or "").strip() and not dati.get("file"):
            raise forms.ValidationError("Incollare l'elenco delle persone o scegliere un file.")
        return dati


class PrimoPianoForm(ModuloPOA, forms.Form):
    anno = forms.IntegerField(
        label="Anno del piano",
        min_value=2018,
        max_value=2100,
        error_messages={"required": "Indicare l'anno del piano."},
    )
    data_popolazione = forms.DateField(
        label="Data di riferimento della popolazione",
        widget=CAMPO_DATA,
        help_text="Di norma il 1° gennaio dell'anno precedente; i dati ISTAT forniti sono al "
        f"{istat.DATA_POPOLAZIONE:%d/%m/%Y}.",
        error_messages={"required": "Indicare la data.", "invalid": "Indicare una data valida."},
    )
    scadenza_ricognizione = forms.DateField(
        label="Scadenza della ricognizione",
        widget=CAMPO_DATA,
        required=False,
        help_text="Entro questa data comuni, ALER e operatori inviano i loro dati (facoltativa).",
        error_messages={"invalid": "Indicare una data valida."},
    )

    def __init__(self, *args: Any, oggi: datetime.date | None = None, **kwargs: Any) -> None:
        oggi = oggi or datetime.date.today()
        kwargs.setdefault("initial", {"anno": oggi.year + 1, "data_popolazione": istat.DATA_POPOLAZIONE})
        super().__init__(*args, **kwargs)


class DatePianoForm(ModuloPOA, forms.Form):
    data_popolazione = forms.DateField(
        label="Data di riferimento della popolazione",
        widget=CAMPO_DATA,
        error_messages={"required": "Indicare la data.", "invalid": "Indicare una data valida."},
    )
    scadenza_ricognizione = forms.DateField(
        label="Scadenza della ricognizione",
        widget=CAMPO_DATA,
        required=False,
        error_messages={"invalid": "Indicare una data valida."},
    )


class PopolazioneForm(ModuloPOA, forms.Form):
    file = forms.FileField(
        label="File della popolazione",
        help_text="Tre colonne: comune (nome o codice ISTAT), abitanti, famiglie (facoltativa). "
        + AIUTO_FILE,
        error_messages={"required": "Scegliere il file da caricare.", "empty": "Il file è vuoto."},
    )
    data_riferimento = forms.DateField(
        label="Data di riferimento",
        widget=CAMPO_DATA,
        error_messages={"required": "Indicare la data dei dati.", "invalid": "Indicare una data valida."},
    )
    fonte = forms.CharField(
        label="Fonte",
        max_length=100,
        help_text="Ad es. «Anagrafi comunali» o «ISTAT, bilancio demografico».",
        error_messages={"required": "Indicare la fonte dei dati."},
    )
