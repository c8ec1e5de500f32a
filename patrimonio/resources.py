"""The columns of the ente's spreadsheets: one declaration for the template, the exports and the import.

``UnitaResource`` and ``TurnoverResource`` are django-import-export Resources: their fields name the
Italian column headers and the widgets that render each value. The exports use them as they are.
The import engine (``patrimonio.importazione``) reads the same column names from here, with the
aliases below for the regional platform's layouts (Allegato B), but not the Resources' row-by-row
import path, which is far too slow for ALER's files (see ``benchmarks/import_units.py``): that path
is kept working only as the benchmark's reference.

The vocabulary shared by all of them (how a header or a state is written) lives here too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet
from import_export import resources
from import_export.fields import Field
from import_export.widgets import DecimalWidget, ForeignKeyWidget, IntegerWidget

from ambito.models import Comune
from patrimonio.models import EnteProprietario, TipoServizio, UnitaAbitativa
from piano_annuale.models import Stato, StatoUnita, TurnoverPrevisto

# --------------------------------------------------------------------------------------------
# Normalising what people type
# --------------------------------------------------------------------------------------------

_NON_ALFANUMERICI = re.compile(r"[^0-9a-z]+")


def normalizza(testo: Any) -> str:
    """«Stato dell'Unità Immobiliare» → «stato dell unita immobiliare»: accents, case and punctuation
    ignored, so headers, states and names match however they were typed."""
    if testo is None:
        return ""
    testo = str(testo)
    if not testo.isascii():
        testo = unicodedata.normalize("NFKD", testo).encode("ascii", "ignore").decode("ascii")
    return _NON_ALFANUMERICI.sub(" ", testo.casefold()).strip()


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Colonna:
    """One column of the unit or turnover sheet: its key, its header and how to fill it."""

    chiave: str
    intestazione: str
    descrizione: str
    valori_ammessi: str = ""
    obbligatoria: bool = False
    # Other headers that mean the same column (the regional platform's, common variants).
    alias: tuple[str, ...] = ()


STATI_MODELLO: dict[str, str] = {
    # The value the template writes for each state, the key of the plan section that counts it.
    Stato.CARENZA_MANUTENTIVA: "carenza",
    Stato.RISTRUTTURAZIONE: "ristrutturazione",
    Stato.NUOVA_EDIFICAZIONE: "nuova",
    Stato.LIBERA: "libera",
    Stato.CONFERITA_PRIVATI: "conferita",
}
SEZIONE_DELLO_STATO: dict[str, str] = {
    Stato.CARENZA_MANUTENTIVA: "b",
    Stato.RISTRUTTURAZIONE: "c",
    Stato.NUOVA_EDIFICAZIONE: "d",
    Stato.LIBERA: "e",
    Stato.CONFERITA_PRIVATI: "f",
}

COLONNE_UNITA: tuple[Colonna, ...] = (
    Colonna(
        "ente",
        "Ente proprietario",
        "L'ente a cui appartiene l'unità. Si possono caricare solo le unità del proprio ente: una riga "
        "di un altro ente viene rifiutata.",
        "la denominazione dell'ente, già compilata",
        alias=("Ente", "Proprietario", "Proprietà", "Tipologia dell'Ente Proprietario"),
    ),
    Colonna(
        "id_regionale",
        "ID regionale",
        "L'identificativo dell'unità nell'anagrafe regionale del patrimonio. Vuoto se non comunicato. "
        "Ogni ID può comparire una sola volta e non può essere di un'unità di un altro ente.",
        "lettere, cifre, punto, barra e trattino, senza spazi (massimo 20 caratteri)",
        obbligatoria=True,
        alias=("ID Alloggio", "Identificativo regionale", "ID regionale alloggio"),
    ),
    Colonna(
        "codice_ente",
        "Codice dell'ente",
        "Il codice con cui l'ente identifica l'unità (ad es. BS151842). Facoltativo, ma unico per ente.",
        "testo libero, massimo 40 caratteri",
        alias=("Codice alloggio dell'Ente", "Codice Alloggio", "Codice ente", "Codice"),
    ),
    Colonna(
        "comune",
        "Comune",
        "Il comune in cui si trova l'unità: deve far parte dell'ambito. Si può indicare il nome o, "
        "nella colonna «Codice ISTAT», il codice.",
        "il nome del comune come nell'elenco ISTAT (maiuscole e accenti non contano)",
        obbligatoria=True,
        alias=("Comune in cui si trova", "Comune dell'unità"),
    ),
    Colonna(
        "codice_istat",
        "Codice ISTAT",
        "Il codice ISTAT del comune. Se compilato, deve corrispondere al nome del comune.",
        "6 cifre, ad es. 019036",
        alias=("ISTAT", "Codice ISTAT del comune"),
    ),
    Colonna(
        "tipo",
        "Servizio",
        "Il servizio abitativo dell'unità. Le sezioni b–g del piano contano solo le unità SAP.",
        "SAP (servizi abitativi pubblici) o SAS (servizi abitativi sociali); vuoto = SAP per le unità nuove",
        alias=("Tipo servizio", "SAP/SAS", "Tipo"),
    ),
    Colonna(
        "indirizzo",
        "Indirizzo",
        "L'indirizzo dell'unità. Facoltativo.",
        "testo libero, massimo 200 caratteri",
    ),
    Colonna(
        "stato",
        "Stato nell'anno",
        "Perché l'unità è assegnabile nell'anno del piano, cioè la sezione che la conta. Vuoto se "
        "l'unità non è assegnabile nell'anno (resta nel registro dell'ente).",
        "carenza (b, carenza manutentiva, art. 10), ristrutturazione (c, programmi di recupero), "
        "nuova (d, nuova edificazione), libera (e, già libera), conferita (f, conferita da privati). "
        "Sono accettati anche i testi della piattaforma regionale: «LIBERO», «SFITTO PER CARENZE "
        "MANUTENTIVE (Assegnabile in AM)», «1001 - ASSEGNABILE» (con il lotto), «1006 - …» e "
        "«1007 - IN MANUTENZIONE M.S.».",
        obbligatoria=True,
        alias=("Stato", "Stato dell'Unità Immobiliare", "Tipo sfittanza", "Stato dell'unità"),
    ),
    Colonna(
        "programma",
        "Programma / lotto",
        "Solo per le unità in ristrutturazione: il programma o il lotto (ad es. «LOTTO 2.2»). "
        "Un'unità è contata in una sola sezione del piano.",
        "testo libero, massimo 120 caratteri",
        alias=("Programma", "Lotto", "Programma di ristrutturazione"),
    ),
    Colonna(
        "note",
        "Note",
        "Note sullo stato dell'unità nell'anno. Facoltative.",
        "testo libero, massimo 300 caratteri",
    ),
    Colonna(
        "pk",
        "ID interno",
        "Il riferimento dell'unità in questo servizio (colonna nascosta nel modello Excel). Non "
        "modificarlo: serve a riconoscere le unità senza ID regionale né codice. Vuoto per le unità "
        "nuove; un riferimento che non è di un'unità del proprio ente viene rifiutato.",
        "numero intero, già compilato",
        alias=("id", "pk", "Riferimento interno"),
    ),
)

# Section b) under the rules with the cost of works (L.R. 18/2025 art. 13): two more columns, before
# the internal id, in the template and the exports of a plan whose rule set asks for it.
COLONNE_LAVORI: tuple[Colonna, ...] = (
    Colonna(
        "costo_lavori",
        "Costo stimato dei lavori (€)",
        "Solo per le unità in carenza manutentiva: il costo stimato degli interventi di ristrutturazione, "
        "che il nucleo assegnatario deve poter sostenere (L.R. 16/2016 art. 23 c. 11, come modificato "
        "dalla L.R. 18/2025). Vuoto se non ancora stimato.",
        "importo in euro, ad es. 15.000,00 oppure 15000 («1.234» vale milleduecentotrentaquattro)",
        alias=("Costo stimato dei lavori", "Costo dei lavori", "Costo lavori"),
    ),
    Colonna(
        "note_lavori",
        "Lavori previsti",
        "Solo per le unità in carenza manutentiva: gli interventi previsti, in breve. Facoltativo.",
        "testo libero, massimo 300 caratteri",
        alias=("Interventi previsti", "Note sui lavori"),
    ),
)


def colonne_unita(*, con_lavori: bool) -> tuple[Colonna, ...]:
    """The unit sheet's columns under a plan's rules: with the cost of works, before the internal id."""
    if not con_lavori:
        return COLONNE_UNITA
    return (*COLONNE_UNITA[:-1], *COLONNE_LAVORI, COLONNE_UNITA[-1])


COLONNE_TURNOVER: tuple[Colonna, ...] = (
    Colonna(
        "comune",
        "Comune",
        "Il comune in cui si prevede che si liberino alloggi per turn-over (avvicendamento) nell'anno.",
        "il nome di un comune dell'ambito; ogni comune una sola volta",
        obbligatoria=True,
    ),
    Colonna("codice_istat", "Codice ISTAT", "Il codice ISTAT del comune (facoltativo).", "6 cifre"),
    Colonna(
        "numero",
        "Numero di alloggi",
        "Quanti alloggi si prevede che si liberino per turn-over nel comune (sezione e): un numero, "
        "non un elenco di unità. Il foglio sostituisce per intero i numeri già dichiarati.",
        "numero intero, 0 o più (0 = nessuno)",
        obbligatoria=True,
        alias=("Numero", "Alloggi per turn-over", "Numero alloggi", "Numero di U.I."),
    ),
)

# The other sheets of the ente's workbook: what it declares besides its units (one row per comune,
# or one row for the whole ente). Read by ``importazione.dichiarazioni``, written by ``esportazione``.
COLONNE_CONSISTENZA: tuple[Colonna, ...] = (
    Colonna(
        "comune",
        "Comune",
        "Vuoto: la consistenza dell'intero ente (sezione a). Un comune dell'ambito: la parte del "
        "patrimonio che si trova in quel comune (facoltativo, per gli enti con unità in più comuni).",
        "vuoto, oppure il nome di un comune dell'ambito; ogni comune una sola volta",
    ),
    Colonna("codice_istat", "Codice ISTAT", "Il codice ISTAT del comune (facoltativo).", "6 cifre"),
    Colonna(
        "sap",
        "Alloggi SAP",
        "Quanti alloggi SAP l'ente possiede: il numero complessivo, non solo quelli assegnabili nell'anno.",
        "numero intero, 0 o più; vuoto con «Alloggi SAS» vuoto = consistenza non comunicata",
        obbligatoria=True,
        alias=("Alloggi SAP di proprietà", "SAP", "U.I. SAP"),
    ),
    Colonna(
        "sas",
        "Alloggi SAS",
        "Quanti alloggi SAS l'ente possiede (0 se nessuno).",
        "numero intero, 0 o più",
        obbligatoria=True,
        alias=("Alloggi SAS di proprietà", "SAS", "U.I. SAS"),
    ),
    Colonna(
        "fonte",
        "Fonte",
        "Da dove viene il dato, ad es. «ricognizione 2025» o «piattaforma regionale». Facoltativa.",
        "testo libero, massimo 120 caratteri",
    ),
)
COLONNE_SAT: tuple[Colonna, ...] = (
    Colonna(
        "comune",
        "Comune",
        "Il comune in cui l'ente destina unità ai servizi abitativi transitori (sezione j).",
        "il nome di un comune dell'ambito; ogni comune una sola volta",
        obbligatoria=True,
    ),
    Colonna("codice_istat", "Codice ISTAT", "Il codice ISTAT del comune (facoltativo).", "6 cifre"),
    Colonna(
        "numero",
        "U.I. destinate ai SAT",
        "Quante unità l'ente destina ai SAT nel comune: devono essere tra quelle disponibili nell'anno. "
        "Il foglio sostituisce per intero i numeri già dichiarati.",
        "numero intero, 0 o più (0 = nessuna)",
        obbligatoria=True,
        alias=("Numero di U.I. per SAT", "U.I. per SAT", "SAT"),
    ),
)
COLONNE_ASSEGNAZIONI: tuple[Colonna, ...] = (
    Colonna(
        "totale",
        "U.I. SAP assegnate nell'anno precedente",
        "Le unità SAP assegnate dall'ente nell'anno prima del piano (sezione k), in una sola riga.",
        "numero intero, 0 o più",
        obbligatoria=True,
        alias=("U.I. assegnate", "Assegnate", "U.I. SAP assegnate"),
    ),
    Colonna(
        "mobilita",
        "di cui per mobilità",
        "Quante di queste per mobilità: non più del totale.",
        "numero intero, 0 o più",
        obbligatoria=True,
        alias=("Mobilità", "di cui mobilità"),
    ),
    Colonna(
        "in_deroga",
        "di cui in deroga",
        "Quante di queste in deroga: non più del totale.",
        "numero intero, 0 o più",
        obbligatoria=True,
        alias=("In deroga",),
    ),
)

NOME_FOGLIO_UNITA = "Unità abitative"
NOME_FOGLIO_TURNOVER = "Turnover"
NOME_FOGLIO_ISTRUZIONI = "Istruzioni"
NOME_FOGLIO_SCELTE = "Scelte"
NOME_FOGLIO_CONSISTENZA = "Consistenza"
NOME_FOGLIO_SAT = "SAT"
NOME_FOGLIO_ASSEGNAZIONI = "Assegnazioni"


def mappa_intestazioni(colonne: tuple[Colonna, ...]) -> dict[str, str]:
    """Normalised header (and alias) → column key."""
    mappa: dict[str, str] = {}
    for colonna in colonne:
        for testo in (colonna.intestazione, *colonna.alias):
            mappa[normalizza(testo)] = colonna.chiave
    return mappa


# The cost columns are recognised in any file; under rules without them the import ignores them.
INTESTAZIONI_UNITA = mappa_intestazioni(COLONNE_UNITA + COLONNE_LAVORI)
INTESTAZIONI_TURNOVER = mappa_intestazioni(COLONNE_TURNOVER)
# The headers that reveal the regional platform's two layouts of Allegato B.
INTESTAZIONI_PIATTAFORMA_ELENCO = {normalizza("Stato dell'Unità Immobiliare")}
INTESTAZIONI_PIATTAFORMA_LOTTI = {normalizza("Tipo sfittanza"), normalizza("LOTTO")}


# --------------------------------------------------------------------------------------------
# States as written by the template, the workspace and the regional platform
# --------------------------------------------------------------------------------------------

# Not a state but "assignable, in a renovation lotto": only meaningful with its lotto.
ASSEGNABILE_IN_LOTTO = "assegnabile_in_lotto"

_STATI_TESTUALI: dict[str, str] = {}
for _stato, _parola in STATI_MODELLO.items():
    _STATI_TESTUALI[normalizza(_parola)] = _stato
    _STATI_TESTUALI[normalizza(Stato(_stato).label)] = _stato
    _STATI_TESTUALI[_stato] = _stato
    _STATI_TESTUALI[SEZIONE_DELLO_STATO[_stato]] = _stato
_STATI_TESTUALI.update(
    {
        normalizza("già libera"): Stato.LIBERA,
        normalizza("carenza manutentiva"): Stato.CARENZA_MANUTENTIVA,
        normalizza("in carenza manutentiva"): Stato.CARENZA_MANUTENTIVA,
        normalizza("nuova edificazione"): Stato.NUOVA_EDIFICAZIONE,
        normalizza("conferita da privati"): Stato.CONFERITA_PRIVATI,
        normalizza("in ristrutturazione"): Stato.RISTRUTTURAZIONE,
    }
)
# The regional platform's texts (seed, Allegato B): recorded as «stato come dichiarato».
_STATI_PIATTAFORMA: dict[str, str] = {
    normalizza("LIBERO"): Stato.LIBERA,
    normalizza("SFITTO PER CARENZE MANUTENTIVE (Assegnabile in AM)"): Stato.CARENZA_MANUTENTIVA,
    normalizza("SFITTO PER CARENZE MANUTENTIVE"): Stato.CARENZA_MANUTENTIVA,
}
# The platform's «tipo sfittanza» codes: «1001 - ASSEGNABILE», «1007 - IN MANUTENZIONE M.S.».
_CODICI_SFITTANZA: dict[str, str] = {
    "1001": ASSEGNABILE_IN_LOTTO,
    "1006": Stato.RISTRUTTURAZIONE,
    "1007": Stato.RISTRUTTURAZIONE,
}
_CODICE_SFITTANZA = re.compile(r"^(\d{4})\b")


@lru_cache(maxsize=4096)  # a file repeats a handful of state texts thousands of times
def interpreta_stato(testo: str) -> tuple[str | None, bool]:
    """The state a text means and whether it is the platform's wording (kept as «stato_origine»).

    Returns ``(None, False)`` for an unknown text; ``ASSEGNABILE_IN_LOTTO`` for «1001 - ASSEGNABILE».
    """
    chiave = normalizza(testo)
    if chiave in _STATI_TESTUALI:
        return str(_STATI_TESTUALI[chiave]), False
    if chiave in _STATI_PIATTAFORMA:
        return str(_STATI_PIATTAFORMA[chiave]), True
    codice = _CODICE_SFITTANZA.match(chiave)
    if codice and codice.group(1) in _CODICI_SFITTANZA:
        return str(_CODICI_SFITTANZA[codice.group(1)]), True
    return None, False


_SERVIZI: dict[str, str] = {}
for _valore, _etichetta in TipoServizio.choices:
    _SERVIZI[_valore.casefold()] = str(_valore)
    _SERVIZI[normalizza(_etichetta)] = str(_valore)


@lru_cache(maxsize=1024)
def interpreta_servizio(testo: str) -> str | None:
    """«SAP», «sas», «SAP – servizi abitativi pubblici» → the TipoServizio value; None if unknown."""
    return _SERVIZI.get(normalizza(testo))


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


def _intestazione(chiave: str, colonne: tuple[Colonna, ...] = COLONNE_UNITA) -> str:
    return next(c.intestazione for c in colonne if c.chiave == chiave)


def unita_con_stato(*, ente: EnteProprietario, piano_stati: Any) -> QuerySet[UnitaAbitativa]:
    """The ente's units, each annotated with its state in ``piano_stati`` (None: no state)."""
    return (
        UnitaAbitativa.objects.filter(ente=ente)
        .select_related("comune")
        .annotate(nel_piano=FilteredRelation("stati", condition=Q(stati__piano=piano_stati)))
        .annotate(
            stato_piano=F("nel_piano__stato"),
            programma_piano=F("nel_piano__programma"),
            note_piano=F("nel_piano__note"),
            costo_piano=F("nel_piano__costo_lavori"),
            lavori_piano=F("nel_piano__note_lavori"),
            nome_comune=F("comune__nome"),
            istat_comune=F("comune__codice_istat"),
        )
        .order_by("comune__nome", "id_regionale", "codice_ente", "pk")
    )


