"""The history records every write of domain data, from every path (issue 11).

The admin is walked model by model: every model of the four apps is either written through the
admin here (added, changed, deleted from its page and with the «delete selected» action) or listed
with the reason it is left out, so a new model without its place in the history fails the first
test. The other write paths (the misure pages, the narratives, the admin's spreadsheet import, the
loader of the misure section) have one test each in ``test_storico_percorsi.py``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import reverse

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from misure.models import (
    Avviso,
    Delibera,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
)
from patrimonio.models import EnteProprietario, Operatore, Ruolo, UnitaAbitativa
from piano_annuale.models import (
    Approvazione,
    AssegnazioniAnnoPrecedente,
    AzioneModifica,
    Caricamento,
    CaricamentoPiattaforma,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    DocumentoPiano,
    Modifica,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PresenzaAssemblea,
    RegoleAnno,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    StatoUnita,
    TurnoverPrevisto,
    VersionePiano,
)
from piano_annuale.models import (
    TestoPiano as Narrativa,  # a name pytest does not take for a test class
)
from piano_annuale.storico import Cambio, righe_storico
from tests import factories as f
from tests.registro import ModuloAdmin, colonne, dati_della_pagina, storico, url, valori_dopo, valori_prima

APP_DEL_PROGETTO = ["ambito", "patrimonio", "piano_annuale", "misure"]

# Written only by the plan's workflow services, which record them; the admin shows them and refuses
# to add, change or delete them (the test below proves it).
SOLA_LETTURA_NELL_ADMIN: dict[type[Model], str] = {
    Modifica: "è lo storico stesso: registrarne le righe non avrebbe fine",
    VersionePiano: "versione congelata del piano, immutabile (la protegge anche un trigger del database)",
    PassaggioDiStato: "registro dell'iter del piano, scritto solo dal flusso di lavoro",
    OsservazioneAler: "osservazione di ALER, scritta solo dal flusso di lavoro",
    ParereAler: "parere di ALER, scritto solo dal flusso di lavoro",
    Approvazione: "approvazione dell'Assemblea, scritta solo dal flusso di lavoro",
    PresenzaAssemblea: "presenze della seduta di approvazione, scritte con l'approvazione",
}

# Machinery, not facts of the plan: left out of the walk below (their admin writes are recorded by
# the same mixin all the same).
MACCHINARIO: dict[type[Model], str] = {
    DocumentoPiano: "cache del PDF generato (chiave, file, avanzamento), ricostruibile dai dati",
    Caricamento: "registro di un caricamento di foglio di calcolo, scritto dal caricamento stesso "
    "(le righe che il caricamento cambia hanno il loro storico); l'admin non lo crea né lo modifica",
    CaricamentoPiattaforma: "registro di un caricamento del report della piattaforma regionale, scritto dal "
    "caricamento stesso (i totali che cambia hanno il loro storico); l'admin non lo mostra",
}


@dataclass(frozen=True)
class Campione:
    """How to write a model in the admin: a factory for a saved row whose ``campo`` is ``iniziale``,
    and the change typed on its page (``campo`` ← ``digitato``, stored as ``nuovo``)."""

    crea: Callable[[Any], Model]
    campo: str
    iniziale: Any
    digitato: str
    nuovo: Any
    altri: tuple[tuple[str, str], ...] = ()  # further fields typed with the change


def _misura_piano(valore: Any) -> MisuraPiano:
    piano = f.PianoAnnualeFactory.create()
    misura = Misura.objects.create(codice="misura-dello-storico", nome="Misura dello storico")
    return MisuraPiano.objects.create(piano=piano, misura=misura, note=valore)


def _regole(nome: Any) -> RegoleAnno:
    """A rule set of the far future, with the parameters of the one in force today."""
    in_vigore = RegoleAnno.objects.order_by("in_vigore_dal").last()
    assert in_vigore is not None
    return RegoleAnno.objects.create(
        codice="regole-dello-storico",
        nome=nome,
        riferimenti="R.R. di prova",
        in_vigore_dal=datetime.date(2090, 1, 1),
        parametri=in_vigore.parametri,
    )


def _quota_solidarieta(valore: Any) -> QuotaSolidarieta:
    piano = f.PianoAnnualeFactory.create()
    ente = f.EnteProprietarioFactory.create(ambito=piano.ambito)
    return QuotaSolidarieta.objects.create(
        piano=piano, ente=ente, riparto=Decimal(valore), residuo=Decimal("0.00"), totale=Decimal(valore)
    )


CAMPIONI: dict[type[Model], Campione] = {
    Ambito: Campione(
        lambda v: f.AmbitoFactory.create(nome=v),
        "nome",
        "Ambito dello storico",
        "Ambito nuovo",
        "Ambito nuovo",
    ),
    AggregazioneTerritoriale: Campione(
        lambda v: f.AggregazioneTerritorialeFactory.create(denominazione=v),
        "denominazione",
        "Centro",
        "Nord",
        "Nord",
    ),
    Comune: Campione(
        lambda v: f.ComuneFactory.create(nome=v), "nome", "Comune dello storico", "Borgo", "Borgo"
    ),
    Popolazione: Campione(lambda v: f.PopolazioneFactory.create(abitanti=v), "abitanti", 1000, "1200", 1200),
    Operatore: Campione(
        lambda v: f.OperatoreFactory.create(ruolo=v),
        "ruolo",
        Ruolo.ASSEMBLEA,
        Ruolo.UFFICIO_DI_PIANO,
        "ufficio_di_piano",
    ),
    EnteProprietario: Campione(
        lambda v: f.EnteProprietarioFactory.create(denominazione=v),
        "denominazione",
        "Ente dello storico",
        "Ente",
        "Ente",
    ),
    UnitaAbitativa: Campione(
        lambda v: f.UnitaAbitativaFactory.create(indirizzo=v),
        "indirizzo",
        "Via Roma 1",
        "Via Po 2",
        "Via Po 2",
    ),
    PianoAnnuale: Campione(lambda v: f.PianoAnnualeFactory.create(anno=v), "anno", 2031, "2032", 2032),
    RispostaRicognizione: Campione(
        lambda v: f.RispostaRicognizioneFactory.create(stato=v), "stato", "nessuna", "in_corso", "in_corso"
    ),
    ScelteEnte: Campione(
        lambda v: f.ScelteEnteFactory.create(soglia_indigenti_eccedente=v),
        "soglia_indigenti_eccedente",
        0,
        "2",
        2,
    ),
    DestinazioneSAT: Campione(lambda v: f.DestinazioneSATFactory.create(numero=v), "numero", 1, "3", 3),
    AssegnazioniAnnoPrecedente: Campione(
        lambda v: f.AssegnazioniAnnoPrecedenteFactory.create(totale=v), "totale", 5, "7", 7
    ),
    RiepilogoDichiarato: Campione(lambda v: f.RiepilogoDichiaratoFactory.create(sap=v), "sap", 10, "12", 12),
    StatoUnita: Campione(
        lambda v: f.StatoUnitaFactory.create(note=v), "note", "", "da verificare", "da verificare"
    ),
    ConsistenzaDichiarata: Campione(
        lambda v: f.ConsistenzaDichiarataFactory.create(fonte=v),
        "fonte",
        "ricognizione",
        "verbale",
        "verbale",
    ),
    TurnoverPrevisto: Campione(lambda v: f.TurnoverPrevistoFactory.create(numero=v), "numero", 1, "2", 2),
    RegoleAnno: Campione(_regole, "nome", "Regole di prova", "Regole nuove", "Regole nuove"),
    Narrativa: Campione(
        lambda v: f.TestoPianoFactory.create(testo=v), "testo", "Premessa.", "Nuova.", "Nuova."
    ),
    Delibera: Campione(
        lambda v: Delibera.objects.create(numero="4242", anno=2024, oggetto=v),
        "oggetto",
        "",
        "Riparto",
        "Riparto",
    ),
    Misura: Campione(
        lambda v: Misura.objects.create(codice="misura-dello-storico", nome=v),
        "nome",
        "Misura",
        "Sostegno",
        "Sostegno",
    ),
    MisuraPiano: Campione(_misura_piano, "note", "", "Nota nuova", "Nota nuova"),
    QuotaErogata: Campione(
        lambda v: QuotaErogata.objects.create(
            misura_piano=_misura_piano(""), voce=v, importo=Decimal("10.00")
        ),
        "voce",
        "di cui regionali",
        "di cui comunali",
        "di cui comunali",
    ),
    UtilizzoResiduo: Campione(
        lambda v: UtilizzoResiduo.objects.create(
            misura_piano=_misura_piano(""), voce=v, importo=Decimal("5.00")
        ),
        "voce",
        "utilizzo",
        "altro utilizzo",
        "altro utilizzo",
    ),
    Avviso: Campione(
        lambda v: Avviso.objects.create(piano=f.PianoAnnualeFactory.create(), titolo=v, numero="1"),
        "titolo",
        "Avviso dello storico",
        "Avviso 2025",
        "Avviso 2025",
    ),
    RipartoSolidarieta: Campione(
        lambda v: RipartoSolidarieta.objects.create(
            piano=f.PianoAnnualeFactory.create(), anno_riparto=2024, nota=v
        ),
        "nota",
        "",
        "Riparto provvisorio",
        "Riparto provvisorio",
    ),
    QuotaSolidarieta: Campione(
        _quota_solidarieta, "riparto", "100.00", "150.00", "150.00", altri=(("totale", "150.00"),)
    ),
    InterventoRiqualificazione: Campione(
        lambda v: InterventoRiqualificazione.objects.create(
            piano=f.PianoAnnualeFactory.create(), contesto="Quartiere", titolo="Tetti", descrizione=v
        ),
        "descrizione",
        "Rifacimento",
        "Coperture nuove",
        "Coperture nuove",
    ),
    Progettualita: Campione(
        lambda v: Progettualita.objects.create(
            piano=f.PianoAnnualeFactory.create(), titolo="Housing", descrizione="A", periodo=v
        ),
        "periodo",
        "",
        "2025-2026",
        "2025-2026",
    ),
}


def modelli_del_progetto() -> list[type[Model]]:
    return [m for nome in APP_DEL_PROGETTO for m in apps.get_app_config(nome).get_models()]


def etichetta(modello: type[Model]) -> str:
    return modello._meta.label


@pytest.fixture
def radice(db, client) -> Any:
    utente = get_user_model().objects.create_superuser("radice.storico", "r@example.invalid", "x")
    client.force_login(utente)
    return utente


# --- the walk over every model ---------------------------------------------------------------------


def test_every_model_of_the_four_apps_is_walked_or_left_out_with_a_reason():
    gruppi = [set(CAMPIONI), set(SOLA_LETTURA_NELL_ADMIN), set(MACCHINARIO)]
    assert sum(len(g) for g in gruppi) == len(set().union(*gruppi)), "un modello è in due gruppi"
    assert set().union(*gruppi) == set(modelli_del_progetto())
    assert all(motivo.strip() for motivo in [*SOLA_LETTURA_NELL_ADMIN.values(), *MACCHINARIO.values()])


@pytest.mark.parametrize("modello", list(CAMPIONI), ids=etichetta)
def test_adding_changing_and_deleting_in_the_admin_leave_the_history_of_every_model(client, radice, modello):
    campione = CAMPIONI[modello]
    # The add page's data: those of a row made by the factory, removed before it is added again.
    modello_riga = campione.crea(campione.iniziale)
    dati = dati_della_pagina(client, url(modello, "change", modello_riga.pk), modello)
    modello._base_manager.filter(pk=modello_riga.pk).delete()

    risposta = client.post(url(modello, "add"), dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (creazione,) = Modifica.objects.filter(
        modello=modello._meta.label_lower, azione=AzioneModifica.CREAZIONE, utente=radice
    )
    riga = modello._base_manager.get(pk=creazione.oggetto_id)
    assert (creazione.utente, creazione.prima, valori_dopo(creazione)[campione.campo]) == (
        radice,
        None,
        campione.iniziale,
    )

    dati = dati_della_pagina(client, url(modello, "change", riga.pk), modello)
    dati[campione.campo] = [campione.digitato]
    for campo, valore in campione.altri:
        dati[campo] = [valore]
    risposta = client.post(url(modello, "change", riga.pk), dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (modifica,) = storico(modello, riga.pk, AzioneModifica.MODIFICA)
    assert modifica.utente == radice
    assert (valori_prima(modifica)[campione.campo], valori_dopo(modifica)[campione.campo]) == (
        campione.iniziale,
        campione.nuovo,
    )

    risposta = client.post(url(modello, "delete", riga.pk), {"post": "yes"})
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    assert not modello._base_manager.filter(pk=riga.pk).exists()
    (eliminazione,) = storico(modello, riga.pk, AzioneModifica.ELIMINAZIONE)
    assert (eliminazione.utente, eliminazione.dopo, valori_prima(eliminazione)[campione.campo]) == (
        radice,
        None,
        campione.nuovo,
    )
    assert set(valori_prima(eliminazione)) == colonne(modello)


@pytest.mark.parametrize("modello", list(CAMPIONI), ids=etichetta)
def test_the_delete_selected_action_records_each_row_in_the_history(client, radice, modello):
    riga = CAMPIONI[modello].crea(CAMPIONI[modello].iniziale)
    risposta = client.post(
        url(modello, "changelist"),
        {"action": "delete_selected", "_selected_action": [riga.pk], "post": "yes"},
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    assert not modello._base_manager.filter(pk=riga.pk).exists()
    (eliminazione,) = storico(modello, riga.pk, AzioneModifica.ELIMINAZIONE)
    assert eliminazione.utente == radice
    assert valori_prima(eliminazione)[CAMPIONI[modello].campo] == CAMPIONI[modello].iniziale
    assert set(valori_prima(eliminazione)) == colonne(modello)


FABBRICHE_SOLA_LETTURA: dict[type[Model], Callable[[], Model]] = {
    Modifica: f.ModificaFactory.create,
    VersionePiano: f.VersionePianoFactory.create,
    PassaggioDiStato: f.PassaggioDiStatoFactory.create,
    OsservazioneAler: f.OsservazioneAlerFactory.create,
    ParereAler: f.ParereAlerFactory.create,
    Approvazione: f.ApprovazioneFactory.create,
    PresenzaAssemblea: f.PresenzaAssembleaFactory.create,
}


@pytest.mark.parametrize("modello", list(SOLA_LETTURA_NELL_ADMIN), ids=etichetta)
def test_the_admin_refuses_to_write_the_workflow_records_and_the_history(client, radice, modello):
    riga = FABBRICHE_SOLA_LETTURA[modello]()
    prima = list(modello.objects.order_by("pk").values_list())
    assert client.get(url(modello, "add")).status_code == 403
    assert client.post(url(modello, "add"), {}).status_code == 403
    assert client.post(url(modello, "change", riga.pk), {}).status_code == 403
    assert client.post(url(modello, "delete", riga.pk), {"post": "yes"}).status_code == 403
    azione = {"action": "delete_selected", "_selected_action": [riga.pk], "post": "yes"}
    client.post(url(modello, "changelist"), azione)
    assert list(modello.objects.order_by("pk").values_list()) == prima


# --- what the admin's writes reach beyond the row on the page ---------------------------------------


def test_an_inline_row_added_and_one_deleted_on_the_parents_page_are_recorded(client, radice):
    comune = f.ComuneFactory.create(nome="Comune con popolazione")
    vecchia = f.PopolazioneFactory.create(
        comune=comune, data_riferimento=datetime.date(2023, 1, 1), abitanti=900
    )
    dati = dati_della_pagina(client, url(Comune, "change", comune.pk), Comune)
    dati |= {
        "popolazioni-0-DELETE": ["on"],
        "popolazioni-TOTAL_FORMS": ["2"],
        "popolazioni-1-data_riferimento": ["2024-01-01"],
        "popolazioni-1-abitanti": ["950"],
        "popolazioni-1-fonte": ["ISTAT"],
        "popolazioni-1-comune": [str(comune.pk)],
    }
    risposta = client.post(url(Comune, "change", comune.pk), dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    nuova = Popolazione.objects.get(comune=comune)
    (creazione,) = storico(Popolazione, nuova.pk, AzioneModifica.CREAZIONE)
    (eliminazione,) = storico(Popolazione, vecchia.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_dopo(creazione)["abitanti"], valori_prima(eliminazione)["abitanti"]) == (950, 900)
    assert valori_prima(eliminazione)["data_riferimento"] == "2023-01-01"


def test_deleting_a_row_records_what_the_deletion_cascades_to_and_what_it_empties(client, radice):
    comune = f.ComuneFactory.create(nome="Comune da togliere")
    popolazione = f.PopolazioneFactory.create(comune=comune, abitanti=321)
    risposta = client.post(url(Comune, "delete", comune.pk), {"post": "yes"})
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (del_comune,) = storico(Comune, comune.pk, AzioneModifica.ELIMINAZIONE)
    (della_popolazione,) = storico(Popolazione, popolazione.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_prima(del_comune)["nome"], valori_prima(della_popolazione)["abitanti"]) == (
        "Comune da togliere",
        321,
    )
    assert del_comune.descrizione == "Comune da togliere"
    assert set(valori_prima(della_popolazione)) == colonne(Popolazione)

    # An avviso that a deleted comune had joined loses it from its list: a change of the avviso.
    avviso = Avviso.objects.create(
        piano=f.PianoAnnualeFactory.create(), titolo="Avviso con un comune in meno", numero="4"
    )
    resta, va = (
        f.ComuneFactory.create(ambito=avviso.piano.ambito),
        f.ComuneFactory.create(ambito=avviso.piano.ambito),
    )
    avviso.comuni_aderenti.set([resta, va])
    assert client.post(url(Comune, "delete", va.pk), {"post": "yes"}).status_code == 302
    (dell_avviso,) = storico(Avviso, avviso.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(dell_avviso)["comuni_aderenti"], valori_dopo(dell_avviso)["comuni_aderenti"]) == (
        sorted([resta.pk, va.pk]),
        [resta.pk],
    )

    # A solidarity row that named the deleted aggregazione is left without one: a change of that row.
    quota = _quota_solidarieta("10.00")
    aggregazione = f.AggregazioneTerritorialeFactory.create(ambito=quota.piano.ambito)
    quota.aggregazione_indicata = aggregazione
    quota.save()
    risposta = client.post(url(AggregazioneTerritoriale, "delete", aggregazione.pk), {"post": "yes"})
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (svuotata,) = storico(QuotaSolidarieta, quota.pk, AzioneModifica.MODIFICA)
    assert (
        valori_prima(svuotata)["aggregazione_indicata_id"],
        valori_dopo(svuotata)["aggregazione_indicata_id"],
    ) == (
        aggregazione.pk,
        None,
    )


def test_a_many_to_many_change_in_the_admin_is_recorded_with_the_ids_before_and_after(client, radice):
    avviso = Avviso.objects.create(
        piano=f.PianoAnnualeFactory.create(), titolo="Avviso con comuni", numero="3"
    )
    primo, secondo = (
        f.ComuneFactory.create(ambito=avviso.piano.ambito),
        f.ComuneFactory.create(ambito=avviso.piano.ambito),
    )
    primo.nome, secondo.nome = "Casalbuttano", "Soresina"
    Comune.objects.bulk_update([primo, secondo], ["nome"])
    avviso.comuni_aderenti.set([primo])
    dati = dati_della_pagina(client, url(Avviso, "change", avviso.pk), Avviso)
    dati["comuni_aderenti"] = [str(primo.pk), str(secondo.pk)]
    assert client.post(url(Avviso, "change", avviso.pk), dati).status_code == 302
    (modifica,) = storico(Avviso, avviso.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(modifica)["comuni_aderenti"], valori_dopo(modifica)["comuni_aderenti"]) == (
        [primo.pk],
        sorted([primo.pk, secondo.pk]),
    )
    # The history page names the comuni.
    (riga,) = righe_storico([modifica])
    assert Cambio("comuni aderenti", "Casalbuttano", "Casalbuttano, Soresina") in riga.cambi


def test_an_operators_role_changed_on_the_users_page_is_recorded(client, radice):
    operatore = f.OperatoreFactory.create(ruolo=Ruolo.ASSEMBLEA)
    indirizzo = reverse("admin:auth_user_change", args=[operatore.user_id])
    risposta = client.get(indirizzo)
    modulo = ModuloAdmin("user_form")
    modulo.feed(risposta.content.decode())
    dati = modulo.dati | {"operatori-0-ruolo": [Ruolo.UFFICIO_DI_PIANO]}
    risposta = client.post(indirizzo, dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (modifica,) = storico(Operatore, operatore.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(modifica)["ruolo"], valori_dopo(modifica)["ruolo"]) == (
        "assemblea",
        "ufficio_di_piano",
    )


def test_an_uploads_record_deleted_in_the_admin_keeps_its_whole_row(client, radice):
    caricamento = f.CaricamentoFactory.create(nome_file="unita-da-togliere.xlsx")
    assert client.post(url(Caricamento, "delete", caricamento.pk), {"post": "yes"}).status_code == 302
    (eliminazione,) = storico(Caricamento, caricamento.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(eliminazione)["nome_file"] == "unita-da-togliere.xlsx"
    assert set(valori_prima(eliminazione)) == colonne(Caricamento)
