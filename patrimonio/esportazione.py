"""Spreadsheets this service writes: each ente's template and unit list, and the plan's sections.

- ``modello_ente``: the template an ente fills in (xlsx, ods, csv), prefilled with its units and
  their states and with its turnover; the xlsx adds a sheet that explains every column and its
  allowed values, a drop-down list for the state and the service, and hides the internal id.
- ``unita_ente``: the ente's units with their state in the plan, in the same columns.
- ``tabelle_del_piano`` / ``piano_xlsx`` / ``tabella_csv``: every section and every unit list of the
  computed plan, read from ``calcola_piano`` (never recomputed here).

Every text cell starting with ``=``, ``+``, ``-`` or ``@`` is written with a leading ``'`` so that no
spreadsheet program runs it as a formula (``neutralizza``). CSV files use ``;`` and UTF-8 with BOM,
which Excel in Italian opens as they are; decimals have a comma.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from django.utils.text import slugify

from patrimonio.models import EnteProprietario
from piano_annuale.calcolo import PianoCalcolato, TabellaConteggi, UnitaElencata
from piano_annuale.models import PianoAnnuale, Stato, StatoUnita, TurnoverPrevisto

from .importazione import neutralizza
from .resources import (
    COLONNE_TURNOVER,
    COLONNE_UNITA,
    NOME_FOGLIO_ISTRUZIONI,
    NOME_FOGLIO_TURNOVER,
    NOME_FOGLIO_UNITA,
    SEZIONE_DELLO_STATO,
    STATI_MODELLO,
    TurnoverResource,
    UnitaResource,
    unita_con_stato,
)

if TYPE_CHECKING:
    import tablib

FORMATI_MODELLO = ("xlsx", "ods", "csv")
FORMATI_ESPORTAZIONE = ("xlsx", "csv")
TIPI_MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class FileEsportato:
    contenuto: bytes
    nome: str
    formato: str

    @property
    def tipo_mime(self) -> str:
        return TIPI_MIME[self.formato]


@dataclass(frozen=True)
class Tabella:
    """A table to write: a short code (file and sheet names), a title, headers and rows."""

    codice: str
    titolo: str
    intestazioni: tuple[str, ...]
    righe: tuple[tuple[Any, ...], ...]


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


# Characters XML (so xlsx and ods) cannot hold; a pasted text may carry them (e.g. \x0b from Excel).
_ILLEGALI_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cella(valore: Any) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, texts are neutralised."""
    if valore is None:
        return None
    if isinstance(valore, bool):
        return "sì" if valore else "no"
    if isinstance(valore, int | float | Decimal | datetime.date):
        return valore
    return neutralizza(_ILLEGALI_XML.sub("", str(valore)))


def _testo_csv(valore: Any) -> str:
    if valore is None:
        return ""
    if isinstance(valore, bool):
        return "sì" if valore else "no"
    if isinstance(valore, Decimal | float):
        return str(valore).replace(".", ",")
    if isinstance(valore, datetime.date):
        return valore.strftime("%d/%m/%Y")
    return str(neutralizza(str(valore)) if not isinstance(valore, int) else valore)


def scrivi_csv(intestazioni: Sequence[str], righe: Iterable[Sequence[Any]]) -> bytes:
    """CSV for Excel in Italian: «;», UTF-8 with BOM, CRLF, texts neutralised."""
    uscita = io.StringIO()
    scrittore = csv.writer(uscita, delimiter=";", lineterminator="\r\n")
    scrittore.writerow([neutralizza(i) for i in intestazioni])
    for riga in righe:
        scrittore.writerow([_testo_csv(v) for v in riga])
    return uscita.getvalue().encode("utf-8-sig")


