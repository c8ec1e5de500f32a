"""Letters at approval under the rules of R.R. 2/2025: each ente writes to the Prefettura its 7 bis
units comune by comune and to each comune's Polizia Locale its 7 ter units there, as PDF and as an
editable DOCX with the same text; under the old rules the Prefettura letter stays as it was."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from docx import Document
from pypdf import PdfReader

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import Approvazione, PianoAnnuale, ScelteEnte, StatoPiano, TipoVersione
from piano_annuale.rendering.lettere import QUOTA_7BIS, QUOTA_7TER, lettere_approvazione, versione_approvata
from piano_annuale.rendering.versioni import congela_versione
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from tests.builders import crea_ambito
from tests.percorso import fixture_media, fixture_pdf_veloce  # noqa: F401 - fixtures
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media")

ALER = "ALER Brescia-Cremona-Mantova"
PREFETTURA = "Prefettura – Ufficio Territoriale del Governo di Cremona"
POLIZIA_LOCALE_CREMONA = "Comando di Polizia Locale del Comune di Cremona"
TIPO_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def ente(nome: str) -> EnteProprietario:
    return EnteProprietario.objects.get(denominazione=nome)


def comune_di(ente_comunale: EnteProprietario) -> int:
    """The id of the comune of a comune's ente (an ALER has none, and no letter to a polizia locale)."""
    assert ente_comunale.comune_id is not None
    return ente_comunale.comune_id


def approva_direttamente(piano: PianoAnnuale, ufficio, data: datetime.date, verbale: str) -> None:
    """Approval recorded as the seed's plans are (their data keep the seed's contradictions)."""
    PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.APPROVATA)
    piano.refresh_from_db()
    Approvazione.objects.create(
        piano=piano,
        data_seduta=data,
        numero_verbale=verbale,
        protocollo="",
        verbale="piani/verbali/verbale.pdf",
        verbale_sha256="0" * 64,
        registrata_da=ufficio,
    )
    congela_versione(piano=piano, tipo=TipoVersione.APPROVATA, utente=ufficio)


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio.lettere", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


@pytest.fixture
def piano_2027(piano_cremonese, ufficio, pdf_veloce):
    """The Cremonese plan carried to 2027 with Cremona 12 % + 3 % and Soresina 20 % + 0 %, approved."""
    # The earlier plans' approval matters only for opening the next year's plan.
    PianoAnnuale.objects.filter(pk=piano_cremonese.pk).update(stato=StatoPiano.APPROVATA)
    piano_cremonese.refresh_from_db()
    piano_2026 = crea_piano_anno_successivo(piano=piano_cremonese, utente=ufficio).piano
    PianoAnnuale.objects.filter(pk=piano_2026.pk).update(stato=StatoPiano.APPROVATA)
    piano_2026.refresh_from_db()
    piano = crea_piano_anno_successivo(piano=piano_2026, utente=ufficio).piano
    ScelteEnte.objects.filter(piano=piano).update(quota_forze_polizia=0, quota_polizia_locale=0)
    ScelteEnte.objects.filter(piano=piano, ente=ente("Comune di Cremona")).update(
        quota_forze_polizia=12, quota_polizia_locale=3
    )
    ScelteEnte.objects.filter(piano=piano, ente=ente("Comune di Soresina")).update(
        quota_forze_polizia=20, quota_polizia_locale=0
    )
    approva_direttamente(piano, ufficio, datetime.date(2027, 2, 10), "02/2027")
    return piano


def lettere_di(piano: PianoAnnuale):
    versione = versione_approvata(piano.pk)
    assert versione is not None
    return lettere_approvazione(versione, Approvazione.objects.get(piano=piano), provincia="CR")


def pdf_in_testo(contenuto: bytes) -> str:
    return spazi(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(contenuto)).pages))


def spazi(testo: str) -> str:
    return re.sub(r"\s+", " ", testo).strip()


def docx_in_testo(contenuto: bytes) -> str:
    """The document's text in reading order: paragraphs and table cells, then the footer."""
    documento = Document(io.BytesIO(contenuto))
    parti = []
    for blocco in documento.element.body.iterchildren():
        if blocco.tag.endswith("}p"):
            parti.append("".join(t.text or "" for t in blocco.iter() if t.tag.endswith("}t")))
        elif blocco.tag.endswith("}tbl"):
            for cella in blocco.iter():
                if cella.tag.endswith("}tc"):
                    parti.append("".join(t.text or "" for t in cella.iter() if t.tag.endswith("}t")))
    parti += [p.text for p in documento.sections[0].footer.paragraphs]
    # The signature line is drawn with underscores in the DOCX and with a border in the PDF.
    return spazi(" ".join(p for p in parti if p.strip("_ ")))


def url(nome: str, *argomenti: int) -> str:
    return reverse(f"piano_annuale:{nome}", args=list(argomenti))


