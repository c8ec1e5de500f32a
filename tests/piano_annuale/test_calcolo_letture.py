"""The dashboard reads the computed plan: its response rates and its units per category are the plan's
(ricognizione and section g), with no arithmetic of its own.

Golden figures of the Cremonese 2025 plan as in test_sezioni_cremonese.py (section g).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from patrimonio.models import Ruolo
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


def celle_numeriche(html: str, denominazione: str) -> list[str]:
    """The unit columns of an ente's row in the dashboard, as printed."""
    (riga,) = [r.split("</tr>")[0] for r in html.split("<tr") if f">{denominazione}</a>" in r]
    return re.findall(r'<td class="text-end[^"]*">([^<]*)</td>', riga)


@pytest.fixture
def pagina(client, piano_cremonese):
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    return client.get(reverse("piano_annuale:cruscotto", args=[piano_cremonese.pk]))


def test_the_dashboard_prints_section_g_of_the_computed_plan_for_each_ente(pagina):
    testo = pagina.content.decode()
    # Free, turnover, carenza, renovation and new building, conferite, total: 3 + 5 free, 19 renovated.
    assert celle_numeriche(testo, "Comune di Cremona") == ["3", "5", "0", "19", "0", "27"]
    assert celle_numeriche(testo, "Comune di Soresina") == ["0", "0", "2", "9", "0", "11"]


def test_the_dashboard_prints_the_response_rates_of_the_computed_plan(pagina):
    testo = pagina.content.decode()
    assert "60,4%" in testo and "29 su 48" in testo
    assert "tasso" not in pagina.context  # no rate of its own beside the plan's
