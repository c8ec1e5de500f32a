from django.urls import path

from . import views

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
        "piani/<int:pk>/pdf/<int:documento_pk>/stato.json",
        views.documento_stato_json,
        name="documento_stato_json",
    ),
    path("piani/<int:pk>/pdf/<int:documento_pk>/scarica/", views.documento_scarica, name="documento_scarica"),
]

# The plan's narratives, printed in the PDF.
urlpatterns += [path("piani/<int:pk>/testi/", views.piano_testi, name="piano_testi")]
