"""Frozen versions: what they hold, that they never change (the database refuses), and their comparison."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from patrimonio.models import UnitaAbitativa
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import PianoAnnuale, Stato, StatoPiano, StatoUnita, TipoVersione, VersionePiano
from piano_annuale.rendering.versioni import confronta, totali
from piano_annuale.services import iter as services
from piano_annuale.services.ente import elimina_unita, salva_unita
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce, riapri_per_il_test

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")

TABELLA = "piano_annuale_versionepiano"


@pytest.fixture
def a(db):
    return crea_ambito_con_utenti(nome="Ambito delle versioni", prefisso_istat="091")


def url(nome: str, piano: PianoAnnuale, *altri: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk, *altri])


def una_unita_libera(a) -> UnitaAbitativa:
    unita = UnitaAbitativa.objects.filter(
        ente=a.ente_comune, stati__piano=a.piano, stati__stato=Stato.LIBERA
    ).first()
    assert unita is not None
    return unita


def pdf_in_testo(contenuto: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(contenuto)).pages))


# --------------------------------------------------------------------------------------------
# What a version holds
# --------------------------------------------------------------------------------------------


def test_sending_to_aler_freezes_the_computed_plan_and_its_watermarked_pdf_with_their_digests(a):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    dati = versione.dati
    assert dati["g"]["totale"]["totale"] == calcola_piano(a.piano).g.totale.totale
    assert dati["piano"]["stato"] == StatoPiano.INVIATA_ALER
    assert dati["note_chiusura"] == {
        "parere": None,
        "osservazioni": [],
        "approvazione": None,
        "pareri_precedenti": [],
    }
    assert versione.dati_sha256 == hashlib.sha256(versione.dati_json.encode()).hexdigest()
    with versione.pdf.open("rb") as file:
        contenuto = file.read()
    assert versione.pdf_sha256 == hashlib.sha256(contenuto).hexdigest()
    pagine = [p.extract_text() for p in PdfReader(io.BytesIO(contenuto)).pages]
    assert all("BOZZA" in testo.splitlines() for testo in pagine)
    assert "Fase della procedura: Inviata ad ALER per il parere" in pagine[0]
    assert versione.integra()


def test_approval_freezes_the_definitive_pdf_a_3b_with_the_approval_date(a):
    porta_a(a, StatoPiano.APPROVATA)
    versione = VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.APPROVATA)
    assert versione.numero == 2
    with versione.pdf.open("rb") as file:
        lettore = PdfReader(io.BytesIO(file.read()))
    assert lettore.xmp_metadata is not None  # the catalog's /Metadata stream
    xmp = lettore.xmp_metadata.stream.get_data().decode()
    assert re.search(r"pdfaid:part(=\"|>)3", xmp)
    assert len(lettore.attachments) == 2
    copertina = re.sub(r"\s+", " ", lettore.pages[0].extract_text())
    oggi = timezone.localdate()
    assert f"Approvato dall'Assemblea dei Sindaci il {oggi.day}" in copertina
    assert "Verbale n. 01/2025" in copertina
    assert versione.dati["note_chiusura"]["approvazione"]["data"] == oggi.isoformat()


def test_version_downloads_are_the_frozen_bytes(client, a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    client.force_login(a.operatore_aler)
    scaricato = client.get(url("versione_json", a.piano, versione.pk))
    assert hashlib.sha256(scaricato.content).hexdigest() == versione.dati_sha256
    pdf = client.get(url("versione_pdf", a.piano, versione.pk))
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == versione.pdf_sha256


def test_versions_are_read_only_by_who_reads_the_plan(client, a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    client.force_login(a.operatore_comune)  # comuni read the plan from the Assemblea on
    assert client.get(url("versione_pdf", a.piano, versione.pk)).status_code == 404
    assert client.get(url("versione_json", a.piano, versione.pk)).status_code == 404
    assert client.get(url("confronto_versioni", a.piano)).status_code == 404
    client.force_login(a.ufficio_altro_ambito)
    assert client.get(url("versione_pdf", a.piano, versione.pk)).status_code == 404


# --------------------------------------------------------------------------------------------
# A frozen version never changes
# --------------------------------------------------------------------------------------------


def test_editing_a_unit_after_sending_changes_the_live_plan_but_not_the_frozen_version(a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    testo, impronta = versione.dati_json, versione.dati_sha256
    libere_prima = calcola_piano(a.piano).e.totale_libere
    services.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Correzione di un'unità")
    riapri_per_il_test(a.piano, a.ente_comune)

    unita = una_unita_libera(a)
    salva_unita(
        piano=a.piano,
        ente=a.ente_comune,
        utente=a.ufficio,
        valori_unita={"comune": unita.comune},
        valori_stato={"stato": Stato.CARENZA_MANUTENTIVA, "programma": "", "stato_origine": "", "note": ""},
        unita=unita,
    )
    assert calcola_piano(a.piano).e.totale_libere == libere_prima - 1

    congelata = VersionePiano.objects.get(pk=versione.pk)
    assert congelata.dati_json == testo
    assert congelata.dati_sha256 == impronta
    assert congelata.dati["e"]["totale_libere"] == libere_prima
    assert congelata.integra()


def test_deleting_a_unit_of_next_years_registry_does_not_touch_this_years_version(a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    impronta = versione.dati_sha256
    services.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Revisione")
    riapri_per_il_test(a.piano, a.ente_comune)
    elimina_unita(piano=a.piano, ente=a.ente_comune, utente=a.ufficio, unita=una_unita_libera(a))
    assert VersionePiano.objects.get(pk=versione.pk).dati_sha256 == impronta


@pytest.mark.parametrize(
    "scrittura",
    [
        lambda v: VersionePiano.objects.filter(pk=v.pk).update(dati_json="{}"),
        lambda v: VersionePiano.objects.filter(pk=v.pk).update(numero=9),
        lambda v: v.save(),
    ],
    ids=["json", "numero", "save"],
)
def test_the_database_refuses_to_update_a_frozen_version(a, pdf_veloce, scrittura):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises(IntegrityError, match="versione congelata"), transaction.atomic():
        scrittura(versione)
    assert VersionePiano.objects.get(pk=versione.pk).dati_json == versione.dati_json


def test_the_database_refuses_to_delete_a_frozen_version(a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises(IntegrityError, match="versione congelata"), transaction.atomic():
        VersionePiano.objects.filter(pk=versione.pk).delete()
    assert VersionePiano.objects.filter(pk=versione.pk).exists()


def test_the_database_refuses_raw_sql_on_a_frozen_version(a, pdf_veloce):
    """Whoever writes, not only the application: the rule is in the database."""
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    for istruzione in (
        f"UPDATE {TABELLA} SET dati_sha256 = %s WHERE id = %s",
        f"DELETE FROM {TABELLA} WHERE id = %s AND dati_sha256 <> %s",
    ):
        parametri: list[str | int] = (
            ["f" * 64, versione.pk] if istruzione.startswith("UPDATE") else [versione.pk, "x"]
        )
        with (
            pytest.raises(IntegrityError, match="versione congelata"),
            transaction.atomic(),
            connection.cursor() as cursore,
        ):
            cursore.execute(istruzione, parametri)
    assert VersionePiano.objects.get(pk=versione.pk).dati_sha256 == versione.dati_sha256


def test_the_immutability_trigger_is_installed(db):
    """A migration that rebuilds the table (SQLite) would drop the trigger: this test notices."""
    with connection.cursor() as cursore:
        if connection.vendor == "sqlite":
            cursore.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABELLA]
            )
        else:
            cursore.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABELLA]
            )
        nomi = {r[0] for r in cursore.fetchall()}
    attesi = (
        {f"{TABELLA}_immutabile_update", f"{TABELLA}_immutabile_delete"}
        if connection.vendor == "sqlite"
        else {f"{TABELLA}_immutabile"}
    )
    assert attesi <= nomi


def test_a_plan_with_versions_cannot_be_deleted(a, pdf_veloce):
    from django.db.models import ProtectedError

    services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    with pytest.raises(ProtectedError):
        PianoAnnuale.objects.get(pk=a.piano.pk).delete()


def test_a_tampered_pdf_fails_the_integrity_check(a, pdf_veloce, media):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    (media / versione.pdf.name).write_bytes(b"%PDF-1.7 alterato")
    assert not VersionePiano.objects.get(pk=versione.pk).integra()


def test_each_send_to_aler_freezes_a_new_numbered_version(a, pdf_veloce):
    services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    services.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Nuovi dati")
    services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    assert list(
        VersionePiano.objects.filter(piano=a.piano).order_by("numero").values_list("numero", "tipo")
    ) == [
        (1, TipoVersione.INVIATA_ALER),
        (2, TipoVersione.INVIATA_ALER),
    ]


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


def test_comparison_lists_the_numbers_that_changed_section_by_section(client, a, pdf_veloce):
    prima = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    services.riporta_in_bozza(piano=a.piano, utente=a.ufficio, motivo="Un'unità non è più libera")
    riapri_per_il_test(a.piano, a.ente_comune)
    unita = una_unita_libera(a)
    salva_unita(
        piano=a.piano,
        ente=a.ente_comune,
        utente=a.ufficio,
        valori_unita={"comune": unita.comune},
        valori_stato={"stato": Stato.CARENZA_MANUTENTIVA, "programma": "", "stato_origine": "", "note": ""},
        unita=unita,
    )
    dopo = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)

    sezioni = {s.chiave: s for s in confronta(prima.dati, dopo.dati)}
    b = {(d.voce, d.prima, d.dopo) for d in sezioni["b"].differenze}
    # 4 comuni, each with 1 unit of its own and 3 of ALER in carenza (tests/builders.py): 16, then 17.
    assert ("totale", "16", "17") in b
    assert any(d.voce.startswith(a.ente_comune.denominazione) for d in sezioni["b"].differenze)
    assert sezioni["e"].differenze and sezioni["b"].titolo == "b) Carenza manutentiva"
    assert not sezioni["a"].differenze  # the consistenza did not change
    assert "piano" not in sezioni  # the header (state) is not a number of the plan

    client.force_login(a.ufficio)
    pagina = client.get(url("confronto_versioni", a.piano), {"da": prima.pk, "a": dopo.pk}).content.decode()
    assert "b) Carenza manutentiva" in pagina
    assert "e) Già libere e turn-over" in pagina
    assert "a) Consistenza del patrimonio <span" in pagina and "invariata" in pagina


def test_comparison_with_the_plan_as_it_is_now(client, a, pdf_veloce):
    services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    client.force_login(a.ufficio)
    risposta = client.get(url("confronto_versioni", a.piano))
    assert risposta.status_code == 200
    assert risposta.context["a"] == "corrente"
    # The live plan differs only by its Note di chiusura: nothing else changed.
    assert [s.chiave for s in risposta.context["con_differenze"]] == []


def test_rows_are_matched_by_ente_not_by_position():
    prima = {
        "a": {
            "righe": [
                {"ente": {"id": 1, "denominazione": "Comune di Bonemerse"}, "sap": 3, "sas": 0, "totale": 3},
                {
                    "ente": {"id": 2, "denominazione": "Comune di Cremona"},
                    "sap": 931,
                    "sas": 27,
                    "totale": 958,
                },
            ],
            "totale": 961,
        }
    }
    dopo = {
        "a": {
            "righe": [
                {"ente": {"id": 3, "denominazione": "Comune di Annicco"}, "sap": 2, "sas": 0, "totale": 2},
                {"ente": {"id": 1, "denominazione": "Comune di Bonemerse"}, "sap": 3, "sas": 0, "totale": 3},
                {
                    "ente": {"id": 2, "denominazione": "Comune di Cremona"},
                    "sap": 932,
                    "sas": 27,
                    "totale": 959,
                },
            ],
            "totale": 964,
        }
    }
    differenze = [(d.voce, d.prima, d.dopo, d.tipo) for d in confronta(prima, dopo)[0].differenze]
    assert differenze == [
        ("Comune di Cremona › SAP", "931", "932", "modificata"),
        ("Comune di Cremona › totale", "958", "959", "modificata"),
        ("Comune di Annicco", "—", "totale 2", "aggiunta"),
        ("totale", "961", "964", "modificata"),
    ]


def test_section_totals_read_a_frozen_version_and_a_computed_plan_alike(a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    assert totali(versione.dati) == totali(
        json.loads(json.dumps(calcola_piano(a.piano).as_dict(), default=str))
    )
    assert totali(versione.dati)["g"] == calcola_piano(a.piano).g.totale.totale


def test_a_state_change_in_the_registry_shows_in_the_live_comparison(client, a, pdf_veloce):
    versione = services.invia_ad_aler(piano=a.piano, utente=a.ufficio)
    # A unit removed from the plan by the database directly (as an import would): the live plan moves.
    StatoUnita.objects.filter(piano=a.piano, unita=una_unita_libera(a)).delete()
    client.force_login(a.ufficio)
    risposta = client.get(url("confronto_versioni", a.piano), {"da": versione.pk, "a": "corrente"})
    chiavi = [s.chiave for s in risposta.context["con_differenze"]]
    assert "e" in chiavi and "g" in chiavi
    assert VersionePiano.objects.get(pk=versione.pk).integra()
