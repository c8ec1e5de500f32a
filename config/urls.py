from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "POA – Piano annuale dell'offerta abitativa"
admin.site.site_title = "POA amministrazione"
admin.site.index_title = "Amministrazione"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("piano_annuale.urls")),
    path("", include("misure.urls")),
    path("", include("patrimonio.urls")),
    path("", include("ambito.urls")),
]
