"""Admin for enti proprietari, housing units and what each ente declares about them in a plan."""

from __future__ import annotations

from django.contrib import admin

from patrimonio.models import EnteProprietario, UnitaAbitativa
from piano_annuale.admin_storico import ConStorico
from piano_annuale.models import ConsistenzaDichiarata, StatoUnita, TurnoverPrevisto


@admin.register(EnteProprietario)
class EnteProprietarioAdmin(ConStorico):
    list_display = ["denominazione", "tipo", "comune", "uog", "gestore", "ambito", "email"]
    list_filter = ["tipo", "ambito", ("gestore", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["denominazione", "comune__nome", "comune__codice_istat", "uog", "email"]
    list_select_related = ["ambito", "comune", "gestore"]
    autocomplete_fields = ["ambito", "comune", "gestore"]


class StatoUnitaInline(admin.TabularInline):
    """The unit's state in each plan (at most one per plan)."""

    model = StatoUnita
    extra = 0
    fields = ["piano", "stato", "programma", "stato_origine", "note"]
    autocomplete_fields = ["piano"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("piano__ambito")


@admin.register(UnitaAbitativa)
class UnitaAbitativaAdmin(ConStorico):
    list_display = ["id_regionale_o_assente", "codice_ente", "tipo", "ente", "comune", "indirizzo"]
    list_display_links = ["id_regionale_o_assente", "codice_ente"]
    list_filter = [
        "tipo",
        "ente__tipo",
        ("ente", admin.RelatedOnlyFieldListFilter),
        ("comune", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "=id_regionale",
        "codice_ente",
        "indirizzo",
        "comune__nome",
        "ente__denominazione",
    ]
    list_select_related = ["ente", "comune"]
    autocomplete_fields = ["ente", "comune"]
    inlines = [StatoUnitaInline]

    def get_queryset(self, request):
        # The unit's name shows its comune, also in the autocomplete of other pages. (With a
        # select_related here the changelist ignores list_select_related: name every relation.)
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="ID regionale", ordering="id_regionale")
    def id_regionale_o_assente(self, obj: UnitaAbitativa) -> str:
        return obj.id_regionale or "non comunicato"


@admin.register(StatoUnita)
class StatoUnitaAdmin(ConStorico):
    list_display = ["unita", "ente", "stato", "programma", "stato_origine", "piano"]
    list_filter = ["stato", "piano__anno", "piano__ambito", "unita__ente__tipo"]
    search_fields = [
        "=unita__id_regionale",
        "unita__codice_ente",
        "unita__comune__nome",
        "unita__ente__denominazione",
        "programma",
        "stato_origine",
    ]
    list_select_related = ["unita__comune", "unita__ente", "piano__ambito"]
    autocomplete_fields = ["piano", "unita"]

    @admin.display(description="ente proprietario", ordering="unita__ente__denominazione")
    def ente(self, obj: StatoUnita) -> EnteProprietario:
        return obj.unita.ente


@admin.register(ConsistenzaDichiarata)
class ConsistenzaDichiarataAdmin(ConStorico):
    list_display = ["ente", "sap", "sas", "totale", "fonte", "piano"]
    list_filter = ["piano__anno", "piano__ambito", "ente__tipo", "fonte"]
    search_fields = ["ente__denominazione", "fonte"]
    list_select_related = ["ente", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]

    @admin.display(description="totale")
    def totale(self, obj: ConsistenzaDichiarata) -> str:
        return "non comunicata" if obj.totale is None else str(obj.totale)


@admin.register(TurnoverPrevisto)
class TurnoverPrevistoAdmin(ConStorico):
    list_display = ["ente", "comune", "numero", "piano"]
    list_filter = ["piano__anno", "piano__ambito", "ente__tipo"]
    search_fields = ["ente__denominazione", "comune__nome"]
    list_select_related = ["ente", "comune", "piano__ambito"]
    autocomplete_fields = ["piano", "ente", "comune"]


# Spreadsheet uploads (issue 8): the history, read-only here; uploads go through the ente's pages.
from piano_annuale.models import Caricamento, CaricamentoPiattaforma  # noqa: E402


@admin.register(Caricamento)
class CaricamentoAdmin(ConStorico):
    list_display = [
        "nome_file",
        "ente",
        "piano",
        "stato",
        "righe",
        "aggiunte",
        "modificate",
        "rimosse",
        "utente",
        "creato_il",
    ]
    list_filter = ["stato", "formato", "piano__anno", "piano__ambito", "ente__tipo"]
    search_fields = ["nome_file", "ente__denominazione", "utente__username", "esito"]
    list_select_related = ["ente", "piano__ambito", "utente"]
    date_hierarchy = "creato_il"
    readonly_fields = [f.name for f in Caricamento._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CaricamentoPiattaforma)
class CaricamentoPiattaformaAdmin(ConStorico):
    """The regional platform's reports uploaded by the ufficio di piano: read-only here."""

    list_display = ["nome_file", "piano", "stato", "righe", "utente", "creato_il"]
    list_filter = ["stato", "piano__anno", "piano__ambito"]
    search_fields = ["nome_file", "utente__username", "esito"]
    list_select_related = ["piano__ambito", "utente"]
    date_hierarchy = "creato_il"
    readonly_fields = [f.name for f in CaricamentoPiattaforma._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
