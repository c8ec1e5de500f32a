"""The onboarding's addresses: the platform administrator's page, the invitation link, the steps."""

from django.urls import path

from .views import enti, piano, piattaforma, territorio

app_name = "insediamento"

urlpatterns = [
    path("piattaforma/ambiti/", piattaforma.ambiti, name="ambiti"),
    path("piattaforma/ambiti/<int:pk>/invita/", piattaforma.invita_ufficio, name="invita_ufficio"),
    path("invito/<uidb64>/<token>/", piattaforma.ImpostaPassword.as_view(), name="invito"),
    path("insediamento/", piattaforma.inizio, name="inizio"),
    path("ambiti/<int:pk>/insediamento/comuni/", territorio.comuni, name="comuni"),
    path("ambiti/<int:pk>/insediamento/aggregazioni/", territorio.aggregazioni, name="aggregazioni"),
    path("ambiti/<int:pk>/insediamento/enti/", enti.enti, name="enti"),
    path("ambiti/<int:pk>/insediamento/operatori/", enti.operatori, name="operatori"),
    path("ambiti/<int:pk>/insediamento/piano/", piano.piano, name="piano"),
]
