"""The computed plan survives its JSON: what the JSON view, the frozen versions and the PDF/A attachment
carry is enough to rebuild the result types, and every total the page prints travels in it.

Golden figures of the Cremonese 2025 plan as in test_sezioni_cremonese.py and test_misure.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from patrimonio.models import Ruolo
from piano_annuale.calcolo import EncoderPiano, PianoCalcolato, calcola_piano, piano_da_json, tipi
from piano_annuale.calcolo.cache import svuota_cache
from piano_annuale.calcolo.serializzazione import da_json
from piano_annuale.models import PianoAnnuale
from piano_annuale.views import piano as vista_piano
from tests.utenti import crea_operatore, hasher_veloce

pytestmark = pytest.mark.usefixtures(hasher_veloce.__name__)


@pytest.fixture
def p(piano_cremonese) -> PianoCalcolato:
    return calcola_piano(piano_cremonese)


def test_the_plan_rebuilt_from_its_json_equals_the_computed_plan(p):
    ricostruito = piano_da_json(p.as_json())
    assert ricostruito == p
    assert ricostruito.as_json() == p.as_json()


def test_the_json_carries_the_totals_the_page_and_the_pdf_print(p):
    dati = json.loads(p.as_json())
    assert dati["e"]["totale"] == 44  # 38 free + 6 turnover
    assert dati["g"]["totale"]["nuove_ristrutturate"] == 106
    assert dati["piano"]["anno_precedente"] == 2024
    unica = next(m for m in dati["parte_seconda"]["misure"] if m["codice"] == "misura-unica")
    assert (unica["somma_di_cui"], unica["domande_di_cui"]) == ("471839.55", 262)
    assert (unica["erogato_su_impegno"], unica["erogato_da_residui"]) == ("376663.00", "42637.55")
    morosita = next(m for m in dati["parte_seconda"]["misure"] if m["codice"] == "morosita-incolpevole")
    assert (morosita["somma_di_cui"], morosita["somma_utilizzi"]) == (None, "121064.61")
    assert dati["parte_seconda"]["contributo_solidarieta"]["totale"]["assegnazione"] == "1649013.75"


def _senza_campi_derivati(valore: Any, tipo: Any) -> Any:
    """The JSON as it was before the derived fields existed: each ``init=False`` field removed."""
    if dataclasses.is_dataclass(tipo) and isinstance(valore, dict):
        campi = {f.name: f for f in dataclasses.fields(tipo)}
        suggerimenti = typing.get_type_hints(tipo)
        return {
            chiave: _senza_campi_derivati(v, suggerimenti.get(chiave))
            for chiave, v in valore.items()
            if chiave not in campi or campi[chiave].init
        }
    argomenti = [a for a in getattr(tipo, "__args__", ()) if a is not type(None) and a is not Ellipsis]
    if isinstance(valore, list):
        if len(argomenti) == 1:
            return [_senza_campi_derivati(v, argomenti[0]) for v in valore]
        return [_senza_campi_derivati(v, a) for v, a in zip(valore, argomenti, strict=False)]
    if isinstance(valore, dict) and len(argomenti) == 1:
        return _senza_campi_derivati(valore, argomenti[0])
    return valore


def test_a_frozen_version_without_the_derived_fields_and_with_its_notes_rebuilds_the_same_plan(p):
    dati = _senza_campi_derivati(json.loads(p.as_json()), PianoCalcolato)
    assert "totale" not in dati["e"] and "somma_di_cui" not in dati["parte_seconda"]["misure"][0]
    dati["note_chiusura"] = {"parere": None, "osservazioni": []}  # what a frozen version adds
    assert piano_da_json(dati) == p


def _numeri(html: str) -> list[str]:
    """The figures of a page, in order: digits with their separators, without the CSRF tokens."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.findall(r"\d[\d.,]*", html)


def test_the_plan_page_rendered_from_the_rebuilt_result_has_the_same_numbers(
    client, piano_cremonese, monkeypatch
):
    client.force_login(crea_operatore("ufficio", piano_cremonese.ambito, Ruolo.UFFICIO_DI_PIANO))
    url = reverse("piano_annuale:piano_detail", args=[piano_cremonese.pk])
    originale = client.get(url).content.decode()
    ricostruito = piano_da_json(json.loads(calcola_piano(piano_cremonese).as_json()))
    letti: list[PianoCalcolato] = []
    calcolato = vista_piano.piano_calcolato

    def dal_json_ricostruito(piano: PianoAnnuale) -> PianoCalcolato:
        if piano.pk != piano_cremonese.pk:
            return calcolato(piano)  # last year's plan, which the page compares
        letti.append(ricostruito)
        return ricostruito

    monkeypatch.setattr(vista_piano, "piano_calcolato", dal_json_ricostruito)
    svuota_cache()  # the page's body rendered again, from the rebuilt result
    dal_json = client.get(url).content.decode()
    assert letti  # the page was rendered from the rebuilt result
    assert "€ 471.839,55" in dal_json and "1.778.140,20" in dal_json
    assert _numeri(dal_json) == _numeri(originale)


