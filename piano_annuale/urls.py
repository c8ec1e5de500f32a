from django.urls import path

from . import views
from .views import lettere, regione, regole

app_name = "piano_annuale"

urlpatterns = [
    path("", views.home, name="home"),
    path("piani/<int:pk>/", views.piano_detail, name="piano_detail"),
    path("piani/<int:pk>/piano.json", views.piano_json, name="piano_json"),
    path("piani/<int:pk>/ricognizione/", views.cruscotto, name="cruscotto"),
    path("piani/<int:pk>/ricognizione/promemoria/", views.promemoria, name="promemoria"),
]

# The plan as a PDF (rendered in the background).
urlpatterns += [
    path("piani/<int:pk>/pdf/", views.piano_pdf, name="piano_pdf"),
    path("piani/<int:pk>/pdf/<int:documento_pk>/", views.documento_stato, name="documento_stato"),
    path(
        "piani/<int:pk>/pdf/<int:documento_pk>/riprova/",
        views.versione_pdf_riprova,
        name="versione_pdf_riprova",
    ),
    path(
        "piani/<int:pk>/pdf/<int:documento_pk>/stato.json",
        views.documento_stato_json,
        name="documento_stato_json",
    ),
    path("piani/<int:pk>/pdf/<int:documento_pk>/scarica/", views.documento_scarica, name="documento_scarica"),
]

# The plan's narratives, printed in the PDF.
urlpatterns += [path("piani/<int:pk>/testi/", views.piano_testi, name="piano_testi")]

# The workflow (issue 6): moves, ALER's parere, approval, versions, letters, history, next year.
urlpatterns += [
    path("piani/<int:pk>/iter/", views.iter_piano, name="iter_piano"),
    path(
        "piani/<int:pk>/iter/chiudi-ricognizione/", views.chiudi_ricognizione_view, name="chiudi_ricognizione"
    ),
    path("piani/<int:pk>/iter/invia-aler/", views.invia_aler_view, name="invia_aler"),
    path("piani/<int:pk>/iter/trasmetti/", views.trasmetti_view, name="trasmetti"),
    path("piani/<int:pk>/iter/bozza/", views.riporta_in_bozza_view, name="riporta_in_bozza"),
    path("piani/<int:pk>/iter/approva/", views.approva_view, name="approva"),
    path("piani/<int:pk>/iter/parere/", views.parere_view, name="parere"),
    path("piani/<int:pk>/iter/osservazioni/", views.osservazione_nuova, name="osservazione_nuova"),
    path("piani/<int:pk>/osservazioni/", views.osservazioni_pagina, name="osservazioni_pagina"),
    path(
        "piani/<int:pk>/iter/osservazioni/<int:osservazione>/elimina/",
        views.osservazione_elimina,
        name="osservazione_elimina",
    ),
    path(
        "piani/<int:pk>/iter/osservazioni/<int:osservazione>/risposta/",
        views.osservazione_risposta,
        name="osservazione_risposta",
    ),
    path("piani/<int:pk>/versioni/confronto/", views.confronto_versioni, name="confronto_versioni"),
    path("piani/<int:pk>/versioni/<int:versione>/pdf/", views.versione_pdf, name="versione_pdf"),
    path(
        "piani/<int:pk>/versioni/<int:versione>/avanzamento/",
        views.avanzamento_versione,
        name="avanzamento_versione",
    ),
    path("piani/<int:pk>/versioni/<int:versione>/piano.json", views.versione_json, name="versione_json"),
    path("piani/<int:pk>/verbale/", views.verbale_scarica, name="verbale"),
    path("piani/<int:pk>/storico/", views.storico_piano, name="storico_piano"),
    path("piani/<int:pk>/nuovo-anno/", views.nuovo_anno, name="nuovo_anno"),
]

# The rules the plan follows (issue 12): the rule set chosen with a reason, the triennale.
urlpatterns += [
    path("piani/<int:pk>/iter/regole/", regole.scegli_regole_view, name="scegli_regole"),
    path("piani/<int:pk>/iter/triennio/", regole.triennio_view, name="triennio"),
]

# The letters at approval, as PDF and as editable DOCX: to the Prefettura (art. 7 bis) for each ente,
# to a comune's Polizia Locale (art. 7 ter) for each ente and comune.
urlpatterns += [
    path(
        "piani/<int:pk>/lettere-prefettura/<int:ente>/", lettere.lettera_prefettura, name="lettera_prefettura"
    ),
    path(
        "piani/<int:pk>/lettere-prefettura/<int:ente>/docx/",
        lettere.lettera_prefettura,
        {"formato": "docx"},
        name="lettera_prefettura_docx",
    ),
    path(
        "piani/<int:pk>/lettere-polizia-locale/<int:ente>/<int:comune>/",
        lettere.lettera_polizia_locale,
        name="lettera_polizia_locale",
    ),
    path(
        "piani/<int:pk>/lettere-polizia-locale/<int:ente>/<int:comune>/docx/",
        lettere.lettera_polizia_locale,
        {"formato": "docx"},
        name="lettera_polizia_locale_docx",
    ),
]

# The regional overview (issue 13): every ambito's plan, for the regional observer and the administrator.
urlpatterns += [
    path("regione/", regione.panoramica, name="panoramica"),
    path("regione/panoramica.<str:formato>", regione.panoramica_esporta, name="panoramica_esporta"),
]
