"""The ente workspace: /piani/<piano>/enti/<ente>/…"""

from django.urls import path

from . import views
from .views import piattaforma as views_piattaforma
from .views.ambito_in_uso import cambia_ambito

app_name = "patrimonio"

AREA = "piani/<int:piano>/enti/<int:ente>/"

urlpatterns = [
    path("ambito-in-uso/", cambia_ambito, name="cambia_ambito"),
    path(AREA, views.area_ente, name="area_ente"),
    path(AREA + "unita/", views.unita_elenco, name="unita_elenco"),
    path(AREA + "unita/nuova/", views.unita_modulo, name="unita_nuova"),
    path(AREA + "unita/<int:unita>/", views.unita_modulo, name="unita_modifica"),
    path(AREA + "unita/<int:unita>/elimina/", views.unita_elimina, name="unita_elimina"),
    path(AREA + "turnover/", views.turnover, name="turnover"),
    path(AREA + "consistenza/", views.consistenza, name="consistenza"),
    path(AREA + "scelte/", views.scelte, name="scelte"),
    path(AREA + "sat/", views.sat, name="sat"),
    path(AREA + "assegnazioni/", views.assegnazioni, name="assegnazioni"),
    path(AREA + "nulla-da-dichiarare/", views.nulla_da_dichiarare, name="nulla_da_dichiarare"),
    path(AREA + "invia/", views.invia, name="invia"),
    path(AREA + "riapri/", views.riapri, name="riapri"),
]

# Spreadsheet upload, templates and exports (issue 8).
urlpatterns += [
    path(AREA + "caricamenti/", views.caricamenti, name="caricamenti"),
    path(AREA + "caricamenti/<int:caricamento>/", views.caricamento, name="caricamento"),
    path(
        AREA + "caricamenti/<int:caricamento>/stato.json", views.caricamento_stato, name="caricamento_stato"
    ),
    path(
        AREA + "caricamenti/<int:caricamento>/conferma/",
        views.caricamento_conferma,
        name="caricamento_conferma",
    ),
    path(
        AREA + "caricamenti/<int:caricamento>/annulla/", views.caricamento_annulla, name="caricamento_annulla"
    ),
    path(
        AREA + "caricamenti/<int:caricamento>/riprova/", views.caricamento_riprova, name="caricamento_riprova"
    ),
    path(AREA + "caricamenti/<int:caricamento>/file/", views.caricamento_file, name="caricamento_file"),
    path(
        AREA + "caricamenti/<int:caricamento>/errori.csv", views.caricamento_errori, name="caricamento_errori"
    ),
    path(AREA + "modello.<str:formato>", views.modello, name="modello"),
    path(AREA + "unita.<str:formato>", views.unita_esporta, name="unita_esporta"),
    path("piani/<int:piano>/esportazioni/", views.piano_esportazioni, name="piano_esportazioni"),
    path("piani/<int:piano>/sezioni.<str:formato>", views.piano_esporta, name="piano_esporta"),
    path(
        "piani/<int:piano>/sezioni/<slug:sezione>.<str:formato>",
        views.piano_esporta,
        name="piano_esporta_sezione",
    ),
]

# States carried over from last year's plan, and each unit's history (issue 6).
urlpatterns += [
    path(AREA + "unita/conferma-tutte/", views.unita_conferma_tutte, name="unita_conferma_tutte"),
    path(AREA + "unita/<int:unita>/conferma/", views.unita_conferma, name="unita_conferma"),
    path(AREA + "unita/<int:unita>/storico/", views.unita_storico, name="unita_storico"),
]

# The figures declared on the regional platform and the consistenza per comune (issue 14).
urlpatterns += [
    path(AREA + "dichiarato/", views_piattaforma.dichiarato, name="dichiarato"),
    path(AREA + "consistenza/comuni/", views_piattaforma.consistenza_comuni, name="consistenza_comuni"),
    path("piani/<int:piano>/piattaforma/", views_piattaforma.piattaforma, name="piattaforma"),
    path(
        "piani/<int:piano>/piattaforma/<int:caricamento>/",
        views_piattaforma.piattaforma_caricamento,
        name="piattaforma_caricamento",
    ),
    path(
        "piani/<int:piano>/piattaforma/<int:caricamento>/conferma/",
        views_piattaforma.piattaforma_conferma,
        name="piattaforma_conferma",
    ),
    path(
        "piani/<int:piano>/piattaforma/<int:caricamento>/annulla/",
        views_piattaforma.piattaforma_annulla,
        name="piattaforma_annulla",
    ),
    path(
        "piani/<int:piano>/piattaforma/<int:caricamento>/file/",
        views_piattaforma.piattaforma_file,
        name="piattaforma_file",
    ),
]
