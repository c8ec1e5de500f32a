"""Onboarding services: an ambito made from the ISTAT data, its aggregazioni, enti, first plan and
population, each write in one transaction with its history; refusals write nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ambito import istat
from ambito.insediamento import aggregazioni, enti, piano, territorio
from ambito.insediamento.errori import DatiNonValidi
from ambito.insediamento.file import righe_del_file
from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from patrimonio.importazione.errori import FileNonValido
from patrimonio.models import EnteProprietario, TipoEnte
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import Modifica, PianoAnnuale, RegoleAnno, StatoPiano
from piano_annuale.services.errori import OperazioneNonValida

pytestmark = pytest.mark.django_db

# The Ambito di Suzzara (province of Mantova): six comuni, none in the Cremonese fixture.
SUZZARA = ["020027", "020035", "020037", "020039", "020055", "020065"]


@pytest.fixture
def amministratore():
    return get_user_model().objects.create_superuser("piattaforma", "p@example.org", "x-Prova-2025")


@pytest.fixture
def ambito(amministratore) -> Ambito:
    return territorio.crea_ambito(nome="Ambito di prova di Suzzara", utente=amministratore)


def test_a_new_ambito_is_recorded_in_the_history_and_names_are_unique(amministratore):
    ambito = territorio.crea_ambito(nome="  Ambito   di prova ", utente=amministratore)

    assert ambito.nome == "Ambito di prova"
    assert ambito.termine_aggregazioni == "AT"
    assert (
        Modifica.objects.filter(modello="ambito.ambito", oggetto_id=ambito.pk, azione="creazione").count()
        == 1
    )
    with pytest.raises(OperazioneNonValida, match="L'ambito «Ambito di prova» esiste già."):
        territorio.crea_ambito(nome="ambito DI PROVA", utente=amministratore)


def test_a_pasted_list_of_names_and_codes_names_the_istat_comuni():
    risolti = territorio.risolvi_comuni(
        ["suzzara", "Pegognaga", "20027", "", "San Benedetto  Po", "Atlantide"]
    )

    assert [c.codice_istat for c in risolti.comuni] == ["020065", "020039", "020027", "020055"]
    assert risolti.errori == (
        "«Atlantide»: nessun comune lombardo ha questo nome; controllare o indicare il codice ISTAT.",
    )


def test_adding_comuni_writes_their_istat_data_population_and_ente(ambito, amministratore):
    inizio = timezone.now()
    comuni = territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)

    assert len(comuni) == 6
    suzzara = Comune.objects.get(codice_istat="020065")
    assert (suzzara.nome, suzzara.provincia, suzzara.ambito) == ("Suzzara", "MN", ambito)
    dato = istat.comune_istat("020065")
    assert dato is not None
    assert suzzara.superficie_kmq == dato.superficie_kmq
    popolazione = Popolazione.objects.get(comune=suzzara, data_riferimento=istat.DATA_POPOLAZIONE)
    assert popolazione.abitanti == dato.abitanti
    assert popolazione.fonte == istat.FONTE_POPOLAZIONE[:100]
    ente = EnteProprietario.objects.get(comune=suzzara)
    assert (ente.ambito, ente.tipo, ente.denominazione) == (ambito, TipoEnte.COMUNE, "Comune di Suzzara")
    assert EnteProprietario.objects.filter(ambito=ambito).count() == 6
    creati = Modifica.objects.filter(azione="creazione", eseguita_il__gte=inizio)
    assert creati.filter(modello="ambito.comune").count() == 6
    assert creati.filter(modello="ambito.popolazione").count() == 6
    assert creati.filter(modello="patrimonio.enteproprietario").count() == 6
    # Adding them again changes nothing and records nothing.
    prima = Modifica.objects.count()
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    assert Modifica.objects.count() == prima


def test_a_comune_of_another_ambito_is_refused_and_nothing_is_written(
    ambito, amministratore, piano_cremonese
):
    prima = (Comune.objects.filter(ambito=ambito).count(), Modifica.objects.count())

    with pytest.raises(DatiNonValidi) as errore:
        territorio.aggiungi_comuni(ambito=ambito, codici=["020065", "019036"], utente=amministratore)

    assert errore.value.errori == [
        f"Il Comune di Cremona appartiene già all'ambito «{piano_cremonese.ambito}»."
    ]
    assert (Comune.objects.filter(ambito=ambito).count(), Modifica.objects.count()) == prima
    assert not Comune.objects.filter(codice_istat="020065").exists()


def test_a_comune_taken_out_loses_its_ente_unless_it_is_the_capofila(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    suzzara, moglia = Comune.objects.get(codice_istat="020065"), Comune.objects.get(codice_istat="020035")
    territorio.imposta_capofila(
        ambito=ambito, capofila=suzzara, ente_strumentale=" Consorzio ", utente=amministratore
    )

    with pytest.raises(OperazioneNonValida, match="Il Comune di Suzzara è il comune capofila"):
        territorio.togli_comune(ambito=ambito, comune=suzzara, utente=amministratore)
    territorio.togli_comune(ambito=ambito, comune=moglia, utente=amministratore)

    moglia.refresh_from_db()
    ambito.refresh_from_db()
    assert moglia.ambito is None
    assert not EnteProprietario.objects.filter(comune=moglia).exists()
    assert (ambito.comune_capofila, ambito.ente_strumentale) == (suzzara, "Consorzio")
    assert Modifica.objects.filter(modello="patrimonio.enteproprietario", azione="eliminazione").count() == 1


def _csv(testo: str, nome: str = "elenco.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(nome, testo.encode("utf-8"), content_type="text/csv")


def test_aggregazioni_from_a_two_column_file_are_created_and_the_comuni_placed(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    aggregazioni.imposta_termine(ambito=ambito, termine="distretto", utente=amministratore)
    nord = aggregazioni.aggiungi_aggregazione(ambito=ambito, denominazione="Nord", utente=amministratore)
    file = _csv(
        "Comune;Aggregazione\nSuzzara;Nord\n020035;Oltrepò\nMotteggiana;distretto 1\n"
        "Pegognaga;Oltrepò\nGonzaga;1\nSan Benedetto Po;Oltrepò\n"
    )

    collocati = aggregazioni.colloca_da_righe(
        ambito=ambito, righe=righe_del_file(file, colonne=2), utente=amministratore
    )

    assert collocati == 6
    oltrepo = AggregazioneTerritoriale.objects.get(ambito=ambito, denominazione="Oltrepò")
    assert oltrepo.numero == 2
    assert sorted(Comune.objects.filter(aggregazione=nord).values_list("nome", flat=True)) == [
        "Gonzaga",
        "Motteggiana",
        "Suzzara",
    ]
    assert Comune.objects.filter(aggregazione=oltrepo).count() == 3


def test_a_file_naming_a_comune_outside_the_ambito_places_nothing(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    righe = [["Suzzara", "Nord"], ["Cremona", "Nord"], ["Gonzaga", ""]]

    with pytest.raises(DatiNonValidi) as errore:
        aggregazioni.colloca_da_righe(ambito=ambito, righe=righe, utente=amministratore)

    assert errore.value.errori == [
        "Riga 2: «Cremona» non è un comune dell'ambito.",
        "Riga 3: manca l'aggregazione del Comune di Gonzaga.",
    ]
    assert not AggregazioneTerritoriale.objects.filter(ambito=ambito).exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_before_reading():
    with pytest.raises(FileNonValido, match="non è in un formato ammesso"):
        righe_del_file(SimpleUploadedFile("elenco.pdf", b"%PDF-1.4"), colonne=2)
    grande = SimpleUploadedFile("elenco.csv", b"a;b\n" * (600 * 1024))
    with pytest.raises(FileNonValido, match="troppo grande"):
        righe_del_file(grande, colonne=2)


def test_aler_from_the_lombard_list_and_the_comuni_that_delegate_to_it(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    aler = enti.aggiungi_aler(
        ambito=ambito,
        denominazione="ALER Brescia-Cremona-Mantova",
        uog="U.O.G. di Mantova",
        utente=amministratore,
    )
    with pytest.raises(OperazioneNonValida, match="Scegliere una U.O.G. dell'ALER Milano"):
        enti.aggiungi_aler(
            ambito=ambito, denominazione="ALER Milano", uog="U.O.G. di Mantova", utente=amministratore
        )
    moglia = EnteProprietario.objects.get(comune__codice_istat="020035")

    cambiati = enti.imposta_gestori(ambito=ambito, gestori={moglia.pk: aler.pk}, utente=amministratore)

    moglia.refresh_from_db()
    assert (aler.tipo, aler.uog, cambiati, moglia.gestore) == (TipoEnte.ALER, "U.O.G. di Mantova", 1, aler)
    with pytest.raises(DatiNonValidi):
        enti.imposta_gestori(ambito=ambito, gestori={moglia.pk: moglia.pk}, utente=amministratore)


def test_the_first_plan_opens_in_ricognizione_with_the_rules_in_force(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)

    nuovo = piano.apri_primo_piano(
        ambito=ambito,
        anno=2027,
        data_popolazione=istat.DATA_POPOLAZIONE,
        scadenza_ricognizione=datetime.date(2027, 1, 31),
        utente=amministratore,
    )

    assert nuovo.stato == StatoPiano.RICOGNIZIONE
    assert nuovo.regole == RegoleAnno.objects.in_vigore_al(datetime.date(2027, 1, 1))
    assert Modifica.objects.filter(modello="piano_annuale.pianoannuale", oggetto_id=nuovo.pk).count() == 1
    with pytest.raises(
        OperazioneNonValida, match="Il piano 2027 dell'ambito «Ambito di prova di Suzzara» esiste già."
    ):
        piano.apri_primo_piano(
            ambito=ambito,
            anno=2027,
            data_popolazione=istat.DATA_POPOLAZIONE,
            scadenza_ricognizione=None,
            utente=amministratore,
        )
    aggiornato = piano.aggiorna_date(
        piano=nuovo,
        data_popolazione=datetime.date(2026, 1, 1),
        scadenza_ricognizione=None,
        utente=amministratore,
    )
    assert (aggiornato.data_popolazione, aggiornato.scadenza_ricognizione) == (
        datetime.date(2026, 1, 1),
        None,
    )


def test_an_ambito_without_comuni_cannot_open_a_plan(ambito, amministratore):
    with pytest.raises(OperazioneNonValida, match="Prima di aprire il piano scegliere i comuni"):
        piano.apri_primo_piano(
            ambito=ambito,
            anno=2027,
            data_popolazione=istat.DATA_POPOLAZIONE,
            scadenza_ricognizione=None,
            utente=amministratore,
        )
    assert not PianoAnnuale.objects.filter(ambito=ambito).exists()


def test_population_replaced_from_a_file_with_its_source(ambito, amministratore):
    territorio.aggiungi_comuni(ambito=ambito, codici=SUZZARA, utente=amministratore)
    data = datetime.date(2025, 1, 1)
    file = _csv("codice;abitanti;famiglie\n020065;21.034;9120\nGonzaga;8701;\n")

    caricati = piano.carica_popolazione(
        ambito=ambito,
        righe=righe_del_file(file, colonne=3),
        data=data,
        fonte="Anagrafi comunali",
        utente=amministratore,
    )

    assert caricati == 2
    suzzara = Popolazione.objects.get(comune__codice_istat="020065", data_riferimento=data)
    assert (suzzara.abitanti, suzzara.famiglie, suzzara.fonte) == (21034, 9120, "Anagrafi comunali")
    with pytest.raises(DatiNonValidi) as errore:
        piano.carica_popolazione(
            ambito=ambito, righe=[["Suzzara", "molti"]], data=data, fonte="Anagrafi", utente=amministratore
        )
    assert errore.value.errori == ["Riga 1: Comune di Suzzara: «molti» non è un numero di abitanti valido."]
    assert Popolazione.objects.get(comune__codice_istat="020065", data_riferimento=data).abitanti == 21034
    nuovo = piano.apri_primo_piano(
        ambito=ambito, anno=2026, data_popolazione=data, scadenza_ricognizione=None, utente=amministratore
    )
    assert piano.fonti_della_popolazione(nuovo) == [("Anagrafi comunali", 2)]
    # The plan says which source it counts, beside its date.
    demografia = calcola_piano(nuovo).demografia
    assert (demografia.data_riferimento, demografia.fonti_popolazione) == (data, ("Anagrafi comunali",))
    assert demografia.totale_abitanti == 21034 + 8701


def test_an_xlsx_list_is_measured_and_read_like_a_csv(ambito, amministratore):
    openpyxl = pytest.importorskip("openpyxl")
    libro = openpyxl.Workbook()
    foglio = libro.active
    foglio.append(["Comune", "Aggregazione"])
    foglio.append([20065, "Nord"])
    foglio.append(["Gonzaga", "Sud"])
    contenuto = io.BytesIO()
    libro.save(contenuto)

    righe = righe_del_file(SimpleUploadedFile("elenco.xlsx", contenuto.getvalue()), colonne=2)

    assert righe == [["20065", "Nord"], ["Gonzaga", "Sud"]]
