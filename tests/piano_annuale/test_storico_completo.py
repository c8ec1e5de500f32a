"""The history records every write of domain data, from every path (issue 11).

The admin is walked model by model: every model of the four apps is either written through the
admin here (added, changed, deleted from its page and with the «delete selected» action) or listed
with the reason it is left out, so a new model without its place in the history fails the first
test. The other write paths (the misure pages, the narratives, the admin's spreadsheet import, the
loader of the misure section) have one test each.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
import tablib
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from misure.admin import QuotaSolidarietaRisorsa
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
from misure.services import carica_misure
from patrimonio.models import EnteProprietario, Operatore, Ruolo, UnitaAbitativa
from piano_annuale.models import (
    Approvazione,
    AssegnazioniAnnoPrecedente,
    AzioneModifica,
    Caricamento,
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
    SezioneTesto,
    StatoUnita,
    TurnoverPrevisto,
    VersionePiano,
)
from piano_annuale.models import (
    TestoPiano as Narrativa,  # a name pytest does not take for a test class
)
from piano_annuale.rendering.testi import salva_testi
from piano_annuale.storico import Cambio, righe_storico
from tests import factories as f
from tests.utenti import crea_operatore

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
    piano = f.PianoAnnualeFactory()
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
    piano = f.PianoAnnualeFactory()
    ente = f.EnteProprietarioFactory(ambito=piano.ambito)
    return QuotaSolidarieta.objects.create(
        piano=piano, ente=ente, riparto=Decimal(valore), residuo=Decimal("0.00"), totale=Decimal(valore)
    )


CAMPIONI: dict[type[Model], Campione] = {
    Ambito: Campione(
        lambda v: f.AmbitoFactory(nome=v), "nome", "Ambito dello storico", "Ambito nuovo", "Ambito nuovo"
    ),
    AggregazioneTerritoriale: Campione(
        lambda v: f.AggregazioneTerritorialeFactory(denominazione=v),
        "denominazione",
        "Centro",
        "Nord",
        "Nord",
    ),
    Comune: Campione(lambda v: f.ComuneFactory(nome=v), "nome", "Comune dello storico", "Borgo", "Borgo"),
    Popolazione: Campione(lambda v: f.PopolazioneFactory(abitanti=v), "abitanti", 1000, "1200", 1200),
    Operatore: Campione(
        lambda v: f.OperatoreFactory(ruolo=v),
        "ruolo",
        Ruolo.ASSEMBLEA,
        Ruolo.UFFICIO_DI_PIANO,
        "ufficio_di_piano",
    ),
    EnteProprietario: Campione(
        lambda v: f.EnteProprietarioFactory(denominazione=v),
        "denominazione",
        "Ente dello storico",
        "Ente",
        "Ente",
    ),
    UnitaAbitativa: Campione(
        lambda v: f.UnitaAbitativaFactory(indirizzo=v), "indirizzo", "Via Roma 1", "Via Po 2", "Via Po 2"
    ),
    PianoAnnuale: Campione(lambda v: f.PianoAnnualeFactory(anno=v), "anno", 2031, "2032", 2032),
    RispostaRicognizione: Campione(
        lambda v: f.RispostaRicognizioneFactory(stato=v), "stato", "nessuna", "in_corso", "in_corso"
    ),
    ScelteEnte: Campione(
        lambda v: f.ScelteEnteFactory(soglia_indigenti_eccedente=v), "soglia_indigenti_eccedente", 0, "2", 2
    ),
    DestinazioneSAT: Campione(lambda v: f.DestinazioneSATFactory(numero=v), "numero", 1, "3", 3),
    AssegnazioniAnnoPrecedente: Campione(
        lambda v: f.AssegnazioniAnnoPrecedenteFactory(totale=v), "totale", 5, "7", 7
    ),
    RiepilogoDichiarato: Campione(lambda v: f.RiepilogoDichiaratoFactory(sap=v), "sap", 10, "12", 12),
    StatoUnita: Campione(lambda v: f.StatoUnitaFactory(note=v), "note", "", "da verificare", "da verificare"),
    ConsistenzaDichiarata: Campione(
        lambda v: f.ConsistenzaDichiarataFactory(fonte=v), "fonte", "ricognizione", "verbale", "verbale"
    ),
    TurnoverPrevisto: Campione(lambda v: f.TurnoverPrevistoFactory(numero=v), "numero", 1, "2", 2),
    RegoleAnno: Campione(_regole, "nome", "Regole di prova", "Regole nuove", "Regole nuove"),
    Narrativa: Campione(lambda v: f.TestoPianoFactory(testo=v), "testo", "Premessa.", "Nuova.", "Nuova."),
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
        lambda v: Avviso.objects.create(piano=f.PianoAnnualeFactory(), titolo=v, numero="1"),
        "titolo",
        "Avviso dello storico",
        "Avviso 2025",
        "Avviso 2025",
    ),
    RipartoSolidarieta: Campione(
        lambda v: RipartoSolidarieta.objects.create(piano=f.PianoAnnualeFactory(), anno_riparto=2024, nota=v),
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
            piano=f.PianoAnnualeFactory(), contesto="Quartiere", titolo="Tetti", descrizione=v
        ),
        "descrizione",
        "Rifacimento",
        "Coperture nuove",
        "Coperture nuove",
    ),
    Progettualita: Campione(
        lambda v: Progettualita.objects.create(
            piano=f.PianoAnnualeFactory(), titolo="Housing", descrizione="A", periodo=v
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


def url(modello: type[Model], vista: str, *args: Any) -> str:
    return reverse(f"admin:{modello._meta.app_label}_{modello._meta.model_name}_{vista}", args=args)


class _Modulo(HTMLParser):
    """What a browser would send for the admin's form: every field as the page renders it."""

    def __init__(self, id_modulo: str) -> None:
        super().__init__()
        self.id_modulo = id_modulo
        self.dentro = False
        self.dati: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None  # (name, multiple)
        self.opzioni: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def _aggiungi(self, nome: str, valore: str) -> None:
        if "__prefix__" not in nome:
            self.dati.setdefault(nome, []).append(valore)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.id_modulo:
            self.dentro = True
        if not self.dentro or not a.get("name") and tag != "option":
            return
        if tag == "input":
            tipo = a.get("type", "text")
            if tipo in ("checkbox", "radio"):
                if "checked" in a:
                    self._aggiungi(a["name"], a.get("value") or "on")
            elif tipo not in ("submit", "button", "reset", "image", "file"):
                self._aggiungi(a["name"], a.get("value", ""))
        elif tag == "select":
            self.select, self.opzioni = (a["name"], "multiple" in a), []
        elif tag == "option" and self.select is not None:
            self.opzioni.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea = a["name"]
            self._aggiungi(self.textarea, "")

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.dati[self.textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.dentro = False
        elif tag == "select" and self.select is not None:
            nome, multiplo = self.select
            scelte = [v for v, scelta in self.opzioni if scelta]
            if not scelte and not multiplo and self.opzioni:
                scelte = [self.opzioni[0][0]]
            for valore in scelte:
                self._aggiungi(nome, valore)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the newline that follows <textarea>.
            self.dati[self.textarea][-1] = self.dati[self.textarea][-1].removeprefix("\n")
            self.textarea = None


def dati_della_pagina(client: Any, indirizzo: str, modello: type[Model]) -> dict[str, list[str]]:
    risposta = client.get(indirizzo)
    assert risposta.status_code == 200
    modulo = _Modulo(f"{modello._meta.model_name}_form")
    modulo.feed(risposta.content.decode())
    assert modulo.dati, f"nessun campo nel modulo di {indirizzo}"
    return modulo.dati


def storico(modello: type[Model], pk: Any, azione: str) -> list[Modifica]:
    return list(Modifica.objects.filter(modello=modello._meta.label_lower, oggetto_id=pk, azione=azione))


def valori_prima(modifica: Modifica) -> dict[str, Any]:
    assert isinstance(modifica.prima, dict)
    return modifica.prima


def valori_dopo(modifica: Modifica) -> dict[str, Any]:
    assert isinstance(modifica.dopo, dict)
    return modifica.dopo


def colonne(modello: type[Model]) -> set[str]:
    """Every column of the table but the id, and its many-to-many relations: the whole row."""
    return {c.attname for c in modello._meta.concrete_fields if not c.primary_key} | {
        c.name for c in modello._meta.many_to_many
    }


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
    Modifica: f.ModificaFactory,
    VersionePiano: f.VersionePianoFactory,
    PassaggioDiStato: f.PassaggioDiStatoFactory,
    OsservazioneAler: f.OsservazioneAlerFactory,
    ParereAler: f.ParereAlerFactory,
    Approvazione: f.ApprovazioneFactory,
    PresenzaAssemblea: f.PresenzaAssembleaFactory,
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
    comune = f.ComuneFactory(nome="Comune con popolazione")
    vecchia = f.PopolazioneFactory(comune=comune, data_riferimento=datetime.date(2023, 1, 1), abitanti=900)
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
    comune = f.ComuneFactory(nome="Comune da togliere")
    popolazione = f.PopolazioneFactory(comune=comune, abitanti=321)
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
        piano=f.PianoAnnualeFactory(), titolo="Avviso con un comune in meno", numero="4"
    )
    resta, va = f.ComuneFactory(ambito=avviso.piano.ambito), f.ComuneFactory(ambito=avviso.piano.ambito)
    avviso.comuni_aderenti.set([resta, va])
    assert client.post(url(Comune, "delete", va.pk), {"post": "yes"}).status_code == 302
    (dell_avviso,) = storico(Avviso, avviso.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(dell_avviso)["comuni_aderenti"], valori_dopo(dell_avviso)["comuni_aderenti"]) == (
        sorted([resta.pk, va.pk]),
        [resta.pk],
    )

    # A solidarity row that named the deleted aggregazione is left without one: a change of that row.
    quota = _quota_solidarieta("10.00")
    aggregazione = f.AggregazioneTerritorialeFactory(ambito=quota.piano.ambito)
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
    avviso = Avviso.objects.create(piano=f.PianoAnnualeFactory(), titolo="Avviso con comuni", numero="3")
    primo, secondo = f.ComuneFactory(ambito=avviso.piano.ambito), f.ComuneFactory(ambito=avviso.piano.ambito)
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
    operatore = f.OperatoreFactory(ruolo=Ruolo.ASSEMBLEA)
    indirizzo = reverse("admin:auth_user_change", args=[operatore.user_id])
    risposta = client.get(indirizzo)
    modulo = _Modulo("user_form")
    modulo.feed(risposta.content.decode())
    dati = modulo.dati | {"operatore-0-ruolo": [Ruolo.UFFICIO_DI_PIANO]}
    risposta = client.post(indirizzo, dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (modifica,) = storico(Operatore, operatore.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(modifica)["ruolo"], valori_dopo(modifica)["ruolo"]) == (
        "assemblea",
        "ufficio_di_piano",
    )


def test_an_uploads_record_deleted_in_the_admin_keeps_its_whole_row(client, radice):
    caricamento = f.CaricamentoFactory(nome_file="unita-da-togliere.xlsx")
    assert client.post(url(Caricamento, "delete", caricamento.pk), {"post": "yes"}).status_code == 302
    (eliminazione,) = storico(Caricamento, caricamento.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(eliminazione)["nome_file"] == "unita-da-togliere.xlsx"
    assert set(valori_prima(eliminazione)) == colonne(Caricamento)


# --- the other write paths ---------------------------------------------------------------------------


@pytest.fixture
def piano_e_ufficio(db) -> tuple[PianoAnnuale, Any]:
    piano = f.PianoAnnualeFactory(anno=2025)
    ufficio = crea_operatore("ufficio.storico", piano.ambito, Ruolo.UFFICIO_DI_PIANO)
    return piano, ufficio


def test_the_misure_pages_record_a_measure_its_lines_an_avviso_and_their_deletion(client, piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    client.force_login(ufficio)
    misura = Misura.objects.create(codice="housing-first", nome="Housing first")
    risposta = client.post(
        reverse("misure:nuova_misura", args=[piano.pk]),
        {
            "misura": str(misura.pk),
            "risorse_impegnate": "10.000,00",
            "quote-TOTAL_FORMS": "1",
            "quote-INITIAL_FORMS": "0",
            "quote-0-ordine": "1",
            "quote-0-voce": "finanziate con DGR 9999/24",
            "quote-0-provenienza": "altro",
            "quote-0-delibera": "9999/2024",
            "quote-0-importo": "10.000",
            "utilizzi-TOTAL_FORMS": "0",
            "utilizzi-INITIAL_FORMS": "0",
        },
    )
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    mp = MisuraPiano.objects.get(piano=piano, misura=misura)
    quota = mp.quote.get()
    (della_misura,) = storico(MisuraPiano, mp.pk, AzioneModifica.CREAZIONE)
    (della_quota,) = storico(QuotaErogata, quota.pk, AzioneModifica.CREAZIONE)
    (della_delibera,) = storico(Delibera, quota.delibera_id, AzioneModifica.CREAZIONE)
    assert valori_dopo(della_misura)["risorse_impegnate"] == "10000.00"
    assert (valori_dopo(della_quota)["importo"], valori_dopo(della_delibera)["numero"]) == (
        "10000.00",
        "9999",
    )
    assert {della_misura.utente, della_quota.utente} == {ufficio}
    assert della_quota.piano_id == piano.pk  # in the plan's history, though the row names only its measure

    comune = f.ComuneFactory(ambito=piano.ambito)
    dati_avviso = {
        "titolo": "Avviso 2025",
        "numero": "12",
        "misure": [str(misura.pk)],
        "comuni_aderenti": [str(comune.pk)],
    }
    assert client.post(reverse("misure:nuovo_avviso", args=[piano.pk]), dati_avviso).status_code == 302
    avviso = Avviso.objects.get(piano=piano)
    (creato,) = storico(Avviso, avviso.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creato)["comuni_aderenti"], valori_dopo(creato)["misure"]) == (
        [comune.pk],
        [misura.pk],
    )

    assert client.post(reverse("misure:elimina_avviso", args=[piano.pk, avviso.pk])).status_code == 302
    (eliminato,) = storico(Avviso, avviso.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_prima(eliminato)["titolo"], valori_prima(eliminato)["comuni_aderenti"]) == (
        "Avviso 2025",
        [comune.pk],
    )

    assert client.post(reverse("misure:elimina_misura", args=[piano.pk, mp.pk])).status_code == 302
    assert len(storico(MisuraPiano, mp.pk, AzioneModifica.ELIMINAZIONE)) == 1
    (quota_eliminata,) = storico(QuotaErogata, quota.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(quota_eliminata)["voce"] == "finanziate con DGR 9999/24"


def test_the_solidarity_page_records_each_changed_row_and_nothing_for_untouched_ones(client, piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    client.force_login(ufficio)
    cambiata = _quota_solidarieta("100.00")
    cambiata.piano, cambiata.ente.ambito = piano, piano.ambito
    cambiata.ente.save()
    cambiata.save()
    ferma = QuotaSolidarieta.objects.create(
        piano=piano,
        ente=f.EnteProprietarioFactory(ambito=piano.ambito),
        riparto=Decimal("7.00"),
        residuo=0,
        totale=7,
    )
    dati = {
        "riparto-anno_riparto": "2024",
        "riparto-nota": "",
        "righe-TOTAL_FORMS": "2",
        "righe-INITIAL_FORMS": "2",
    }
    for n, (riga, riparto) in enumerate([(cambiata, "200,00"), (ferma, "7,00")]):
        dati |= {
            f"righe-{n}-id": str(riga.pk),
            f"righe-{n}-ente": str(riga.ente_id),
            f"righe-{n}-riparto": riparto,
            f"righe-{n}-residuo": "0",
            f"righe-{n}-totale": "",
        }
    risposta = client.post(reverse("misure:solidarieta", args=[piano.pk]), dati)
    assert risposta.status_code == 302, risposta.content.decode()[:3000]
    (modifica,) = storico(QuotaSolidarieta, cambiata.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(modifica)["totale"], valori_dopo(modifica)["totale"]) == ("100.00", "200.00")
    assert storico(QuotaSolidarieta, ferma.pk, AzioneModifica.MODIFICA) == []
    (del_riparto,) = Modifica.objects.filter(
        modello="misure.ripartosolidarieta", azione=AzioneModifica.CREAZIONE, piano_id=piano.pk
    )
    assert (valori_dopo(del_riparto)["anno_riparto"], del_riparto.utente) == (2024, ufficio)


def test_the_narratives_saved_by_the_ufficio_are_recorded(piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    salva_testi(piano=piano, testi={SezioneTesto.PREMESSA: "La nostra premessa."}, utente=ufficio)
    testo = Narrativa.objects.get(piano=piano, sezione=SezioneTesto.PREMESSA)
    (creato,) = storico(Narrativa, testo.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creato)["testo"], creato.utente, creato.piano_id) == (
        "La nostra premessa.",
        ufficio,
        piano.pk,
    )

    salva_testi(piano=piano, testi={SezioneTesto.PREMESSA: ""}, utente=ufficio)  # back to the default
    (eliminato,) = storico(Narrativa, testo.pk, AzioneModifica.ELIMINAZIONE)
    assert (valori_prima(eliminato)["testo"], valori_prima(eliminato)["aggiornato_da_id"]) == (
        "La nostra premessa.",
        ufficio.pk,
    )


def test_a_spreadsheet_imported_in_the_admin_is_recorded_in_bulk(radice):
    piano = f.PianoAnnualeFactory(anno=2025)
    enti = [
        f.EnteProprietarioFactory(ambito=piano.ambito, denominazione=f"Ente del foglio {n}") for n in range(3)
    ]
    dataset = tablib.Dataset(headers=["ambito", "anno", "ente", "riparto", "residuo", "totale"])
    for ente in enti:
        dataset.append([piano.ambito.nome, 2025, ente.denominazione, "10,00", "0", "10,00"])
    risultato = QuotaSolidarietaRisorsa().import_data(dataset, dry_run=False, user=radice)
    assert not risultato.has_errors() and not risultato.has_validation_errors()
    registrate = Modifica.objects.filter(
        modello="misure.quotasolidarieta", azione=AzioneModifica.CREAZIONE, utente=radice
    )
    assert len(registrate) == 3
    assert {m.ente_id for m in registrate} == {e.pk for e in enti}
    assert {m.utente for m in registrate} == {radice}
    assert {m.origine for m in registrate} == {
        "amministrazione del sito: importazione di quote del contributo di solidarietà"
    }


def test_the_loader_of_the_misure_section_records_what_a_new_file_changes(piano_e_ufficio):
    piano, ufficio = piano_e_ufficio
    sezione = {
        "catalogo": [{"codice": "housing-first", "nome": "Housing first"}],
        "dati_annuali": [{"misura": "housing-first", "risorse_impegnate": "100.00"}],
        "avvisi": [{"titolo": "Avviso unico", "numero": "1"}],
    }
    carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    mp = MisuraPiano.objects.get(piano=piano)
    (creata,) = storico(MisuraPiano, mp.pk, AzioneModifica.CREAZIONE)
    assert (valori_dopo(creata)["risorse_impegnate"], creata.origine, creata.utente) == (
        "100.00",
        "file di prova",
        ufficio,
    )

    sezione["dati_annuali"][0]["risorse_impegnate"] = "120.00"
    sezione["avvisi"] = []
    avviso = Avviso.objects.get(piano=piano)
    with CaptureQueriesContext(connection) as interrogazioni:
        carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    tabella = Modifica._meta.db_table
    inserimenti = [
        q for q in interrogazioni.captured_queries if q["sql"].startswith(f'INSERT INTO "{tabella}"')
    ]
    assert len(inserimenti) == 1  # the change and the deletion, in one bulk insert
    (cambiata,) = storico(MisuraPiano, mp.pk, AzioneModifica.MODIFICA)
    assert (valori_prima(cambiata)["risorse_impegnate"], valori_dopo(cambiata)["risorse_impegnate"]) == (
        "100.00",
        "120.00",
    )
    (eliminato,) = storico(Avviso, avviso.pk, AzioneModifica.ELIMINAZIONE)
    assert valori_prima(eliminato)["titolo"] == "Avviso unico"
    # Loading the same file again changes nothing, and records nothing.
    prima = Modifica.objects.count()
    carica_misure(piano=piano, dati=sezione, utente=ufficio, origine="file di prova")
    assert Modifica.objects.count() == prima
