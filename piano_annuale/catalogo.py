"""The catalogue of the plan's sections and parts: the one place their titles and labels are written.

Every rendering reads it: the plan page (table of contents and headings), the PDF's outline, the
spreadsheet exports (one or more tables per part with figures), the comparison of two versions and
of two years (``totale``), and the parts an observation of ALER may be about (``osservabile``).

Some parts exist only under some rule sets (``piano_annuale.models.regole``): d bis) and c bis) since
R.R. 2/2025, the cost of works of b) since L.R. 18/2025, i.b) only while the Forze di Polizia quota is
set per ente. ``presente`` says whether a computed plan has a part; every rendering asks it.

It imports nothing of the project, so any layer may use it, the models included.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Natura(StrEnum):
    """What a part holds, which decides where it appears."""

    TESTO = "testo"  # a narrative written by the ufficio di piano (PDF only)
    GRUPPO = "gruppo"  # a part or chapter that only groups the ones below it
    DATI = "dati"  # figures of the computed plan: exported as one or more tables
    ITER = "iter"  # the workflow's records (parere, observations, approval): PDF and versions only


@dataclass(frozen=True)
class Voce:
    """One section or part of the plan, in the order the document prints it."""

    chiave: str  # id of the heading, key of the exports and of the observations
    livello: int  # 1 part or annex, 2 chapter, 3 section
    titolo: str  # as the PDF and the page print it
    breve: str  # short label, at most 31 characters with its letter (a spreadsheet's sheet name)
    natura: Natura
    lettera: str = ""  # «a)» … «k)», «i.b)»: the law's letter of a section
    etichetta: str = ""  # «Parte prima», «Allegato A»: printed above a part's title
    dati: str = ""  # the key of the computed plan (and of a version's JSON) holding its figures
    totale: tuple[tuple[str, ...], ...] = ()  # paths to the values whose sum is its total
    totale_di: str = ""  # what the total counts: «alloggi», «abitanti», «enti»
    osservabile: bool = False  # ALER may address an observation to it
    # The key of the computed plan that is None under the rule sets without this part.
    se_calcolato: str = ""
    # «ente» or «comune»: the part exists only when the plan's rules set the police quota that way.
    quota_per: str = ""
    # A narrative printed only when the ufficio di piano wrote it (it has no default text).
    facoltativo: bool = False

    @property
    def nome(self) -> str:
        """The short label with the letter: «b) Carenza manutentiva», «Allegato A – report per ente»."""
        return f"{self.lettera} {self.breve}" if self.lettera else self.breve

    @property
    def completo(self) -> str:
        """The full title with the letter or the part's label: «Allegato A – Report per ente proprietario»."""
        if self.etichetta:
            return f"{self.etichetta} – {self.titolo}"
        return f"{self.lettera} {self.titolo}" if self.lettera else self.titolo

    @property
    def ancora(self) -> str:
        """The id of its section on the plan page: «allegato-a», «parte-seconda»."""
        return self.chiave.replace("_", "-")


def _sezione(
    chiave: str, lettera: str, titolo: str, breve: str, totale: tuple[str, ...], totale_di: str = "U.I."
) -> Voce:
    """A lettered section of the Parte prima (a–k): figures, a total, observable."""
    return Voce(
        chiave,
        3,
        titolo,
        breve,
        Natura.DATI,
        lettera=lettera,
        dati=chiave,
        totale=(totale,),
        totale_di=totale_di,
        osservabile=True,
    )


