"""Approval as the Assemblea records it (issue 14, point 6), on the session of 14 February 2025 of the
seed's verbale: 48 comuni, 30 present and 18 absent («PRESENTI 30 Comuni. Ai sensi del Regolamento la
seduta è valida»), some represented by another comune's mayor. Presences per comune with «Tutti
presenti» and the quorum computed; the verbale uploaded once and kept while the form is corrected;
inline errors with aria-invalid; a summary to confirm; the presence list in the approved document."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ambito.models import Comune
from piano_annuale.calcolo.serializzazione import da_json, piano_da_json
from piano_annuale.iter import NoteChiusura, note_di_chiusura
from piano_annuale.models import (
    Approvazione,
    PianoAnnuale,
    PresenzaAssemblea,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering import testi as rendering_testi
from piano_annuale.rendering.pdf import html_documento
from piano_annuale.services.verbali import CARTELLA
from tests.percorso import (
    VERBALE_PDF,
    crea_ambito_con_utenti,
    fixture_media,
    fixture_pdf_veloce,
    porta_a,
    verbale,
)
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")
__all__ = ["fixture_media", "fixture_pdf_veloce"]  # fixtures, used by name

# The verbale of 14/02/2025 (seed 002): comune, who stood for it, present.
SEDUTA = [
    ("Acquanegra Cremonese", "Oreste Bricchi", True),
    ("Annicco", "", False),
    ("Azzanello", "delega al sindaco di Casalmorano", True),
    ("Bonemerse", "Francesco Berettini", True),
    ("Bordolano", "", False),
    ("Cappella Cantone", "", False),
    ("Cappella de' Picenardi", "delega al sindaco di Cicognolo", True),
    ("Casalbuttano ed Uniti", "Nicoletta Passeri", True),
    ("Casalmorano", "Pietro Vezzini", True),
    ("Castelverde", "delega al sindaco di Paderno Ponchielli", True),
    ("Castelvisconti", "", False),
    ("Cella Dati", "", False),
    ("Cicognolo", "Angelo Bergamaschi", True),
    ("Corte de' Cortesi con Cignone", "", False),
    ("Corte de' Frati", "Giuseppe Rossetti", True),
    ("Cremona", "Marina Della Giovanna", True),
    ("Crotta d'Adda", "", False),
    ("Derovere", "", False),
    ("Formigara", "Matteo Severgnini", True),
    ("Gabbioneta-Binanuova", "", False),
    ("Gadesco-Pieve Delmona", "delega al sindaco di Persico Dosimo", True),
    ("Gerre de' Caprioli", "", False),
    ("Grontardo", "", False),
    ("Grumello Cremonese ed Uniti", "Marilena Visigalli", True),
    ("Isola Dovarese", "", False),
    ("Malagnino", "Eugenio Zini", True),
    ("Olmeneta", "Claudio Perri", True),
    ("Ostiano", "Canzio Posio", True),
    ("Paderno Ponchielli", "Simona Ravasi", True),
    ("Persico Dosimo", "Giuseppe Bignardi", True),
    ("Pescarolo ed Uniti", "", False),
    ("Pessina Cremonese", "Odelio Pari", True),
    ("Pieve d'Olmi", "Stefano Guastalla", True),
    ("Pieve San Giacomo", "Maurizio Morandi", True),
    ("Pizzighettone", "", False),
    ("Pozzaglio ed Uniti", "Lara Bianzani", True),
    ("Robecco d'Oglio", "Marta Falco", True),
    ("San Bassano", "Giuseppe Papa", True),
    ("San Daniele Po", "", False),
    ("Scandolara Ripa d'Oglio", "Mattia Federici", True),
    ("Sesto ed Uniti", "", False),
    ("Soresina", "Elisa Cammi", True),
    ("Sospiro", "Fausto Ghisolfi", True),
    ("Spinadesco", "Roberto Lazzari", True),
    ("Stagno Lombardo", "Roberto Mariani", True),
    ("Torre de' Picenardi", "", False),
    ("Vescovato", "Amedeo Bonazzoli", True),
    ("Volongo", "", False),
]


@pytest.fixture
def a(db, pdf_veloce):
    """A coherent ambito with the 48 comuni of the Cremonese, its plan transmitted to the Assemblea."""
    ambito = crea_ambito_con_utenti(comuni=48)
    for comune, (nome, _, _) in zip(
        Comune.objects.filter(ambito=ambito.piano.ambito).order_by("pk"), SEDUTA, strict=True
    ):
        comune.nome = nome
        comune.save(update_fields=["nome"])
    porta_a(ambito, StatoPiano.TRASMESSA_ASSEMBLEA)
    return ambito


def url(nome: str, piano: PianoAnnuale) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk])


def html_di(risposta) -> str:
    """The page's HTML with entities decoded and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(risposta.content.decode()))


