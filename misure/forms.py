"""Forms of the ufficio di piano's workspace for Parte seconda and terza.

Amounts are typed the Italian way («188.331,50») and shown back the same way. Rules one row can
break come from the models' constraints (their Italian messages); choices are limited to the plan's
ambito, so a form can never point at another ambito's ente or comune.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ambito.models import AggregazioneTerritoriale, Comune
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale

from .formati import leggi_importo, scrivi_importo
from .models import (
    Avviso,
    Delibera,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
    leggi_chiave_delibera,
)


def campo_scelta(form: forms.BaseForm, nome: str) -> forms.ModelChoiceField:
    """The form's field ``nome``, a choice among model rows (foreign key or many-to-many)."""
    campo = form.fields[nome]
    assert isinstance(campo, forms.ModelChoiceField)
    return campo


class CampoImporto(forms.DecimalField):
    """An amount in euro written the Italian way: «188.331,50», «€ 2.000», «9135,28»."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "importo"})

    # DecimalField's own stub overrides IntegerField.to_python the same way (ignored there too).
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return leggi_importo(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def prepare_value(self, value: Any) -> Any:
        return scrivi_importo(value) if isinstance(value, Decimal) else value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No «step»/«min» of a number input: the field is text, to accept the Italian form.
        return {}


class CampoDelibera(forms.CharField):
    """A DGR as «6970/2022»; a DGR not yet known is added to the list when the form is saved."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "delibera (DGR)")
        kwargs.setdefault("help_text", "Numero/anno, ad es. 6970/2022.")
        kwargs.setdefault("required", False)
        super().__init__(max_length=40, **kwargs)

    def clean(self, value: Any) -> tuple[str, int] | None:
        testo = super().clean(value)
        if not testo:
            return None
        try:
            return leggi_chiave_delibera(testo)
        except ValueError as exc:
            raise ValidationError("Scrivere la delibera come numero/anno, ad es. 6970/2022.") from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Delibera):
            return value.chiave
        if isinstance(value, int):
            delibera = Delibera.objects.filter(pk=value).first()
            return delibera.chiave if delibera else ""
        return value


class ConDelibera(forms.ModelForm):
    """A model form whose ``delibera`` is typed as «numero/anno» rather than picked from a list."""

    delibera = CampoDelibera()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.delibera_id and not self.is_bound:
            self.initial["delibera"] = self.instance.delibera.chiave

    def _post_clean(self) -> None:
        # The model's FK is set at save time (a new DGR is created only then); keep it out of the
        # instance the model validation sees.
        chiave = self.cleaned_data.pop("delibera", None) if hasattr(self, "cleaned_data") else None
        # BaseModelForm._post_clean is Django's private hook, absent from django-stubs.
        super()._post_clean()  # type: ignore[misc]
        if hasattr(self, "cleaned_data"):
            self.cleaned_data["delibera"] = chiave

    def save(self, commit: bool = True) -> Any:
        chiave = self.cleaned_data.get("delibera")
        if chiave:
            self.instance.delibera, _ = Delibera.objects.get_or_create(numero=chiave[0], anno=chiave[1])
        else:
            self.instance.delibera = None
        return super().save(commit=commit)


def _importi(*nomi: str) -> dict[str, type[forms.Field]]:
    return dict.fromkeys(nomi, CampoImporto)


class MisuraPianoForm(forms.ModelForm):
    class Meta:
        model = MisuraPiano
        fields = [
            "misura",
            "risorse_impegnate",
            "risorse_erogate",
            "risorse_residue",
            "domande_pervenute",
            "domande_approvate",
            "domande_respinte",
            "rinnovo_previsto",
            "note",
        ]
        field_classes = _importi("risorse_impegnate", "risorse_erogate", "risorse_residue")
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.piano = piano
        # A measure appears once per plan: offer those not yet in it (and the current one).
        gia_presenti = MisuraPiano.objects.filter(piano=piano).exclude(pk=self.instance.pk)
        campo_scelta(self, "misura").queryset = Misura.objects.exclude(
            pk__in=gia_presenti.values("misura_id")
        )

    def validate_unique(self) -> None:
        # «piano» is not a field of the form, so Django would skip the (piano, misura) constraint.
        super().validate_unique()
        misura = self.cleaned_data.get("misura")
        duplicata = MisuraPiano.objects.filter(piano=self.instance.piano, misura=misura)
        if misura and duplicata.exclude(pk=self.instance.pk).exists():
            self.add_error("misura", "Questa misura è già presente nel piano.")


