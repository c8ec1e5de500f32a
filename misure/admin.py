"""Admin for the measures' catalogue and every plan's Parte seconda and terza.

The solidarity split and the measures' yearly figures can also be imported from and exported to a
spreadsheet (``misure.resources``).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from piano_annuale.admin_storico import ConStorico, RisorsaConStorico

from .formati import scrivi_importo
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
)
from .resources import MisuraPianoResource, QuotaSolidarietaResource


class MisuraPianoRisorsa(RisorsaConStorico, MisuraPianoResource):
    """The measures' yearly figures imported in the admin, recorded in the history."""


class QuotaSolidarietaRisorsa(RisorsaConStorico, QuotaSolidarietaResource):
    """The solidarity split imported in the admin, recorded in the history."""


def euro(valore: Decimal | None) -> str:
    return f"€ {scrivi_importo(valore)}" if valore is not None else "—"


@admin.register(Delibera)
class DeliberaAdmin(ConStorico):
    list_display = ["__str__", "numero", "anno", "oggetto"]
    list_filter = ["anno"]
    search_fields = ["numero", "=anno", "oggetto"]


@admin.register(Misura)
class MisuraAdmin(ConStorico):
    list_display = ["nome", "codice", "ordine", "riferimenti"]
    list_editable = ["ordine"]
    list_filter = [("delibere", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["nome", "codice", "descrizione"]
    prepopulated_fields = {"codice": ["nome"]}
    filter_horizontal = ["delibere"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("delibere")

    @admin.display(description="delibere")
    def riferimenti(self, obj: Misura) -> str:
        return ", ".join(str(d) for d in obj.delibere.all()) or "—"


class QuotaErogataInline(admin.TabularInline):
    model = QuotaErogata
    extra = 0
    fields = ["ordine", "voce", "provenienza", "delibera", "residuo_di", "importo", "domande_approvate"]
    autocomplete_fields = ["delibera"]


class UtilizzoResiduoInline(admin.TabularInline):
    model = UtilizzoResiduo
    fk_name = "misura_piano"
    extra = 0
    fields = ["ordine", "voce", "misura_destinataria", "importo"]


@admin.register(MisuraPiano)
# The import-export stubs type ``model`` and ``change_list_template`` unlike django-stubs: mypy
# sees the clash only when a second ModelAdmin (the history mixin) is a base as well.
class MisuraPianoAdmin(ImportExportModelAdmin, ConStorico):  # type: ignore[misc]
    resource_classes = [MisuraPianoRisorsa]
    list_display = [
        "misura",
        "piano",
        "impegnate",
        "erogate",
        "residue",
        "domande_pervenute",
        "domande_approvate",
        "domande_respinte",
        "rinnovo_previsto",
    ]
    list_filter = ["piano__anno", "piano__ambito", "misura", "rinnovo_previsto"]
    search_fields = ["misura__nome", "misura__codice", "note", "piano__ambito__nome"]
    list_select_related = ["misura", "piano__ambito"]
    autocomplete_fields = ["piano"]
    inlines = [QuotaErogataInline, UtilizzoResiduoInline]

    @admin.display(description="impegnate", ordering="risorse_impegnate")
    def impegnate(self, obj: MisuraPiano) -> str:
        return euro(obj.risorse_impegnate)

    @admin.display(description="erogate", ordering="risorse_erogate")
    def erogate(self, obj: MisuraPiano) -> str:
        return euro(obj.risorse_erogate)

    @admin.display(description="residue", ordering="risorse_residue")
    def residue(self, obj: MisuraPiano) -> str:
        return euro(obj.risorse_residue)


@admin.register(QuotaErogata)
class QuotaErogataAdmin(ConStorico):
    list_display = ["voce", "misura_piano", "provenienza", "delibera", "importo_euro", "domande_approvate"]
    list_filter = ["provenienza", "misura_piano__piano__anno", "misura_piano__misura"]
    search_fields = ["voce", "misura_piano__misura__nome"]
    list_select_related = ["misura_piano__misura", "misura_piano__piano", "delibera"]
    autocomplete_fields = ["delibera"]
    filter_horizontal = ["residuo_di"]

    @admin.display(description="importo", ordering="importo")
    def importo_euro(self, obj: QuotaErogata) -> str:
        return euro(obj.importo)


@admin.register(UtilizzoResiduo)
class UtilizzoResiduoAdmin(ConStorico):
    list_display = ["voce", "misura_piano", "misura_destinataria", "importo_euro"]
    list_filter = ["misura_piano__piano__anno", "misura_destinataria"]
    search_fields = ["voce", "misura_piano__misura__nome"]
    list_select_related = ["misura_piano__misura", "misura_piano__piano", "misura_destinataria"]

    @admin.display(description="importo", ordering="importo")
    def importo_euro(self, obj: UtilizzoResiduo) -> str:
        return euro(obj.importo)


@admin.register(Avviso)
class AvvisoAdmin(ConStorico):
    list_display = ["titolo", "numero", "data", "delibera", "piano", "numero_comuni"]
    list_filter = ["piano__anno", "piano__ambito", "misure"]
    search_fields = ["titolo", "numero", "note"]
    list_select_related = ["piano__ambito", "delibera"]
    autocomplete_fields = ["piano", "delibera"]
    filter_horizontal = ["misure", "comuni_aderenti"]
    date_hierarchy = "data"

    @admin.display(description="comuni aderenti")
    def numero_comuni(self, obj: Avviso) -> int:
        return obj.comuni_aderenti.count()


@admin.register(RipartoSolidarieta)
class RipartoSolidarietaAdmin(ConStorico):
    list_display = [
        "piano",
        "anno_riparto",
        "delibera",
        "dichiarati_con_riparto",
        "dichiarati_solo_residuo",
        "dichiarati_senza_contributo",
    ]
    list_filter = ["anno_riparto", "piano__ambito"]
    search_fields = ["piano__ambito__nome", "nota"]
    list_select_related = ["piano__ambito", "delibera"]
    autocomplete_fields = ["piano", "delibera"]


@admin.register(QuotaSolidarieta)
class QuotaSolidarietaAdmin(ImportExportModelAdmin, ConStorico):  # type: ignore[misc]  # as MisuraPianoAdmin
    resource_classes = [QuotaSolidarietaRisorsa]
    list_display = [
        "ente",
        "aggregazione_del_comune",
        "riparto_euro",
        "residuo_euro",
        "totale_euro",
        "aggregazione_indicata",
        "piano",
    ]
    list_filter = [
        "piano__anno",
        "piano__ambito",
        "ente__tipo",
        ("ente__comune__aggregazione", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["ente__denominazione", "ente__comune__nome"]
    list_select_related = ["ente__comune__aggregazione", "aggregazione_indicata", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]

    @admin.display(description="aggregazione del comune", ordering="ente__comune__aggregazione__numero")
    def aggregazione_del_comune(self, obj: QuotaSolidarieta) -> str:
        comune = obj.ente.comune
        return str(comune.aggregazione) if comune and comune.aggregazione else "—"

    @admin.display(description="riparto", ordering="riparto")
    def riparto_euro(self, obj: QuotaSolidarieta) -> str:
        return euro(obj.riparto)

    @admin.display(description="residuo", ordering="residuo")
    def residuo_euro(self, obj: QuotaSolidarieta) -> str:
        return euro(obj.residuo)

    @admin.display(description="totale", ordering="totale")
    def totale_euro(self, obj: QuotaSolidarieta) -> str:
        return euro(obj.totale)


@admin.register(InterventoRiqualificazione)
class InterventoRiqualificazioneAdmin(ConStorico):
    list_display = ["titolo", "contesto", "ente", "finanziamento", "importo_euro", "alloggi", "piano"]
    list_filter = ["piano__anno", "piano__ambito", "contesto"]
    search_fields = ["titolo", "descrizione", "finanziamento", "ente__denominazione"]
    list_select_related = ["ente", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]

    @admin.display(description="importo", ordering="importo")
    def importo_euro(self, obj: InterventoRiqualificazione) -> str:
        return euro(obj.importo)


@admin.register(Progettualita)
class ProgettualitaAdmin(ConStorico):
    list_display = ["titolo", "promotore", "periodo", "costo_euro", "piano"]
    list_filter = ["piano__anno", "piano__ambito"]
    search_fields = ["titolo", "descrizione", "partner", "finanziamento"]
    list_select_related = ["promotore", "piano__ambito"]
    autocomplete_fields = ["piano", "promotore"]

    @admin.display(description="costo", ordering="costo")
    def costo_euro(self, obj: Progettualita) -> str:
        return euro(obj.costo)
