"""Spreadsheets this service writes for an ente, and the writers every spreadsheet uses.

- ``modello_ente``: the template an ente fills in (xlsx, ods, csv), prefilled with its units and
  their states, with its turnover and (xlsx, ods) its choices in the «Scelte» sheet, its consistenza,
  SAT and previous year's assignments in theirs (one workbook carries all it declares); the xlsx adds a
  sheet that explains every column and its allowed values, a drop-down list for the state and the
  service, and hides the internal id.
- ``unita_ente``: the ente's units with their state in the plan, in the same columns.

The columns follow the rules of the plan's year: the cost of works of section b) under L.R.
18/2025, the choices the rule set provides for the ente (``importazione.scelte``).
- ``scrivi_xlsx`` / ``scrivi_csv`` / ``scrivi_ods``: the writers, also used for the plan's tables
  (``piano_annuale.rendering.esportazione``).

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
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import tablib
from django.utils.text import slugify
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from patrimonio.models import EnteProprietario
from piano_annuale.models import Parametri, PianoAnnuale, Stato, StatoUnita, TurnoverPrevisto

from .importazione import neutralizza
from .importazione.dichiarazioni import TRACCIATI, righe_dichiarate
from .importazione.scelte import colonne_scelte, riga_scelte
from .resources import (
    COLONNE_LAVORI,
    COLONNE_TURNOVER,
    COLONNE_UNITA,
    NOME_FOGLIO_ISTRUZIONI,
    NOME_FOGLIO_SCELTE,
    NOME_FOGLIO_TURNOVER,
    NOME_FOGLIO_UNITA,
    SEZIONE_DELLO_STATO,
    STATI_MODELLO,
    TurnoverResource,
    colonne_unita,
    risorsa_unita,
    unita_con_stato,
)

Scelte = tuple[list[str], list[Any]]  # the «Scelte» sheet: its header and its one row
# The declaration sheets (consistenza, SAT, assignments): name, headers, rows.
Dichiarati = list[tuple[str, list[str], list[list[Any]]]]
FOGLI_CSV = ("unita", "turnover", *TRACCIATI)  # the template's sheets, one per csv file

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
    voce: str = ""  # the part of the plan it belongs to (``piano_annuale.catalogo``), if any


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
    return {
        "intestazione": (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0066CC")),
        "titolo": Font(bold=True, size=14),
        "a_capo": Alignment(wrap_text=True, vertical="top"),
    }


def _riga_intestazione(foglio: Any, intestazioni: Sequence[str]) -> list[Any]:
    font, riempimento = _stili()["intestazione"]
    celle = []
    for testo in intestazioni:
        cella = WriteOnlyCell(foglio, value=neutralizza(testo))
        cella.font, cella.fill = font, riempimento
        celle.append(cella)
    return celle


def _larghezze(foglio: Any, intestazioni: Sequence[str], righe: Sequence[Sequence[Any]]) -> None:
    campione = righe[:200]
    for indice, intestazione in enumerate(intestazioni):
        lunghezza = max(
            [len(str(intestazione))] + [len(str(r[indice] or "")) for r in campione if indice < len(r)]
        )
        foglio.column_dimensions[get_column_letter(indice + 1)].width = min(60, max(10, lunghezza + 2))


def scrivi_xlsx(tabelle: Sequence[Tabella]) -> bytes:
    """One sheet per table (write-only workbook: memory stays flat for 100,000 rows)."""
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


def _dataset_unita(*, ente: EnteProprietario, piano_stati: PianoAnnuale, regole: Parametri) -> tablib.Dataset:
    risorsa = risorsa_unita(ente=ente, con_lavori=regole.con_costo_lavori)
    return risorsa.export(unita_con_stato(ente=ente, piano_stati=piano_stati))


def _dataset_turnover(*, ente: EnteProprietario, piano_stati: PianoAnnuale) -> tablib.Dataset:
    righe = (
        TurnoverPrevisto.objects.filter(piano=piano_stati, ente=ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    dataset = TurnoverResource().export(righe)
    if not len(dataset) and ente.comune is not None:
        # A comune usually counts its own turnover: offer the row, at zero.
        dataset.append([ente.comune.nome, ente.comune.codice_istat, 0])
    return dataset


def _istruzioni(
    *, piano: PianoAnnuale, ente: EnteProprietario, piano_stati: PianoAnnuale, regole: Parametri
) -> list[list[str]]:
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
            f"Il foglio «{NOME_FOGLIO_SCELTE}» riporta le scelte dell'ente previste dalle regole del piano "
            f"{piano.anno}, in una sola riga sotto le intestazioni; se presente nel file caricato, le "
            "scelte vengono controllate con gli stessi limiti della pagina dell'ente e registrate con le unità."
        ],
        [
            f"I fogli «{TRACCIATI['consistenza'].nome}» (sezione a: gli alloggi SAP e SAS dell'ente, per "
            f"l'intero ente e, se serve, per comune), «{TRACCIATI['sat'].nome}» (sezione j: le unità "
            "destinate ai servizi abitativi transitori, per comune) e "
            f"«{TRACCIATI['assegnazioni'].nome}» (sezione k: le unità assegnate nell'anno precedente, una "
            "riga) riportano i dati già dichiarati. Ogni foglio è facoltativo: un foglio tolto dal file "
            "lascia i dati com'erano; un foglio presente sostituisce i dati che riporta."
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
        (NOME_FOGLIO_UNITA, colonne_unita(con_lavori=regole.con_costo_lavori)),
        (NOME_FOGLIO_TURNOVER, COLONNE_TURNOVER),
        (NOME_FOGLIO_SCELTE, colonne_scelte(ente=ente, regole=regole)),
        *((t.nome, t.colonne) for t in TRACCIATI.values()),
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
    unita: tablib.Dataset,
    turnover: tablib.Dataset,
    istruzioni: list[list[str]] | None,
    scelte: Scelte,
    dichiarati: Dichiarati,
) -> bytes:
    stili = _stili()
    cartella = openpyxl.Workbook(write_only=True)
    intestazioni = list(unita.headers)
    righe = list(unita)

    foglio = cartella.create_sheet(NOME_FOGLIO_UNITA)
    _larghezze(foglio, intestazioni, righe)
    colonna = {
        c.chiave: intestazioni.index(c.intestazione)
        for c in COLONNE_UNITA + COLONNE_LAVORI
        if c.intestazione in intestazioni
    }
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

    foglio = cartella.create_sheet(NOME_FOGLIO_SCELTE)
    _larghezze(foglio, scelte[0], [scelte[1]])
    foglio.append(_riga_intestazione(foglio, scelte[0]))
    foglio.append([_cella(v) for v in scelte[1]])

    for nome, intestazioni_foglio, righe_foglio in dichiarati:
        foglio = cartella.create_sheet(nome)
        _larghezze(foglio, intestazioni_foglio, righe_foglio)
        foglio.freeze_panes = "A2"
        foglio.append(_riga_intestazione(foglio, intestazioni_foglio))
        for riga in righe_foglio:
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


def _ods_modello(
    unita: tablib.Dataset,
    turnover: tablib.Dataset,
    istruzioni: list[list[str]],
    scelte: Scelte,
    dichiarati: Dichiarati,
) -> bytes:
    return scrivi_ods(
        [
            (NOME_FOGLIO_UNITA, list(unita.headers), unita),
            (NOME_FOGLIO_TURNOVER, list(turnover.headers), turnover),
            (NOME_FOGLIO_SCELTE, scelte[0], [scelte[1]]),
            *dichiarati,
            (NOME_FOGLIO_ISTRUZIONI, None, istruzioni),
        ]
    )


def _dichiarati(*, piano: PianoAnnuale, ente: EnteProprietario) -> Dichiarati:
    """The declaration sheets with the ente's data in ``piano``."""
    return [(t.nome, *righe_dichiarate(tipo, piano=piano, ente=ente)) for tipo, t in TRACCIATI.items()]


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
    """The ente's template, prefilled (see ``piano_di_partenza``; what the ente declares besides its
    units and turnover, from ``piano``). For csv, one sheet per file: ``foglio`` is one of
    ``FOGLI_CSV``."""
    if formato not in FORMATI_MODELLO:
        raise ValueError(formato)
    if formato == "csv" and foglio in TRACCIATI:
        intestazioni, righe = righe_dichiarate(foglio, piano=piano, ente=ente)
        return FileEsportato(
            scrivi_csv(intestazioni, righe), _nome(ente, piano, f"modello-{foglio}", formato), formato
        )
    piano_stati = piano_di_partenza(piano=piano, ente=ente)
    regole = piano.regole_applicate().valori
    if formato == "csv" and foglio == "turnover":
        dati = _dataset_turnover(ente=ente, piano_stati=piano_stati)
        return FileEsportato(
            scrivi_csv(dati.headers, dati), _nome(ente, piano, "modello-turnover", formato), formato
        )
    unita = _dataset_unita(ente=ente, piano_stati=piano_stati, regole=regole)
    if formato == "csv":
        return FileEsportato(
            scrivi_csv(unita.headers, unita), _nome(ente, piano, "modello-unita", formato), formato
        )
    turnover = _dataset_turnover(ente=ente, piano_stati=piano_stati)
    istruzioni = _istruzioni(piano=piano, ente=ente, piano_stati=piano_stati, regole=regole)
    scelte = riga_scelte(piano=piano, ente=ente, regole=regole)
    dichiarati = _dichiarati(piano=piano, ente=ente)
    if formato == "xlsx":
        contenuto = _xlsx_modello(unita, turnover, istruzioni, scelte, dichiarati)
    else:
        contenuto = _ods_modello(unita, turnover, istruzioni, scelte, dichiarati)
    return FileEsportato(contenuto, _nome(ente, piano, "modello-unita", formato), formato)


def unita_ente(*, piano: PianoAnnuale, ente: EnteProprietario, formato: str) -> FileEsportato:
    """The ente's units with their state in ``piano`` (and, in the xlsx, every other sheet of the
    template: uploaded unchanged it changes nothing)."""
    if formato not in FORMATI_ESPORTAZIONE:
        raise ValueError(formato)
    regole = piano.regole_applicate().valori
    unita = _dataset_unita(ente=ente, piano_stati=piano, regole=regole)
    if formato == "csv":
        return FileEsportato(scrivi_csv(unita.headers, unita), _nome(ente, piano, "unita", formato), formato)
    turnover = TurnoverResource().export(
        TurnoverPrevisto.objects.filter(piano=piano, ente=ente)
        .select_related("comune")
        .order_by("comune__nome")
    )
    scelte = riga_scelte(piano=piano, ente=ente, regole=regole)
    return FileEsportato(
        _xlsx_modello(unita, turnover, None, scelte, _dichiarati(piano=piano, ente=ente)),
        _nome(ente, piano, "unita", formato),
        formato,
    )
