"""The Django admin, for the platform administrator only.

Staff status alone opens nothing: on a deployment shared by every ambito the admin sees all of them,
so only superusers (the platform administrators) may use it. No everyday task of an ufficio di piano,
an ente, ALER or the Assemblea needs it; they have the product's own pages.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SitoAmministrazione(admin.AdminSite):
    site_header = "POA – Piano annuale dell'offerta abitativa"
    site_title = "POA amministrazione"
    index_title = "Amministrazione della piattaforma"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class AmministrazioneConfig(AdminConfig):
    default_site = "config.amministrazione.SitoAmministrazione"
