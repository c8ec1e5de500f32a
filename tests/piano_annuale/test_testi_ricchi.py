"""The plan's narratives written with the rich-text editor or imported from .docx/.odt (issue 14,
point 8): one sanitiser for every source, placeholders showing the plan's figures, carried over to
the next year."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document as Docx
from odf.opendocument import OpenDocumentText
from odf.text import H, List, ListItem, P

from patrimonio.models import Ruolo
from piano_annuale import testi_predefiniti  # «testo_predefinito» would be collected as a test
from piano_annuale.calcolo import piano_calcolato
from piano_annuale.models import PianoAnnuale, SezioneTesto
from piano_annuale.models import TestoPiano as Narrativa  # not «Test…»: pytest would collect it
from piano_annuale.rendering import testi as narrative  # «testi_del_piano» would be collected as a test
from piano_annuale.rendering.testi_importati import DocumentoNonValido, importa_documento
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from tests.piano_annuale.conftest import approva
from tests.utenti import crea_operatore

PREMESSA = SezioneTesto.PREMESSA


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio.testi", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


def salva(piano: PianoAnnuale, utente, **testi: str) -> None:
    """Save as the editor page does: every section posted, the untouched ones as shown."""
    attuali = narrative.testi_del_piano(piano)
    mostrati = {s: narrative.html_sicuro(t) for s, t in attuali.items()}
    narrative.salva_testi(piano=piano, testi={**mostrati, **testi}, utente=utente)


def test_the_editors_html_is_sanitised_like_every_narrative(piano_cremonese, ufficio):
    salva(
        piano_cremonese,
        ufficio,
        premessa='<h2 style="color:red">Premessa</h2><p onclick="x()">Testo <strong>forte</strong>'
        '<script>alert(1)</script><img src="x.png"></p><ul><li><p>uno</p></li></ul>',
    )
    assert Narrativa.objects.get(piano=piano_cremonese, sezione=PREMESSA).testo == (
        "<h2>Premessa</h2><p>Testo <strong>forte</strong></p><ul><li><p>uno</p></li></ul>"
    )


def test_sections_shown_unchanged_stay_on_the_default(piano_cremonese, ufficio):
    salva(piano_cremonese, ufficio)
    assert not Narrativa.objects.filter(piano=piano_cremonese).exists()
    salva(piano_cremonese, ufficio, premessa="<p></p>")  # the editor emptied: back to the default
    assert not Narrativa.objects.filter(piano=piano_cremonese).exists()
    assert narrative.testi_del_piano(piano_cremonese)[PREMESSA] == testi_predefiniti.testo_predefinito(
        PREMESSA
    )


def test_placeholders_show_the_computed_plans_figures(piano_cremonese, ufficio):
    salva(
        piano_cremonese,
        ufficio,
        premessa="<p>Nel {{ anno }} l'ambito conta {{abitanti}} abitanti e {{ unita_disponibili }} unità "
        "disponibili su {{ alloggi_totali }} alloggi.</p>",
    )
    calcolo = piano_calcolato(piano_cremonese)
    testo = narrative.testi_del_piano(piano_cremonese)[PREMESSA]
    assert narrative.html_sicuro(testo, calcolo) == (
        "<p>Nel 2025 l'ambito conta 156.636 abitanti e 195 unità disponibili su 3.984 alloggi.</p>"
    )
    # The stored text keeps the placeholders: the figures follow the data.
    assert "{{ unita_disponibili }}" in testo


def test_a_placeholder_value_is_escaped_never_executed(piano_cremonese, ufficio):
    html = narrative.html_sicuro("<p>{{ ambito }} {% now 'Y' %} {{ piano.ambito.delete }}</p>", None)
    assert html == "<p>{{ ambito }} {% now 'Y' %} {{ piano.ambito.delete }}</p>"


def test_an_unknown_placeholder_refuses_the_save_and_names_it(piano_cremonese, ufficio):
    with pytest.raises(narrative.TestiNonValidi) as errore:
        salva(piano_cremonese, ufficio, premessa="<p>{{ unita_disponibili }} e {{ unita_libbere }}</p>")
    assert str(errore.value) == (
        "I testi non sono stati salvati. «Premessa»: segnaposto sconosciuto {{ unita_libbere }}. "
        "Usare solo i segnaposti dell'elenco."
    )
    assert not Narrativa.objects.filter(piano=piano_cremonese).exists()


def test_the_editor_page_posts_html_and_shows_the_placeholders(client, piano_cremonese, ufficio):
    client.force_login(ufficio)
    url = reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk])
    pagina = client.get(url).content.decode()
    assert 'data-editor-testi aria-describedby="stato-premessa"' in pagina
    assert '<script type="module" src="/static/js/editor_testi.js">' in pagina
    assert (
        "<td><code>{{ unita_disponibili }}</code></td><td>Unità SAP assegnabili nell&#x27;anno (sezione g)</td><td>195</td>"
        in pagina
    )
    dati = dict.fromkeys(SezioneTesto.values, "")
    risposta = client.post(url, {**dati, "contesto": "<p>Contesto con {{ numero_comuni }} comuni.</p>"})
    assert risposta.status_code == 302
    assert Narrativa.objects.get(piano=piano_cremonese, sezione="contesto").testo == (
        "<p>Contesto con {{ numero_comuni }} comuni.</p>"
    )
    pagina = client.get(url).content.decode()
    assert "<p>Contesto con 48 comuni.</p>" in pagina  # the preview, with the plan's figures
    risposta = client.post(url, {**dati, "contesto": "<p>{{ sconosciuto }}</p>"})
    assert risposta.status_code == 400
    assert "segnaposto sconosciuto {{ sconosciuto }}" in risposta.content.decode()


def docx(*paragrafi: tuple[str, str]) -> bytes:
    documento = Docx()
    for stile, testo in paragrafi:
        if stile == "titolo":
            documento.add_heading(testo, level=1)
        else:
            documento.add_paragraph().add_run(testo).bold = stile == "grassetto"
    uscita = io.BytesIO()
    documento.save(uscita)
    return uscita.getvalue()


def odt() -> bytes:
    documento = OpenDocumentText()
    documento.text.addElement(H(outlinelevel=1, text="Contesto"))
    documento.text.addElement(P(text="Primo paragrafo <con> caratteri."))
    elenco = List()
    for voce in ("uno", "due"):
        item = ListItem()
        item.addElement(P(text=voce))
        elenco.addElement(item)
    documento.text.addElement(elenco)
    uscita = io.BytesIO()
    documento.write(uscita)
    return uscita.getvalue()


def test_a_docx_is_imported_as_sanitised_html():
    contenuto = docx(("titolo", "Premessa"), ("grassetto", "Importante"), ("", "Un paragrafo."))
    assert importa_documento(io.BytesIO(contenuto), "premessa.docx") == (
        "<h1>Premessa</h1><p><strong>Importante</strong></p><p>Un paragrafo.</p>"
    )


def test_an_odt_is_imported_as_sanitised_html():
    assert importa_documento(io.BytesIO(odt()), "contesto.odt") == (
        "<h2>Contesto</h2>\n<p>Primo paragrafo &lt;con&gt; caratteri.</p>\n<ul><li>uno</li><li>due</li></ul>"
    )


@pytest.mark.parametrize(
    ("contenuto", "nome", "messaggio"),
    [
        (b"testo", "premessa.txt", "Il file «premessa.txt» non è un documento .docx o .odt."),
        (
            b"non un archivio",
            "premessa.docx",
            "Il file «premessa.docx» non è un documento .docx o .odt leggibile.",
        ),
        (
            b"PK\x03\x04" + b"\0" * 6 * 1024 * 1024,
            "grande.docx",
            "Il file «grande.docx» pesa più di 5,0 MB: il massimo è 5 MB.",
        ),
    ],
)
def test_a_file_that_is_not_a_document_is_refused_before_reading(contenuto, nome, messaggio):
    with pytest.raises(DocumentoNonValido) as errore:
        importa_documento(io.BytesIO(contenuto), nome)
    assert str(errore.value) == messaggio


def test_a_zip_bomb_is_refused_from_its_directory():
    uscita = io.BytesIO()
    with zipfile.ZipFile(uscita, "w", zipfile.ZIP_DEFLATED) as archivio:
        archivio.writestr("word/document.xml", b"\0" * 60 * 1024 * 1024)
    with pytest.raises(DocumentoNonValido) as errore:
        importa_documento(io.BytesIO(uscita.getvalue()), "bomba.docx")
    assert (
        str(errore.value) == "Il file «bomba.docx» si espande oltre misura una volta aperto: non viene letto."
    )


def test_the_import_replaces_one_section_and_is_recorded(client, piano_cremonese, ufficio):
    client.force_login(ufficio)
    url = reverse("piano_annuale:piano_testi", args=[piano_cremonese.pk])
    file = SimpleUploadedFile("contesto.odt", odt(), content_type="application/vnd.oasis.opendocument.text")
    risposta = client.post(url, {"importa": "1", "sezione": "contesto", "documento": file}, follow=True)
    assert "Testo importato da «contesto.odt» in «Analisi del contesto»: controllarlo qui sotto." in (
        risposta.content.decode()
    )
    assert Narrativa.objects.get(piano=piano_cremonese, sezione="contesto").testo.startswith(
        "<h2>Contesto</h2>"
    )
    assert list(Narrativa.objects.filter(piano=piano_cremonese).values_list("sezione", flat=True)) == [
        "contesto"
    ]


def test_narratives_and_their_placeholders_carry_over_to_the_next_year(piano_cremonese, ufficio):
    salva(piano_cremonese, ufficio, premessa="<p>Piano {{ anno }}: {{ unita_disponibili }} unità.</p>")
    approva(piano_cremonese)
    nuovo = crea_piano_anno_successivo(
        piano=piano_cremonese, utente=get_user_model().objects.create_user("apertura.testi")
    ).piano
    testo = narrative.testi_del_piano(nuovo)[PREMESSA]
    assert testo == "<p>Piano {{ anno }}: {{ unita_disponibili }} unità.</p>"
    assert narrative.html_sicuro(testo, piano_calcolato(nuovo)).startswith("<p>Piano 2026: ")
