"""The regional overview (issue 13): its figures, computed by hand and against ``calcola_piano``; the
same number of queries with 2 ambiti and with 90; sort, filters, exports, map; who may open it."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ambito.models import Ambito, Comune, Popolazione
from patrimonio.models import EnteProprietario, Operatore, Ruolo, TipoEnte, TipoServizio, UnitaAbitativa
from piano_annuale.calcolo import calcola_piano, piano_calcolato
from piano_annuale.models import (
    DestinazioneSAT,
    PianoAnnuale,
    RispostaRicognizione,
    ScelteEnte,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TipoVersione,
    TurnoverPrevisto,
    VersionePiano,
)
from piano_annuale.panoramica import (
    FONTE_APPROVATA,
    FONTE_CACHE,
    FONTE_DICHIARAZIONI,
    QUERY_PANORAMICA,
    Disponibili,
    RigaPanoramica,
    panoramica_regionale,
)
from piano_annuale.panoramica_mappa import PALETTE, classi_uguali, mappa_regionale
from tests.utenti import PASSWORD, crea_operatore

URL = "/regione/"


def _riga(nome: str) -> RigaPanoramica:
    return next(r for r in panoramica_regionale() if r.ambito == nome)


@pytest.fixture
def alfa(db: None) -> PianoAnnuale:
    """An ambito of 2 comuni (3,000 + 2,000 inhabitants) whose 2026 plan, under the rules in force on
    1 January 2026 (d bis per comune, 7 ter), is in ricognizione:

    - ALER in Alfa Uno: 4 SAP (2 free, 1 carenza, 1 renovation) and 1 SAS free; 1 SAT unit;
    - Comune Alfa Uno: 3 SAP (1 new, 1 conferred, 1 let), turnover 2; d bis 10 % + 5 %;
    - Comune Alfa Due: 2 SAS let.
    Answers: Alfa Uno sent, ALER «nothing to declare», Alfa Due still compiling (2 of 3 enti).
    """
    ambito = Ambito.objects.create(nome="Ambito di Prova Alfa")
    uno, due = Comune.objects.bulk_create(
        [
            Comune(codice_istat="016024", nome="Alfa Uno", provincia="BG", ambito=ambito),
            Comune(codice_istat="016025", nome="Alfa Due", provincia="BG", ambito=ambito),
        ]
    )
    ambito.comune_capofila = uno
    ambito.save(update_fields=["comune_capofila"])
    data = datetime.date(2025, 1, 1)
    Popolazione.objects.bulk_create(
        [
            Popolazione(comune=uno, data_riferimento=data, abitanti=3_000),
            Popolazione(comune=due, data_riferimento=data, abitanti=2_000),
            # another date's figures are not the plan's
            Popolazione(comune=uno, data_riferimento=datetime.date(2024, 1, 1), abitanti=9_999),
        ]
    )
    piano = PianoAnnuale.objects.create(
        ambito=ambito,
        anno=2026,
        data_popolazione=data,
        stato=StatoPiano.RICOGNIZIONE,
        scadenza_ricognizione=datetime.date(2025, 10, 1),
    )
    aler = EnteProprietario.objects.create(ambito=ambito, tipo=TipoEnte.ALER, denominazione="ALER Alfa")
    ente_uno = EnteProprietario.objects.create(
        ambito=ambito, tipo=TipoEnte.COMUNE, denominazione="Comune di Alfa Uno", comune=uno
    )
    ente_due = EnteProprietario.objects.create(
        ambito=ambito, tipo=TipoEnte.COMUNE, denominazione="Comune di Alfa Due", comune=due
    )
    SAP, SAS = TipoServizio.SAP, TipoServizio.SAS
    unita = [
        (aler, uno, SAP, Stato.LIBERA),
        (aler, uno, SAP, Stato.LIBERA),
        (aler, uno, SAP, Stato.CARENZA_MANUTENTIVA),
        (aler, uno, SAP, Stato.RISTRUTTURAZIONE),
        (aler, uno, SAS, Stato.LIBERA),
        (ente_uno, uno, SAP, Stato.NUOVA_EDIFICAZIONE),
        (ente_uno, uno, SAP, Stato.CONFERITA_PRIVATI),
        (ente_uno, uno, SAP, None),
        (ente_due, due, SAS, None),
        (ente_due, due, SAS, None),
    ]
    for n, (ente, comune, tipo, stato) in enumerate(unita):
        u = UnitaAbitativa.objects.create(
            ente=ente, comune=comune, tipo=tipo, id_regionale=f"ALFA{n:03d}", codice_ente=f"A{n}"
        )
        if stato is not None:
            StatoUnita.objects.create(piano=piano, unita=u, stato=stato)
    TurnoverPrevisto.objects.create(piano=piano, ente=ente_uno, comune=uno, numero=2)
    DestinazioneSAT.objects.create(piano=piano, ente=aler, comune=uno, numero=1)
    ScelteEnte.objects.create(piano=piano, ente=ente_uno, quota_forze_polizia=10, quota_polizia_locale=5)
    ScelteEnte.objects.create(piano=piano, ente=ente_due)
    adesso = timezone.now()
    RispostaRicognizione.objects.bulk_create(
        [
            RispostaRicognizione(piano=piano, ente=ente_uno, stato=StatoRisposta.INVIATA, inviata_il=adesso),
            RispostaRicognizione(
                piano=piano, ente=aler, stato=StatoRisposta.NIENTE_DA_DICHIARARE, inviata_il=adesso
            ),
            RispostaRicognizione(piano=piano, ente=ente_due, stato=StatoRisposta.IN_CORSO),
        ]
    )
    return piano


def test_the_figures_of_an_ambito_computed_by_hand(alfa: PianoAnnuale) -> None:
    riga = _riga("Ambito di Prova Alfa")
    assert (riga.provincia, riga.capofila, riga.anno, riga.stato) == ("BG", "Alfa Uno", 2026, "ricognizione")
    assert riga.stato_descrizione == "Ricognizione aperta"
    assert riga.scadenza_ricognizione == datetime.date(2025, 10, 1)
    assert riga.scadenza_approvazione == datetime.date(2025, 12, 31)
    assert (riga.enti, riga.risposte, riga.tasso_risposta) == (3, 2, Decimal("66.7"))
    # SAP available: 2 free + 2 turnover + 1 carenza + (1 renovated + 1 new) + 1 conferred = 8
    assert (riga.libere, riga.turnover, riga.carenza, riga.nuove_ristrutturate, riga.conferite) == (
        2,
        2,
        1,
        2,
        1,
    )
    assert (riga.disponibili_sap, riga.disponibili_sas) == (8, 1)
    assert (riga.patrimonio_sap, riga.patrimonio_sas) == (7, 3)
    # d bis in Alfa Uno: ALER 4 and the comune 4 available; 10 % and 5 % of 4 rounded up: 1 + 1 each
    assert (riga.forze_polizia, riga.polizia_locale, riga.sat) == (2, 2, 1)
    assert riga.abitanti == 5_000
    assert riga.disponibili_per_mille == Decimal("1.80")  # (8 + 1) / 5,000 × 1,000
    assert riga.sap_per_mille == Decimal("1.40")  # 7 / 5,000 × 1,000
    assert riga.fonte == FONTE_DICHIARAZIONI


def test_the_summary_from_the_declarations_is_what_the_computation_says(
    alfa: PianoAnnuale, piano_cremonese: PianoAnnuale
) -> None:
    """Both rule sets: d bis per comune (Alfa, 2026) and i.b per ente (the Cremonese, 2025)."""
    righe = {r.piano_id: r for r in panoramica_regionale()}
    for piano in (alfa, piano_cremonese):
        attesa = Disponibili.dal_calcolo(calcola_piano(piano))
        riga = righe[piano.pk]
        assert riga.fonte == FONTE_DICHIARAZIONI
        assert (
            riga.libere,
            riga.turnover,
            riga.carenza,
            riga.nuove_ristrutturate,
            riga.conferite,
            riga.disponibili_sap,
            riga.forze_polizia,
            riga.polizia_locale,
            riga.sat,
        ) == (
            attesa.libere,
            attesa.turnover,
            attesa.carenza,
            attesa.nuove_ristrutturate,
            attesa.conferite,
            attesa.totale,
            attesa.forze_polizia,
            attesa.polizia_locale,
            attesa.sat,
        )
    assert righe[piano_cremonese.pk].forze_polizia > 0  # the Cremonese's i.b is not empty


def test_a_cached_computation_is_read_and_its_summary_kept(
    alfa: PianoAnnuale, django_assert_num_queries
) -> None:
    piano_calcolato(alfa)
    # Declarations changed behind the cache's back would show: the figures are the cached plan's.
    StatoUnita.objects.filter(piano=alfa, stato=Stato.LIBERA).delete()
    riga = _riga("Ambito di Prova Alfa")
    assert (riga.fonte, riga.libere, riga.disponibili_sap) == (FONTE_CACHE, 2, 8)
    with django_assert_num_queries(QUERY_PANORAMICA):
        assert _riga("Ambito di Prova Alfa").libere == 2  # now from the small summary


def test_an_approved_plan_is_read_from_its_approved_version(
    alfa: PianoAnnuale, django_user_model: type[User]
) -> None:
    calcolo = calcola_piano(alfa)
    testo = calcolo.as_json()
    utente = django_user_model.objects.create_user("chi.approva")
    PianoAnnuale.objects.filter(pk=alfa.pk).update(stato=StatoPiano.APPROVATA)
    VersionePiano.objects.create(
        piano=alfa,
        numero=1,
        tipo=TipoVersione.APPROVATA,
        dati_json=testo,
        dati_sha256="0" * 64,
        creata_da=utente,
    )
    # What was approved stays what the overview says, whatever changes later in the live data.
    StatoUnita.objects.filter(piano=alfa, stato=Stato.LIBERA).delete()
    riga = _riga("Ambito di Prova Alfa")
    assert riga.fonte == FONTE_APPROVATA
    assert riga.stato_descrizione == "Approvata"
    assert (riga.libere, riga.disponibili_sap, riga.forze_polizia, riga.polizia_locale, riga.sat) == (
        2,
        8,
        2,
        2,
        1,
    )


# ---- Fixed queries ----------------------------------------------------------------------------


def _ambiti_sintetici(quanti: int) -> None:
    """``quanti`` more ambiti, each with 2 comuni, a plan, enti, units, states, turnover, SAT and
    answers: created with a few bulk_create, whatever their number."""
    ambiti = Ambito.objects.bulk_create(Ambito(nome=f"Ambito sintetico {n:02d}") for n in range(quanti))
    comuni = Comune.objects.bulk_create(
        Comune(codice_istat=f"9{n:02d}{k:03d}", nome=f"Sintetico {n}-{k}", provincia="MN", ambito=a)
        for n, a in enumerate(ambiti)
        for k in range(2)
    )
    data = datetime.date(2025, 1, 1)
    Popolazione.objects.bulk_create(
        Popolazione(comune=c, data_riferimento=data, abitanti=1_000) for c in comuni
    )
    piani = PianoAnnuale.objects.bulk_create(
        PianoAnnuale(ambito=a, anno=2026, data_popolazione=data, stato=StatoPiano.BOZZA) for a in ambiti
    )
    enti = EnteProprietario.objects.bulk_create(
        EnteProprietario(ambito=c.ambito, tipo=TipoEnte.COMUNE, denominazione=f"Comune di {c.nome}", comune=c)
        for c in comuni
    )
    unita = UnitaAbitativa.objects.bulk_create(
        UnitaAbitativa(ente=e, comune=e.comune, id_regionale=f"S{e.pk}-{k}", tipo=TipoServizio.SAP)
        for e in enti
        for k in range(3)
    )
    piano_di = {p.ambito_id: p for p in piani}
    StatoUnita.objects.bulk_create(
        StatoUnita(piano=piano_di[u.ente.ambito_id], unita=u, stato=Stato.LIBERA) for u in unita[::2]
    )
    TurnoverPrevisto.objects.bulk_create(
        TurnoverPrevisto(piano=piano_di[e.ambito_id], ente=e, comune=e.comune, numero=1) for e in enti
    )
    ScelteEnte.objects.bulk_create(
        ScelteEnte(piano=piano_di[e.ambito_id], ente=e, quota_forze_polizia=10) for e in enti
    )
    DestinazioneSAT.objects.bulk_create(
        DestinazioneSAT(piano=piano_di[e.ambito_id], ente=e, comune=e.comune, numero=1) for e in enti[::2]
    )
    RispostaRicognizione.objects.bulk_create(
        RispostaRicognizione(
            piano=piano_di[e.ambito_id], ente=e, stato=StatoRisposta.INVIATA, inviata_il=timezone.now()
        )
        for e in enti[::2]
    )


def _amministratore() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin.regione", password=PASSWORD))
    return client


def test_the_overview_runs_the_same_queries_with_2_ambiti_and_with_90(
    alfa: PianoAnnuale, django_assert_num_queries
) -> None:
    client = _amministratore()
    assert Ambito.objects.count() == 2  # the Cremonese and Alfa
    client.get(URL)  # the session's first request renews it: not counted
    with django_assert_num_queries(QUERY_PANORAMICA):
        assert len(panoramica_regionale()) == 2
    with django_assert_num_queries(QUERY_PANORAMICA + 1):  # + which ambito each comune of the map is in
        assert len(mappa_regionale(panoramica_regionale(), "").classi) == len(PALETTE)
    with CaptureQueriesContext(connection) as due:
        assert client.get(URL).status_code == 200

    _ambiti_sintetici(88)
    assert Ambito.objects.count() == 90
    with django_assert_num_queries(QUERY_PANORAMICA):
        righe = panoramica_regionale()
    assert len(righe) == 90
    sintetico = next(r for r in righe if r.ambito == "Ambito sintetico 07")
    # 6 SAP units, 3 free; turnover 1 per comune; SAT 1; 10 % of 2 and of 2 rounded up: 2
    assert (sintetico.libere, sintetico.turnover, sintetico.disponibili_sap, sintetico.forze_polizia) == (
        3,
        2,
        5,
        2,
    )
    assert (sintetico.patrimonio_sap, sintetico.abitanti, sintetico.disponibili_per_mille) == (
        6,
        2_000,
        Decimal("2.50"),
    )
    with django_assert_num_queries(len(due.captured_queries)):
        risposta = client.get(URL)
    assert risposta.status_code == 200
    assert risposta.content.decode().count('<th scope="row">') == 90


# ---- Sort, filters, exports, map ------------------------------------------------------------


def _ambiti_in_tabella(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]*)</a>', html)


def test_sort_and_filters(alfa: PianoAnnuale, piano_cremonese: PianoAnnuale) -> None:
    client = _amministratore()
    cremonese = piano_cremonese.ambito.nome
    assert _ambiti_in_tabella(client.get(URL).content.decode()) == ["Ambito di Prova Alfa", cremonese]
    # the Cremonese has more units available: first in descending order
    pagina = client.get(URL, {"ordina": "-disponibili_sap"}).content.decode()
    assert _ambiti_in_tabella(pagina) == [cremonese, "Ambito di Prova Alfa"]
    assert 'aria-sort="descending"' in pagina
    assert _ambiti_in_tabella(client.get(URL, {"ordina": "disponibili_sap"}).content.decode()) == [
        "Ambito di Prova Alfa",
        cremonese,
    ]
    # an unknown field falls back to the name
    assert (
        _ambiti_in_tabella(client.get(URL, {"ordina": "password"}).content.decode())[0]
        == "Ambito di Prova Alfa"
    )
    assert _ambiti_in_tabella(client.get(URL, {"provincia": "BG"}).content.decode()) == [
        "Ambito di Prova Alfa"
    ]
    assert _ambiti_in_tabella(client.get(URL, {"stato": "bozza"}).content.decode()) == [cremonese]
    assert _ambiti_in_tabella(client.get(URL, {"q": "alfa uno"}).content.decode()) == ["Ambito di Prova Alfa"]
    pagina = client.get(URL, {"q": "nessuno"}).content.decode()
    assert _ambiti_in_tabella(pagina) == []
    assert "Nessun ambito corrisponde ai filtri." in pagina
    assert "0 ambiti su 2" in pagina
    assert "1 ambito su 2" in client.get(URL, {"provincia": "BG"}).content.decode()


def test_the_page_prints_italian_figures_and_explains_its_columns(alfa: PianoAnnuale) -> None:
    pagina = _amministratore().get(URL, {"provincia": "BG"}).content.decode()
    riga = pagina.split('<th scope="row">')[1].split("</tr>")[0]
    assert "1° ottobre 2025" in riga  # the ricognizione's deadline
    assert "31 dicembre 2025" in riga  # the approval's
    assert '<td class="text-end">2026</td>' in riga
    assert "66,7" in riga and "1,80" in riga and "1,40" in riga and "5.000" in riga
    assert "Ricognizione aperta" in riga
    assert "Il 31 dicembre dell&#x27;anno precedente a quello del piano" in pagina


def test_the_exports_hold_the_rows_the_page_shows(alfa: PianoAnnuale, piano_cremonese: PianoAnnuale) -> None:
    client = _amministratore()
    risposta = client.get("/regione/panoramica.csv", {"provincia": "BG"})
    assert risposta.status_code == 200
    assert risposta["Content-Type"] == "text/csv; charset=utf-8"
    assert risposta["Content-Disposition"].startswith('attachment; filename="panoramica-regionale-')
    righe = list(csv.reader(io.StringIO(risposta.content.decode("utf-8-sig")), delimiter=";"))
    assert righe[0][:4] == ["Ambito", "Provincia", "Anno del piano", "Fase"]
    assert len(righe) == 2
    valori = dict(zip(righe[0], righe[1], strict=True))
    assert valori["Ambito"] == "Ambito di Prova Alfa"
    assert valori["Scadenza ricognizione"] == "01/10/2025"
    assert valori["Risposte (%)"] == "66,7"
    assert (valori["SAP disponibili"], valori["SAS disponibili"], valori["Forze di Polizia"]) == (
        "8",
        "1",
        "2",
    )
    assert (valori["Disponibili per 1.000 ab."], valori["Origine dei dati"]) == ("1,80", "dichiarazioni")

    risposta = client.get("/regione/panoramica.xlsx", {"ordina": "-abitanti"})
    assert risposta.status_code == 200
    cartella = openpyxl.load_workbook(io.BytesIO(risposta.content))
    assert cartella.sheetnames == ["Panoramica regionale", "Significato delle colonne"]
    foglio = list(cartella["Panoramica regionale"].values)
    assert [r[0] for r in foglio] == ["Ambito", piano_cremonese.ambito.nome, "Ambito di Prova Alfa"]
    alfa_xlsx = dict(zip(foglio[0], foglio[2], strict=True))
    assert (alfa_xlsx["SAP disponibili"], alfa_xlsx["Abitanti"], alfa_xlsx["Risposte (%)"]) == (8, 5000, 66.7)
    assert alfa_xlsx["Termine approvazione"] == datetime.datetime(2025, 12, 31)
    spiegazioni = list(cartella["Significato delle colonne"].values)
    assert spiegazioni[0] == ("Colonna", "Significato")
    assert len(spiegazioni) == len(foglio[0]) + 1
    assert client.get("/regione/panoramica.pdf").status_code == 404


def test_the_map_colours_each_ambito_and_states_its_classes(alfa: PianoAnnuale) -> None:
    righe = panoramica_regionale()
    mappa = mappa_regionale(righe, "disponibili_per_mille")
    cremonese = next(r for r in righe if r.ambito != "Ambito di Prova Alfa")
    assert cremonese.disponibili_per_mille is not None
    valori = sorted([Decimal("1.80"), cremonese.disponibili_per_mille])
    limiti = classi_uguali(valori)
    assert limiti[0] == valori[0] and limiti[-1] == valori[1]
    assert len(mappa.classi) == 5 and [c.colore for c in mappa.classi] == list(PALETTE)
    assert mappa.classi[0].etichetta.startswith(f"{valori[0]:.2f}".replace(".", ",") + "–")
    svg = str(mappa.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg and "aria-label=" in svg
    # Alfa's comuni carry real ISTAT codes (016024, 016025): Alfa is drawn, in the lowest or the
    # highest class (two ambiti: the bounds are their values)
    assert "<title>Ambito di Prova Alfa: 1,80 per 1.000 abitanti</title>" in svg
    colore = PALETTE[0] if valori[0] == Decimal("1.80") else PALETTE[-1]
    assert f'<g fill="{colore}" stroke="#ffffff" stroke-width="2"><title>Ambito di Prova Alfa' in svg
    assert "<title>Comuni non assegnati a un ambito</title>" in svg
    # filtered out: grey, and no value
    svg_filtrata = str(mappa_regionale([cremonese], "tasso_risposta").svg)
    assert "<title>Ambito escluso dai filtri</title>" in svg_filtrata
    assert mappa_regionale(righe, "sconosciuta").figura.codice == "disponibili_per_mille"


# ---- Who may open it --------------------------------------------------------------------------


def test_only_the_regional_observer_and_the_administrator_open_it(
    alfa: PianoAnnuale, piano_cremonese: PianoAnnuale
) -> None:
    ambito = piano_cremonese.ambito
    cremona = EnteProprietario.objects.get(denominazione="Comune di Cremona")
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    negati = [
        crea_operatore("r.ufficio", ambito, Ruolo.UFFICIO_DI_PIANO),
        crea_operatore("r.comune", ambito, Ruolo.COMUNE, cremona),
        crea_operatore("r.aler", ambito, Ruolo.ALER, aler),
        crea_operatore("r.assemblea", ambito, Ruolo.ASSEMBLEA),
        get_user_model().objects.create_user("r.nessuno", password=PASSWORD),
    ]
    for utente in negati:
        client = Client()
        client.force_login(utente)
        for indirizzo in (URL, "/regione/panoramica.csv", "/regione/panoramica.xlsx"):
            assert client.get(indirizzo).status_code == 403, (utente.username, indirizzo)
        assert 'href="/regione/"' not in client.get("/").content.decode()  # no menu entry
    anonimo = Client().get(URL)
    assert anonimo.status_code == 302 and "/accounts/login/" in anonimo["Location"]
    assert Client().get("/regione/panoramica.csv").status_code == 302

    osservatore = get_user_model().objects.create_user("r.osservatore", password=PASSWORD)
    Operatore.objects.create(user=osservatore, ambito=None, ruolo=Ruolo.OSSERVATORE_REGIONALE)
    for utente in (osservatore, get_user_model().objects.create_superuser("r.admin", password=PASSWORD)):
        client = Client()
        client.force_login(utente)
        pagina = client.get(URL)
        assert pagina.status_code == 200
        assert "Panoramica regionale" in pagina.content.decode()
        assert 'href="/regione/"' in client.get("/").content.decode()  # the menu's entry
        assert client.get("/regione/panoramica.csv").status_code == 200