CATALOGO: tuple[Voce, ...] = (
    Voce("premessa", 2, "Premessa", "Premessa", Natura.TESTO, osservabile=True),
    Voce("normativa", 2, "Il sistema regionale dei servizi abitativi", "Quadro normativo", Natura.TESTO),
    # L.R. 11/2024 art. 21: the triennale «può essere aggiornato mediante il piano annuale».
    Voce(
        "aggiornamento_triennale",
        2,
        "Aggiornamento del piano triennale",
        "Aggiornamento del triennale",
        Natura.TESTO,
        facoltativo=True,
    ),
    Voce(
        "parte_prima",
        1,
        "Ricognizione dell'offerta abitativa pubblica e sociale",
        "Parte prima – ricognizione",
        Natura.GRUPPO,
        etichetta="Parte prima",
    ),
    Voce("contesto", 2, "Analisi del contesto", "Analisi del contesto", Natura.TESTO, osservabile=True),
    Voce(
        "anagrafe",
        2,
        "Dati anagrafici",
        "Dati anagrafici",
        Natura.GRUPPO,
        dati="demografia",
        totale=(("demografia", "totale_abitanti"),),
        totale_di="abitanti",
    ),
    Voce(
        "popolazione",
        3,
        "Popolazione residente per comune",
        "Popolazione per comune",
        Natura.DATI,
        dati="demografia",
    ),
    Voce(
        "aggregazioni",
        3,
        "Popolazione per aggregazione territoriale",
        "Popolazione per aggregazione",
        Natura.DATI,
        dati="demografia",
    ),
    Voce(
        "densita", 3, "Superficie e densità abitativa", "Superficie e densità", Natura.DATI, dati="demografia"
    ),
    Voce(
        "senza_sap",
        3,
        "Comuni senza alloggi SAP di proprietà",
        "Comuni senza SAP",
        Natura.DATI,
        dati="demografia",
    ),
    Voce(
        "ricognizione",
        2,
        "Esito della ricognizione",
        "Esito della ricognizione",
        Natura.DATI,
        dati="ricognizione",
        osservabile=True,
    ),
    Voce("servizi", 2, "Dati dei servizi abitativi", "Servizi abitativi", Natura.GRUPPO),
    _sezione(
        "a",
        "a)",
        "Consistenza del patrimonio abitativo pubblico e sociale",
        "Consistenza del patrimonio",
        ("a", "totale"),
        "alloggi",
    ),
    _sezione(
        "b",
        "b)",
        "Unità SAP in carenza manutentiva assegnabili nello stato di fatto",
        "Carenza manutentiva",
        ("b", "totale"),
    ),
    Voce(
        "costi_b",
        3,
        "Costo stimato dei lavori delle unità in carenza manutentiva",
        "Costo dei lavori",
        Natura.DATI,
        lettera="b)",
        dati="costi_b",
        se_calcolato="costi_b",
        osservabile=True,
    ),
    _sezione(
        "c",
        "c)",
        "Unità SAP in piani e programmi di ristrutturazione, recupero e riqualificazione",
        "Ristrutturazione",
        ("c", "totale"),
    ),
    Voce(
        "cbis",
        3,
        "Soglia per le categorie dell'art. 14 determinata dagli enti proprietari",
        "Soglia categorie art. 14",
        Natura.DATI,
        lettera="c bis)",
        dati="cbis",
        se_calcolato="cbis",
        osservabile=True,
    ),
    _sezione("d", "d)", "Unità SAP di nuova edificazione", "Nuova edificazione", ("d", "totale")),
    Voce(
        "dbis",
        3,
        "Quote per le Forze di Polizia, i Vigili del Fuoco e le Forze Armate (art. 7 bis) "
        "e per la Polizia Locale (art. 7 ter)",
        "Quote 7 bis e 7 ter",
        Natura.DATI,
        lettera="d bis)",
        dati="dbis",
        se_calcolato="dbis",
        osservabile=True,
    ),
    Voce(
        "e",
        3,
        "Unità SAP già libere e che si libereranno per turn-over",
        "Già libere e turn-over",
        Natura.DATI,
        lettera="e)",
        dati="e",
        totale=(("e", "totale_libere"), ("e", "totale_turnover")),
        totale_di="U.I.",
        osservabile=True,
    ),
    _sezione(
        "f",
        "f)",
        "Unità conferite da soggetti privati e destinate ai SAP",
        "Conferite da privati",
        ("f", "totale"),
    ),
    _sezione(
        "g", "g)", "Unità SAP assegnabili nell'anno", "Assegnabili nell'anno", ("g", "totale", "totale")
    ),
    _sezione(
        "h",
        "h)",
        "Soglia per i nuclei in condizione di indigenza eccedente il 20%",
        "Soglia indigenti",
        ("h",),
        "enti",
    ),
    _sezione(
        "i",
        "i)",
        "Categorie aggiuntive di particolare rilevanza sociale",
        "Categorie aggiuntive",
        ("i",),
        "enti",
    ),
    Voce(
        "ib",
        3,
        "Quota per le Forze di Polizia e il Corpo nazionale dei Vigili del Fuoco",
        "Forze di Polizia",
        Natura.DATI,
        lettera="i.b)",
        dati="ib",
        totale=(("ib", "totale_unita"),),
        totale_di="U.I.",
        osservabile=True,
        quota_per="ente",  # replaced by d bis) where the quota is set per comune
    ),
    _sezione(
        "j",
        "j)",
        "Unità destinate ai servizi abitativi transitori",
        "Servizi abitativi transitori",
        ("j", "totale"),
    ),
    _sezione(
        "k", "k)", "Unità SAP assegnate nell'anno precedente", "Assegnazioni anno precedente", ("k", "totale")
    ),
    Voce(
        "parte_seconda",
        1,
        "Il supporto all'abitare",
        "Parte seconda – misure",
        Natura.GRUPPO,
        etichetta="Parte seconda",
        dati="parte_seconda",
        osservabile=True,
    ),
    Voce(
        "misure",
        2,
        "Misure per l'accesso e il mantenimento dell'abitazione",
        "Misure",
        Natura.DATI,
        dati="parte_seconda",
    ),
    Voce("avvisi", 2, "Avvisi pubblici", "Avvisi pubblici", Natura.DATI, dati="parte_seconda"),
    Voce(
        "solidarieta",
        2,
        "Riparto del contributo regionale di solidarietà",
        "Contributo di solidarietà",
        Natura.DATI,
        dati="parte_seconda",
    ),
    Voce(
        "riqualificazione",
        2,
        "Accesso ai fondi per la riqualificazione dei contesti abitativi pubblici",
        "Fondi per la riqualificazione",
        Natura.DATI,
        dati="parte_seconda",
    ),
    Voce(
        "parte_terza",
        1,
        "Altre progettualità di sostegno al disagio abitativo",
        "Parte terza – progettualità",
        Natura.GRUPPO,
        etichetta="Parte terza",
        dati="parte_terza",
        osservabile=True,
    ),
    Voce(
        "progettualita",
        2,
        "Progettualità attive nell'Ambito",
        "Progettualità attive",
        Natura.DATI,
        dati="parte_terza",
    ),
    Voce("note", 1, "Note di chiusura", "Note di chiusura", Natura.ITER, dati="note_chiusura"),
    Voce(
        "allegato_a",
        1,
        "Report per ente proprietario",
        "Allegato A – report per ente",
        Natura.DATI,
        etichetta="Allegato A",
        dati="allegato_a",
        osservabile=True,
    ),
    Voce(
        "allegato_b",
        1,
        "Dettaglio delle unità di proprietà ALER (sezioni b, c, e)",
        "Allegato B – unità ALER",
        Natura.DATI,
        etichetta="Allegato B",
        dati="allegato_b",
        osservabile=True,
    ),
    Voce(
        "sintesi",
        1,
        "Tabelle di sintesi per l'Assemblea dei Sindaci",
        "Sintesi per l'Assemblea",
        Natura.DATI,
        etichetta="Sintesi",
        dati="sintesi",
        osservabile=True,
    ),
    Voce(
        "controlli",
        1,
        "Esito dei controlli di coerenza",
        "Controlli di coerenza",
        Natura.DATI,
        etichetta="Bozza",
        dati="anomalie",
    ),
)

