"""The misure pages write under the plan's lock, as the ente's writes do (issue 16, item 3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from misure import views
from misure.models import Misura
from piano_annuale.models import PianoAnnuale, StatoPiano
from tests.factories import PianoAnnualeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_misure_save_that_passed_the_check_is_refused_once_the_plan_has_been_sent_to_aler():
    piano = PianoAnnualeFactory.create(stato=StatoPiano.BOZZA)
    richiesta = RequestFactory().post("/")
    richiesta.user = UserFactory.create()
    letto = PianoAnnuale.objects.get(pk=piano.pk)  # the page read it while still a draft
    views._verifica_modificabile(letto)
    PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.INVIATA_ALER)  # the freeze
    scritte: list[str] = []

    with pytest.raises(PermissionDenied) as rifiuto:
        views._salva(richiesta, letto, lambda: scritte.append("scritto"), Misura.objects.none())

    assert scritte == []
    assert str(rifiuto.value) == (
        f"Il piano {piano.anno} è nello stato «Inviata ad ALER per il parere»: le misure e le "
        "progettualità non sono più modificabili."
    )


def test_a_misure_save_on_an_open_plan_is_written():
    piano = PianoAnnualeFactory.create(stato=StatoPiano.BOZZA)
    richiesta = RequestFactory().post("/")
    richiesta.user = UserFactory.create()
    scritte: list[str] = []

    assert views._salva(richiesta, piano, lambda: scritte.append("scritto"), Misura.objects.none())
    assert scritte == ["scritto"]
