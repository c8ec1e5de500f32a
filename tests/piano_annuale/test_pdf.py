"""The plan as a PDF for the Assemblea dei Sindaci: content, variants, background rendering, access."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from pypdf import PdfReader

from patrimonio.models import EnteProprietario, Operatore, Ruolo
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import (
    Approvazione,
    DocumentoPiano,
    PianoAnnuale,
    ScelteEnte,
    SezioneTesto,
    StatoDocumento,
    StatoPiano,
)
from piano_annuale.models import TestoPiano as Narrativa  # not «Test…»: pytest would collect it
from piano_annuale.rendering import testi as narrative  # «testi_del_piano» would be collected as a test
from piano_annuale.rendering.pdf import CSS_PDF, chiave_documento, genera_pdf, html_documento, struttura
from piano_annuale.tasks import richiedi_pdf
from piano_annuale.testi_predefiniti import TESTI_PREDEFINITI
from tests.builders import crea_ambito

NOME_BOZZA = "POA-2025-Ambito-Sociale-Territoriale-Cremonese-BOZZA.pdf"


def piano_cremonese_2025() -> PianoAnnuale:
    return PianoAnnuale.objects.select_related("ambito").get(ambito__nome__icontains="Cremonese", anno=2025)


def pagine_di(pdf: bytes) -> list[str]:
    return [pagina.extract_text() for pagina in PdfReader(io.BytesIO(pdf)).pages]


def senza_spazi_multipli(testo: str) -> str:
    return re.sub(r"\s+", " ", testo)


def dopo_l_indice(pagine: list[str]) -> str:
    """The text of the document after the cover and the index (its pages have dot leaders)."""
    ultima_indice = max(n for n, testo in enumerate(pagine) if ". . . . ." in testo)
    return senza_spazi_multipli(" ".join(pagine[ultima_indice + 1 :]))


def operatore(username: str, ambito, ruolo: str, ente=None):
    user = get_user_model().objects.create_user(username=username, password="x")
    Operatore.objects.create(user=user, ambito=ambito, ruolo=ruolo, ente=ente)
    return user


# Each rendering takes seconds: the two variants are rendered once for the module, in transactions
# rolled back at once, and their bytes shared by the tests that only read them.


@pytest.fixture(scope="module")
def pdf_bozza(django_db_setup, django_db_blocker) -> bytes:
    with django_db_blocker.unblock():
        return genera_pdf(piano_cremonese_2025()).contenuto


@pytest.fixture(scope="module")
def pdf_approvato(django_db_setup, django_db_blocker) -> bytes:
    with django_db_blocker.unblock(), transaction.atomic():
        piano = piano_cremonese_2025()
        piano.stato = StatoPiano.APPROVATA
        piano.save()
        # The approval as the seed's verbale records it (the workflow's tests upload a real file).
        Approvazione.objects.create(
            piano=piano,
            data_seduta=datetime.date(2025, 2, 14),
            numero_verbale="01/2025",
            protocollo="10.64 / 2025",
            verbale="piani/verbali/verbale-di-prova.pdf",
            verbale_sha256="0" * 64,
            registrata_da=get_user_model().objects.create_user(username="approvazione-pdf"),
        )
        generato = genera_pdf(piano)
        transaction.set_rollback(True)
    assert generato.definitivo
    return generato.contenuto


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ufficio(piano_cremonese):
    return operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


# --------------------------------------------------------------------------------------------
# What the document says
# --------------------------------------------------------------------------------------------


# Every heading of the Cremonese 2025 draft, in order: parts, chapters, sections a–k, the five
# measures with their DGR and the six projects (tests/misure/test_misure.py), annexes, checks.
TITOLI_BOZZA_CREMONESE_2025 = [
    "Premessa",
    "Il sistema regionale dei servizi abitativi",
    "Ricognizione dell'offerta abitativa pubblica e sociale",
    "Analisi del contesto",
    "Dati anagrafici",
    "Popolazione residente per comune",
    "Popolazione per aggregazione territoriale",
    "Superficie e densità abitativa",
    "Comuni senza alloggi SAP di proprietà",
    "Esito della ricognizione",
    "Dati dei servizi abitativi",
    "Consistenza del patrimonio abitativo pubblico e sociale",
    "Unità SAP in carenza manutentiva assegnabili nello stato di fatto",
    "Unità SAP in piani e programmi di ristrutturazione, recupero e riqualificazione",
    "Unità SAP di nuova edificazione",
    "Unità SAP già libere e che si libereranno per turn-over",
    "Unità conferite da soggetti privati e destinate ai SAP",
    "Unità SAP assegnabili nell'anno",
    "Soglia per i nuclei in condizione di indigenza eccedente il 20%",
    "Categorie aggiuntive di particolare rilevanza sociale",
    "Quota per le Forze di Polizia e il Corpo nazionale dei Vigili del Fuoco",
    "Unità destinate ai servizi abitativi transitori",
    "Unità SAP assegnate nell'anno precedente",
    "Il supporto all'abitare",
    "Misure per l'accesso e il mantenimento dell'abitazione",
    "Fondo morosità incolpevole (DGR 6970/2022 e DGR 1001/2023)",
    "Misura unica per l'affitto (DGR 6970/2022 e DGR 1001/2023)",
    "Misura complementare (DGR 6970/2022)",
    "Sostegno abitativo per l'integrazione del canone di locazione a favore di coniugi separati o "
    "divorziati (DGR 7356/2022 e DGR 3649/2023)",
    "Contributo regionale di solidarietà (DGR 2563/2024)",
    "Avvisi pubblici",
    "Riparto del contributo regionale di solidarietà",
    "Accesso ai fondi per la riqualificazione dei contesti abitativi pubblici",
    "Altre progettualità di sostegno al disagio abitativo",
    "Progettualità attive nell'Ambito",
    "Servizio di Tutor Condominiale",
    "Rigenerazione urbana «Giovani in Centro»",
    "Servizio di Housing Sociale",
    "Alloggi di housing sociale destinati ad anziani autosufficienti",
    "Alloggi di housing sociale destinati alla fragilità psichica",
    "Alloggi a canone calmierato",
    "Note di chiusura",
    "Report per ente proprietario",
    "Dettaglio delle unità di proprietà ALER (sezioni b, c, e)",
    "Tabelle di sintesi per l'Assemblea dei Sindaci",
    "Esito dei controlli di coerenza",
]


def test_the_outline_of_the_cremonese_draft_has_every_heading_in_order(piano_cremonese):
    titoli = struttura(calcola_piano(piano_cremonese), con_controlli=True)
    assert [t.testo for t in titoli.values()] == TITOLI_BOZZA_CREMONESE_2025
    numeri = {id_: t.numero for id_, t in titoli.items()}
    assert (numeri["premessa"], numeri["anagrafe"], numeri["popolazione"], numeri["senza_sap"]) == (
        "1",
        "4",
        "4.1",
        "4.4",
    )
    assert (numeri["b"], numeri["ib"], numeri["progetto_6"]) == ("b)", "i.b)", "11.6")


def test_draft_pdf_prints_every_heading_in_the_order_of_the_plan(pdf_bozza):
    testo = dopo_l_indice(pagine_di(pdf_bozza))
    posizione = 0
    for titolo in TITOLI_BOZZA_CREMONESE_2025:
        trovato = testo.find(titolo, posizione)
        assert trovato >= 0, f"«{titolo}» manca o non è nell'ordine atteso"
        posizione = trovato + len(titolo)


def test_draft_pdf_prints_the_key_numbers_of_the_computed_plan(pdf_bozza, piano_cremonese):
    calcolo = calcola_piano(piano_cremonese)
    assert calcolo.g.totale.totale == 195
    testo = dopo_l_indice(pagine_di(pdf_bozza))
    assert "(somma delle lettere da b a f): 195." in testo
    assert "Totale 3.984 3.850 134" in testo  # section a
    assert "Totale Ambito 44 106 0 45 0 195" in testo  # section g
    sintesi = testo[testo.index("Tabelle di sintesi per l'Assemblea dei Sindaci") :]
    assert "Comuni 57% 31% 13% 33%" in sintesi  # TAB 1 shares
    assert "ALER 43% 69% 87% 67%" in sintesi
    assert "Totale Ambito 39 3.850 134 3.984" in sintesi  # TAB 2
    assert "156.636" in testo


def test_empty_sections_say_so_in_a_sentence_as_the_seed_does(pdf_bozza):
    testo = dopo_l_indice(pagine_di(pdf_bozza))
    assert (
        "Nessun Ente Proprietario ha comunicato la disponibilità di unità abitative di nuova edificazione."
        in testo
    )
    assert (
        "Nessun Ente Proprietario ha comunicato la disponibilità di unità abitative conferite da soggetti privati"
        in testo
    )


def test_draft_pdf_prints_the_measures_and_projects_of_parte_seconda_and_terza(pdf_bozza):
    testo = dopo_l_indice(pagine_di(pdf_bozza))
    assert "a) Fondo morosità incolpevole (DGR 6970/2022 e DGR 1001/2023)" in testo
    assert "Risorse impegnate € 188.331,50" in testo
    assert "Totale Ambito € 1.649.013,75 € 129.126,45 € 1.778.140,20" in testo  # contributo di solidarietà
    assert "Servizio di Tutor Condominiale" in testo


def test_the_cremonese_draft_states_its_rules_and_has_none_of_the_later_parts(pdf_bozza):
    testo = dopo_l_indice(pagine_di(pdf_bozza))
    assert (
        "Il Piano è redatto secondo le regole «L.R. 11/2024: aggiornamento del piano triennale facoltativo, "
        "nuove categorie», in vigore dal 1° agosto 2024."
    ) in testo
    assert "Interpretazione applicata" not in testo  # no art. 7 ter under these rules
    for parte in (
        "c bis)",
        "d bis)",
        "Costo stimato dei lavori",
        "% U.I. art. 7 ter",
        "Aggiornamento del piano",
    ):
        assert parte not in testo, parte


def test_draft_has_the_bozza_watermark_on_every_page(pdf_bozza):
    pagine = pagine_di(pdf_bozza)
    assert len(pagine) > 20
    for numero, testo in enumerate(pagine, start=1):
        assert "BOZZA" in testo.splitlines(), f"pagina {numero} senza filigrana"


def test_draft_is_numbered_pagina_n_di_m_with_the_running_header(pdf_bozza):
    pagine = pagine_di(pdf_bozza)
    totale = len(pagine)
    for numero, testo in enumerate(pagine[1:], start=2):  # the cover has no header or footer
        assert f"pagina {numero} di {totale}" in testo
        assert "Ambito Sociale Territoriale Cremonese" in testo


def test_draft_has_bookmarks_for_the_parts_and_sections(pdf_bozza):
    segnalibri = PdfReader(io.BytesIO(pdf_bozza)).outline
    titoli = [s.title for s in segnalibri if not isinstance(s, list)]
    assert "Parte prima – Ricognizione dell'offerta abitativa pubblica e sociale" in titoli
    assert "Allegato A – Report per ente proprietario" in titoli


def test_allegato_a_is_printed_on_landscape_pages(pdf_bozza):
    reader = PdfReader(io.BytesIO(pdf_bozza))
    orizzontali = [
        n
        for n, pagina in enumerate(reader.pages)
        if float(pagina.mediabox.width) > float(pagina.mediabox.height)
    ]
    assert orizzontali
    for n in orizzontali:  # Allegato A, its header repeated on every page
        assert "U.I. disponibili nell'anno" in senza_spazi_multipli(reader.pages[n].extract_text())


def test_approved_plan_has_no_watermark_and_states_the_approval(pdf_approvato):
    pagine = pagine_di(pdf_approvato)
    assert all("BOZZA" not in testo for testo in pagine)
    assert "Approvato dall'Assemblea dei Sindaci il 14 febbraio 2025" in senza_spazi_multipli(pagine[0])
    assert "Esito dei controlli di coerenza" not in " ".join(pagine)


def test_approved_plan_is_pdf_a_3a_with_the_computed_plan_as_json_and_csv(pdf_approvato):
    reader = PdfReader(io.BytesIO(pdf_approvato))
    assert reader.xmp_metadata is not None  # the catalog's /Metadata stream
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert re.search(r"pdfaid:part(=\"|>)3", xmp)
    assert re.search(
        r"pdfaid:conformance(=\"|>)A", xmp
    )  # tagged: tests/piano_annuale/test_pdf_accessibile.py

    allegati = reader.attachments
    nomi = sorted(allegati)
    assert len(nomi) == 2
    assert nomi[0].endswith("-piano-calcolato.csv")
    assert nomi[1].endswith("-piano-calcolato.json")
    piano_json = json.loads(allegati[nomi[1]][0])
    assert piano_json["a"]["totale"] == 3_984
    assert piano_json["g"]["totale"]["totale"] == 195
    csv = allegati[nomi[0]][0].decode("utf-8-sig")
    assert csv.startswith("sezione;ente;comune;voce;valore")
    assert "g;;;totale.totale;195" in csv


def test_approved_plan_carries_title_author_subject_and_language(pdf_approvato):
    reader = PdfReader(io.BytesIO(pdf_approvato))
    metadati = reader.metadata
    assert metadati is not None and metadati.title is not None and metadati.subject is not None
    assert metadati.title.startswith(
        "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali 2025"
    )
    assert metadati.author == "Ambito Sociale Territoriale Cremonese"
    assert "L.R. 8 luglio 2016, n. 16" in metadati.subject
    assert reader.root_object["/Lang"] == "it"


# --------------------------------------------------------------------------------------------
# Narratives
# --------------------------------------------------------------------------------------------


def test_every_narrative_section_but_the_optional_update_of_the_triennale_has_a_default_text():
    for sezione in SezioneTesto.values:
        if sezione == SezioneTesto.AGGIORNAMENTO_TRIENNALE:
            # Optional since L.R. 11/2024: printed only when the ufficio di piano writes it.
            assert sezione not in TESTI_PREDEFINITI
        else:
            assert len(TESTI_PREDEFINITI[sezione]) > 200, sezione


def test_the_plans_own_narrative_replaces_the_default_and_is_sanitised(piano_cremonese):
    Narrativa.objects.create(
        piano=piano_cremonese,
        sezione=SezioneTesto.PREMESSA,
        testo="Premessa **propria** dell'ambito.\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1))",
    )
    testi = narrative.testi_del_piano(piano_cremonese)
    html = html_documento(calcola_piano(piano_cremonese), testi, definitiva=False, approvato_il=None)
    assert "Premessa <strong>propria</strong> dell'ambito." in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert TESTI_PREDEFINITI[SezioneTesto.PREMESSA][:60] not in html
    assert TESTI_PREDEFINITI[SezioneTesto.NORMATIVA][:40] in testi[SezioneTesto.NORMATIVA]


def test_a_plan_with_nothing_declared_prints_sentences_instead_of_empty_tables(db):
    piano = crea_ambito(nome="Ambito vuoto", comuni=2, prefisso_istat="097")
    calcolo = calcola_piano(piano)
    html = html_documento(calcolo, narrative.testi_del_piano(piano), definitiva=False, approvato_il=None)
    assert (
        "Nessun Ente Proprietario ha comunicato la disponibilità di unità abitative di nuova edificazione."
        in html
    )
    assert "Nessun Comune ha individuato categorie aggiuntive di particolare rilevanza sociale." in html
    assert "non risultano registrate misure per sostenere l'accesso e il mantenimento" in html
    assert "non risultano registrate altre progettualità di sostegno all'abitare" in html


def test_pdf_stylesheet_avoids_flexbox_and_grid():
    css = CSS_PDF.read_text()
    assert not re.search(r"display:\s*(inline-)?(flex|grid)", css)


# --------------------------------------------------------------------------------------------
# Cached documents and the background task
# --------------------------------------------------------------------------------------------


def test_same_data_give_the_same_key_and_any_change_gives_a_new_one(piano_cremonese):
    def chiave() -> str:
        return chiave_documento(
            calcola_piano(piano_cremonese),
            narrative.testi_del_piano(piano_cremonese),
            definitiva=False,
            approvato_il=None,
        )

    prima = chiave()
    assert chiave() == prima
    scelte = ScelteEnte.objects.filter(piano=piano_cremonese).first()
    assert scelte is not None
    scelte.quota_forze_polizia = 10 if scelte.quota_forze_polizia != 10 else 5
    scelte.save()
    dopo_i_dati = chiave()
    assert dopo_i_dati != prima
    Narrativa.objects.create(piano=piano_cremonese, sezione=SezioneTesto.CONTESTO, testo="Nuovo contesto.")
    assert chiave() not in (prima, dopo_i_dati)


def test_a_second_request_with_unchanged_data_reuses_the_ready_document(
    piano_cremonese, ufficio, media, django_capture_on_commit_callbacks
):
    chiave = chiave_documento(
        calcola_piano(piano_cremonese),
        narrative.testi_del_piano(piano_cremonese),
        definitiva=False,
        approvato_il=None,
    )
    pronto = DocumentoPiano.objects.create(piano=piano_cremonese, chiave=chiave, stato=StatoDocumento.PRONTO)
    pronto.file.save("esistente.pdf", ContentFile(b"%PDF-1.7 prova"))

    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as accoda,
        django_capture_on_commit_callbacks(execute=True),
    ):
        riusato = richiedi_pdf(piano=piano_cremonese, utente=ufficio)

    assert riusato.pk == pronto.pk
    accoda.assert_not_called()
    assert DocumentoPiano.objects.count() == 1


def test_a_change_to_the_data_queues_a_new_document(
    piano_cremonese, ufficio, media, django_capture_on_commit_callbacks
):
    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as accoda,
        django_capture_on_commit_callbacks(execute=True),
    ):
        primo = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
        stesso = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
        Narrativa.objects.create(
            piano=piano_cremonese, sezione=SezioneTesto.PREMESSA, testo="Altra premessa."
        )
        nuovo = richiedi_pdf(piano=piano_cremonese, utente=ufficio)

    assert stesso.pk == primo.pk  # still queued: not queued twice
    assert nuovo.pk != primo.pk and nuovo.chiave != primo.chiave
    assert [c.args for c in accoda.call_args_list] == [(primo.pk,), (nuovo.pk,)]
    assert nuovo.stato == StatoDocumento.IN_CODA and nuovo.richiesto_da == ufficio


def test_a_failed_rendering_says_why_in_italian_and_a_new_request_retries(
    piano_cremonese, ufficio, media, django_capture_on_commit_callbacks
):
    with (
        mock.patch("piano_annuale.tasks.genera_pdf", side_effect=RuntimeError("guasto")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        fallito = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
    fallito.refresh_from_db()
    assert fallito.stato == StatoDocumento.ERRORE
    assert fallito.errore.startswith("Non è stato possibile generare il PDF del piano.")

    with (
        mock.patch("piano_annuale.tasks.genera_documento.delay") as accoda,
        django_capture_on_commit_callbacks(execute=True),
    ):
        di_nuovo = richiedi_pdf(piano=piano_cremonese, utente=ufficio)
    assert di_nuovo.pk == fallito.pk
    accoda.assert_called_once_with(fallito.pk)


def test_ufficio_di_piano_requests_the_pdf_follows_progress_and_downloads_it(
    client, piano_cremonese, ufficio, media, django_capture_on_commit_callbacks
):
    client.force_login(ufficio)
    with django_capture_on_commit_callbacks(execute=True):  # Celery is eager in tests
        risposta = client.post(reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]))
    documento_pdf = DocumentoPiano.objects.get(piano=piano_cremonese)
    assert risposta.status_code == 302
    assert risposta["Location"] == reverse(
        "piano_annuale:documento_stato", args=[piano_cremonese.pk, documento_pdf.pk]
    )
    assert documento_pdf.stato == StatoDocumento.PRONTO
    assert documento_pdf.progresso == 100
    assert documento_pdf.file and (media / documento_pdf.file.name).exists()
    assert len(documento_pdf.sha256) == 64 and not documento_pdf.definitivo

    stato = client.get(risposta["Location"])
    assert stato.status_code == 200
    assert NOME_BOZZA in stato.content.decode()
    url = reverse("piano_annuale:documento_stato_json", args=[piano_cremonese.pk, documento_pdf.pk])
    assert client.get(url).json()["progresso"] == 100

    scaricato = client.get(
        reverse("piano_annuale:documento_scarica", args=[piano_cremonese.pk, documento_pdf.pk])
    )
    assert scaricato.status_code == 200
    assert scaricato["Content-Type"] == "application/pdf"
    assert f'filename="{NOME_BOZZA}"' in scaricato["Content-Disposition"]
    contenuto = b"".join(scaricato.streaming_content)
    assert contenuto.startswith(b"%PDF")
    assert hashlib.sha256(contenuto).hexdigest() == documento_pdf.sha256


def test_status_page_shows_progress_while_the_pdf_is_being_made(client, piano_cremonese, ufficio):
    in_corso = DocumentoPiano.objects.create(
        piano=piano_cremonese, chiave="b" * 64, stato=StatoDocumento.IN_CORSO, progresso=40
    )
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:documento_stato", args=[piano_cremonese.pk, in_corso.pk]))
    testo = pagina.content.decode()
    # The bar's width is drawn by static/js/stato_documento.js from aria-valuenow (no inline style: CSP).
    assert 'role="progressbar" aria-valuenow="40"' in testo
    assert "js/stato_documento.js" in testo
    assert reverse("piano_annuale:documento_stato_json", args=[piano_cremonese.pk, in_corso.pk]) in testo
    stato = client.get(reverse("piano_annuale:documento_stato_json", args=[piano_cremonese.pk, in_corso.pk]))
    assert stato.json() == {
        "stato": "in_corso",
        "descrizione": "In preparazione",
        "progresso": 40,
        "errore": "",
        "scarica": None,
    }
    scarica = reverse("piano_annuale:documento_scarica", args=[piano_cremonese.pk, in_corso.pk])
    assert client.get(scarica).status_code == 404


def test_plan_page_offers_the_pdf_and_the_narratives_to_the_ufficio_di_piano(
    client, piano_cremonese, ufficio
):
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])).content.decode()
    assert reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]) in pagina
    assert reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk]) in pagina


def test_ufficio_di_piano_edits_the_narratives_and_the_default_is_not_stored(
    client, piano_cremonese, ufficio
):
    client.force_login(ufficio)
    url = reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk])
    pagina = client.get(url)
    assert pagina.status_code == 200
    assert "Il sistema regionale dei servizi abitativi" in pagina.content.decode()
    dati = {sezione: TESTI_PREDEFINITI.get(sezione, "") for sezione in SezioneTesto.values}
    dati[SezioneTesto.PREMESSA] = "La nostra premessa.\r\n\r\n- primo punto"
    assert client.post(url, dati).status_code == 302
    salvati = {t.sezione: t for t in Narrativa.objects.filter(piano=piano_cremonese)}
    assert list(salvati) == [SezioneTesto.PREMESSA]
    assert salvati[SezioneTesto.PREMESSA].testo == "La nostra premessa.\n\n- primo punto"
    assert salvati[SezioneTesto.PREMESSA].aggiornato_da == ufficio
    dati[SezioneTesto.PREMESSA] = ""  # back to the default
    client.post(url, dati)
    assert not Narrativa.objects.filter(piano=piano_cremonese).exists()


def test_narratives_of_an_approved_plan_cannot_be_changed(client, piano_cremonese, ufficio):
    piano_cremonese.stato = StatoPiano.APPROVATA
    piano_cremonese.save()
    client.force_login(ufficio)
    url = reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk])
    assert "non sono più modificabili" in client.get(url).content.decode()
    assert client.post(url, {SezioneTesto.PREMESSA: "Altro"}).status_code == 403
    assert not Narrativa.objects.filter(piano=piano_cremonese).exists()


def test_comune_operator_gets_404_on_the_narratives(client, piano_cremonese):
    ente = EnteProprietario.objects.get(comune__nome="Soresina")
    client.force_login(operatore("soresina", piano_cremonese.ambito, Ruolo.COMUNE, ente))
    assert client.get(reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk])).status_code == 404


@pytest.mark.parametrize("nome", ["documento_stato", "documento_stato_json", "documento_scarica"])
def test_comune_operator_gets_404_on_the_pdf_pages(client, piano_cremonese, media, nome):
    pronto = DocumentoPiano.objects.create(
        piano=piano_cremonese, chiave="a" * 64, stato=StatoDocumento.PRONTO
    )
    pronto.file.save("esistente.pdf", ContentFile(b"%PDF-1.7 prova"))
    ente = EnteProprietario.objects.get(comune__nome="Soresina")
    client.force_login(operatore("soresina", piano_cremonese.ambito, Ruolo.COMUNE, ente))
    assert (
        client.get(reverse(f"piano_annuale:{nome}", args=[piano_cremonese.pk, pronto.pk])).status_code == 404
    )


def test_comune_operator_cannot_request_the_pdf(client, piano_cremonese):
    ente = EnteProprietario.objects.get(comune__nome="Soresina")
    client.force_login(operatore("soresina", piano_cremonese.ambito, Ruolo.COMUNE, ente))
    with mock.patch("piano_annuale.tasks.genera_documento.delay") as accoda:
        risposta = client.post(reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk]))
    assert risposta.status_code == 404
    accoda.assert_not_called()
    assert not DocumentoPiano.objects.exists()


def test_requesting_the_pdf_needs_a_post(client, piano_cremonese, ufficio):
    client.force_login(ufficio)
    assert client.get(reverse("piano_annuale:piano_pdf", args=[piano_cremonese.pk])).status_code == 405


# --------------------------------------------------------------------------------------------
# Management command
# --------------------------------------------------------------------------------------------


def test_management_command_writes_the_pdf_of_a_plan(piano_cremonese, tmp_path):
    uscita = tmp_path / "piano.pdf"
    stdout = io.StringIO()
    call_command("genera_pdf", "--anno", "2025", "--ambito", "cremonese", "-o", str(uscita), stdout=stdout)
    assert stdout.getvalue().strip() == str(uscita)
    assert uscita.read_bytes().startswith(b"%PDF")
    assert "Dati dei servizi abitativi" in senza_spazi_multipli(" ".join(pagine_di(uscita.read_bytes())))


def test_management_command_names_what_it_cannot_find(piano_cremonese):
    with pytest.raises(CommandError, match="Nessun piano 2031"):
        call_command("genera_pdf", "--anno", "2031", "--ambito", "cremonese")
    with pytest.raises(CommandError, match="Indicare l'id del piano"):
        call_command("genera_pdf")


def test_assemblea_member_downloads_the_pdf_once_the_plan_is_transmitted(client, piano_cremonese, media):
    pronto = DocumentoPiano.objects.create(
        piano=piano_cremonese, chiave="b" * 64, stato=StatoDocumento.PRONTO
    )
    pronto.file.save("trasmesso.pdf", ContentFile(b"%PDF-1.7 prova"))
    client.force_login(operatore("sindaca", piano_cremonese.ambito, Ruolo.ASSEMBLEA))
    url = reverse("piano_annuale:documento_scarica", args=[piano_cremonese.pk, pronto.pk])
    assert client.get(url).status_code == 404  # still a draft of the ufficio di piano
    piano_cremonese.stato = StatoPiano.TRASMESSA_ASSEMBLEA
    piano_cremonese.save()
    risposta = client.get(url)
    assert risposta.status_code == 200
    assert b"".join(risposta.streaming_content).startswith(b"%PDF-")