def test_each_ente_writes_to_the_prefettura_its_7_bis_units_comune_by_comune(piano_2027):
    lettere = [x for x in lettere_di(piano_2027) if x.quota == QUOTA_7BIS]
    assert [
        (
            x.ente,
            x.destinatario,
            [(r.comune, r.percentuale, r.disponibili, r.unita) for r in x.righe],
            x.unita,
        )
        for x in lettere
    ] == [
        ("Comune di Cremona", PREFETTURA, [("Cremona", 12, 22, 3)], 3),
        ("Comune di Soresina", PREFETTURA, [("Soresina", 20, 11, 3)], 3),
        (ALER, PREFETTURA, [("Cremona", 12, 101, 13), ("Soresina", 20, 2, 1)], 14),
    ]


def test_each_ente_writes_to_each_comunes_polizia_locale_its_7_ter_units_there(piano_2027):
    lettere = [x for x in lettere_di(piano_2027) if x.quota == QUOTA_7TER]
    # Soresina's 7 ter quota is 0 %: no letter to its Comando.
    assert [(x.ente, x.comune, x.destinatario, x.percentuale, x.disponibili, x.unita) for x in lettere] == [
        ("Comune di Cremona", "Cremona", POLIZIA_LOCALE_CREMONA, 3, 22, 1),
        (ALER, "Cremona", POLIZIA_LOCALE_CREMONA, 3, 101, 4),
    ]


def test_alers_letter_to_the_prefettura_names_the_7_bis_quota_and_its_units_per_comune(
    client, piano_2027, ufficio
):
    client.force_login(ufficio)
    risposta = client.get(url("lettera_prefettura", piano_2027.pk, ente(ALER).pk))
    assert risposta.status_code == 200
    assert risposta["Content-Type"] == "application/pdf"
    assert risposta["Content-Disposition"] == (
        'attachment; filename="POA-2027-lettera-Prefettura-ALER-Brescia-Cremona-Mantova.pdf"'
    )
    testo = pdf_in_testo(risposta.content)
    assert f"Spett.le {PREFETTURA}" in testo
    assert (
        "destinate agli appartenenti alle Forze di Polizia, al Corpo nazionale dei Vigili del Fuoco e alle "
        "Forze Armate (art. 4, comma 3, lett. d bis, e art. 7 bis, comma 2, del regolamento regionale"
    ) in testo
    assert "seduta del 10 febbraio 2027 (verbale n. 02/2027)" in testo
    assert "Cremona 12% 101 13" in testo
    assert "Soresina 20% 2 1" in testo
    assert "Totale 103 14" in testo
    assert "Polizia Locale" not in testo


def test_the_comunes_letter_to_its_polizia_locale_names_the_7_ter_quota_and_addressee(
    client, piano_2027, ufficio
):
    client.force_login(ufficio)
    cremona = ente("Comune di Cremona")
    risposta = client.get(url("lettera_polizia_locale", piano_2027.pk, cremona.pk, comune_di(cremona)))
    assert risposta.status_code == 200
    testo = pdf_in_testo(risposta.content)
    assert f"Spett.le {POLIZIA_LOCALE_CREMONA}" in testo
    assert (
        "appartenenti alla Polizia Locale nel Comune di Cremona (art. 4, comma 3, lett. d bis, e art. 7 ter"
        in testo
    )
    assert "una quota del 3% delle unità abitative disponibili nell'anno" in testo
    assert "Quota art. 7 ter 3%" in testo
    assert "Unità abitative destinate (arrotondamento per eccesso) 1" in testo
    assert (
        "Interpretazione applicata: Il testo dell'art. 7 ter del R.R. 4/2017 (Polizia Locale) non è disponibile"
        in testo
    )
    assert "Forze Armate" not in testo


def test_alers_7_ter_letter_goes_to_the_comando_of_the_comune_where_its_units_are(
    client, piano_2027, ufficio
):
    client.force_login(ufficio)
    aler = ente(ALER)
    cremona = comune_di(ente("Comune di Cremona"))
    risposta = client.get(url("lettera_polizia_locale", piano_2027.pk, aler.pk, cremona))
    testo = pdf_in_testo(risposta.content)
    assert f"Spett.le {POLIZIA_LOCALE_CREMONA}" in testo
    assert "Unità abitative destinate (arrotondamento per eccesso) 4" in testo
    soresina = comune_di(ente("Comune di Soresina"))
    assert client.get(url("lettera_polizia_locale", piano_2027.pk, aler.pk, soresina)).status_code == 404


@pytest.mark.parametrize(
    ("nome_pdf", "nome_docx", "chi"),
    [
        ("lettera_prefettura", "lettera_prefettura_docx", ALER),
        ("lettera_polizia_locale", "lettera_polizia_locale_docx", "Comune di Cremona"),
    ],
)
def test_the_docx_opens_and_says_the_same_as_the_pdf(client, piano_2027, ufficio, nome_pdf, nome_docx, chi):
    client.force_login(ufficio)
    argomenti = [piano_2027.pk, ente(chi).pk]
    if nome_pdf == "lettera_polizia_locale":
        argomenti.append(comune_di(ente("Comune di Cremona")))
    pdf = client.get(url(nome_pdf, *argomenti))
    docx = client.get(url(nome_docx, *argomenti))
    assert docx.status_code == 200
    assert docx["Content-Type"] == TIPO_DOCX
    assert docx["Content-Disposition"].endswith('.docx"')
    assert docx_in_testo(docx.content) == pdf_in_testo(pdf.content)
    assert Document(io.BytesIO(docx.content)).core_properties.language == "it-IT"


