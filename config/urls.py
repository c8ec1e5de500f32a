from django.contrib import admin
from django.urls import include, path

from patrimonio.views.sblocco import accessi_bloccati

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # Blocked logins (django-axes), unlocked by the ufficio di piano and the platform admin.
    path("accessi-bloccati/", accessi_bloccati, name="accessi_bloccati"),
    path("", include("piano_annuale.urls")),
    path("", include("misure.urls")),
    path("", include("patrimonio.urls")),
    path("", include("ambito.urls")),
    path("", include("ambito.insediamento.urls")),
    # The REST API (/api/v1/) and the user's personal tokens (/profilo/token/).
    path("", include("api.urls")),
]
