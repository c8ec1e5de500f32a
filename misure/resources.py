"""Spreadsheet import and export (django-import-export) of the solidarity split and the measures' figures.

Rows are matched by natural keys, never by database ids: the plan by the «ambito» and «anno» columns,
the ente by its denominazione in that ambito, the measure by its codice. Amounts may be written the
Italian way («1.580.172,59») or as spreadsheet numbers; the export writes them the Italian way in CSV
and as numbers in Excel. Every row is validated with the models' rules (``full_clean``), so a row
that breaks one (e.g. a total that is not riparto + residuo) is refused with its Italian message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from import_export import fields, resources, widgets

from ambito.models import AggregazioneTerritoriale
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale

from .formati import leggi_importo, scrivi_importo
from .models import Misura, MisuraPiano, QuotaSolidarieta


class ImportoWidget(widgets.DecimalWidget):
    """An amount in euro, Italian or plain, to the cent."""

    def clean(self, value: Any, row: Mapping[str, Any] | None = None, **kwargs: Any) -> Decimal | None:
        if self.is_empty(value):
            return None
        return leggi_importo(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        if kwargs.get("force_native_type") or not self.coerce_to_string:
            return value
        return scrivi_importo(value)


class SiNoWidget(widgets.BooleanWidget):
    """«sì» / «no», as an Italian spreadsheet says it (1/0 and true/false are read too)."""

    TRUE_VALUES = [*widgets.BooleanWidget.TRUE_VALUES, "sì", "si", "Sì", "Si", "SÌ", "SI"]
    FALSE_VALUES = [*widgets.BooleanWidget.FALSE_VALUES, "no", "No", "NO"]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None or kwargs.get("force_native_type"):
            return super().render(value, obj, **kwargs)
        return "sì" if value else "no"


class PianoWidget(widgets.ForeignKeyWidget):
    """The plan of the row's «ambito» for the year in this column."""

    def __init__(self) -> None:
        super().__init__(PianoAnnuale, field="anno")

    def get_queryset(self, value: Any, row: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        return PianoAnnuale.objects.filter(ambito__nome=(row or {}).get("ambito"))

    def clean(self, value: Any, row: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except PianoAnnuale.DoesNotExist:
            raise ValueError(
                f"Nessun piano {value} per l'ambito «{(row or {}).get('ambito')}»: controllare le colonne "
                "«ambito» e «anno»."
            ) from None


class DellAmbitoWidget(widgets.ForeignKeyWidget):
    """An ente or aggregazione looked up within the row's «ambito» (names repeat across ambiti)."""

    def __init__(self, model: type, field: str, descrizione: str) -> None:
        super().__init__(model, field=field)
        self.descrizione = descrizione

    def get_queryset(self, value: Any, row: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
        return self.model.objects.filter(ambito__nome=(row or {}).get("ambito"))

    def clean(self, value: Any, row: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                f"{self.descrizione} «{value}» non esiste nell'ambito «{(row or {}).get('ambito')}»."
            ) from None


class MisuraWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Misura, field="codice")

    def clean(self, value: Any, row: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except Misura.DoesNotExist:
            raise ValueError(f"Misura «{value}» non presente nel catalogo (usare il codice).") from None


def _ambito() -> fields.Field:
    # Export only: on import the column is read by the widgets that look up plan and ente.
    return fields.Field(attribute="piano__ambito__nome", column_name="ambito", readonly=True)


def _importo(attributo: str, colonna: str) -> fields.Field:
    return fields.Field(attribute=attributo, column_name=colonna, widget=ImportoWidget())


class QuotaSolidarietaResource(resources.ModelResource):
    """The contributo di solidarietà split: one row per ente. An empty «totale» is riparto + residuo."""

    ambito = _ambito()
    piano = fields.Field(attribute="piano", column_name="anno", widget=PianoWidget())
    ente = fields.Field(
        attribute="ente",
        column_name="ente",
        widget=DellAmbitoWidget(EnteProprietario, "denominazione", "L'ente"),
    )
    aggregazione_indicata = fields.Field(
        attribute="aggregazione_indicata",
        column_name="aggregazione indicata",
        widget=DellAmbitoWidget(AggregazioneTerritoriale, "numero", "L'aggregazione"),
    )
    riparto = _importo("riparto", "riparto")
    residuo = _importo("residuo", "residuo")
    totale = _importo("totale", "totale")

    class Meta:
        model = QuotaSolidarieta
        fields = ("ambito", "piano", "ente", "aggregazione_indicata", "riparto", "residuo", "totale")
        import_id_fields = ("piano", "ente")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        for colonna in ("riparto", "residuo"):
            if row.get(colonna) in (None, ""):
                row[colonna] = "0"
        if row.get("totale") in (None, ""):
            # A bad amount is reported by its own widget; the total is then left empty.
            with contextlib.suppress(ValueError):
                row["totale"] = str(leggi_importo(row["riparto"]) + leggi_importo(row["residuo"]))

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("piano__ambito", "ente", "aggregazione_indicata")
            .order_by("piano", "ente__comune__aggregazione__numero", "ente__denominazione")
        )


class MisuraPianoResource(resources.ModelResource):
    """The yearly figures of the measures: one row per plan and measure (codice of the catalogue)."""

    ambito = _ambito()
    piano = fields.Field(attribute="piano", column_name="anno", widget=PianoWidget())
    misura = fields.Field(attribute="misura", column_name="misura", widget=MisuraWidget())
    risorse_impegnate = _importo("risorse_impegnate", "risorse impegnate")
    risorse_erogate = _importo("risorse_erogate", "risorse erogate")
    risorse_residue = _importo("risorse_residue", "risorse residue")
    domande_pervenute = fields.Field(attribute="domande_pervenute", column_name="domande pervenute")
    domande_approvate = fields.Field(attribute="domande_approvate", column_name="domande approvate")
    domande_respinte = fields.Field(attribute="domande_respinte", column_name="domande non approvate")
    rinnovo_previsto = fields.Field(
        attribute="rinnovo_previsto",
        column_name="prevista per l'anno del piano",
        widget=SiNoWidget(),
    )
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = MisuraPiano
        fields = (
            "ambito",
            "piano",
            "misura",
            "risorse_impegnate",
            "risorse_erogate",
            "risorse_residue",
            "domande_pervenute",
            "domande_approvate",
            "domande_respinte",
            "rinnovo_previsto",
            "note",
        )
        import_id_fields = ("piano", "misura")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        # An empty cell is an unknown figure (None), not a zero.
        for colonna in ("domande pervenute", "domande approvate", "domande non approvate"):
            if row.get(colonna) == "":
                row[colonna] = None
        if row.get("note") is None:
            row["note"] = ""

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("piano__ambito", "misura")
