"""``carica_piano`` never destroys silently (issue 13): on an ambito where data were entered after the
last load it refuses, says what would be lost (per table, the latest change with who and when) and
writes nothing; ``--sostituisci`` replaces them, recorded in the history."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import ConsistenzaDichiarata, Modifica, TurnoverPrevisto
from piano_annuale.services.carica import carica_piano
from piano_annuale.services.carica_protezione import DatiInseritiDopoIlCaricamento
from piano_annuale.storico import istantanea, traccia
from tests.conftest import FIXTURE_CREMONESE
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


def soresina(piano_cremonese) -> ConsistenzaDichiarata:
    return ConsistenzaDichiarata.objects.get(piano=piano_cremonese, ente__denominazione="Comune di Soresina")


def dal_sito(piano_cremonese):
    """What the Comune di Soresina's operator enters through the web pages after the load: its
    consistenza (112 SAP in the file) and the ente's e-mail address (none in the file)."""
    utente = crea_operatore(
        "comune.soresina.web",
        piano_cremonese.ambito,
        Ruolo.COMUNE,
        EnteProprietario.objects.get(denominazione="Comune di Soresina"),
    )
    consistenza = soresina(piano_cremonese)
    prima = istantanea(consistenza)
    consistenza.sap = 115
    consistenza.save()
    traccia(utente=utente, oggetto=consistenza, prima=prima)
    ente = consistenza.ente
    prima = istantanea(ente)
    ente.email = "casa@comune.soresina.cr.it"
    ente.save()
    traccia(utente=utente, oggetto=ente, prima=prima)
    return utente


def test_reloading_the_same_file_over_loaded_data_only_is_allowed_and_changes_nothing(piano_cremonese):
    prima = Modifica.objects.count()
    assert carica_piano(percorso=FIXTURE_CREMONESE).pk == piano_cremonese.pk
    assert Modifica.objects.count() == prima


def test_a_reload_that_would_overwrite_web_entered_data_is_refused_and_writes_nothing(piano_cremonese):
    dal_sito(piano_cremonese)
    storico = Modifica.objects.count()

    with pytest.raises(DatiInseritiDopoIlCaricamento) as rifiuto:
        carica_piano(percorso=FIXTURE_CREMONESE)

    assert rifiuto.value.perdite.per_tabella == {"consistenze dichiarate": 1, "enti proprietari": 1}
    assert rifiuto.value.perdite.ultima is not None
    assert rifiuto.value.perdite.ultima.chi == "utente «comune.soresina.web»"
    assert rifiuto.value.perdite.ultima.tabella == "enti proprietari"  # the e-mail came last
    messaggio = str(rifiuto.value)
    assert messaggio.startswith(
        "Il caricamento di cremonese_2025.json sostituirebbe dati inseriti dopo l'ultimo caricamento "
        "(dal sito, dall'amministrazione o da un'importazione): non è stato scritto nulla.\n"
        "Righe che verrebbero modificate o eliminate:\n"
        "  consistenze dichiarate: 1\n"
        "  enti proprietari: 1\n"
        "Ultima modifica: "
    )
    assert f"{timezone.localtime():%d/%m/%Y}" in messaggio
    assert "utente «comune.soresina.web» (enti proprietari)." in messaggio
    assert messaggio.endswith("Per sostituirli comunque: carica_piano --sostituisci.")
    # Nothing written: the web's figures stay, no history row was added.
    assert soresina(piano_cremonese).sap == 115
    assert (
        EnteProprietario.objects.get(denominazione="Comune di Soresina").email == "casa@comune.soresina.cr.it"
    )
    assert Modifica.objects.count() == storico


def test_rows_the_loader_did_not_write_count_too(piano_cremonese):
    # A turnover row written without any history (e.g. by hand in the database): the file does not
    # list it, so the load would delete it.
    TurnoverPrevisto.objects.create(
        piano=piano_cremonese,
        ente=EnteProprietario.objects.get(denominazione="Comune di Soresina"),
        comune=piano_cremonese.ambito.comuni.get(nome="Soresina"),
        numero=4,
    )
    with pytest.raises(DatiInseritiDopoIlCaricamento) as rifiuto:
        carica_piano(percorso=FIXTURE_CREMONESE)
    assert rifiuto.value.perdite.per_tabella == {"turnover previsti": 1}
    assert rifiuto.value.perdite.senza_storico == 1
    assert rifiuto.value.perdite.ultima is None
    assert "Righe senza storico (non scritte da un caricamento): 1." in str(rifiuto.value)
    assert TurnoverPrevisto.objects.filter(piano=piano_cremonese, numero=4).exists()


def test_the_command_refuses_in_italian_and_replaces_only_with_sostituisci(piano_cremonese):
    dal_sito(piano_cremonese)

    with pytest.raises(CommandError, match="  consistenze dichiarate: 1\n  enti proprietari: 1\n"):
        call_command("carica_piano", str(FIXTURE_CREMONESE), stdout=StringIO())
    assert soresina(piano_cremonese).sap == 115

    uscita = StringIO()
    call_command("carica_piano", str(FIXTURE_CREMONESE), "--sostituisci", stdout=uscita)
    assert "Caricato:" in uscita.getvalue()
    assert soresina(piano_cremonese).sap == 112
    assert EnteProprietario.objects.get(denominazione="Comune di Soresina").email == ""
    ripristino = Modifica.objects.filter(
        origine="caricamento del file cremonese_2025.json", modello="piano_annuale.consistenzadichiarata"
    ).latest("id")
    assert ripristino.prima is not None and ripristino.dopo is not None
    assert (ripristino.prima["sap"], ripristino.dopo["sap"], ripristino.utente) == (115, 112, None)

    # The file is again the last writer: a plain reload goes through.
    carica_piano(percorso=FIXTURE_CREMONESE)
