"""The ente workspace: /piani/<piano>/enti/<ente>/…"""

from django.urls import path

from . import views

app_name = "patrimonio"

AREA = "piani/<int:piano>/enti/<int:ente>/"

urlpatterns = [
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