def dati_della_seduta(piano: PianoAnnuale) -> dict[str, object]:
    comuni = {c.nome: c.pk for c in Comune.objects.filter(ambito=piano.ambito)}
    dati: dict[str, object] = {
        "data_seduta": timezone.localdate().isoformat(),
        "numero_verbale": "01/2025",
        "protocollo": "10.64 / 2025",
        "luogo": "Sala Coppetti – Cremona Solidale",
        "quorum": "25",
    }
    for nome, rappresentante, presente in SEDUTA:
        if presente:
            dati[f"presente_{comuni[nome]}"] = "on"
        dati[f"rappresentante_{comuni[nome]}"] = rappresentante
    return dati


def conferma(client, piano: PianoAnnuale, riepilogo) -> Any:
    """Post the summary's hidden fields with «Conferma l'approvazione», as its button does."""
    form = riepilogo.context["form"]
    dati = {campo.html_name: campo.value() for campo in form if campo.name != "verbale"}
    dati = {k: ("on" if v is True else v) for k, v in dati.items() if v not in (None, False, "")}
    return client.post(url("approva", piano), dati | {"conferma": "1"})


def test_the_form_offers_all_present_and_half_the_comuni_plus_one_as_the_quorum(client, a):
    client.force_login(a.ufficio)
    pagina = html_di(client.get(url("approva", a.piano)))
    assert '<input type="number" name="quorum" value="25"' in pagina
    assert 'name="tutti_presenti"' in pagina and ">Tutti presenti</label>" in pagina
    assert 'id="conteggio-presenze"' in pagina
    assert "piano_annuale/iter.js" in pagina
    assert pagina.count('type="checkbox" name="presente_') == 48


def test_the_session_of_14_february_2025_is_recorded_as_its_verbale_says(client, a):
    client.force_login(a.ufficio)
    riepilogo = client.post(url("approva", a.piano), dati_della_seduta(a.piano) | {"verbale": verbale()})
    assert riepilogo.status_code == 200
    pagina = html_di(riepilogo)
    assert "<h1>Registrare l'approvazione del piano?</h1>" in pagina
    assert (
        "presenti 30 comuni su 48, quorum 25: seduta valida; assenti: Annicco, Bordolano, Cappella Cantone,"
        in pagina
    )
    assert "n. 01/2025, protocollo 10.64 / 2025 · file verbale-firmato.pdf" in pagina
    assert "le presenze e il piano approvato non potranno più essere modificati né eliminati" in pagina
    assert not Approvazione.objects.exists()  # nothing written before the confirmation

    risposta = conferma(client, a.piano, riepilogo)
    assert risposta.status_code == 302
    approvazione = Approvazione.objects.get(piano=a.piano)
    assert (approvazione.quorum, approvazione.seduta_valida, approvazione.registrata_da) == (
        25,
        True,
        a.ufficio,
    )
    assert PresenzaAssemblea.objects.filter(approvazione=approvazione, presente=True).count() == 30
    assert PresenzaAssemblea.objects.filter(approvazione=approvazione, presente=False).count() == 18
    assert (
        PresenzaAssemblea.objects.get(comune__nome="Azzanello").rappresentante
        == "delega al sindaco di Casalmorano"
    )
    with approvazione.verbale.open("rb") as file:
        assert file.read() == VERBALE_PDF
    # The verbale kept aside while confirming is gone.
    assert default_storage.listdir(CARTELLA)[1] == []

    note = note_di_chiusura(a.piano).approvazione
    assert note is not None
    assert (note.presenti, note.assenti, note.comuni, note.quorum, note.seduta_valida) == (
        30,
        18,
        48,
        25,
        True,
    )
    assert [p.comune for p in note.presenze][:3] == ["Acquanegra Cremonese", "Annicco", "Azzanello"]
    assert note.trasmesso_il == timezone.localdate()


def test_the_approved_documents_closing_notes_print_the_presence_list(client, a):
    client.force_login(a.ufficio)
    riepilogo = client.post(url("approva", a.piano), dati_della_seduta(a.piano) | {"verbale": verbale()})
    conferma(client, a.piano, riepilogo)
    # The approved PDF is rendered from the frozen version, as the background task does.
    dati = VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.APPROVATA).dati
    assert len(dati["note_chiusura"]["approvazione"]["presenze"]) == 48
    documento = html_documento(
        piano_da_json(dati),
        rendering_testi.testi_del_piano(a.piano),
        definitiva=True,
        approvato_il=timezone.localdate(),
        note=da_json(NoteChiusura, dati["note_chiusura"]),
    )
    testo = re.sub(r"\s+", " ", html.unescape(documento))
    assert "Presenze alla seduta dell'Assemblea dei Sindaci del " in testo
    assert "<tr><td>Azzanello</td><td>1</td><td></td><td>delega al sindaco di Casalmorano</td></tr>" in testo
    assert "<tr><td>Annicco</td><td></td><td>1</td><td></td></tr>" in testo
    assert '<th scope="row">Totale</th><td>30</td><td>18</td>' in testo
    assert (
        "Presenti 30 comuni su 48. Numero minimo di comuni presenti per la validità della seduta: 25. "
        "Ai sensi del regolamento la seduta è valida." in testo
    )
    assert "Il Piano era stato trasmesso all'Assemblea dei Sindaci il " in testo


