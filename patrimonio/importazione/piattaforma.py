"""The regional platform's programming report, uploaded once for all enti by the ufficio di piano.

The report is the Allegato A of the plan as the platform prints it (the seed's layout): one row per
ente proprietario, «Ragione Sociale Ente Proprietario» then the figures the ente declared on the
platform (SAS, SAP, units available in the year, free and turnover, carenza manutentiva, new or
renovated, SAT, assigned last year, conferred by private owners, the additional category, the
indigenti threshold, the Forze di Polizia %). The plan never uses these figures: they are kept in
``RiepilogoDichiarato`` so that check D01 finds where an ente's declaration and its own lists disagree.

The pipeline is the one of every upload: the file is measured and read in the isolated reader
(``lettura.leggi``), every row is checked (``analizza_report``: the ente found by its name among the
ambito's enti, each number a whole number in its range; each problem an ``Errore`` with sheet, row,
column, value and an Italian message), the preview lists the changes ente by ente, and confirming
writes them in one transaction with their history. Enti the file does not list are not touched.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from patrimonio.models import EnteProprietario, TipoEnte
from patrimonio.resources import normalizza

from .celle import intero, lettera_colonna, testo
from .errori import Errore, FileNonValido
from .lettura import Foglio, leggi


@dataclass(frozen=True)
class ColonnaReport:
    campo: str  # the RiepilogoDichiarato field
    intestazione: str  # the header as our preview names it
    alias: tuple[str, ...]  # normalised headers that name it
    massimo: int | None = None  # a percentage's ceiling
    facoltativa: bool = False  # an empty cell declares nothing (the field may be empty)


COLONNA_ENTE = "Ragione Sociale Ente Proprietario"
_ALIAS_ENTE = ("ragione sociale ente proprietario", "ente proprietario", "ente", "denominazione")

COLONNE_REPORT: tuple[ColonnaReport, ...] = (
    ColonnaReport(
        "sas",
        "U.I. SAS",
        ("numero u i per servizi abitativi sociali sas", "u i per servizi abitativi sociali sas", "sas"),
        facoltativa=True,
    ),
    ColonnaReport(
        "sap",
        "U.I. SAP",
        ("numero u i per servizi abitativi pubblici sap", "u i per servizi abitativi pubblici sap", "sap"),
        facoltativa=True,
    ),
    ColonnaReport(
        "disponibili",
        "U.I. disponibili nell'anno",
        ("numero complessivo u i disponibili nell anno", "u i disponibili nell anno", "disponibili"),
    ),
    ColonnaReport(
        "libere_turnover",
        "U.I. libere e per turn-over",
        (
            "numero u i libere e che si libereranno per effetto del turn over",
            "u i libere e che si libereranno per turn over",
            "u i libere e per turn over",
        ),
    ),
    ColonnaReport(
        "carenza_manutentiva",
        "U.I. in carenza manutentiva",
        (
            "numero u i in carenza manutentiva assegnabili nello stato di fatto",
            "u i in carenza manutentiva assegnabili nello stato di fatto",
            "u i in carenza manutentiva",
        ),
    ),
    ColonnaReport(
        "nuove_ristrutturate",
        "U.I. di nuova edificazione o ristrutturazione",
        (
            "numero u i disponibili per nuova edificazione ristrutturazione recupero riqualificazione",
            "u i da nuova edificazione ristrutturazione recupero riqualificazione",
            "u i di nuova edificazione o ristrutturazione",
        ),
    ),
    ColonnaReport(
        "transitori",
        "U.I. per servizi abitativi transitori",
        ("numero u i per servizi abitativi transitori", "u i per servizi abitativi transitori", "sat"),
    ),
    ColonnaReport(
        "assegnate_anno_precedente",
        "U.I. assegnate l'anno precedente",
        ("numero u i assegnate l anno precedente", "u i assegnate l anno precedente"),
        facoltativa=True,
    ),
    ColonnaReport(
        "conferite_privati",
        "U.I. conferite da privati",
        ("numero u i conferite da privati", "u i conferite da privati"),
    ),
    ColonnaReport(
        "soglia_indigenti",
        "Soglia % eccedente il 20% per indigenti",
        ("soglia eccedente il 20 per indigenti",),
        massimo=80,
        facoltativa=True,
    ),
    ColonnaReport(
        "forze_polizia",
        "% U.I. per le Forze di Polizia",
        (
            "u i destinate a forze di polizia e corpo nazionale dei vigili del fuoco",
            "u i per forze di polizia e vigili del fuoco",
            "u i per le forze di polizia",
        ),
        massimo=100,
        facoltativa=True,
    ),
)
CAMPI_REPORT = tuple(c.campo for c in COLONNE_REPORT)
ETICHETTE_REPORT = {c.campo: c.intestazione for c in COLONNE_REPORT}
_PER_ALIAS = {alias: c for c in COLONNE_REPORT for alias in c.alias}
RIGHE_CERCA_INTESTAZIONE = 20


def _compatto(nome: str) -> str:
    """«COMUNE DI CORTE DE' CORTESI» → «comunedicortedecortesi»: names compared whatever their spacing."""
    return normalizza(nome).replace(" ", "")


