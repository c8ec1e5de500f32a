"""Every model has its admin page, and the admin's list and detail pages open for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from piano_annuale.models import Modifica, VersionePiano

APP_DEL_PROGETTO = ["ambito", "patrimonio", "piano_annuale", "misure"]


def test_every_model_of_the_project_is_registered_in_the_admin():
    mancanti = [
        m._meta.label
        for nome in APP_DEL_PROGETTO
        for m in apps.get_app_config(nome).get_models()
        if m not in admin.site._registry
    ]
    assert mancanti == []


@pytest.mark.parametrize(
    "modello", [m for n in APP_DEL_PROGETTO for m in apps.get_app_config(n).get_models()]
)
def test_admin_list_page_opens_for_every_model(client, piano_cremonese, modello):
    client.force_login(get_user_model().objects.create_superuser("radice", "r@example.invalid", "x"))
    url = reverse(f"admin:{modello._meta.app_label}_{modello._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("modello", [VersionePiano, Modifica])
def test_frozen_versions_and_history_cannot_be_added_or_changed_in_the_admin(client, db, modello):
    client.force_login(get_user_model().objects.create_superuser("radice", "r@example.invalid", "x"))
    url = reverse(f"admin:{modello._meta.app_label}_{modello._meta.model_name}_add")
    assert client.get(url).status_code == 403
