from django.urls import path

from . import views

app_name = "misure"

urlpatterns = [
    path("piani/<int:piano_pk>/misure/", views.panoramica, name="panoramica"),
    path("piani/<int:piano_pk>/misure/nuova/", views.misura, name="nuova_misura"),
    path("piani/<int:piano_pk>/misure/<int:pk>/", views.misura, name="misura"),
    path("piani/<int:piano_pk>/misure/<int:pk>/elimina/", views.elimina_misura, name="elimina_misura"),
    path("piani/<int:piano_pk>/misure/solidarieta/", views.solidarieta, name="solidarieta"),
    path("piani/<int:piano_pk>/misure/avvisi/nuovo/", views.avviso, name="nuovo_avviso"),
    path("piani/<int:piano_pk>/misure/avvisi/<int:pk>/", views.avviso, name="avviso"),
    path("piani/<int:piano_pk>/misure/avvisi/<int:pk>/elimina/", views.elimina_avviso, name="elimina_avviso"),
    path(
        "piani/<int:piano_pk>/misure/riqualificazione/",
        views.elenco,
        {"nome": "riqualificazione"},
        name="riqualificazione",
    ),
    path(
        "piani/<int:piano_pk>/progettualita/",
        views.elenco,
        {"nome": "progettualita"},
        name="progettualita",
    ),
]
