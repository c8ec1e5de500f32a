"""The regional overview as a table: its columns and what each means, its filters and its order.

The rows are ``panoramica.panoramica_regionale()``'s (a fixed number of queries); filtering and
sorting work on those ≤ ~100 rows, server-side, from the query string (``?provincia=``, ``?stato=``,
``?q=``, ``?ordina=campo`` or ``-campo``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from piano_annuale.models import StatoPiano
from piano_annuale.panoramica import NESSUN_PIANO, RigaPanoramica


@dataclass(frozen=True)
class Colonna:
    """A column of the table and of the exports: its field, its heading and what it means."""

    campo: str
    intestazione: str
    significato: str
    numerica: bool = True


COLONNE: tuple[Colonna, ...] = (
    Colonna("ambito", "Ambito", "L'ambito territoriale.", numerica=False),
    Colonna("provincia", "Provincia", "La provincia del comune capofila.", numerica=False),
    Colonna("anno", "Anno del piano", "L'anno del piano più recente dell'ambito."),
    Colonna("stato_descrizione", "Fase", "La fase in cui si trova il piano più recente.", numerica=False),
    Colonna(
        "scadenza_ricognizione",
        "Scadenza ricognizione",
        "Il termine per le risposte fissato dall'ufficio di piano (vuoto se non fissato).",
    ),
    Colonna(
        "scadenza_approvazione",
        "Termine approvazione",
        "Il 31 dicembre dell'anno precedente a quello del piano (R.R. 4/2017 art. 4).",
    ),
    Colonna(
        "tasso_risposta",
        "Risposte (%)",
        "Enti che hanno inviato la risposta (o dichiarato di non avere nulla da dichiarare) sul totale "
        "degli enti interpellati: comuni, ALER e operatori accreditati dell'ambito.",
    ),
    Colonna("libere", "SAP libere", "Unità SAP già libere (sezione e)."),
    Colonna("turnover", "SAP turn-over", "Unità SAP che si libereranno per turn-over (sezione e)."),
    Colonna("carenza", "SAP carenza manut.", "Unità SAP in carenza manutentiva (sezione b)."),
    Colonna(
        "nuove_ristrutturate",
        "SAP nuove o ristrutt.",
        "Unità SAP di nuova edificazione o ristrutturate (sezioni c e d).",
    ),
    Colonna("conferite", "SAP conferite", "Unità conferite da privati e destinate a SAP (sezione f)."),
    Colonna(
        "disponibili_sap", "SAP disponibili", "Totale delle unità SAP disponibili nell'anno (sezione g)."
    ),
    Colonna(
        "disponibili_sas",
        "SAS disponibili",
        "Unità SAS dichiarate disponibili nell'anno (libere, in carenza, ristrutturate, nuove, conferite).",
    ),
    Colonna("patrimonio_sap", "Patrimonio SAP", "Unità SAP nelle anagrafi degli enti dell'ambito."),
    Colonna("patrimonio_sas", "Patrimonio SAS", "Unità SAS nelle anagrafi degli enti dell'ambito."),
    Colonna(
        "forze_polizia",
        "Forze di Polizia",
        "Unità destinate alle Forze di Polizia (sezione i.b fino al R.R. 2/2025, quota art. 7 bis della "
        "lettera d bis dopo).",
    ),
    Colonna(
        "polizia_locale", "Polizia Locale", "Unità destinate alla Polizia Locale (quota art. 7 ter, d bis)."
    ),
    Colonna("sat", "SAT", "Unità destinate ai servizi abitativi transitori (sezione j)."),
    Colonna("abitanti", "Abitanti", "Popolazione dei comuni dell'ambito alla data di riferimento del piano."),
    Colonna(
        "disponibili_per_mille",
        "Disponibili per 1.000 ab.",
        "Unità disponibili nell'anno (SAP e SAS) ogni 1.000 abitanti.",
    ),
    Colonna("sap_per_mille", "Patrimonio SAP per 1.000 ab.", "Unità SAP in anagrafe ogni 1.000 abitanti."),
    Colonna(
        "fonte",
        "Origine dei dati",
        "Da dove vengono le unità per categoria, Forze di Polizia e SAT: la versione approvata del "
        "piano, il piano calcolato in memoria, o il conteggio delle dichiarazioni degli enti.",
        numerica=False,
    ),
)
CAMPI_ORDINABILI = frozenset(c.campo for c in COLONNE) | {"stato"}


@dataclass(frozen=True)
class Filtri:
    provincia: str = ""
    stato: str = ""
    testo: str = ""
    ordina: str = "ambito"

    @classmethod
    def da_richiesta(cls, parametri: Any) -> Filtri:
        """The filters of a query string, unknown values dropped."""
        stato = parametri.get("stato", "")
        if stato not in StatoPiano.values and stato != NESSUN_PIANO:
            stato = ""
        ordina = parametri.get("ordina", "ambito")
        if ordina.removeprefix("-") not in CAMPI_ORDINABILI:
            ordina = "ambito"
        return cls(
            provincia=parametri.get("provincia", "").strip().upper()[:2],
            stato=stato,
            testo=parametri.get("q", "").strip()[:100],
            ordina=ordina,
        )

    @property
    def attivi(self) -> bool:
        return bool(self.provincia or self.stato or self.testo)

    def parametri(self, **altri: str) -> dict[str, str]:
        """The query string's values (for links that keep the filters)."""
        valori = {"provincia": self.provincia, "stato": self.stato, "q": self.testo, "ordina": self.ordina}
        valori.update(altri)
        return {k: v for k, v in valori.items() if v}


def filtra(righe: Iterable[RigaPanoramica], filtri: Filtri) -> list[RigaPanoramica]:
    testo = filtri.testo.casefold()
    return [
        r
        for r in righe
        if (not filtri.provincia or r.provincia == filtri.provincia)
        and (not filtri.stato or r.stato == filtri.stato)
        and (not testo or testo in r.ambito.casefold() or testo in r.capofila.casefold())
    ]


# The workflow's order, for sorting by stage.
_ORDINE_STATI = {stato: n for n, stato in enumerate([NESSUN_PIANO, *StatoPiano.values])}


def ordina(righe: list[RigaPanoramica], criterio: str) -> list[RigaPanoramica]:
    """Sorted by a field (``-campo``: descending); rows without the value last either way, then by name."""
    campo = criterio.removeprefix("-")
    discendente = criterio.startswith("-")
    if campo in ("stato", "stato_descrizione"):
        valore: Callable[[RigaPanoramica], Any] = lambda r: _ORDINE_STATI.get(r.stato, 0)  # noqa: E731
    else:
        valore = lambda r: getattr(r, campo)  # noqa: E731
    con = sorted((r for r in righe if valore(r) not in (None, "")), key=lambda r: r.ambito.casefold())
    con.sort(
        key=lambda r: valore(r).casefold() if isinstance(valore(r), str) else valore(r), reverse=discendente
    )
    senza = sorted((r for r in righe if valore(r) in (None, "")), key=lambda r: r.ambito.casefold())
    return con + senza


def valori(riga: RigaPanoramica) -> tuple[Any, ...]:
    """The row's cells in ``COLONNE``'s order (for the exports)."""
    return tuple(getattr(riga, c.campo) for c in COLONNE)