def test_all_present_marks_every_comune(client, a):
    client.force_login(a.ufficio)
    dati = {k: v for k, v in dati_della_seduta(a.piano).items() if not k.startswith("presente_")}
    riepilogo = client.post(url("approva", a.piano), dati | {"tutti_presenti": "on", "verbale": verbale()})
    assert "presenti 48 comuni su 48, quorum 25: seduta valida" in html_di(riepilogo)
    conferma(client, a.piano, riepilogo)
    assert PresenzaAssemblea.objects.filter(presente=True).count() == 48


def test_a_session_below_the_quorum_is_refused_before_the_summary(client, a):
    client.force_login(a.ufficio)
    risposta = client.post(
        url("approva", a.piano), dati_della_seduta(a.piano) | {"quorum": "31", "verbale": verbale()}
    )
    pagina = html_di(risposta)
    assert "La seduta non era valida (quorum non raggiunto): il piano non può risultare approvato." in pagina
    assert "File già caricato: <strong>verbale-firmato.pdf</strong>" in pagina
    assert not Approvazione.objects.exists()


def test_the_verbale_is_kept_when_the_form_has_an_error_and_the_error_is_inline(client, a):
    client.force_login(a.ufficio)
    dati = dati_della_seduta(a.piano) | {"numero_verbale": ""}
    risposta = client.post(
        url("approva", a.piano), dati | {"verbale": verbale("25-02 SIND 01 VERBALE 14FEB.pdf")}
    )
    assert risposta.status_code == 200
    pagina = html_di(risposta)
    assert "File già caricato: <strong>25-02 SIND 01 VERBALE 14FEB.pdf</strong>" in pagina
    assert re.search(r'<input type="text" name="numero_verbale"[^>]*aria-invalid="true"', pagina)
    assert '<a href="#id_numero_verbale">Numero del verbale</a>' in pagina
    gettone = risposta.context["form"].caricato.gettone
    assert f'name="verbale_caricato" value="{gettone}"' in pagina
    # The upload is no longer required: the corrected form is sent without the file.
    riepilogo = client.post(
        url("approva", a.piano), dati | {"numero_verbale": "01/2025", "verbale_caricato": gettone}
    )
    assert "<h1>Registrare l'approvazione del piano?</h1>" in html_di(riepilogo)
    conferma(client, a.piano, riepilogo)
    with Approvazione.objects.get(piano=a.piano).verbale.open("rb") as file:
        assert file.read() == VERBALE_PDF


def test_a_token_of_another_user_or_altered_is_ignored(client, a):
    client.force_login(a.ufficio)
    dati = dati_della_seduta(a.piano) | {"numero_verbale": ""}
    gettone = (
        client.post(url("approva", a.piano), dati | {"verbale": verbale()}).context["form"].caricato.gettone
    )
    for falso in (gettone[:-2] + "xx", "non-un-gettone"):
        risposta = client.post(
            url("approva", a.piano), dati_della_seduta(a.piano) | {"verbale_caricato": falso}
        )
        assert "Caricare il verbale firmato (PDF)." in html_di(risposta)
    altro = crea_ambito_con_utenti(nome="Altro ambito", prefisso_istat="095", comuni=2)
    client.force_login(altro.ufficio)
    assert (
        client.post(
            url("approva", a.piano), dati_della_seduta(a.piano) | {"verbale_caricato": gettone}
        ).status_code
        == 404
    )
    assert not Approvazione.objects.exists()


def test_a_session_date_before_the_transmission_is_refused(client, a):
    client.force_login(a.ufficio)
    ieri = timezone.localdate() - datetime.timedelta(days=1)
    risposta = client.post(
        url("approva", a.piano),
        dati_della_seduta(a.piano) | {"data_seduta": ieri.isoformat(), "verbale": verbale()},
    )
    assert (
        f"La data della seduta deve essere compresa tra il {timezone.localdate():%d/%m/%Y}, giorno della "
        "trasmissione all'Assemblea, e oggi." in html_di(risposta)
    )