class QuotaErogataForm(ConDelibera):
    class Meta:
        model = QuotaErogata
        fields = ["ordine", "voce", "provenienza", "delibera", "residuo_di", "importo", "domande_approvate"]
        field_classes = _importi("importo")
        widgets = {"residuo_di": forms.CheckboxSelectMultiple, "ordine": forms.NumberInput(attrs={"size": 3})}

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        residuo_di = dati.get("residuo_di")
        if dati.get("provenienza") == "residuo" and not residuo_di:
            self.add_error("residuo_di", "Indicare di quali misure si usano i residui.")
        elif dati.get("provenienza") != "residuo" and residuo_di:
            self.add_error(
                "residuo_di", "Le misure di origine si indicano solo per la provenienza «residui»."
            )
        return dati


class UtilizzoResiduoForm(forms.ModelForm):
    class Meta:
        model = UtilizzoResiduo
        fields = ["ordine", "voce", "misura_destinataria", "importo"]
        field_classes = _importi("importo")
        widgets = {"ordine": forms.NumberInput(attrs={"size": 3})}


QuoteErogateFormSet = forms.inlineformset_factory(
    MisuraPiano, QuotaErogata, form=QuotaErogataForm, extra=1, can_delete=True
)
UtilizziResiduoFormSet = forms.inlineformset_factory(
    MisuraPiano, UtilizzoResiduo, form=UtilizzoResiduoForm, fk_name="misura_piano", extra=1, can_delete=True
)


class RipartoSolidarietaForm(ConDelibera):
    class Meta:
        model = RipartoSolidarieta
        fields = [
            "anno_riparto",
            "delibera",
            "nota",
            "dichiarati_con_riparto",
            "dichiarati_solo_residuo",
            "dichiarati_senza_contributo",
        ]
        widgets = {"nota": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "dichiarati_con_riparto": "Solo per confronto: il piano calcola la sintesi dalla tabella.",
        }


class QuotaSolidarietaForm(forms.ModelForm):
    class Meta:
        model = QuotaSolidarieta
        fields = ["ente", "riparto", "residuo", "totale", "aggregazione_indicata"]
        field_classes = _importi("riparto", "residuo", "totale")

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.piano = piano
        campo_scelta(self, "ente").queryset = EnteProprietario.objects.dell_ambito(piano.ambito).order_by(
            "tipo", "denominazione"
        )
        campo_scelta(self, "aggregazione_indicata").queryset = AggregazioneTerritoriale.objects.filter(
            ambito=piano.ambito
        )
        # Empty means zero; a new row starts empty, so an untouched extra row stays unchanged.
        for campo in ("riparto", "residuo"):
            self.fields[campo].required = False
            self.fields[campo].initial = None
            self.fields[campo].help_text = "Vuoto: zero."
        self.fields["totale"].required = False
        self.fields["totale"].help_text = "Vuoto: riparto più residuo."

    def clean(self) -> dict[str, Any]:
        super().clean()
        dati = self.cleaned_data  # what BaseForm.clean returns, never None
        for campo in ("riparto", "residuo"):
            if dati.get(campo) is None and campo not in self.errors:
                dati[campo] = Decimal("0.00")
        if dati.get("totale") is None and "totale" not in self.errors and not self.errors:
            dati["totale"] = dati["riparto"] + dati["residuo"]
        return dati


