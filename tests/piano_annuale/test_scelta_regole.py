"""The rules a plan follows: the ufficio di piano chooses another rule set with a reason (recomputed,
recorded in the history) and records the triennale; the platform administrator loads rule sets as
data from a file or in the admin, and a new rule set changes the computation without code changes."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from patrimonio.models import EnteProprietario, Ruolo
from piano_annuale.calcolo import calcola_piano
from piano_annuale.models import Modifica, PianoAnnuale, RegoleAnno, ScelteEnte, StatoPiano
from piano_annuale.services.anno_successivo import crea_piano_anno_successivo
from piano_annuale.services.regole import ORIGINE_CARICAMENTO, ORIGINE_REGOLE, ORIGINE_TRIENNIO, scegli_regole
from tests.builders import crea_ambito
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)

ALER = "ALER Brescia-Cremona-Mantova"
MOTIVO = "Piano predisposto prima dell'entrata in vigore della L.R. 18/2025 e approvato dopo."
TRIENNIO_ERRATO = "Il piano triennale dura tre anni (ad es. 2026–2028) e deve comprendere l'anno del piano."


def ente(nome: str) -> EnteProprietario:
    return EnteProprietario.objects.get(denominazione=nome)


def regole(codice: str) -> RegoleAnno:
    return RegoleAnno.objects.get(codice=codice)


def approva(piano: PianoAnnuale) -> None:
    # The workflow's own tests cover approval; here only the plan's state matters.
    PianoAnnuale.objects.filter(pk=piano.pk).update(stato=StatoPiano.APPROVATA)
    piano.refresh_from_db()


def ricaricato(piano: PianoAnnuale) -> PianoAnnuale:
    return PianoAnnuale.objects.get(pk=piano.pk)


def codice_regole(piano: PianoAnnuale) -> str:
    """The code of the rule set the plan applies, read again from the database."""
    regole = ricaricato(piano).regole
    assert regole is not None
    return regole.codice


@pytest.fixture
def ufficio(piano_cremonese):
    return crea_operatore("ufficio.regole.scelta", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO)


@pytest.fixture
def piano_2027(piano_cremonese, ufficio):
    """The Cremonese plan carried to 2027 (L.R. 18/2025 in force), in ricognizione; its 45 units in
    carenza manutentiva have no cost of works yet."""
    approva(piano_cremonese)
    piano_2026 = crea_piano_anno_successivo(piano=piano_cremonese, utente=ufficio).piano
    approva(piano_2026)
    return crea_piano_anno_successivo(piano=piano_2026, utente=ufficio).piano


def url(nome: str, piano: PianoAnnuale) -> str:
    return reverse(f"piano_annuale:{nome}", args=[piano.pk])


def storico(piano: PianoAnnuale, origine: str) -> list[Modifica]:
    return list(Modifica.objects.filter(piano=piano, origine=origine).order_by("pk"))


# --------------------------------------------------------------------------------------------
# The rule set chosen by the ufficio di piano
# --------------------------------------------------------------------------------------------


def test_the_ufficio_chooses_another_rule_set_with_a_reason_and_the_plan_is_recomputed(
    client, piano_2027, ufficio
):
    assert {a.gravita for a in calcola_piano(piano_2027).anomalie if a.codice == "B01"} == {"errore"}
    client.force_login(ufficio)
    risposta = client.post(
        url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO}
    )
    assert risposta.status_code == 302
    assert risposta["Location"] == url("iter_piano", piano_2027) + "#regole"
    piano = ricaricato(piano_2027)
    assert piano.regole is not None
    assert (piano.regole.codice, piano.motivo_regole) == ("rr-2-2025", MOTIVO)
    calcolo = calcola_piano(piano)
    assert calcolo.regole is not None
    assert (calcolo.regole.codice, calcolo.regole.scelte_dall_ufficio, calcolo.regole.motivo) == (
        "rr-2-2025",
        True,
        MOTIVO,
    )
    # Under R.R. 2/2025 alone the cost of works is optional: each unit without it is a warning.
    b01 = [a for a in calcolo.anomalie if a.codice == "B01"]
    assert len(b01) == 45 and {a.gravita for a in b01} == {"avviso"}


def test_the_choice_is_in_the_history_with_who_when_before_after_and_the_reason(client, piano_2027, ufficio):
    client.force_login(ufficio)
    client.post(url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO})
    (modifica,) = storico(piano_2027, ORIGINE_REGOLE)
    assert (modifica.utente, modifica.motivo, modifica.modello) == (
        ufficio,
        MOTIVO,
        "piano_annuale.pianoannuale",
    )
    assert modifica.prima is not None and modifica.dopo is not None
    assert (modifica.prima["regole_id"], modifica.prima["motivo_regole"]) == (regole("lr-18-2025").pk, "")
    assert (modifica.dopo["regole_id"], modifica.dopo["motivo_regole"]) == (regole("rr-2-2025").pk, MOTIVO)
    pagina = client.get(url("storico_piano", piano_2027)).content.decode()
    assert MOTIVO.replace("'", "&#x27;") in pagina


def test_the_iter_page_says_which_rules_apply_and_why(client, piano_2027, ufficio):
    client.force_login(ufficio)
    pagina = client.get(url("iter_piano", piano_2027)).content.decode()
    assert "L.R. 18/2025: costo stimato dei lavori per le unità in carenza manutentiva" in pagina
    assert "sono le regole in vigore al 1° gennaio 2027" in pagina
    assert "Applica regole diverse" in pagina
    client.post(url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO})
    pagina = client.get(url("iter_piano", piano_2027)).content.decode()
    assert "R.R. 2/2025: quote d bis (art. 7 bis e 7 ter) per comune e soglia c bis" in pagina
    assert "scelte dall'ufficio di piano con questo motivo: «Piano predisposto prima" in pagina


def test_a_choice_without_a_reason_is_refused_and_changes_nothing(client, piano_2027, ufficio):
    client.force_login(ufficio)
    risposta = client.post(
        url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": "  "}
    )
    assert risposta.status_code == 400
    assert "Indicare il motivo per cui il piano applica queste regole." in risposta.content.decode()
    assert codice_regole(piano_2027) == "lr-18-2025"
    assert storico(piano_2027, ORIGINE_REGOLE) == []


def test_choosing_the_rules_already_applied_is_refused(client, piano_2027, ufficio):
    client.force_login(ufficio)
    risposta = client.post(
        url("scegli_regole", piano_2027), {"regole": regole("lr-18-2025").pk, "motivo": MOTIVO}
    )
    assert risposta.status_code == 400
    assert "Il piano applica già le regole" in risposta.content.decode()
    assert storico(piano_2027, ORIGINE_REGOLE) == []


@pytest.mark.parametrize("ruolo", [Ruolo.COMUNE, Ruolo.ALER, Ruolo.ASSEMBLEA, "altro ambito"])
def test_only_the_ambitos_ufficio_di_piano_chooses_the_rules(client, piano_2027, ruolo):
    if ruolo == "altro ambito":
        altro = crea_ambito(nome="Ambito di altri", comuni=2, prefisso_istat="015").ambito
        utente = crea_operatore("ufficio.altro", altro, Ruolo.UFFICIO_DI_PIANO)
    else:
        proprio = {Ruolo.COMUNE: ente("Comune di Cremona"), Ruolo.ALER: ente(ALER)}.get(ruolo)
        utente = crea_operatore(f"operatore.{ruolo}", piano_2027.ambito, ruolo, proprio)
    client.force_login(utente)
    dati = {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO}
    assert client.post(url("scegli_regole", piano_2027), dati).status_code == 404
    assert (
        client.post(url("triennio", piano_2027), {"triennio_inizio": 2027, "triennio_fine": 2029}).status_code
        == 404
    )
    piano = ricaricato(piano_2027)
    assert piano.regole is not None
    assert (piano.regole.codice, piano.motivo_regole, piano.triennio_inizio) == ("lr-18-2025", "", None)
    assert (
        Modifica.objects.filter(piano=piano_2027, origine__in=[ORIGINE_REGOLE, ORIGINE_TRIENNIO]).count() == 0
    )


def test_an_approved_plan_keeps_its_rules(client, piano_2027, ufficio):
    approva(piano_2027)
    client.force_login(ufficio)
    risposta = client.post(
        url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO}, follow=True
    )
    assert (
        "Il piano 2027 è approvato: le regole applicate non si possono più cambiare."
        in risposta.content.decode()
    )
    assert codice_regole(piano_2027) == "lr-18-2025"
    assert "Applica regole diverse" not in risposta.content.decode()
    assert storico(piano_2027, ORIGINE_REGOLE) == []


# --------------------------------------------------------------------------------------------
# The triennale the plan belongs to
# --------------------------------------------------------------------------------------------


def test_the_ufficio_records_the_triennale_and_it_is_in_the_history(client, piano_2027, ufficio):
    client.force_login(ufficio)
    risposta = client.post(url("triennio", piano_2027), {"triennio_inizio": 2026, "triennio_fine": 2028})
    assert risposta.status_code == 302
    piano = ricaricato(piano_2027)
    assert (piano.triennio_inizio, piano.triennio_fine) == (2026, 2028)
    (modifica,) = storico(piano_2027, ORIGINE_TRIENNIO)
    assert modifica.utente == ufficio
    assert modifica.prima is not None and modifica.dopo is not None
    assert (
        modifica.prima["triennio_inizio"],
        modifica.dopo["triennio_inizio"],
        modifica.dopo["triennio_fine"],
    ) == (
        None,
        2026,
        2028,
    )
    assert (
        "Piano triennale di riferimento: 2026–2028."
        in client.get(url("iter_piano", piano_2027)).content.decode()
    )


@pytest.mark.parametrize(
    ("inizio", "fine", "messaggio"),
    [
        (2024, 2026, TRIENNIO_ERRATO),  # three years, but not the plan's
        (2026, 2027, TRIENNIO_ERRATO),  # two years
        (2026, "", "Indicare sia il primo sia l&#x27;ultimo anno del piano triennale, o nessuno dei due."),
    ],
)
def test_a_triennale_the_database_refuses_is_an_italian_form_error_and_nothing_changes(
    client, piano_2027, ufficio, inizio, fine, messaggio
):
    client.force_login(ufficio)
    risposta = client.post(url("triennio", piano_2027), {"triennio_inizio": inizio, "triennio_fine": fine})
    assert risposta.status_code == 400
    assert messaggio.replace("'", "&#x27;") in risposta.content.decode()
    piano = ricaricato(piano_2027)
    assert (piano.triennio_inizio, piano.triennio_fine) == (None, None)
    assert storico(piano_2027, ORIGINE_TRIENNIO) == []


# --------------------------------------------------------------------------------------------
# Rule sets as data: ``manage.py carica_regole`` and the admin
# --------------------------------------------------------------------------------------------


def voce(codice: str = "ipotesi-25", **modifiche) -> dict:
    """A rule set shaped like the migration's file: L.R. 18/2025's with a d bis) limit of 25 %."""
    parametri = copy.deepcopy(regole("lr-18-2025").parametri)
    parametri["quota_polizia"]["massimo"] = 25
    dati = {
        "codice": codice,
        "nome": "Ipotesi: quota d bis fino al 25%",
        "riferimenti": "Regole di prova.",
        "in_vigore_dal": "2026-06-01",
        "parametri": parametri,
    }
    dati.update(modifiche)
    return dati


def file_regole(tmp_path, voci: list) -> str:
    percorso = tmp_path / "regole.json"
    percorso.write_text(json.dumps(voci, ensure_ascii=False), encoding="utf-8")
    return str(percorso)


def test_a_rule_set_loaded_from_a_file_changes_the_computation_without_code_changes(
    piano_2027, ufficio, tmp_path, capsys
):
    ScelteEnte.objects.filter(piano=piano_2027).update(quota_forze_polizia=0, quota_polizia_locale=0)
    ScelteEnte.objects.filter(piano=piano_2027, ente=ente("Comune di Cremona")).update(
        quota_forze_polizia=20, quota_polizia_locale=5
    )
    assert [a.codice for a in calcola_piano(piano_2027).anomalie if a.codice == "Q01"] == ["Q01"]
    call_command("carica_regole", file_regole(tmp_path, [voce()]))
    assert "Create: ipotesi-25" in capsys.readouterr().out
    assert (
        Modifica.objects.filter(modello="piano_annuale.regoleanno", origine=ORIGINE_CARICAMENTO).count() == 1
    )
    scegli_regole(
        piano=piano_2027, regole=regole("ipotesi-25"), motivo="Prova del limite al 25%.", utente=ufficio
    )
    calcolo = calcola_piano(ricaricato(piano_2027))
    assert [a for a in calcolo.anomalie if a.codice == "Q01"] == []
    assert calcolo.dbis is not None
    cremona = next(r for r in calcolo.dbis.righe if r.comune == "Cremona")
    # ALER 101 × 20 % = 20,2 → 21 and the comune 22 × 20 % = 4,4 → 5; 7 ter 5,05 → 6 and 1,1 → 2.
    assert (cremona.percentuale_totale, cremona.unita_7bis, cremona.unita_7ter) == (25, 26, 8)
    # A plan of a year after the new rules' start gets them, with no reason: they are those in force.
    in_vigore = RegoleAnno.objects.in_vigore_al(datetime.date(2027, 1, 1))
    assert in_vigore is not None
    assert in_vigore.codice == "ipotesi-25"


def test_loading_the_same_file_again_changes_nothing(tmp_path, db, capsys):
    percorso = file_regole(tmp_path, [voce()])
    call_command("carica_regole", percorso)
    call_command("carica_regole", percorso)
    assert "Invariate: ipotesi-25" in capsys.readouterr().out
    assert (
        Modifica.objects.filter(modello="piano_annuale.regoleanno", origine=ORIGINE_CARICAMENTO).count() == 1
    )


def test_a_file_with_a_wrong_entry_is_refused_and_writes_nothing(tmp_path, db):
    sbagliata = voce("ipotesi-120", in_vigore_dal="2026-09-01")
    sbagliata["parametri"]["quota_polizia"]["massimo"] = 120
    prima = list(RegoleAnno.objects.order_by("pk").values_list())
    with pytest.raises(CommandError) as errore:
        call_command("carica_regole", file_regole(tmp_path, [voce(), sbagliata]))
    assert str(errore.value) == (
        "Nessuna regola caricata. Voce n. 2 («ipotesi-120»): «quota_polizia.massimo» deve essere una "
        "percentuale intera da 0 a 100: trovato «120»."
    )
    assert list(RegoleAnno.objects.order_by("pk").values_list()) == prima


def test_a_rule_set_an_approved_plan_was_computed_under_cannot_be_changed(piano_cremonese, tmp_path):
    approva(piano_cremonese)
    attuale = regole("lr-11-2024")
    modificata = {
        "codice": attuale.codice,
        "nome": "Un altro nome",
        "riferimenti": attuale.riferimenti,
        "in_vigore_dal": attuale.in_vigore_dal.isoformat(),
        "parametri": attuale.parametri,
    }
    with pytest.raises(CommandError) as errore:
        call_command("carica_regole", file_regole(tmp_path, [voce(), modificata]))
    assert "Regole già applicate da un piano approvato" in str(errore.value)
    assert "lr-11-2024" in str(errore.value)
    assert regole("lr-11-2024").nome == attuale.nome
    assert not RegoleAnno.objects.filter(codice="ipotesi-25").exists()


def test_two_rule_sets_cannot_start_on_the_same_day(tmp_path, db):
    with pytest.raises(CommandError) as errore:
        call_command("carica_regole", file_regole(tmp_path, [voce(in_vigore_dal="2025-12-10")]))
    assert "le regole «lr-18-2025» sono già in vigore dal 10/12/2025" in str(errore.value)


def test_the_admin_of_the_rule_sets_refuses_wrong_parameters_in_italian(client, db):
    client.force_login(get_user_model().objects.create_superuser("radice.regole", "r@example.invalid", "x"))
    dati = voce()
    dati["parametri"]["costo_lavori_carenza"] = "sempre"
    risposta = client.post(
        reverse("admin:piano_annuale_regoleanno_add"), {**dati, "parametri": json.dumps(dati["parametri"])}
    )
    assert risposta.status_code == 200
    assert (
        "«costo_lavori_carenza» deve essere uno tra non_previsto, facoltativo, obbligatorio: trovato «sempre»."
        in risposta.content.decode()
    )
    assert not RegoleAnno.objects.filter(codice="ipotesi-25").exists()
    dati["parametri"]["costo_lavori_carenza"] = "obbligatorio"
    risposta = client.post(
        reverse("admin:piano_annuale_regoleanno_add"), {**dati, "parametri": json.dumps(dati["parametri"])}
    )
    assert risposta.status_code == 302
    assert regole("ipotesi-25").valori.quota_polizia.massimo == 25


def test_only_a_superuser_administers_the_rule_sets_and_not_those_of_an_approved_plan(
    client, piano_cremonese
):
    utente = get_user_model().objects.create_user("staff.regole", password="x", is_staff=True)
    utente.user_permissions.set(Permission.objects.filter(codename__endswith="regoleanno"))
    client.force_login(utente)
    # Staff status and permissions open nothing: the admin is the platform administrator's only.
    risposta = client.get(reverse("admin:piano_annuale_regoleanno_changelist"))
    assert risposta.status_code == 302
    assert risposta["Location"].startswith(reverse("admin:login"))
    approva(piano_cremonese)
    client.force_login(
        get_user_model().objects.create_superuser("radice.approvate", "s@example.invalid", "x")
    )
    usate = regole("lr-11-2024")
    pagina = client.get(reverse("admin:piano_annuale_regoleanno_change", args=[usate.pk]))
    assert pagina.status_code == 200
    risposta = client.post(
        reverse("admin:piano_annuale_regoleanno_change", args=[usate.pk]),
        {
            "codice": usate.codice,
            "nome": "Un altro nome",
            "riferimenti": usate.riferimenti,
            "in_vigore_dal": usate.in_vigore_dal.isoformat(),
            "parametri": json.dumps(usate.parametri),
        },
    )
    assert risposta.status_code == 403
    assert regole("lr-11-2024").nome == usate.nome


def test_the_rules_of_a_draft_already_sent_to_aler_cannot_change_without_a_new_draft(
    client, piano_2027, ufficio
):
    PianoAnnuale.objects.filter(pk=piano_2027.pk).update(stato=StatoPiano.INVIATA_ALER)
    client.force_login(ufficio)
    pagina = client.get(reverse("piano_annuale:iter_piano", args=[piano_2027.pk])).content.decode()
    assert "Applica regole diverse" not in pagina
    risposta = client.post(
        url("scegli_regole", piano_2027), {"regole": regole("rr-2-2025").pk, "motivo": MOTIVO}, follow=True
    )
    assert (
        "Il piano 2027 è già stato inviato ad ALER: per applicare regole diverse occorre riportarlo in bozza."
        in risposta.content.decode()
    )
    assert codice_regole(piano_2027) == "lr-18-2025"
    assert storico(piano_2027, ORIGINE_REGOLE) == []
