"""Frozen files are served only when their SHA-256 is the recorded one: a tampered file (409) or a
missing one (410) gives an Italian page and a log line, never the bytes, never a 500."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from piano_annuale.models import (
    Approvazione,
    DocumentoPiano,
    StatoDocumento,
    StatoPiano,
    TipoVersione,
    VersionePiano,
)
from piano_annuale.rendering.versioni import FileNonVerificato, file_verificato
from tests.percorso import crea_ambito_con_utenti, fixture_media, fixture_pdf_veloce, porta_a  # noqa: F401 - fixtures
from tests.utenti import hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__, "media", "pdf_veloce")

LOGGER = "piano_annuale.rendering.versioni"
MESSAGGIO_ALTERATO = (
    "Il file «PDF della versione 2 del piano {anno}» nell'archivio non corrisponde a quello registrato "
    "(impronta SHA-256 diversa) e per sicurezza non viene consegnato. L'errore è stato registrato: "
    "avvisare l'amministratore della piattaforma, che può ripristinarlo dalla copia di sicurezza."
)


@pytest.fixture
def a(db):
    a = crea_ambito_con_utenti(nome="Ambito dei file congelati", prefisso_istat="089")
    porta_a(a, StatoPiano.APPROVATA)
    return a


def approvata(a) -> VersionePiano:
    return VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.APPROVATA)


def url_versione(v: VersionePiano) -> str:
    return reverse("piano_annuale:versione_pdf", args=[v.piano_id, v.pk])


def percorso(media: Path, nome: str | None) -> Path:
    assert nome
    return media / nome


def test_an_intact_frozen_pdf_is_served_byte_for_byte(client, a):
    v = approvata(a)
    client.force_login(a.sindaco)
    risposta = client.get(url_versione(v))
    assert risposta.status_code == 200
    assert hashlib.sha256(b"".join(risposta.streaming_content)).hexdigest() == v.pdf_sha256
    assert risposta["Content-Disposition"].startswith("attachment;")


def test_a_tampered_frozen_pdf_is_refused_with_409_and_logged(client, a, media, caplog):
    v = approvata(a)
    percorso(media, v.pdf.name).write_bytes(b"%PDF-1.7 falsificato")
    client.force_login(a.sindaco)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        risposta = client.get(url_versione(v))
    assert risposta.status_code == 409
    assert risposta["Content-Type"].startswith("text/html")
    testo = risposta.content.decode()
    assert "File non corrispondente a quello registrato" in testo
    assert MESSAGGIO_ALTERATO.format(anno=a.piano.anno).replace("'", "&#x27;") in testo
    assert b"falsificato" not in risposta.content
    [riga] = [r for r in caplog.records if r.name == LOGGER]
    assert riga.levelno == logging.ERROR
    assert riga.getMessage().startswith(
        f"File congelato alterato: PDF della versione 2 del piano {a.piano.anno}"
    )
    assert v.pdf_sha256 in riga.getMessage()


def test_a_missing_frozen_pdf_gives_410_not_500(client, a, media, caplog):
    v = approvata(a)
    percorso(media, v.pdf.name).unlink()
    client.force_login(a.ufficio)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        risposta = client.get(url_versione(v))
    assert risposta.status_code == 410
    assert "File non disponibile" in risposta.content.decode()
    assert "non è più disponibile nell&#x27;archivio" in risposta.content.decode()
    assert [r.getMessage().split(":")[0] for r in caplog.records if r.name == LOGGER] == [
        "File congelato mancante"
    ]


def test_the_draft_version_sent_to_aler_is_checked_too(client, a, media):
    inviata = VersionePiano.objects.get(piano=a.piano, tipo=TipoVersione.INVIATA_ALER)
    percorso(media, inviata.pdf.name).write_bytes(b"altro")
    client.force_login(a.operatore_aler)
    assert client.get(url_versione(inviata)).status_code == 409


def test_the_signed_verbale_is_checked(client, a, media, caplog):
    approvazione = Approvazione.objects.get(piano=a.piano)
    url = reverse("piano_annuale:verbale", args=[a.piano.pk])
    client.force_login(a.sindaco)
    assert client.get(url).status_code == 200
    percorso(media, approvazione.verbale.name).write_bytes(b"%PDF-1.4 un altro verbale")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        risposta = client.get(url)
    assert risposta.status_code == 409
    assert "verbale dell&#x27;Assemblea dei Sindaci del piano" in risposta.content.decode()
    percorso(media, approvazione.verbale.name).unlink()
    assert client.get(url).status_code == 410
    assert len([r for r in caplog.records if r.name == LOGGER]) == 2


def test_an_approved_pdf_document_is_checked_and_a_draft_without_digest_gives_410_when_missing(
    client, a, media
):
    client.force_login(a.ufficio)
    definitivo = DocumentoPiano.objects.create(
        piano=a.piano, chiave="c" * 64, stato=StatoDocumento.PRONTO, definitivo=True, sha256="d" * 64
    )
    definitivo.file.save("approvato.pdf", ContentFile(b"%PDF-1.7 approvato"))
    url = reverse("piano_annuale:documento_scarica", args=[a.piano.pk, definitivo.pk])
    assert client.get(url).status_code == 409
    DocumentoPiano.objects.filter(pk=definitivo.pk).update(
        sha256=hashlib.sha256(b"%PDF-1.7 approvato").hexdigest()
    )
    risposta = client.get(url)
    assert risposta.status_code == 200
    assert b"".join(risposta.streaming_content) == b"%PDF-1.7 approvato"

    bozza = DocumentoPiano.objects.create(piano=a.piano, chiave="e" * 64, stato=StatoDocumento.PRONTO)
    bozza.file.save("bozza.pdf", ContentFile(b"%PDF-1.7 bozza"))
    url = reverse("piano_annuale:documento_scarica", args=[a.piano.pk, bozza.pk])
    assert client.get(url).status_code == 200
    percorso(media, bozza.file.name).unlink()
    assert client.get(url).status_code == 410


def test_file_verificato_returns_the_checked_bytes_and_names_the_failure(a, media):
    v = approvata(a)
    with v.pdf.open("rb") as file:
        originale = file.read()
    assert file_verificato(v.pdf, v.pdf_sha256, descrizione="prova") == originale
    with pytest.raises(FileNonVerificato) as alterato:
        file_verificato(v.pdf, "0" * 64, descrizione="prova")
    assert alterato.value.status == 409
    percorso(media, v.pdf.name).unlink()
    with pytest.raises(FileNonVerificato) as mancante:
        file_verificato(v.pdf, v.pdf_sha256, descrizione="prova")
    assert mancante.value.status == 410
    assert mancante.value.messaggio.startswith("Il file «prova» non è più disponibile nell'archivio.")
