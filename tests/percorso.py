"""Helpers for the workflow's tests (import the ``fixture_…`` functions to use their fixtures): a coherent ambito with one user per role, a quick PDF stand-in,
a signed verbale to upload, and a way to walk a plan through the workflow with the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from patrimonio.models import EnteProprietario, Ruolo, TipoEnte
from piano_annuale.models import EsitoParere, PianoAnnuale, StatoPiano
from piano_annuale.rendering.pdf import PdfGenerato
from piano_annuale.services import iter as services
from tests.builders import crea_ambito
from tests.utenti import crea_operatore

# A minimal but well-formed PDF: what a scanner's signed verbale starts with.
VERBALE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class Ambito:
    """A coherent synthetic ambito (no consistency errors) and one operator per role."""

    piano: PianoAnnuale
    aler: EnteProprietario
    ente_comune: EnteProprietario
    altro_ente: EnteProprietario
    ufficio: User
    operatore_aler: User
    operatore_comune: User
    sindaco: User
    ufficio_altro_ambito: User


def crea_ambito_con_utenti(
    nome: str = "Ambito dell'iter", prefisso_istat: str = "093", comuni: int = 4
) -> Ambito:
    piano = crea_ambito(nome=nome, comuni=comuni, prefisso_istat=prefisso_istat)
    ambito = piano.ambito
    aler = EnteProprietario.objects.get(ambito=ambito, tipo=TipoEnte.ALER)
    aler.email = "protocollo@aler.prova.invalid"
    aler.save(update_fields=["email"])
    enti = list(EnteProprietario.objects.filter(ambito=ambito, tipo=TipoEnte.COMUNE).order_by("pk"))
    altro = crea_ambito(nome=f"{nome} (altro)", comuni=2, prefisso_istat=f"{int(prefisso_istat) - 1:03d}")
    sigla = prefisso_istat
    return Ambito(
        piano=piano,
        aler=aler,
        ente_comune=enti[0],
        altro_ente=enti[1],
        ufficio=crea_operatore(
            f"ufficio.{sigla}", ambito, Ruolo.UFFICIO_DI_PIANO, email=f"ufficio.{sigla}@prova.invalid"
        ),
        operatore_aler=crea_operatore(
            f"aler.{sigla}", ambito, Ruolo.ALER, aler, email=f"aler.{sigla}@prova.invalid"
        ),
        operatore_comune=crea_operatore(
            f"comune.{sigla}", ambito, Ruolo.COMUNE, enti[0], email=f"comune.{sigla}@prova.invalid"
        ),
        sindaco=crea_operatore(
            f"sindaco.{sigla}", ambito, Ruolo.ASSEMBLEA, email=f"sindaco.{sigla}@prova.invalid"
        ),
        ufficio_altro_ambito=crea_operatore(
            f"altro.{sigla}", altro.ambito, Ruolo.UFFICIO_DI_PIANO, email=f"altro.{sigla}@prova.invalid"
        ),
    )


def verbale(nome: str = "verbale-firmato.pdf", contenuto: bytes = VERBALE_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(nome, contenuto, content_type="application/pdf")


@pytest.fixture(name="media")
def fixture_media(settings, tmp_path):
    """Uploaded verbali and frozen PDFs go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(name="pdf_veloce")
def fixture_pdf_veloce(monkeypatch):
    """Frozen versions get a tiny stand-in PDF instead of a rendering of several seconds.

    The stand-in names the plan's state, so two versions of a plan have different files. Tests of
    the PDF itself do not use this fixture.
    """

    def genera(piano: PianoAnnuale, **_: Any) -> PdfGenerato:
        definitivo = piano.stato == StatoPiano.APPROVATA
        contenuto = f"%PDF-1.7 finto {piano.pk} {piano.stato} {timezone.now().isoformat()}".encode()
        return PdfGenerato(contenuto=contenuto, chiave="0" * 64, definitivo=definitivo)

    monkeypatch.setattr("piano_annuale.rendering.versioni.genera_pdf", genera)
    return genera


def porta_a(a: Ambito, stato: StatoPiano, *, parere: str = EsitoParere.FAVOREVOLE) -> PianoAnnuale:
    """Walk the (bozza) plan up to ``stato`` through the services, as its users would."""
    piano = a.piano
    ordine = [
        StatoPiano.BOZZA,
        StatoPiano.INVIATA_ALER,
        StatoPiano.PARERE_ESPRESSO,
        StatoPiano.TRASMESSA_ASSEMBLEA,
        StatoPiano.APPROVATA,
    ]
    for passo in ordine[1 : ordine.index(stato) + 1]:
        if passo == StatoPiano.INVIATA_ALER:
            services.invia_ad_aler(piano=piano, utente=a.ufficio)
        elif passo == StatoPiano.PARERE_ESPRESSO:
            testo = "" if parere == EsitoParere.FAVOREVOLE else "Si chiede di verificare i dati."
            services.esprimi_parere(
                piano=piano,
                utente=a.operatore_aler,
                esito=parere,
                testo=testo,
                data=timezone.localdate(),
            )
        elif passo == StatoPiano.TRASMESSA_ASSEMBLEA:
            services.trasmetti_all_assemblea(piano=piano, utente=a.ufficio)
        elif passo == StatoPiano.APPROVATA:
            services.approva_piano(
                piano=piano,
                utente=a.ufficio,
                data_seduta=timezone.localdate(),
                numero_verbale="01/2025",
                protocollo="10.64 / 2025",
                verbale=verbale(),
            )
    piano.refresh_from_db()
    assert piano.stato == stato
    return piano