def test_an_entes_operator_downloads_only_its_own_letters(client, piano_2027):
    cremona, soresina, aler = ente("Comune di Cremona"), ente("Comune di Soresina"), ente(ALER)
    client.force_login(crea_operatore("comune.cremona.lettere", piano_2027.ambito, Ruolo.COMUNE, cremona))
    assert client.get(url("lettera_prefettura_docx", piano_2027.pk, cremona.pk)).status_code == 200
    assert (
        client.get(url("lettera_polizia_locale", piano_2027.pk, cremona.pk, comune_di(cremona))).status_code
        == 200
    )
    assert client.get(url("lettera_prefettura", piano_2027.pk, soresina.pk)).status_code == 404
    assert (
        client.get(url("lettera_polizia_locale", piano_2027.pk, aler.pk, comune_di(cremona))).status_code
        == 404
    )
    client.force_login(crea_operatore("aler.lettere", piano_2027.ambito, Ruolo.ALER, aler))
    assert (
        client.get(url("lettera_polizia_locale_docx", piano_2027.pk, aler.pk, comune_di(cremona))).status_code
        == 200
    )
    assert client.get(url("lettera_prefettura", piano_2027.pk, cremona.pk)).status_code == 404
    client.force_login(crea_operatore("sindaco.lettere", piano_2027.ambito, Ruolo.ASSEMBLEA))
    assert client.get(url("lettera_prefettura", piano_2027.pk, cremona.pk)).status_code == 404


def test_the_ufficio_of_another_ambito_gets_no_letter(client, piano_2027):
    altro = crea_ambito(nome="Ambito di altri", comuni=2, prefisso_istat="015")
    client.force_login(crea_operatore("ufficio.altro", altro.ambito, Ruolo.UFFICIO_DI_PIANO))
    assert client.get(url("lettera_prefettura", piano_2027.pk, ente(ALER).pk)).status_code == 404
    assert client.get(url("lettera_prefettura_docx", piano_2027.pk, ente(ALER).pk)).status_code == 404


def test_the_iter_page_and_the_entes_workspace_offer_both_letters(client, piano_2027, ufficio):
    cremona = ente("Comune di Cremona")
    client.force_login(ufficio)
    pagina = client.get(url("iter_piano", piano_2027.pk)).content.decode()
    assert (
        "Lettere alla Prefettura (art. 7 bis, comma 2) e alla Polizia Locale (art. 7 ter, R.R. 4/2017)"
        in pagina
    )
    for indirizzo in (
        url("lettera_prefettura", piano_2027.pk, cremona.pk),
        url("lettera_prefettura_docx", piano_2027.pk, cremona.pk),
        url("lettera_polizia_locale", piano_2027.pk, cremona.pk, comune_di(cremona)),
        url("lettera_polizia_locale_docx", piano_2027.pk, cremona.pk, comune_di(cremona)),
    ):
        assert indirizzo in pagina
    client.force_login(crea_operatore("comune.cremona.area", piano_2027.ambito, Ruolo.COMUNE, cremona))
    area = client.get(reverse("patrimonio:area_ente", args=[piano_2027.pk, cremona.pk])).content.decode()
    assert "Scarica la lettera alla Prefettura (PDF)" in area
    assert "Scarica la lettera al Comando di Polizia Locale di Cremona (PDF)" in area
    assert url("lettera_polizia_locale_docx", piano_2027.pk, cremona.pk, comune_di(cremona)) in area


def test_under_the_old_rules_the_docx_says_what_the_prefettura_letter_always_said(
    client, piano_cremonese, ufficio, pdf_veloce
):
    approva_direttamente(piano_cremonese, ufficio, datetime.date(2025, 2, 14), "01/2025")
    client.force_login(ufficio)
    cremona = ente("Comune di Cremona")
    assert (
        client.get(
            url("lettera_polizia_locale", piano_cremonese.pk, cremona.pk, comune_di(cremona))
        ).status_code
        == 404
    )
    pdf = pdf_in_testo(client.get(url("lettera_prefettura", piano_cremonese.pk, cremona.pk)).content)
    docx = docx_in_testo(client.get(url("lettera_prefettura_docx", piano_cremonese.pk, cremona.pk)).content)
    assert docx == pdf
    assert "Spett.le Prefettura – Ufficio territoriale del Governo di Cremona" in docx
    assert "al Corpo nazionale dei Vigili del Fuoco (art. 7 bis, comma 2, del regolamento regionale" in docx
    assert "Quota riservata 5% Unità abitative destinate (arrotondamento per eccesso) 2" in docx
    assert "Forze Armate" not in docx


def test_a_superuser_reads_every_letter(client, piano_2027):
    client.force_login(get_user_model().objects.create_superuser("radice.lettere", "r@example.invalid", "x"))
    assert client.get(url("lettera_prefettura", piano_2027.pk, ente(ALER).pk)).status_code == 200
