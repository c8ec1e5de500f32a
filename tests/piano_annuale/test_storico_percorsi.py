"""The history records the writes made outside the admin (issue 11): the misure pages, the narratives,
a spreadsheet imported in the admin, the loader of the misure section. The admin's own writes, model
by model, are in ``test_storico_completo.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from misure.admin import QuotaSolidarietaRisorsa
from misure.models import Avviso, Delibera, Misura, MisuraPiano, QuotaErogata, QuotaSolidarieta
from misure.services import carica_misure
from patrimonio.models import Ruolo
from piano_annuale.models import AzioneModifica, Modifica, PianoAnnuale, SezioneTesto
from piano_annuale.models import TestoPiano as Narrativa  # a name pytest does not take for a test class
from piano_annuale.rendering.testi import salva_testi
from tests import factories as f
from tests.registro import storico, valori_dopo, valori_prima
from tests.utenti import crea_operatore


@pytest.fixture
def radice(db) -> Any:
    return get_user_model().objects.create_superuser("radice.storico", "r@example.invalid", "x")


@pytest.fixture
def piano_e_ufficio(db) -> tuple[PianoAnnuale, Any]:
    piano = f.PianoAnnualeFactory.create(anno=2025)
    ufficio = crea_operatore("ufficio.storico", piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    return piano, ufficio


def test_the_misure_pages_record_a_measure_its_lines_an_avviso_and_their_deletion(client, piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    client.force_login(ufficio)
    misura = Misura.objects.create(codice="housing-first", nome="Housing first")
    risposta = client.post(
        reverse("misure:nuova_misura", args=[piano.pk]),
        {
            "misura": str(misura.pk),
            "risorse_impegnate": "10.000,00",
            "quote-TOTAL_FORMS": "1",
            "quote-INITIAL_FORMS": "0",
            "quote-0-ordine": "1",
            "quote-0-voce": "finanziate con DGR 9999/24",
            "quote-0-provenienza": "altro",
            "quote-0-delibera": "9999/2024",
            "quote-0-importo": "10.000",
            "utilizzi-TOTAL_FORMS": "0",
            "utilizzi-INITIAL_FORMS": "0",
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    mp = MisuraPiano.objects.get(piano=piano, misura=misura)
    quota = mp.quote.get()
    (della_misura,) = storico(MisuraPiano, mp.pk, AzioneModifica.CREAZIONE)
    (della_quota,) = storico(QuotaErogata, quota.pk, AzioneModifica.CREAZIONE)
    (della_delibera,) = storico(Delibera, quota.delibera_id, AzioneModifica.CREAZIONE)
    assert valori_dopo(della_misura)["risorse_impegnate"] == "10000.00"
    assert (valori_dopo(della_quota)["importo"], valori_dopo(della_delibera)["numero"]) == (
        "10000.00",
        "9999",
    )
    assert {della_misura.utente, della_quota.utente} == {ufficio}
    assert della_quota.piano_id == piano.pk  # in the plan's history, though the row names only its measure

    comune = f.ComuneFactory.create(ambito=piano.ambito)
    dati_avviso = {
        "titolo": "Avviso 2025",
        "numero": "12",
        "misure": [str(misura.pk)],
        "comuni_aderenti": [str(comune.pk)],
    }
    assert client.post(reverse("misure:nuovo_avviso", args=[piano.pk]), dati_avviso).status_code == 302
    avviso = Avviso.objects.get(piano=piano)
    (creato,) = storico(Avviso, avviso.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creato)["comuni_aderenti"], valori_dopo(creato)["misure"]) == (
        [comune.pk],
        [misura.pk],
    )

    assert client.post(reverse("misure:elimina_avviso", args=[piano.pk, avviso.pk])).status_code == 302
    (eliminato,) = storico(Avviso, avviso.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_prima(eliminato)["titolo"], valori_prima(eliminato)["comuni_aderenti"]) == (
        "Avviso 2025",
        [comune.pk],
    )

    assert client.post(reverse("misure:elimina_misura", args=[piano.pk, mp.pk])).status_code == 302
    assert len(storico(MisuraPiano, mp.pk, AzioneModifica.ELIMINAZIONE)) == 1
    (quota_eliminata,) = storico(QuotaErogata, quota.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(quota_eliminata)["voce"] == "finanziate con DGR 9999/24"


def test_the_solidarity_page_records_each_changed_row_and_nothing_for_untouched_ones(client, piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    client.force_login(ufficio)
    cambiata, ferma = (
        QuotaSolidarieta.objects.create(
            piano=piano,
            ente=f.EnteProprietarioFactory.create(ambito=piano.ambito),
            riparto=Decimal(importo),
            residuo=Decimal("0.00"),
            totale=Decimal(importo),
        )
        for importo in ("100.00", "7.00")
    )
    dati = {
        "riparto-anno_riparto": "2024",
        "riparto-nota": "",
        "righe-TOTAL_FORMS": "2",
        "righe-INITIAL_FORMS": "2",
    }
    for n, (riga, riparto) in enumerate([(cambiata, "200,00"), (ferma, "7,00")]):
        dati |= {
            f"righe-{n}-id": str(riga.pk),
            f"righe-{n}-ente": str(riga.ente_id),
            f"righe-{n}-riparto": riparto,
            f"righe-{n}-residuo": "0",
            f"righe-{n}-totale": "",
        }
    risposta = client.post(reverse("misure:solidarieta", args=[piano.pk]), dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (modifica,) = storico(QuotaSolidarieta, cambiata.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(modifica)["totale"], valori_dopo(modifica)["totale"]) == ("100.00", "200.00")
    assert storico(QuotaSolidarieta, ferma.pk, AzioneModifica.MODIFICA) == []
    (del_riparto,) = Modifica.objects.filter(
        modello="misure.ripartosolidarieta", azione=AzioneModifica.CREAZIONE, piano_id=piano.pk
    )
    assert (valori_dopo(del_riparto)["anno_riparto"], del_riparto.utente) == (2024, ufficio)


def test_the_narratives_saved_by_the_ufficio_are_recorded(piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    salva_testi(piano=piano, testi={SezioneTesto.PREMESSA: "La nostra premessa."}, utente=ufficio)
    testo = Narrativa.objects.get(piano=piano, sezione=SezioneTesto.PREMESSA)
    (creato,) = storico(Narrativa, testo.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creato)["testo"], creato.utente, creato.piano_id) == (
        "La nostra premessa.",
        ufficio,
        piano.pk,
    )

    salva_testi(piano=piano, testi={SezioneTesto.PREMESSA: ""}, utente=ufficio)  # back to the default
    (eliminato,) = storico(Narrativa, testo.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_prima(eliminato)["testo"], valori_prima(eliminato)["aggiornato_da_id"]) == (
        "La nostra premessa.",
        ufficio.pk,
    )


def test_a_spreadsheet_imported_in_the_admin_is_recorded_in_bulk(radice):
    piano = f.PianoAnnualeFactory.create(anno=2025)
    enti = [
        f.EnteProprietarioFactory.create(ambito=piano.ambito, denominazione=f"Ente del foglio {n}")
        for n in range(3)
    ]
    dataset = tablib.Dataset(headers=["ambito", "anno", "ente", "riparto", "residuo", "totale"])
    for ente in enti:
        dataset.append([piano.ambito.nome, 2025, ente.denominazione, "10,00", "0", "10,00"])
    risultato = QuotaSolidarietaRisorsa().import_data(dataset, dry_run=False, user=radice)
    assert not risultato.has_errors() and not risultato.has_validation_errors()
    registrate = Modifica.objects.filter(
        modello="misure.quotasolidarieta", azione=AzioneModifica.CREAZIONE, utente=radice
    )
    assert len(registrate) == 3
    assert {m.ente_id for m in registrate} == {e.pk for e in enti}
    assert {m.utente for m in registrate} == {radice}
    assert {m.origine for m in registrate} == {
        "amministrazione del sito: importazione di quote del contributo di solidarietà"
    }


def test_the_loader_of_the_misure_section_records_what_a_new_file_changes(piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    sezione = {
        "catalogo": [{"codice": "housing-first", "nome": "Housing first"}],
        "dati_annuali": [{"misura": "housing-first", "risorse_impegnate": "100.00"}],
        "avvisi": [{"titolo": "Avviso unico", "numero": "1"}],
    }
    carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    mp = MisuraPiano.objects.get(piano=piano)
    (creata,) = storico(MisuraPiano, mp.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creata)["risorse_impegnate"], creata.origine, creata.utente) == (
        "100.00",
        "file di prova",
        ufficio,
    )

    sezione["dati_annuali"][0]["risorse_impegnate"] = "120.00"
    sezione["avvisi"] = []
    avviso = Avviso.objects.get(piano=piano)
    with CaptureQueriesContext(connection) as interrogazioni:
        carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    tabella = Modifica._meta.db_table
    inserimenti = [
        q for q in interrogazioni.captured_queries if q["sql"].startswith(f'INSERT INTO "{tabella}"')
    ]
    assert len(inserimenti) == 1  # the change and the deletion, in one bulk insert
    (cambiata,) = storico(MisuraPiano, mp.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(cambiata)["risorse_impegnate"], valori_dopo(cambiata)["risorse_impegnate"]) == (
        "100.00",
        "120.00",
    )
    (eliminato,) = storico(Avviso, avviso.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(eliminato)["titolo"] == "Avviso unico"
    # Loading the same file again changes nothing, and records nothing.
    prima = Modifica.objects.count()
    carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    assert Modifica.objects.count() == prima
