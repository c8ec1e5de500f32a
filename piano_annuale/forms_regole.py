"""Forms of the ufficio di piano on the rules a plan follows: the rule set chosen with a reason, and
the triennale the plan belongs to."""

from __future__ import annotations

from typing import Any

from django import forms

from ambito.forms import ModuloPOA

from .models import PianoAnnuale, RegoleAnno


class CampoRegole(forms.ModelChoiceField):
    """The rule sets by name and start date, the way the plan page names them."""

    def label_from_instance(self, obj: RegoleAnno) -> str:
        return f"{obj.nome} (in vigore dal {obj.in_vigore_dal:%d/%m/%Y})"


class ScelteRegoleForm(ModuloPOA, forms.Form):
    regole = CampoRegole(
        label="Regole da applicare",
        queryset=RegoleAnno.objects.all(),
        empty_label=None,
        error_messages={"invalid_choice": "Scegliere una delle regole in elenco."},
    )
    motivo = forms.CharField(
        label="Motivo della scelta",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Ad es. «piano predisposto e approvato a cavallo dell'entrata in vigore del R.R. 2/2025». "
        "Il motivo è riportato con le regole applicate dal piano e resta nella sua storia.",
        error_messages={"required": "Indicare il motivo per cui il piano applica queste regole."},
    )

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"regole": piano.regole_id, "motivo": piano.motivo_regole})
        super().__init__(*args, **kwargs)


class TriennioForm(ModuloPOA, forms.Form):
    triennio_inizio = forms.IntegerField(label="Primo anno", required=False, min_value=2018, max_value=2100)
    triennio_fine = forms.IntegerField(label="Ultimo anno", required=False, min_value=2018, max_value=2100)

    def __init__(self, *args: Any, piano: PianoAnnuale, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"triennio_inizio": piano.triennio_inizio, "triennio_fine": piano.triennio_fine}
        )
        super().__init__(*args, **kwargs)
        aiuto = f"Tre anni che comprendono il {piano.anno}, ad es. {piano.anno}–{piano.anno + 2}."
        self.fields["triennio_inizio"].help_text = aiuto