class UnitaResource(resources.ModelResource):
    """The ente's units with their state in one plan, in the columns of ``COLONNE_UNITA``.

    Export: pass a queryset from ``unita_con_stato``. Import (the library's row-by-row path, kept
    only as the benchmark's reference): units are looked up by ID regionale among ``ente``'s own,
    and each row's state is written for ``piano``.
    """

    ente = Field(column_name=_intestazione("ente"), readonly=True)
    id_regionale = Field(attribute="id_regionale", column_name=_intestazione("id_regionale"))
    codice_ente = Field(attribute="codice_ente", column_name=_intestazione("codice_ente"))
    nome_comune = Field(attribute="nome_comune", column_name=_intestazione("comune"), readonly=True)
    comune = Field(
        attribute="comune",
        column_name=_intestazione("codice_istat"),
        widget=ForeignKeyWidget(Comune, field="codice_istat"),
    )
    tipo = Field(attribute="tipo", column_name=_intestazione("tipo"))
    indirizzo = Field(attribute="indirizzo", column_name=_intestazione("indirizzo"))
    stato = Field(attribute="stato_piano", column_name=_intestazione("stato"))
    programma = Field(attribute="programma_piano", column_name=_intestazione("programma"))
    note = Field(attribute="note_piano", column_name=_intestazione("note"))
    # Export only: a crafted value must never reach the primary key (the engine checks it instead).
    riferimento = Field(
        attribute="pk",
        column_name=_intestazione("pk"),
        readonly=True,
        widget=IntegerWidget(coerce_to_string=False),  # a number cell in the spreadsheet
    )

    class Meta:
        model = UnitaAbitativa
        fields: tuple[str, ...] = (
            "ente",
            "id_regionale",
            "codice_ente",
            "nome_comune",
            "comune",
            "tipo",
            "indirizzo",
            "stato",
            "programma",
            "note",
            "riferimento",
        )
        import_id_fields = ("id_regionale",)
        skip_unchanged = True
        report_skipped = False

    def __init__(self, *, ente: EnteProprietario, piano: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ente_proprietario = ente  # not ``self.ente``: that is the column declared above
        self.piano = piano

    def get_queryset(self) -> QuerySet[UnitaAbitativa]:
        return UnitaAbitativa.objects.filter(ente=self.ente_proprietario)

    def dehydrate_ente(self, unita: UnitaAbitativa) -> str:
        return self.ente_proprietario.denominazione

    def dehydrate_stato(self, unita: UnitaAbitativa) -> str:
        stato = getattr(unita, "stato_piano", None)
        return STATI_MODELLO.get(stato, "") if stato else ""

    def before_save_instance(self, instance: UnitaAbitativa, row: Any, **kwargs: Any) -> None:
        instance.ente = self.ente_proprietario  # a row never chooses its ente

    def after_save_instance(self, instance: UnitaAbitativa, row: Any, **kwargs: Any) -> None:
        if self.piano is None or kwargs.get("dry_run"):
            return
        stato, _ = interpreta_stato(getattr(instance, "stato_piano", "") or "")
        if stato in STATI_MODELLO:
            StatoUnita.objects.update_or_create(
                piano=self.piano,
                unita=instance,
                defaults={
                    "stato": stato,
                    "programma": getattr(instance, "programma_piano", "") or "",
                    "note": getattr(instance, "note_piano", "") or "",
                },
            )
        else:
            StatoUnita.objects.filter(piano=self.piano, unita=instance).delete()


class UnitaConLavoriResource(UnitaResource):
    """``UnitaResource`` with the cost of works of section b), for plans whose rules ask for it."""

    costo_lavori = Field(
        attribute="costo_piano",
        column_name=_intestazione("costo_lavori", COLONNE_LAVORI),
        readonly=True,
        widget=DecimalWidget(coerce_to_string=False),  # a number cell in the spreadsheet
    )
    note_lavori = Field(
        attribute="lavori_piano", column_name=_intestazione("note_lavori", COLONNE_LAVORI), readonly=True
    )

    class Meta(UnitaResource.Meta):
        fields = (*UnitaResource.Meta.fields[:-1], "costo_lavori", "note_lavori", "riferimento")
        export_order = fields


def risorsa_unita(*, ente: EnteProprietario, con_lavori: bool) -> UnitaResource:
    """The Resource of the unit sheet under a plan's rules (with or without the cost of works)."""
    return UnitaConLavoriResource(ente=ente) if con_lavori else UnitaResource(ente=ente)


class TurnoverResource(resources.ModelResource):
    """The ente's turnover counts per comune (section e), in the columns of ``COLONNE_TURNOVER``."""

    comune_nome = Field(
        attribute="comune__nome", column_name=_intestazione("comune", COLONNE_TURNOVER), readonly=True
    )
    codice_istat = Field(
        attribute="comune__codice_istat",
        column_name=_intestazione("codice_istat", COLONNE_TURNOVER),
        readonly=True,
    )
    numero = Field(
        attribute="numero",
        column_name=_intestazione("numero", COLONNE_TURNOVER),
        widget=IntegerWidget(coerce_to_string=False),
    )

    class Meta:
        model = TurnoverPrevisto
        fields = ("comune_nome", "codice_istat", "numero")
