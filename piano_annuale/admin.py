"""Admin for the plans and what the ricognizione collects for them beyond the units."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .admin_storico import ConStorico
from .models import (
    Approvazione,
    AssegnazioniAnnoPrecedente,
    DestinazioneSAT,
    DocumentoPiano,
    Modifica,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PresenzaAssemblea,
    RegoleAnno,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    StatoPiano,
    TestoPiano,
    VersionePiano,
)

# The plan's rows are filtered by the plan's year and ambito rather than by the plan itself: the
# plan's name needs its ambito, and a filter listing plans would query it once per plan.
FILTRI_DEL_PIANO = ["piano__anno", "piano__ambito"]


@admin.register(PianoAnnuale)
class PianoAnnualeAdmin(ConStorico):
    list_display = [
        "__str__",
        "ambito",
        "anno",
        "stato",
        "data_popolazione",
        "scadenza_ricognizione",
        "aggiornato_il",
    ]
    list_filter = ["stato", "anno", "ambito"]
    search_fields = ["ambito__nome", "=anno"]
    list_select_related = ["ambito"]
    autocomplete_fields = ["ambito"]
    readonly_fields = ["creato_il", "aggiornato_il"]
    date_hierarchy = "creato_il"

    def get_queryset(self, request):
        # The plan's name shows its ambito, also in the autocomplete of other pages.
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(RispostaRicognizione)
class RispostaRicognizioneAdmin(ConStorico):
    list_display = ["ente", "stato", "inviata_il", "aggiornata_il", "aggiornata_da", "piano"]
    list_filter = ["stato", *FILTRI_DEL_PIANO, "ente__tipo"]
    search_fields = ["ente__denominazione", "ente__comune__nome"]
    list_select_related = ["ente", "piano__ambito", "aggiornata_da"]
    autocomplete_fields = ["piano", "ente", "aggiornata_da"]


@admin.register(ScelteEnte)
class ScelteEnteAdmin(ConStorico):
    list_display = [
        "ente",
        "soglia_indigenti_eccedente",
        "ha_categoria_aggiuntiva",
        "quota_forze_polizia",
        "piano",
    ]
    list_filter = [*FILTRI_DEL_PIANO, "quota_forze_polizia", "ente__tipo"]
    search_fields = ["ente__denominazione", "categoria_aggiuntiva", "motivazione_categoria"]
    list_select_related = ["ente", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]

    @admin.display(description="categoria aggiuntiva", boolean=True)
    def ha_categoria_aggiuntiva(self, obj: ScelteEnte) -> bool:
        return bool(obj.categoria_aggiuntiva.strip())


@admin.register(DestinazioneSAT)
class DestinazioneSATAdmin(ConStorico):
    list_display = ["ente", "comune", "numero", "piano"]
    list_filter = [*FILTRI_DEL_PIANO, "ente__tipo"]
    search_fields = ["ente__denominazione", "comune__nome"]
    list_select_related = ["ente", "comune", "piano__ambito"]
    autocomplete_fields = ["piano", "ente", "comune"]


@admin.register(AssegnazioniAnnoPrecedente)
class AssegnazioniAnnoPrecedenteAdmin(ConStorico):
    list_display = ["ente", "totale", "mobilita", "in_deroga", "piano"]
    list_filter = [*FILTRI_DEL_PIANO, "ente__tipo"]
    search_fields = ["ente__denominazione"]
    list_select_related = ["ente", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]


@admin.register(RiepilogoDichiarato)
class RiepilogoDichiaratoAdmin(ConStorico):
    list_display = [
        "ente",
        "disponibili",
        "libere_turnover",
        "carenza_manutentiva",
        "nuove_ristrutturate",
        "transitori",
        "conferite_privati",
        "piano",
    ]
    list_filter = [*FILTRI_DEL_PIANO, "ente__tipo"]
    search_fields = ["ente__denominazione"]
    list_select_related = ["ente", "piano__ambito"]
    autocomplete_fields = ["piano", "ente"]


@admin.register(RegoleAnno)
class RegoleAnnoAdmin(ConStorico):
    """The rule sets in force from a date, for the platform administrator (superusers only): a new
    rule set is data, not code. The model's ``clean`` reads the parameters with ``leggi_parametri``,
    so a wrong document is refused with its Italian message; a rule set an approved plan was computed
    under is shown read-only (load a new one instead), as ``manage.py carica_regole`` also requires."""

    list_display = ["nome", "codice", "in_vigore_dal"]
    search_fields = ["nome", "codice", "riferimenti"]
    ordering = ["in_vigore_dal"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: RegoleAnno | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: RegoleAnno | None = None) -> bool:
        return self.has_module_permission(request) and not (
            obj is not None and _usate_da_un_piano_approvato(obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: RegoleAnno | None = None) -> bool:
        return self.has_change_permission(request, obj)


def _usate_da_un_piano_approvato(regole: RegoleAnno) -> bool:
    return regole.piani.filter(stato=StatoPiano.APPROVATA).exists()


@admin.register(TestoPiano)
class TestoPianoAdmin(ConStorico):
    list_display = ["sezione", "piano", "aggiornato_il", "aggiornato_da"]
    list_filter = ["sezione", *FILTRI_DEL_PIANO]
    search_fields = ["testo", "piano__ambito__nome"]
    list_select_related = ["piano__ambito", "aggiornato_da"]
    autocomplete_fields = ["piano", "aggiornato_da"]
    readonly_fields = ["aggiornato_il"]


@admin.register(DocumentoPiano)
class DocumentoPianoAdmin(ConStorico):
    list_display = ["piano", "stato", "progresso", "definitivo", "creato_il", "completato_il", "richiesto_da"]
    list_filter = ["stato", "definitivo", *FILTRI_DEL_PIANO]
    search_fields = ["=chiave", "=sha256", "piano__ambito__nome"]
    list_select_related = ["piano__ambito", "richiesto_da"]
    autocomplete_fields = ["piano", "richiesto_da"]
    readonly_fields = ["chiave", "sha256", "creato_il", "completato_il"]
    date_hierarchy = "creato_il"


# --------------------------------------------------------------------------------------------
# The plan's workflow and history: written only by the services (frozen versions are also
# protected by a database trigger), so the admin shows them and changes nothing.
# --------------------------------------------------------------------------------------------


class SolaLetturaAdmin(ConStorico):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PassaggioDiStato)
class PassaggioDiStatoAdmin(SolaLetturaAdmin):
    list_display = ["piano", "da", "a", "utente", "eseguito_il"]
    list_filter = ["a", *FILTRI_DEL_PIANO]
    search_fields = ["motivo", "piano__ambito__nome", "utente__username"]
    list_select_related = ["piano__ambito", "utente"]
    date_hierarchy = "eseguito_il"


@admin.register(VersionePiano)
class VersionePianoAdmin(SolaLetturaAdmin):
    list_display = ["piano", "numero", "tipo", "creata_da", "creata_il"]
    list_filter = ["tipo", *FILTRI_DEL_PIANO]
    search_fields = ["piano__ambito__nome"]
    list_select_related = ["piano__ambito", "creata_da"]
    exclude = ["dati_json"]  # large: the comparison page reads it


@admin.register(OsservazioneAler)
class OsservazioneAlerAdmin(SolaLetturaAdmin):
    list_display = ["piano", "sezione", "autore", "creata_il", "risposta_il"]
    list_filter = ["sezione", *FILTRI_DEL_PIANO]
    search_fields = ["testo", "risposta", "piano__ambito__nome"]
    list_select_related = ["piano__ambito", "autore"]


@admin.register(ParereAler)
class ParereAlerAdmin(SolaLetturaAdmin):
    list_display = ["piano", "esito", "data", "protocollo", "espresso_da"]
    list_filter = ["esito", *FILTRI_DEL_PIANO]
    search_fields = ["testo", "protocollo", "piano__ambito__nome"]
    list_select_related = ["piano__ambito", "espresso_da"]


class PresenzaAssembleaInline(admin.TabularInline):
    model = PresenzaAssemblea
    extra = 0
    can_delete = False
    readonly_fields = ["comune", "presente", "rappresentante"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Approvazione)
class ApprovazioneAdmin(SolaLetturaAdmin):
    list_display = ["piano", "data_seduta", "numero_verbale", "seduta_valida", "registrata_da"]
    list_filter = ["seduta_valida", *FILTRI_DEL_PIANO]
    search_fields = ["numero_verbale", "protocollo", "piano__ambito__nome"]
    list_select_related = ["piano__ambito", "registrata_da"]
    inlines = [PresenzaAssembleaInline]


@admin.register(Modifica)
class ModificaAdmin(SolaLetturaAdmin):
    list_display = ["eseguita_il", "modello", "oggetto_id", "azione", "utente", "origine", "piano"]
    list_filter = ["azione", "modello", *FILTRI_DEL_PIANO]
    search_fields = ["descrizione", "origine", "motivo", "utente__username"]
    list_select_related = ["utente", "piano__ambito"]
    date_hierarchy = "eseguita_il"


@admin.register(PresenzaAssemblea)
class PresenzaAssembleaAdmin(SolaLetturaAdmin):
    list_display = ["comune", "presente", "rappresentante", "approvazione"]
    list_filter = ["presente", "approvazione__piano__anno"]
    search_fields = ["comune__nome", "rappresentante"]
    list_select_related = ["comune", "approvazione__piano__ambito"]
