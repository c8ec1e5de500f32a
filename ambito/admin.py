"""Admin for the territory (ambiti, aggregazioni, comuni, population) and the operators."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from patrimonio.models import Operatore
from piano_annuale.admin_storico import ConStorico


class AggregazioneInline(admin.TabularInline):
    model = AggregazioneTerritoriale
    extra = 0
    fields = ["numero", "denominazione"]


@admin.register(Ambito)
class AmbitoAdmin(ConStorico):
    list_display = ["nome", "comune_capofila", "ente_strumentale", "numero_comuni"]
    search_fields = ["nome", "ente_strumentale"]
    list_select_related = ["comune_capofila"]
    autocomplete_fields = ["comune_capofila"]
    inlines = [AggregazioneInline]
    ordering = ["nome"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ambito]:
        return super().get_queryset(request).annotate(_numero_comuni=Count("comuni", distinct=True))

    @admin.display(description="comuni", ordering="_numero_comuni")
    def numero_comuni(self, obj: Ambito) -> int:
        return obj._numero_comuni  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(AggregazioneTerritoriale)
class AggregazioneTerritorialeAdmin(ConStorico):
    list_display = ["__str__", "ambito", "numero", "denominazione", "numero_comuni"]
    list_display_links = ["__str__"]
    list_filter = ["ambito"]
    search_fields = ["denominazione", "ambito__nome"]
    list_select_related = ["ambito"]
    autocomplete_fields = ["ambito"]
    ordering = ["ambito__nome", "numero"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AggregazioneTerritoriale]:
        return super().get_queryset(request).annotate(_numero_comuni=Count("comuni", distinct=True))

    @admin.display(description="comuni", ordering="_numero_comuni")
    def numero_comuni(self, obj: AggregazioneTerritoriale) -> int:
        return obj._numero_comuni  # type: ignore[attr-defined]  # annotated by get_queryset


class PopolazioneInline(admin.TabularInline):
    model = Popolazione
    extra = 0
    fields = ["data_riferimento", "abitanti", "famiglie", "fonte"]


@admin.register(Comune)
class ComuneAdmin(ConStorico):
    list_display = ["nome", "codice_istat", "provincia", "ambito", "aggregazione", "superficie_kmq"]
    list_filter = ["ambito", "aggregazione", "provincia"]
    search_fields = ["nome", "codice_istat"]
    list_select_related = ["ambito", "aggregazione"]
    autocomplete_fields = ["ambito", "aggregazione"]
    inlines = [PopolazioneInline]


@admin.register(Popolazione)
class PopolazioneAdmin(ConStorico):
    list_display = ["comune", "data_riferimento", "abitanti", "famiglie", "fonte"]
    list_filter = ["data_riferimento", "fonte", "comune__ambito"]
    search_fields = ["comune__nome", "comune__codice_istat"]
    list_select_related = ["comune"]
    autocomplete_fields = ["comune"]
    date_hierarchy = "data_riferimento"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Popolazione]:
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Operatore)
class OperatoreAdmin(ConStorico):
    list_display = ["user", "nome_completo", "ruolo", "ambito", "ente"]
    list_filter = ["ruolo", "ambito"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "ente__denominazione",
    ]
    list_select_related = ["user", "ambito", "ente"]
    autocomplete_fields = ["user", "ambito", "ente"]

    @admin.display(description="nome e cognome", ordering="user__last_name")
    def nome_completo(self, obj: Operatore) -> str:
        return obj.user.get_full_name()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Operatore]:
        # The operator's name shows user and ente, also in the autocomplete of other pages.
        return super().get_queryset(request).select_related(*self.list_select_related)


class OperatoreInline(admin.TabularInline):
    """The user's memberships (ambito, role, ente), edited on the user's own page."""

    model = Operatore
    can_delete = True
    extra = 0
    autocomplete_fields = ["ambito", "ente"]


User = get_user_model()


class UtenteAdmin(ConStorico, UserAdmin):
    inlines = [*UserAdmin.inlines, OperatoreInline]
    list_display = [*UserAdmin.list_display, "ruoli"]  # type: ignore[misc]  # the stubs type it per instance
    list_filter = [*UserAdmin.list_filter, "operatori__ruolo"]

    @admin.display(description="ruoli")
    def ruoli(self, obj) -> str:
        # Prefetched in get_queryset: one query for the page, whatever the number of memberships.
        return "; ".join(str(a.get_ruolo_display()) for a in obj.operatori.all()) or "–"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("operatori")


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UtenteAdmin)
