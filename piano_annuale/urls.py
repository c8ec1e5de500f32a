from django.urls import path

from . import views

app_name = "piano_annuale"

urlpatterns = [
    path("", views.home, name="home"),
]