def _nome_foglio(titolo: str, usati: set[str]) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\, unique."""
    nome = re.sub(r"[\[\]:*?/\\]", " ", titolo).strip()[:31] or "Foglio"
    base, n = nome, 2
    while nome.casefold() in usati:
        suffisso = f" ({n})"
        nome, n = base[: 31 - len(suffisso)] + suffisso, n + 1
    usati.add(nome.casefold())
    return nome


def _stili() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "intestazione": (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0066CC")),
        "titolo": Font(bold=True, size=14),
        "a_capo": Alignment(wrap_text=True, vertical="top"),
    }


def _riga_intestazione(foglio: Any, intestazioni: Sequence[str]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    font, riempimento = _stili()["intestazione"]
    celle = []
    for testo in intestazioni:
        cella = WriteOnlyCell(foglio, value=neutralizza(testo))
        cella.font, cella.fill = font, riempimento
        celle.append(cella)
    return celle


def _larghezze(foglio: Any, intestazioni: Sequence[str], righe: Sequence[Sequence[Any]]) -> None:
    from openpyxl.utils import get_column_letter

    campione = righe[:200]
    for indice, intestazione in enumerate(intestazioni):
        lunghezza = max(
            [len(str(intestazione))] + [len(str(r[indice] or "")) for r in campione if indice < len(r)]
        )
        foglio.column_dimensions[get_column_letter(indice + 1)].width = min(60, max(10, lunghezza + 2))


def scrivi_xlsx(tabelle: Sequence[Tabella]) -> bytes:
    """One sheet per table (write-only workbook: memory stays flat for 100,000 rows)."""
    import openpyxl

    cartella = openpyxl.Workbook(write_only=True)
    usati: set[str] = set()
    for tabella in tabelle:
        foglio = cartella.create_sheet(_nome_foglio(tabella.titolo, usati))
        _larghezze(foglio, tabella.intestazioni, tabella.righe)
        foglio.freeze_panes = "A2"
        foglio.append(_riga_intestazione(foglio, tabella.intestazioni))
        for riga in tabella.righe:
            foglio.append([_cella(v) for v in riga])
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


# --------------------------------------------------------------------------------------------
# The ente's template and unit list
# --------------------------------------------------------------------------------------------


def piano_di_partenza(*, piano: PianoAnnuale, ente: EnteProprietario) -> PianoAnnuale:
    """The plan whose states prefill the template: this plan once the ente has declared something
    in it, otherwise the previous year's plan of the same ambito, if there is one."""
    if StatoUnita.objects.filter(piano=piano, unita__ente=ente).exists():
        return piano
    if TurnoverPrevisto.objects.filter(piano=piano, ente=ente).exists():
        return piano
    precedente = PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=piano.anno - 1).first()
    return precedente or piano


def _dataset_unita(*, ente: EnteProprietario, piano_stati: PianoAnnuale) -> tablib.Dataset:
    risorsa = UnitaResource(ente=ente)
    return risorsa.export(unita_con_stato(ente=ente, piano_stati=piano_stati))