# Read-only views of a result that are selections or groupings of its fields, never totals.
PROPRIETA_AMMESSE = {
    ("Ente", "is_comune"),
    ("SezioneE", "tabella_turnover"),
    ("PianoCalcolato", "errori"),
    ("PianoCalcolato", "avvisi"),
    ("MisuraCalcolata", "domande_per_fonte"),
    ("TabellaSolidarieta", "righe"),
    ("ParteSeconda", "riqualificazione_per_contesto"),
}


def test_every_value_of_the_result_types_is_a_field_but_a_few_selections():
    proprieta = {
        (classe.__name__, nome)
        for classe in vars(tipi).values()
        if isinstance(classe, type) and dataclasses.is_dataclass(classe)
        for nome, membro in vars(classe).items()
        if isinstance(membro, property)
    }
    assert proprieta == PROPRIETA_AMMESSE


def test_derived_fields_are_set_when_a_result_is_built():
    riga = tipi.RigaDisponibili(
        ente=None,
        comune=None,
        libere=1,
        turnover=2,
        liberi=3,
        ristrutturazione=4,
        nuova_edificazione=5,
        carenza=0,
        conferite=0,
        totale=12,
    )
    assert riga.nuove_ristrutturate == 9
    voce = tipi.VoceDiCui("v", "impegno", None, (), (), Decimal("10.00"), 3)
    altra = tipi.VoceDiCui("w", "residuo", None, ("A",), (1,), Decimal("2.50"), None)
    misura = tipi.MisuraCalcolata(
        id=1,
        misura_id=1,
        codice="m",
        lettera="a",
        titolo="M",
        riferimenti="",
        descrizione="",
        risorse_impegnate=Decimal("20.00"),
        risorse_erogate=Decimal("12.50"),
        risorse_residue=None,
        di_cui=(voce, altra),
        utilizzi_residuo=(),
        domande_pervenute=None,
        domande_approvate=None,
        domande_respinte=None,
        note="",
        rinnovo_previsto=False,
    )
    assert (misura.somma_di_cui, misura.domande_di_cui, misura.somma_utilizzi) == (Decimal("12.50"), 3, None)
    assert (misura.erogato_su_impegno, misura.erogato_da_residui) == (Decimal("10.00"), Decimal("2.50"))
    avviso = tipi.AvvisoCalcolato(1, "Avviso", "1", None, None, (), ("Cremona",), 39, 48, "")
    assert avviso.adesione == "39 su 48"
    assert piano_da_json_parziale(avviso) == avviso


def piano_da_json_parziale(valore: Any) -> Any:
    """A result type rebuilt from its own JSON, through the same reader as the whole plan."""
    testo = json.dumps(dataclasses.asdict(valore), cls=EncoderPiano)
    return da_json(type(valore), json.loads(testo))


def test_the_apis_text_is_the_standard_encoders_text_written_faster(p):
    atteso = json.dumps(p.as_dict(), cls=EncoderPiano, ensure_ascii=False, indent=2)
    testo = tipi.json_indentato(p)
    assert testo == atteso
    # The fields set after __init__ keep their place among the others.
    assert '"data_popolazione"' in testo
    assert testo.index('"anno_precedente": 2024') < testo.index('"triennio_inizio"')
    assert "Soresina" in testo  # Italian names written as they are, not escaped


def test_the_apis_text_writes_decimals_as_strings_and_refuses_unknown_values():
    @dataclasses.dataclass(frozen=True)
    class Riga:
        nome: str
        importo: Decimal
        quota: Any = None

    assert json.loads(tipi.json_indentato(Riga("Città", Decimal("1234.50")))) == {  # type: ignore[arg-type]
        "nome": "Città",
        "importo": "1234.50",
        "quota": None,
    }
    with pytest.raises(TypeError, match="not JSON serializable"):
        tipi.json_indentato(Riga("x", Decimal(1), quota=object()))  # type: ignore[arg-type]