@dataclass
class RigaReport:
    """One ente's row of the report: where it is, the ente found, the figures read."""

    riga: int
    foglio: str
    ente_id: int
    ente: str
    valori: dict[str, int | None]


@dataclass
class AnalisiReport:
    righe: list[RigaReport] = field(default_factory=list)
    errori: list[Errore] = field(default_factory=list)
    avvisi: list[str] = field(default_factory=list)
    lette: int = 0


class IndiceEnti:
    """The ambito's enti by the names a report may give them: the denominazione, «Comune di X» or
    the comune's name alone, «ALER …» for the ambito's only ALER."""

    def __init__(self, enti: Iterable[EnteProprietario]) -> None:
        self.per_nome: dict[str, EnteProprietario] = {}
        aler = []
        for ente in enti:
            self.per_nome.setdefault(_compatto(ente.denominazione), ente)
            if ente.tipo == TipoEnte.COMUNE and ente.comune is not None:
                self.per_nome.setdefault(_compatto(f"Comune di {ente.comune.nome}"), ente)
                self.per_nome.setdefault(_compatto(ente.comune.nome), ente)
            if ente.tipo == TipoEnte.ALER:
                aler.append(ente)
        self.aler_unica = aler[0] if len(aler) == 1 else None

    def trova(self, nome: str) -> EnteProprietario | None:
        chiave = _compatto(nome)
        if chiave in self.per_nome:
            return self.per_nome[chiave]
        if chiave.startswith("aler") and self.aler_unica is not None:
            return self.aler_unica
        return None


def _intestazione(valori: Sequence[Any]) -> tuple[int, dict[str, int]] | None:
    """The column of the ente and of each figure, if this row is the report's header."""
    ente: int | None = None
    colonne: dict[str, int] = {}
    for indice, valore in enumerate(valori):
        scritto = normalizza(testo(valore))
        if not scritto:
            continue
        if scritto in _ALIAS_ENTE and ente is None:
            ente = indice
        elif (colonna := _PER_ALIAS.get(scritto)) is not None and colonna.campo not in colonne:
            colonne[colonna.campo] = indice
    if ente is None or len(colonne) < 2:
        return None
    return ente, colonne


_PERCENTUALE = re.compile(r"^\s*(\d+)\s*%\s*$")


def _numero(valore: Any, colonna: ColonnaReport) -> tuple[int | None, str | None]:
    """A figure of the report: ``(numero, None)`` or ``(None, messaggio)``."""
    scritto = testo(valore)
    if not scritto:
        if colonna.facoltativa:
            return None, None
        return None, "Manca il numero: scrivere 0 se non ce ne sono."
    da_leggere = valore
    if colonna.massimo is not None and (trovato := _PERCENTUALE.match(scritto)):
        da_leggere = trovato.group(1)  # «10%»
    numero, difetto = intero(da_leggere)
    if numero is None:
        if difetto == "decimale":
            return None, "Indicare un numero intero, senza decimali."
        return None, "Indicare un numero intero (ad es. 12), non un testo."
    if numero < 0:
        return None, "Il numero non può essere negativo."
    if colonna.massimo is not None and numero > colonna.massimo:
        return None, f"La percentuale va da 0 a {colonna.massimo}."
    return numero, None


