"""Dates on the upload pages written as the documents write them (issue 14, point 10): «Caricato il
1° dicembre 2026 alle 09:05», for the platform report and for an ente's spreadsheet."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.models import Caricamento, CaricamentoPiattaforma, RispostaRicognizione, StatoCaricamento
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

PRIMO = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 5))
COMPLETATO = timezone.make_aware(datetime.datetime(2026, 12, 3, 17, 40))


def test_the_platform_report_pages_write_the_first_of_the_month_as_1o(client, piano_cremonese):
    ufficio = crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)
    caricamento = CaricamentoPiattaforma.objects.create(
        piano=piano_cremonese,
        utente=ufficio,
        file="piattaforma/2026/report.xlsx",
        nome_file="report.xlsx",
        stato=StatoCaricamento.ANNULLATO,
    )
    CaricamentoPiattaforma.objects.filter(pk=caricamento.pk).update(creato_il=PRIMO, completato_il=COMPLETATO)
    client.force_login(ufficio)
    elenco = client.get(reverse("patrimonio:piattaforma", args=[piano_cremonese.pk])).content.decode()
    assert "<td>1° dicembre 2026 alle 09:05</td>" in elenco
    dettaglio = client.get(
        reverse("patrimonio:piattaforma_caricamento", args=[piano_cremonese.pk, caricamento.pk])
    ).content.decode()
    assert "<p>Caricato il 1° dicembre 2026 alle 09:05 da " in dettaglio
    assert "completato il 3 dicembre 2026 alle 17:40" in dettaglio


def test_an_entes_upload_pages_write_the_first_of_the_month_as_1o(client, piano_cremonese):
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    operatore = crea_operatore("cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona)
    caricamento = Caricamento.objects.create(
        piano=piano_cremonese,
        ente=cremona,
        utente=operatore,
        file="caricamenti/2026/unita.xlsx",
        nome_file="unita.xlsx",
        stato=StatoCaricamento.ANNULLATO,
    )
    Caricamento.objects.filter(pk=caricamento.pk).update(creato_il=PRIMO, completato_il=COMPLETATO)
    client.force_login(operatore)
    args = [piano_cremonese.pk, cremona.pk]
    elenco = client.get(reverse("patrimonio:caricamenti", args=args)).content.decode()
    assert '<td class="text-nowrap">1° dicembre 2026 alle 09:05</td>' in elenco
    dettaglio = client.get(reverse("patrimonio:caricamento", args=[*args, caricamento.pk])).content.decode()
    assert "<p>Caricato il 1° dicembre 2026 alle 09:05 da " in dettaglio
    assert "completato il 3 dicembre 2026 alle 17:40" in dettaglio


def test_the_workspace_writes_the_deadline_and_the_sending_with_1o(client, piano_cremonese):
    cremona = EnteProprietario.objects.get(comune__nome="Cremona")
    piano_cremonese.scadenza_ricognizione = datetime.date(2026, 3, 1)
    piano_cremonese.save(update_fields=["scadenza_ricognizione"])
    RispostaRicognizione.objects.filter(piano=piano_cremonese, ente=cremona).update(inviata_il=PRIMO)
    client.force_login(crea_operatore("cremona", piano_cremonese.ambito, Ruolo.COMUNE, cremona))
    pagina = client.get(
        reverse("patrimonio:area_ente", args=[piano_cremonese.pk, cremona.pk])
    ).content.decode()
    assert '<span class="ms-2">· scadenza 1° marzo 2026</span>' in pagina
    assert "<p>Risposta inviata il 1° dicembre 2026 alle 09:05.</p>" in pagina