def _dataset_turnover(*, ente: EnteProprietario, piano_stati: PianoAnnuale) -> tablib.Dataset:
    righe = (
        TurnoverPrevisto.objects.filter(piano=piano_stati, ente=ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    dataset = TurnoverResource().export(righe)
    if not len(dataset) and ente.comune_id:
        # A comune usually counts its own turnover: offer the row, at zero.
        dataset.append([ente.comune.nome, ente.comune.codice_istat, 0])
    return dataset


def _istruzioni(*, piano: PianoAnnuale, ente: EnteProprietario, piano_stati: PianoAnnuale) -> list[list[str]]:
    origine = (
        f"gli stati dichiarati per il piano {piano_stati.anno}"
        if piano_stati.pk == piano.pk
        else f"gli stati del piano dell'anno precedente ({piano_stati.anno}): aggiornarli per il {piano.anno}"
    )
    righe = [
        [f"Ricognizione per il piano annuale {piano.anno} – {ente.denominazione}"],
        [],
        [
            f"Il foglio «{NOME_FOGLIO_UNITA}» elenca tutte le unità abitative dell'ente con {origine}. "
            "Aggiornare le righe, aggiungere le unità nuove in fondo e cancellare le righe delle unità che "
            "l'ente non ha più. Il file caricato sostituisce l'elenco: le unità che non vi compaiono "
            "vengono tolte dal piano (e dal registro, se nessun altro piano le conta)."
        ],
        [
            f"Il foglio «{NOME_FOGLIO_TURNOVER}» riporta per comune il numero di alloggi che si prevede "
            "si liberino per turn-over nell'anno (sezione e del piano)."
        ],
        [
            "Non cambiare la prima riga dei fogli (le intestazioni). Prima di registrare, il servizio "
            "mostra un'anteprima di tutte le modifiche e l'elenco di eventuali errori, riga per riga: "
            "finché c'è un errore non viene registrato nulla."
        ],
        [],
        ["Foglio", "Colonna", "Significato", "Valori ammessi", "Obbligatoria"],
    ]
    for nome_foglio, colonne in (
        (NOME_FOGLIO_UNITA, COLONNE_UNITA),
        (NOME_FOGLIO_TURNOVER, COLONNE_TURNOVER),
    ):
        for c in colonne:
            righe.append(
                [
                    nome_foglio,
                    c.intestazione,
                    c.descrizione,
                    c.valori_ammessi,
                    "sì" if c.obbligatoria else "no",
                ]
            )
    righe += [[], ["Stato nell'anno", "Sezione del piano", "Significato"]]
    for stato, parola in STATI_MODELLO.items():
        righe.append([parola, SEZIONE_DELLO_STATO[stato], Stato(stato).label])
    righe.append(["(vuoto)", "—", "L'unità non è assegnabile nell'anno: resta nel registro dell'ente."])
    return righe


def _xlsx_modello(
    unita: tablib.Dataset, turnover: tablib.Dataset, istruzioni: list[list[str]] | None
) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    stili = _stili()
    cartella = openpyxl.Workbook(write_only=True)
    intestazioni = list(unita.headers)
    righe = list(unita)

    foglio = cartella.create_sheet(NOME_FOGLIO_UNITA)
    _larghezze(foglio, intestazioni, righe)
    colonna = {c.chiave: i for i, c in enumerate(COLONNE_UNITA)}
    foglio.column_dimensions[get_column_letter(colonna["pk"] + 1)].hidden = True
    foglio.freeze_panes = "A2"
    ultima = max(len(righe) + 500, 1000)
    for chiave, valori in (("stato", ",".join(STATI_MODELLO.values())), ("tipo", "SAP,SAS")):
        lettera = get_column_letter(colonna[chiave] + 1)
        convalida = DataValidation(
            type="list",
            formula1=f'"{valori}"',
            allow_blank=True,
            showErrorMessage=False,  # the platform's texts are accepted too: suggest, do not block
            promptTitle="Valori ammessi",
            prompt=valori.replace(",", ", "),
        )
        convalida.add(f"{lettera}2:{lettera}{ultima}")
        foglio.data_validations.append(convalida)
    foglio.append(_riga_intestazione(foglio, intestazioni))
    for riga in righe:
        foglio.append([_cella(v) for v in riga])

    foglio = cartella.create_sheet(NOME_FOGLIO_TURNOVER)
    _larghezze(foglio, list(turnover.headers), list(turnover))
    foglio.freeze_panes = "A2"
    foglio.append(_riga_intestazione(foglio, list(turnover.headers)))
    for riga in turnover:
        foglio.append([_cella(v) for v in riga])

    if istruzioni is not None:
        foglio = cartella.create_sheet(NOME_FOGLIO_ISTRUZIONI)
        for lettera, larghezza in zip("ABCDE", (22, 24, 70, 50, 12), strict=True):
            foglio.column_dimensions[lettera].width = larghezza
        for numero, riga in enumerate(istruzioni):
            celle = []
            for valore in riga:
                cella = WriteOnlyCell(foglio, value=neutralizza(valore))
                if numero == 0:
                    cella.font = stili["titolo"]
                elif len(riga) > 1 and riga[0] in ("Foglio", "Stato nell'anno") and valore == riga[0]:
                    cella.font = stili["intestazione"][0]
                    cella.fill = stili["intestazione"][1]
                else:
                    cella.alignment = stili["a_capo"]
                celle.append(cella)
            foglio.append(celle)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def _ods_modello(unita: tablib.Dataset, turnover: tablib.Dataset, istruzioni: list[list[str]]) -> bytes:
    return scrivi_ods(
        [
            (NOME_FOGLIO_UNITA, list(unita.headers), unita),
            (NOME_FOGLIO_TURNOVER, list(turnover.headers), turnover),
            (NOME_FOGLIO_ISTRUZIONI, None, istruzioni),
        ]
    )


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_ODS_STILI = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"/>
"""
_ODS_INIZIO = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2">'
    "<office:automatic-styles>"
    '<style:style style:name="grassetto" style:family="table-cell">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
    "</office:automatic-styles><office:body><office:spreadsheet>"
)
_ODS_FINE = "</office:spreadsheet></office:body></office:document-content>"


def _cella_ods(valore: Any, stile: str = "") -> str:
    attributo = f' table:style-name="{stile}"' if stile else ""
    valore = _cella(valore)
    if valore is None or valore == "":
        return f"<table:table-cell{attributo}/>"
    if isinstance(valore, int | float | Decimal):
        return (
            f'<table:table-cell{attributo} office:value-type="float" office:value="{valore}">'
            f"<text:p>{valore}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell{attributo} office:value-type="string">'
        f"<text:p>{escape(str(valore))}</text:p></table:table-cell>"
    )


def scrivi_ods(fogli: Sequence[tuple[str, Sequence[str] | None, Iterable[Sequence[Any]]]]) -> bytes:
    """An OpenDocument spreadsheet written as a stream: one sheet per ``(name, headers, rows)``.

    odfpy (tablib's ods writer) builds the whole document in memory and takes about 18 s for a
    template of 20,000 units; this writes the same cells in well under a second. Cells are
    neutralised like the xlsx's; headers are bold.
    """
    uscita = io.BytesIO()
    with zipfile.ZipFile(uscita, "w", zipfile.ZIP_DEFLATED) as archivio:
        # The mimetype comes first and uncompressed, as ODF requires.
        archivio.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archivio.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        archivio.writestr("styles.xml", _ODS_STILI)
        with (
            archivio.open("content.xml", "w") as contenuto,
            io.TextIOWrapper(contenuto, encoding="utf-8") as xml,
        ):
            xml.write(_ODS_INIZIO)
            for nome, intestazioni, righe in fogli:
                xml.write(f"<table:table table:name={quoteattr(nome)}>")
                if intestazioni is not None:
                    xml.write("<table:table-row>")
                    xml.write("".join(_cella_ods(i, "grassetto") for i in intestazioni))
                    xml.write("</table:table-row>")
                for riga in righe:
                    xml.write(
                        "<table:table-row>" + "".join(_cella_ods(v) for v in riga) + "</table:table-row>"
                    )
                xml.write("</table:table>")
            xml.write(_ODS_FINE)
    return uscita.getvalue()


def _nome(ente: EnteProprietario, piano: PianoAnnuale, cosa: str, formato: str) -> str:
    return f"{cosa}-{piano.anno}-{slugify(ente.denominazione)[:60]}.{formato}"


def modello_ente(
    *, piano: PianoAnnuale, ente: EnteProprietario, formato: str, foglio: str = "unita"
) -> FileEsportato:
    """The ente's template, prefilled (see ``piano_di_partenza``). For csv, one sheet per file:
    ``foglio`` is ``"unita"`` or ``"turnover"``."""
    if formato not in FORMATI_MODELLO:
        raise ValueError(formato)
    piano_stati = piano_di_partenza(piano=piano, ente=ente)
    if formato == "csv" and foglio == "turnover":
        dati = _dataset_turnover(ente=ente, piano_stati=piano_stati)
        return FileEsportato(
            scrivi_csv(dati.headers, dati), _nome(ente, piano, "modello-turnover", formato), formato
        )
    unita = _dataset_unita(ente=ente, piano_stati=piano_stati)
    if formato == "csv":
        return FileEsportato(
            scrivi_csv(unita.headers, unita), _nome(ente, piano, "modello-unita", formato), formato
        )
    turnover = _dataset_turnover(ente=ente, piano_stati=piano_stati)
    istruzioni = _istruzioni(piano=piano, ente=ente, piano_stati=piano_stati)
    if formato == "xlsx":
        contenuto = _xlsx_modello(unita, turnover, istruzioni)
    else:
        contenuto = _ods_modello(unita, turnover, istruzioni)
    return FileEsportato(contenuto, _nome(ente, piano, "modello-unita", formato), formato)


def unita_ente(*, piano: PianoAnnuale, ente: EnteProprietario, formato: str) -> FileEsportato:
    """The ente's units with their state in ``piano`` (and its turnover, in the xlsx)."""
    if formato not in FORMATI_ESPORTAZIONE:
        raise ValueError(formato)
    unita = _dataset_unita(ente=ente, piano_stati=piano)
    if formato == "csv":
        return FileEsportato(scrivi_csv(unita.headers, unita), _nome(ente, piano, "unita", formato), formato)
    turnover = TurnoverResource().export(
        TurnoverPrevisto.objects.filter(piano=piano, ente=ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    return FileEsportato(_xlsx_modello(unita, turnover, None), _nome(ente, piano, "unita", formato), formato)


# --------------------------------------------------------------------------------------------
# The plan's sections, from the computed plan
# --------------------------------------------------------------------------------------------

ETICHETTE_STATO = {s.value: s.label for s in Stato}


def _ente(riga: Any) -> str:
    return riga.ente.denominazione if riga.ente else "Totale"


def _conteggi(codice: str, titolo: str, tabella: TabellaConteggi) -> Tabella:
    righe = [(r.ente.denominazione, r.comune, r.numero) for r in tabella.righe]
    righe.append(("Totale", "", tabella.totale))
    return Tabella(codice, titolo, ("Ente proprietario", "Comune", "Numero di U.I."), tuple(righe))


def _elenco(codice: str, titolo: str, unita: Iterable[UnitaElencata], *, con_lotto: bool = False) -> Tabella:
    intestazioni = ["Ente proprietario", "Tipologia dell'ente", "ID regionale", "Codice dell'ente", "Comune"]
    if con_lotto:
        intestazioni.append("Programma / lotto")
    intestazioni += ["Stato nell'anno", "Stato come dichiarato"]
    righe = []
    for u in unita:
        riga = [
            u.ente.denominazione,
            u.ente.tipo.upper(),
            u.id_regionale or "non comunicato",
            u.codice_ente,
            u.comune,
        ]
        if con_lotto:
            riga.append(u.programma)
        riga += [ETICHETTE_STATO.get(u.stato, u.stato), u.stato_origine]
        righe.append(tuple(riga))
    return Tabella(codice, titolo, tuple(intestazioni), tuple(righe))


def tabelle_del_piano(calcolo: PianoCalcolato) -> list[Tabella]:
    """Every section and unit list of the computed plan, as tables, in the document's order."""
    p = calcolo
    anno = p.piano.anno
    tabelle = [
        Tabella(
            "popolazione",
            "Popolazione dei comuni",
            ("Posizione", "Comune", "Codice ISTAT", "Abitanti", "Famiglie"),
            tuple(
                (r.posizione, r.comune, r.codice_istat, r.abitanti, r.famiglie)
                for r in p.demografia.classifica
            ),
        ),
        Tabella(
            "a",
            "a) Consistenza del patrimonio",
            ("Ente proprietario", "Totale U.I.", "U.I. SAP", "U.I. SAS"),
            tuple((r.ente.denominazione, r.totale, r.sap, r.sas) for r in p.a.righe)
            + (("Totale", p.a.totale, p.a.sap, p.a.sas),),
        ),
        _conteggi("b", "b) Carenza manutentiva", p.b),
        Tabella(
            "c",
            "c) Ristrutturazione",
            ("Ente proprietario", "Comune", "Programma / lotto", "Numero di U.I."),
            tuple((r.ente.denominazione, r.comune, r.programma or "Senza lotto", r.numero) for r in p.c.righe)
            + (("Totale", "", "", p.c.totale),),
        ),
        _conteggi("d", "d) Nuova edificazione", p.d),
        _elenco("e_libere", "e) Unità già libere", p.e.libere),
        _conteggi(
            "e_turnover",
            "e) Turn-over previsto",
            TabellaConteggi(righe=p.e.turnover, totale=p.e.totale_turnover),
        ),
        _conteggi("f", "f) Conferite da privati", p.f),
        Tabella(
            "g",
            "g) Unità disponibili nell'anno",
            (
                "Ente proprietario",
                "Comune",
                "Già libere",
                "Turn-over",
                "Libere e turn-over",
                "Ristrutturazione",
                "Nuova edificazione",
                "Carenza manutentiva",
                "Conferite da privati",
                "Totale",
            ),
            tuple(
                (
                    _ente(r),
                    r.comune or ("" if r.ente else ""),
                    r.libere,
                    r.turnover,
                    r.liberi,
                    r.ristrutturazione,
                    r.nuova_edificazione,
                    r.carenza,
                    r.conferite,
                    r.totale,
                )
                for r in (*p.g.righe, p.g.totale)
            ),
        ),
        Tabella(
            "g_enti",
            "g) Disponibili per ente",
            (
                "Ente proprietario",
                "Libere e turn-over",
                "Ristrutturazione",
                "Nuova edificazione",
                "Carenza manutentiva",
                "Conferite da privati",
                "Totale",
            ),
            tuple(
                (
                    _ente(r),
                    r.liberi,
                    r.ristrutturazione,
                    r.nuova_edificazione,
                    r.carenza,
                    r.conferite,
                    r.totale,
                )
                for r in (*p.g.per_ente, p.g.totale)
            ),
        ),
        Tabella(
            "h",
            "h) Soglia indigenti oltre il 20%",
            ("Ente proprietario", "Eccedenza (punti %)", "Soglia complessiva (%)"),
            tuple((r.ente.denominazione, r.eccedenza, r.soglia_complessiva) for r in p.h),
        ),
        Tabella(
            "i",
            "i) Categoria aggiuntiva",
            ("Ente proprietario", "Categoria", "Motivazione"),
            tuple((r.ente.denominazione, r.categoria, r.motivazione) for r in p.i),
        ),
        Tabella(
            "ib",
            "i.b) Forze di Polizia",
            ("Ente proprietario", "Quota (%)", "U.I. disponibili", "U.I. destinate"),
            tuple((r.ente.denominazione, r.percentuale, r.disponibili, r.unita) for r in p.ib.righe)
            + (("Totale", "", "", p.ib.totale_unita),),
        ),
        _conteggi("j", "j) Servizi abitativi transitori", p.j),
        Tabella(
            "k",
            f"k) Assegnazioni {anno - 1}",
            ("Ente proprietario", "U.I. assegnate", "di cui per mobilità", "di cui in deroga"),
            tuple((r.ente.denominazione, r.totale, r.mobilita, r.in_deroga) for r in p.k.righe)
            + (("Totale", p.k.totale, p.k.mobilita, p.k.in_deroga),),
        ),
        Tabella(
            "allegato_a",
            "Allegato A",
            (
                "Ente proprietario",
                "U.I. SAS",
                "U.I. SAP",
                "U.I. disponibili nell'anno",
                "Libere e turn-over",
                "Carenza manutentiva",
                "Nuova edificazione o ristrutturazione",
                "Servizi abitativi transitori",
                f"Assegnate nel {anno - 1}",
                "Conferite da privati",
                "Categoria aggiuntiva",
                "Soglia indigenti oltre il 20%",
                "% Forze di Polizia",
            ),
            tuple(
                (
                    r.ente.denominazione,
                    r.sas,
                    r.sap,
                    r.disponibili,
                    r.libere_turnover,
                    r.carenza,
                    r.nuove_ristrutturate,
                    r.transitori,
                    r.assegnate_anno_precedente,
                    r.conferite,
                    r.categoria,
                    r.soglia_indigenti,
                    r.forze_polizia,
                )
                for r in p.allegato_a
            ),
        ),
        _elenco("allegato_b_unita", "Allegato B – libere e carenza", p.allegato_b.unita),
        _elenco(
            "allegato_b_lotti",
            "Allegato B – lotti",
            (u for lotto in p.allegato_b.lotti for u in lotto.unita),
            con_lotto=True,
        ),
        Tabella(
            "sintesi_disponibili",
            "Sintesi TAB 1 – disponibili",
            (
                "Gruppo",
                "Numero di comuni",
                "Liberi e turn-over",
                "Ristrutturazione",
                "Carenza manutentiva",
                "Conferite",
                "Totale",
            ),
            tuple(
                (r.gruppo, r.numero_comuni, r.liberi, r.ristrutturazione, r.carenza, r.conferite, r.totale)
                for r in p.sintesi.disponibili
            )
            + tuple(
                (f"{q.gruppo} (%)", "", q.liberi, q.ristrutturazione, q.carenza, q.conferite, q.totale)
                for q in p.sintesi.quote_disponibili
            ),
        ),
        Tabella(
            "sintesi_patrimonio",
            "Sintesi TAB 2 – patrimonio",
            ("Gruppo", "Numero di comuni", "U.I. SAP", "U.I. SAS", "Totale"),
            tuple((r.gruppo, r.numero_comuni, r.sap, r.sas, r.totale) for r in p.sintesi.patrimonio)
            + tuple((f"{q.gruppo} (%)", "", q.sap, q.sas, q.totale) for q in p.sintesi.quote_patrimonio),
        ),
    ]
    if p.parte_seconda is not None:
        tabelle.append(
            Tabella(
                "misure",
                "Parte seconda – misure",
                (
                    "Lettera",
                    "Misura",
                    "Riferimenti",
                    "Risorse impegnate (€)",
                    "Risorse erogate (€)",
                    "Risorse residue (€)",
                    "Domande pervenute",
                    "Domande approvate",
                    "Domande respinte",
                ),
                tuple(
                    (
                        m.lettera,
                        m.titolo,
                        m.riferimenti,
                        m.risorse_impegnate,
                        m.risorse_erogate,
                        m.risorse_residue,
                        m.domande_pervenute,
                        m.domande_approvate,
                        m.domande_respinte,
                    )
                    for m in p.parte_seconda.misure
                ),
            )
        )
        contributo = p.parte_seconda.contributo_solidarieta
        if contributo is not None:
            righe = [
                (gruppo.denominazione, r.comune, r.riparto, r.residuo, r.totale)
                for gruppo in contributo.gruppi
                for r in gruppo.righe
            ]
            righe.append(
                ("Totale", "", contributo.totale.riparto, contributo.totale.residuo, contributo.totale.totale)
            )
            tabelle.append(
                Tabella(
                    "contributo_solidarieta",
                    "Contributo di solidarietà",
                    ("Aggregazione", "Comune", "Riparto (€)", "Residuo (€)", "Totale (€)"),
                    tuple(righe),
                )
            )
    tabelle.append(
        Tabella(
            "anomalie",
            "Controlli di coerenza",
            ("Codice", "Gravità", "Sezione", "Messaggio"),
            tuple((a.codice, a.gravita, a.sezione, a.messaggio) for a in p.anomalie),
        )
    )
    return tabelle


def _nome_piano(calcolo: PianoCalcolato, cosa: str, formato: str) -> str:
    return f"POA-{calcolo.piano.anno}-{slugify(calcolo.piano.ambito)[:60]}-{cosa}.{formato}"


def piano_xlsx(calcolo: PianoCalcolato) -> FileEsportato:
    """Every table of the plan, one sheet each."""
    return FileEsportato(
        scrivi_xlsx(tabelle_del_piano(calcolo)), _nome_piano(calcolo, "sezioni", "xlsx"), "xlsx"
    )


def tabella_csv(calcolo: PianoCalcolato, codice: str) -> FileEsportato:
    """One table of the plan as CSV. Raises ``KeyError`` for an unknown code."""
    tabella = {t.codice: t for t in tabelle_del_piano(calcolo)}[codice]
    return FileEsportato(
        scrivi_csv(tabella.intestazioni, tabella.righe),
        _nome_piano(calcolo, codice.replace("_", "-"), "csv"),
        "csv",
    )