class QuoteSolidarietaFormSet(forms.BaseModelFormSet):
    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        self.piano = piano
        kwargs.setdefault(
            "queryset",
            QuotaSolidarieta.objects.filter(piano=piano).order_by(
                "ente__tipo", "ente__comune__aggregazione__numero", "ente__denominazione"
            ),
        )
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "piano": self.piano}

    def clean(self) -> None:
        super().clean()
        enti = [
            f.cleaned_data["ente"]
            for f in self.forms
            if f.cleaned_data.get("ente") and not f.cleaned_data.get("DELETE")
        ]
        doppi = {e.denominazione for e in enti if enti.count(e) > 1}
        if doppi:
            raise ValidationError(
                "Ogni ente ha una sola riga nel riparto: "
                + ", ".join(sorted(doppi))
                + (" compare più volte." if len(doppi) == 1 else " compaiono più volte.")
            )


QuoteSolidarietaFormSetFactory = forms.modelformset_factory(
    QuotaSolidarieta, form=QuotaSolidarietaForm, formset=QuoteSolidarietaFormSet, extra=3, can_delete=True
)


class AvvisoForm(ConDelibera):
    class Meta:
        model = Avviso
        fields = ["titolo", "numero", "data", "delibera", "misure", "comuni_aderenti", "note"]
        widgets = {
            "data": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "misure": forms.CheckboxSelectMultiple,
            "comuni_aderenti": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.piano = piano
        campo_scelta(self, "comuni_aderenti").queryset = Comune.objects.dell_ambito(piano.ambito)

    def validate_unique(self) -> None:
        super().validate_unique()
        titolo = self.cleaned_data.get("titolo")
        doppio = Avviso.objects.filter(piano=self.instance.piano, titolo=titolo).exclude(pk=self.instance.pk)
        if titolo and doppio.exists():
            self.add_error("titolo", "Un avviso con questo titolo è già registrato nel piano.")


class DelPianoFormSet(forms.BaseModelFormSet):
    """A formset over one plan's rows; the enti offered are those of the plan's ambito."""

    campo_ente = ""

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        self.piano = piano
        assert self.model is not None  # set by modelformset_factory
        kwargs.setdefault("queryset", self.model.objects.filter(piano=piano).order_by("ordine", "pk"))
        super().__init__(*args, **kwargs)

    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        # Called for every form, the empty one included.
        super().add_fields(form, index)
        form.instance.piano = self.piano
        campo_scelta(form, self.campo_ente).queryset = EnteProprietario.objects.dell_ambito(
            self.piano.ambito
        ).order_by("tipo", "denominazione")

    def clean(self) -> None:
        super().clean()
        titoli = [
            f.cleaned_data["titolo"]
            for f in self.forms
            if f.cleaned_data.get("titolo") and not f.cleaned_data.get("DELETE")
        ]
        doppi = sorted({t for t in titoli if titoli.count(t) > 1})
        if doppi:
            raise ValidationError(
                f"Il titolo «{doppi[0]}» compare più volte: ogni voce ha un titolo diverso."
            )


class InterventiFormSet(DelPianoFormSet):
    campo_ente = "ente"


class ProgettualitaFormSet(DelPianoFormSet):
    campo_ente = "promotore"


InterventiFormSetFactory = forms.modelformset_factory(
    InterventoRiqualificazione,
    formset=InterventiFormSet,
    fields=["ordine", "contesto", "ente", "titolo", "descrizione", "finanziamento", "importo", "alloggi"],
    field_classes=_importi("importo"),
    widgets={"descrizione": forms.Textarea(attrs={"rows": 4})},
    extra=1,
    can_delete=True,
)
ProgettualitaFormSetFactory = forms.modelformset_factory(
    Progettualita,
    formset=ProgettualitaFormSet,
    fields=[
        "ordine",
        "titolo",
        "descrizione",
        "promotore",
        "partner",
        "periodo",
        "data_inizio",
        "data_fine",
        "costo",
        "finanziamento",
    ],
    field_classes=_importi("costo"),
    widgets={
        "descrizione": forms.Textarea(attrs={"rows": 4}),
        "partner": forms.Textarea(attrs={"rows": 2}),
        "finanziamento": forms.Textarea(attrs={"rows": 2}),
        "data_inizio": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        "data_fine": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    },
    extra=1,
    can_delete=True,
)
