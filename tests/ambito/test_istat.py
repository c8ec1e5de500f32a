"""The ISTAT data shipped with the project (``ambito/istat.py``) and ``manage.py carica_comuni_istat``."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ambito import istat
from ambito.istat import (
    ALER_LOMBARDE,
    DATA_POPOLAZIONE,
    FONTE_POPOLAZIONE,
    ComuneIstat,
    cerca_comuni,
    comune_istat,
    comuni_lombardi,
    confini_comuni,
)
from ambito.management.commands.carica_comuni_istat import ORIGINE
from ambito.models import Comune, Popolazione
from piano_annuale.models import Modifica


def test_every_comune_of_lombardy_is_there_once_with_a_valid_code_and_province() -> None:
    comuni = comuni_lombardi()
    assert len(comuni) == 1503
    assert len({c.codice_istat for c in comuni}) == 1503
    assert all(re.fullmatch(r"[0-9]{6}", c.codice_istat) for c in comuni)
    assert {c.provincia for c in comuni} == {
        "BG", "BS", "CO", "CR", "LC", "LO", "MB", "MI", "MN", "PV", "SO", "VA",
    }  # fmt: skip
    assert all(c.superficie_kmq and c.superficie_kmq > 0 for c in comuni)
    assert all(c.abitanti and c.abitanti > 0 for c in comuni)
    # The sum of the shipped file's rows (a checksum of the data, not an ISTAT regional total).
    assert sum(c.abitanti or 0 for c in comuni) == 9_947_125


def test_exact_figures_of_real_comuni() -> None:
    assert comune_istat("019036") == ComuneIstat("019036", "Cremona", "CR", Decimal("70.56"), 70637)
    assert comune_istat("019007") == ComuneIstat("019007", "Bordolano", "CR", Decimal("7.71"), 551)
    assert comune_istat("015146") == ComuneIstat("015146", "Milano", "MI", Decimal("180.90"), 1354196)
    assert comune_istat("19036") == comune_istat("019036")  # leading zero omitted
    assert comune_istat("001272") is None  # Torino: not in Lombardy
    assert comune_istat("Cremona") is None
    assert datetime.date(2023, 1, 1) == DATA_POPOLAZIONE
    assert FONTE_POPOLAZIONE == "ISTAT, popolazione residente al 1° gennaio 2023"


def test_search_by_name_ignores_case_and_accents_prefix_first_then_substring() -> None:
    assert [c.nome for c in cerca_comuni("cantu")] == ["Cantù"]
    assert [c.nome for c in cerca_comuni("  SALO ")] == ["Salò", "Casaloldo"]  # then «casaloldo»
    assert [c.nome for c in cerca_comuni("cremona")] == ["Cremona"]  # «cremonese» has no «cremona»
    assert [c.nome for c in cerca_comuni("Cremon", limite=3)] == [
        "Cremona",
        "Acquanegra Cremonese",
        "Grumello Cremonese ed Uniti",
    ]
    con_san = cerca_comuni("san", limite=500)
    iniziano = [c for c in con_san if c.nome.lower().startswith("san")]
    assert con_san[: len(iniziano)] == iniziano  # prefix matches come first
    assert len(cerca_comuni("san")) == 20
    assert cerca_comuni("") == []
    assert cerca_comuni("Atlantide") == []


def test_search_by_istat_code_prefix() -> None:
    assert [c.nome for c in cerca_comuni("019036")] == ["Cremona"]
    risultati = cerca_comuni("0190", limite=200)
    assert len(risultati) == 96  # 019001 … 019099, less the codes of comuni merged away
    assert all(c.codice_istat.startswith("0190") for c in risultati)


def test_boundaries_cover_every_comune_with_a_path_inside_the_view_box() -> None:
    confini = confini_comuni()
    assert set(confini.percorsi) == {c.codice_istat for c in comuni_lombardi()}
    _, _, larghezza, altezza = (int(v) for v in confini.view_box.split())
    assert (larghezza, altezza) == (4616, 4357)
    for percorso in confini.percorsi.values():
        assert re.fullmatch(r"(M[0-9]+ [0-9]+l[-0-9 ]+z)+", percorso)
        x, y = (int(v) for v in re.match(r"M([0-9]+) ([0-9]+)", percorso).groups())  # type: ignore[union-attr]
        assert 0 <= x <= larghezza and 0 <= y <= altezza
    assert istat.FILE_CONFINI.stat().st_size < 300_000


def test_the_five_lombard_aler_with_their_uog() -> None:
    assert [a.denominazione for a in ALER_LOMBARDE] == [
        "ALER Milano",
        "ALER Bergamo-Lecco-Sondrio",
        "ALER Brescia-Cremona-Mantova",
        "ALER Pavia-Lodi",
        "ALER Varese-Como-Monza Brianza-Busto Arsizio",
    ]
    assert ALER_LOMBARDE[2].uog == ("U.O.G. di Brescia", "U.O.G. di Cremona", "U.O.G. di Mantova")


def carica(*argomenti: str) -> str:
    uscita = StringIO()
    call_command("carica_comuni_istat", *argomenti, stdout=uscita)
    return uscita.getvalue()


@pytest.mark.django_db
def test_the_command_upserts_the_comuni_of_a_province_never_moving_them_and_records_history() -> None:
    cremona = Comune.objects.get(codice_istat="019036")
    ambito, aggregazione = cremona.ambito_id, cremona.aggregazione_id
    assert Comune.objects.filter(provincia="CR").count() == 48  # the Cremonese fixture
    Popolazione.objects.create(
        comune=cremona, data_riferimento=DATA_POPOLAZIONE, abitanti=70_000, fonte="anagrafe"
    )

    uscita = carica("--province", "cr")

    assert (
        "Comuni: 65 creati, 48 aggiornati. Popolazione al 01/01/2023: 112 righe create, 0 aggiornate."
        in uscita
    )
    assert "Cremona: 70000 (anagrafe) invece di 70637" in uscita
    assert Comune.objects.filter(provincia="CR").count() == 113
    cremona.refresh_from_db()
    assert (cremona.ambito_id, cremona.aggregazione_id) == (ambito, aggregazione)
    assert cremona.superficie_kmq == Decimal("70.56")
    assert Popolazione.objects.get(comune=cremona, data_riferimento=DATA_POPOLAZIONE).abitanti == 70_000
    nuovo = Comune.objects.get(codice_istat="019035")  # Crema: not in the Cremonese ambito
    assert (nuovo.nome, nuovo.ambito_id, nuovo.superficie_kmq) == ("Crema", None, Decimal("34.67"))
    assert nuovo.popolazioni.get().fonte == FONTE_POPOLAZIONE
    storico = Modifica.objects.filter(origine=ORIGINE)
    assert storico.filter(modello="ambito.comune", azione="creazione").count() == 65
    assert storico.filter(modello="ambito.comune", azione="modifica").count() == 48
    assert storico.filter(modello="ambito.popolazione").count() == 112
    assert storico.filter(utente__isnull=False).count() == 0

    # Again: nothing changes, nothing recorded.
    seconda = carica("--province", "CR")
    assert (
        "Comuni: 0 creati, 0 aggiornati. Popolazione al 01/01/2023: 0 righe create, 0 aggiornate." in seconda
    )
    assert Modifica.objects.filter(origine=ORIGINE).count() == storico.count()

    # On request the other source's figure is replaced.
    carica("--province", "CR", "--sostituisci-popolazione")
    riga = Popolazione.objects.get(comune=cremona, data_riferimento=DATA_POPOLAZIONE)
    assert (riga.abitanti, riga.fonte) == (70637, FONTE_POPOLAZIONE)


@pytest.mark.django_db
def test_the_command_keeps_a_typed_surface_unless_asked() -> None:
    Comune.objects.filter(codice_istat="019036").update(superficie_kmq=Decimal("70.49"))
    carica("--province", "CR")
    assert Comune.objects.get(codice_istat="019036").superficie_kmq == Decimal("70.49")
    carica("--province", "CR", "--sostituisci-superfici")
    assert Comune.objects.get(codice_istat="019036").superficie_kmq == Decimal("70.56")


@pytest.mark.django_db
def test_the_command_rejects_a_province_outside_lombardy() -> None:
    with pytest.raises(CommandError, match="Sigle di provincia non lombarde: TO."):
        carica("--province", "CR,TO")
    assert Comune.objects.count() == 48
