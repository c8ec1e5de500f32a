from django.urls import path

from . import views

app_name = "piano_annuale"

urlpatterns = [
    path("", views.home, name="home"),
    path("piani/<int:pk>/", views.piano_detail, name="piano_detail"),
    path("piani/<int:pk>/piano.json", views.piano_json, name="piano_json"),
]
