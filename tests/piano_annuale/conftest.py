"""Fixtures of the plan's tests under the rules by year: the Cremonese plan carried to 2026 and then
2027 (rule set «lr-18-2025»), with the d bis) choices the tests set."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale, ScelteEnte, StatoPiano
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo


def approva(piano: PianoAnnuale) -> None:
    # The workflow's own tests cover approval; here only the next plan's opening matters.
    PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.APPROVATA)
    piano.refresh_from_db()


def crea_piano_2027(piano_2025: PianoAnnuale, utente: User) -> PianoAnnuale:
    """The 2025 plan carried to 2026 and then 2027; d bis) Cremona 12 % + 3 %, Soresina 20 % + 0 %,
    no other comune."""
    approva(piano_2025)
    piano_2026 = crea_piano_anno_successivo(piano=piano_2025, utente=utente).piano
    approva(piano_2026)
    piano = crea_piano_anno_successivo(piano=piano_2026, utente=utente).piano
    scelte = ScelteEnte.objects.filter(piano=piano)
    scelte.update(quota_forze_polizia=0, quota_polizia_locale=0)
    scelte.filter(ente=EnteProprietario.objects.get(denominazione="Comune di Cremona")).update(
        quota_forze_polizia=12, quota_polizia_locale=3
    )
    scelte.filter(ente=EnteProprietario.objects.get(denominazione="Comune di Soresina")).update(
        quota_forze_polizia=20, quota_polizia_locale=0
    )
    return piano


@pytest.fixture
def piano_2027(piano_cremonese: PianoAnnuale) -> PianoAnnuale:
    """The Cremonese plan carried to 2026 and then 2027, with the choices the test sets."""
    return crea_piano_2027(
        piano_cremonese, get_user_model().objects.create_user("ufficio.2027", password="x")
    )
