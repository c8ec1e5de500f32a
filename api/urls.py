"""``/api/v1/``: the REST API and its documentation; ``/profilo/token/``: the user's personal tokens."""

from django.urls import include, path, re_path

from . import pagine
from .views import calcolo, documentazione, elenco, ente, lettura, panoramica

app_name = "api"

DATI_ENTE = "piani/<int:piano>/enti/<int:ente>/"

v1 = [
    path("schema/", documentazione.SchemaView.as_view(), name="schema"),
    path("documentazione/", documentazione.SwaggerView.as_view(), name="swagger"),
    path("redoc/", documentazione.redoc, name="redoc"),
    path("ambiti/", lettura.AmbitiView.as_view(), name="ambiti"),
    path("ambiti/<int:pk>/", lettura.AmbitoView.as_view(), name="ambito"),
    path("comuni/", lettura.ComuniView.as_view(), name="comuni"),
    path("aggregazioni/", lettura.AggregazioniView.as_view(), name="aggregazioni"),
    path("enti/", lettura.EntiView.as_view(), name="enti"),
    path("piani/", lettura.PianiView.as_view(), name="piani"),
    path("piani/<int:pk>/", lettura.PianoView.as_view(), name="piano"),
    path("piani/<int:piano>/calcolo/", calcolo.CalcoloView.as_view(), name="calcolo"),
    path("piani/<int:piano>/calcolo/<str:sezione>/", calcolo.SezioneView.as_view(), name="sezione"),
    path("piani/<int:piano>/versioni/", lettura.VersioniView.as_view(), name="versioni"),
    path("piani/<int:piano>/versioni/<int:numero>/", lettura.VersioneView.as_view(), name="versione"),
    path(
        "piani/<int:piano>/versioni/<int:numero>/dati/",
        lettura.VersioneDatiView.as_view(),
        name="versione_dati",
    ),
    path("panoramica/", panoramica.PanoramicaView.as_view(), name="panoramica"),
    path(DATI_ENTE + "unita/", elenco.UnitaCollezioneView.as_view(), name="unita_elenco"),
    path(DATI_ENTE + "unita/<int:pk>/", ente.UnitaView.as_view(), name="unita"),
    path(DATI_ENTE + "turnover/", ente.TurnoverView.as_view(), name="turnover"),
    path(DATI_ENTE + "sat/", ente.SatView.as_view(), name="sat"),
    path(DATI_ENTE + "consistenza/", ente.ConsistenzaView.as_view(), name="consistenza"),
    path(DATI_ENTE + "scelte/", ente.ScelteView.as_view(), name="scelte"),
    path(DATI_ENTE + "assegnazioni/", ente.AssegnazioniView.as_view(), name="assegnazioni"),
]

urlpatterns = [
    path("api/v1/", include(v1)),
    # Any other address under /api/ is a problem detail too, never Django's HTML 404 page.
    re_path(r"^api/", documentazione.nessuna_risorsa),
    path("profilo/token/", pagine.token_elenco, name="token"),
    path("profilo/token/<int:pk>/revoca/", pagine.token_revoca, name="token_revoca"),
]