VOCI: dict[str, Voce] = {v.chiave: v for v in CATALOGO}

# An observation may also be about the plan as a whole, which is no section of it.
GENERALE = ("generale", "Il piano nel suo complesso")


def voce(chiave: str) -> Voce:
    """The catalogue's entry for ``chiave``; ``KeyError`` for a part the plan does not have."""
    return VOCI[chiave]


def _leggi(oggetto: Any, nome: str) -> Any:
    """``oggetto.nome``, or ``oggetto[nome]`` for a computed plan's dict (a version's JSON)."""
    if isinstance(oggetto, dict):
        return oggetto.get(nome)
    return getattr(oggetto, nome, None)


def presente(v: Voce, calcolo: Any) -> bool:
    """Whether the computed plan (``PianoCalcolato``, its ``as_dict`` or a version's JSON) has the
    part under the rules it was computed with. A plan frozen before the rule sets has every part of
    its time: i.b), and none of the later ones."""
    if v.se_calcolato and _leggi(calcolo, v.se_calcolato) is None:
        return False
    if v.quota_per:
        regole = _leggi(calcolo, "regole")
        if regole is not None and _leggi(regole, "quota_per") != v.quota_per:
            return False
    return True


def scelte_osservazioni() -> list[tuple[str, str]]:
    """What an observation of ALER may be about: the plan as a whole, then each observable part."""
    return [GENERALE, *((v.chiave, v.nome) for v in CATALOGO if v.osservabile)]


def sezioni_dei_dati() -> dict[str, Voce]:
    """Each key of the computed plan that holds figures, with the first part printing it, in order:
    the sections a version comparison walks."""
    sezioni: dict[str, Voce] = {}
    for v in CATALOGO:
        if v.dati and v.dati not in sezioni:
            sezioni[v.dati] = v
    return sezioni


def leggi_totale(v: Voce, dati: dict[str, Any]) -> int | None:
    """The part's total in a computed plan's dict (``as_dict`` or a version's JSON): the sum of the
    values at its paths, a list counting its rows; None when a value is missing."""
    if not v.totale:
        return None
    somma = 0
    for percorso in v.totale:
        valore: Any = dati
        for chiave in percorso:
            if not isinstance(valore, dict):
                return None
            valore = valore.get(chiave)
        if isinstance(valore, list | tuple):  # a version's JSON has lists, ``as_dict`` tuples
            valore = len(valore)
        if not isinstance(valore, int) or isinstance(valore, bool):
            return None
        somma += valore
    return somma