def analizza_fogli(fogli: Iterable[Foglio], enti: IndiceEnti, ambito: str) -> AnalisiReport:
    """Every row of every sheet with the report's header; an error for each problem, nothing written."""
    analisi = AnalisiReport()
    viste: dict[int, int] = {}
    for foglio in fogli:
        intestazione: tuple[int, dict[str, int]] | None = None
        for indice, valori in enumerate(foglio.righe):
            numero_riga = indice + 1
            if intestazione is None:
                if indice < RIGHE_CERCA_INTESTAZIONE:
                    intestazione = _intestazione(valori)
                    if intestazione is not None:
                        _colonne_mancanti(intestazione[1], numero_riga, foglio.nome, analisi)
                continue
            _riga(valori, numero_riga, foglio, intestazione, enti, ambito, viste, analisi)
    if not analisi.lette and not analisi.errori:
        raise FileNonValido(
            "Il file non contiene il report della piattaforma regionale: serve una riga di intestazione "
            f"con «{COLONNA_ENTE}» e le colonne dell'Allegato A (ad es. «Numero U.I. per Servizi "
            "Abitativi Pubblici (SAP)»), seguita da una riga per ente."
        )
    return analisi


def _colonne_mancanti(colonne: dict[str, int], riga: int, foglio: str, analisi: AnalisiReport) -> None:
    for colonna in COLONNE_REPORT:
        if colonna.campo not in colonne and not colonna.facoltativa:
            analisi.errori.append(
                Errore(
                    riga,
                    colonna.intestazione,
                    "",
                    f"Manca la colonna «{colonna.intestazione}» del report della piattaforma regionale.",
                    foglio,
                )
            )


def _riga(
    valori: Sequence[Any],
    numero_riga: int,
    foglio: Foglio,
    intestazione: tuple[int, dict[str, int]],
    enti: IndiceEnti,
    ambito: str,
    viste: dict[int, int],
    analisi: AnalisiReport,
) -> None:
    colonna_ente, colonne = intestazione
    nome = testo(valori[colonna_ente]) if colonna_ente < len(valori) else ""
    if not nome and not any(testo(v) for v in valori):
        return  # an empty row
    analisi.lette += 1
    lettera = lettera_colonna(colonna_ente + foglio.prima_colonna)
    if not nome:
        analisi.errori.append(
            Errore(numero_riga, f"{COLONNA_ENTE} ({lettera})", "", "Manca l'ente proprietario.", foglio.nome)
        )
        return
    if normalizza(nome).startswith("totale"):
        analisi.lette -= 1
        return  # a total row the platform may print
    ente = enti.trova(nome)
    if ente is None:
        analisi.errori.append(
            Errore(
                numero_riga,
                f"{COLONNA_ENTE} ({lettera})",
                nome,
                f"Nessun ente dell'ambito «{ambito}» ha questo nome: scriverlo come nel servizio "
                "(ad es. «Comune di Cremona») o come nel report della piattaforma (ad es. «COMUNE DI CREMONA»).",
                foglio.nome,
            )
        )
        return
    if ente.pk in viste:
        analisi.errori.append(
            Errore(
                numero_riga,
                f"{COLONNA_ENTE} ({lettera})",
                nome,
                f"{ente.denominazione} compare già alla riga {viste[ente.pk]}: lasciare una sola riga per ente.",
                foglio.nome,
            )
        )
        return
    viste[ente.pk] = numero_riga
    letti: dict[str, int | None] = {}
    corretta = True
    for colonna in COLONNE_REPORT:
        indice = colonne.get(colonna.campo)
        if indice is None:
            continue
        valore = valori[indice] if indice < len(valori) else None
        numero, messaggio = _numero(valore, colonna)
        if messaggio is not None:
            corretta = False
            analisi.errori.append(
                Errore(
                    numero_riga,
                    f"{colonna.intestazione} ({lettera_colonna(indice + foglio.prima_colonna)})",
                    testo(valore),
                    messaggio,
                    foglio.nome,
                )
            )
        letti[colonna.campo] = numero
    if corretta:
        analisi.righe.append(RigaReport(numero_riga, foglio.nome, ente.pk, ente.denominazione, letti))


def leggi_report(contenuto: bytes, nome_file: str, enti: IndiceEnti, ambito: str) -> AnalisiReport:
    """Measure and read the file in the isolated reader, then analyse it (``FileNonValido`` for a file
    that is not a readable spreadsheet or holds no report)."""
    lettura = leggi(contenuto, nome_file)
    analisi = analizza_fogli(lettura.fogli, enti, ambito)
    analisi.avvisi = list(lettura.avvisi)
    return analisi


def impronta(modifiche: list[dict[str, Any]]) -> str:
    """A digest of the changes a preview showed: confirming writes only exactly those."""
    return hashlib.sha256(json.dumps(modifiche, sort_keys=True, default=str).encode()).hexdigest()
