from django.urls import path

from . import views

app_name = "ambito"

urlpatterns = [
    path("accessibilita/", views.accessibilita, name="accessibilita"),
    path("privacy/", views.privacy, name="privacy"),
]
