"""Measuring an untrusted spreadsheet before any reader sees it (issue 16).

A spreadsheet reader trusts the file: one cell at XFD1048576 makes it allocate a grid of 17 billion
cells, a zip entry of zeros expands a thousandfold. So the bytes are measured first, cheaply and with
bounded memory: for xlsx and ods the zip's directory (entries, declared sizes, compression ratio,
encryption) and each sheet's extent (the ``<dimension>`` an xlsx declares in its first bytes, or the
rows and cells an ods repeats, scanned in blocks); for xls the OLE2 header and its
``DIMENSIONS`` records; for csv the line count. What fails a limit of ``limiti`` is refused with an
Italian ``FileNonValido``; what is only odd (hidden sheets) becomes a warning for the preview. The
row count chooses the background path, so the file is not parsed for it.

The measure can be fooled (a dimension that lies, a zip whose directory lies): that is why the
reading itself runs in a limited child process (``lettura``); measuring refuses the honest and the
naive bad files early and with a precise message.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import ngettext

from .errori import FileNonValido
from .limiti import FORMATI, limite

# Magic numbers: xlsx and ods are zip archives, xls an OLE2 compound document (as is an xlsx
# encrypted with a password: Office wraps it in OLE2 with an «EncryptedPackage» stream).
FIRMA_ZIP = b"PK\x03\x04"
FIRMA_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PACCHETTO_CIFRATO = "EncryptedPackage".encode("utf-16-le")
_TIPO_ODS = b"application/vnd.oasis.opendocument.spreadsheet"
_NS_XLSX = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DIMENSIONE = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})\$?(\d+))?\""
)
# Each starts with a literal, which the regex engine looks for at C speed.
_RIGA_XLSX = re.compile(rb"<row\s[^>]*?\br=\"(\d+)\"")
_RIFERIMENTO_LONTANO = re.compile(rb"r=\"([A-Z]{2,3}\d+|[A-Z]?\d{7,})\"")
_INIZIO_SHEET = 64 * 1024  # the <dimension> comes before <sheetData>, in the first bytes
_BLOCCO = 1024 * 1024
_PARTE_PICCOLA = 10 * 1024 * 1024  # workbook.xml, its relations, the manifest: read whole up to this
_COMPRESSIONE_IRRILEVANTE = 1024 * 1024  # below this a high ratio is harmless


@dataclass
class Estensione:
    """How far a sheet reaches: its last row and column (1-based), as the reader would allocate."""

    nome: str
    righe: int
    colonne: int


@dataclass
class Misura:
    """What measuring found: the format, the sheets to read with their extent, the warnings."""

    formato: str
    fogli: list[Estensione] = field(default_factory=list)
    nascosti: list[str] = field(default_factory=list)

    @property
    def righe(self) -> int:
        """Rows over the sheets that will be read (a header row included): chooses the background."""
        return sum(f.righe for f in self.fogli)

    @property
    def avvisi(self) -> list[str]:
        if not self.nascosti:
            return []
        nomi = ", ".join(f"«{n}»" for n in self.nascosti)
        return [
            ngettext(
                "Il foglio %(nomi)s è nascosto e non è stato letto: se contiene dati da caricare, "
                "renderlo visibile, salvare il file e caricarlo di nuovo.",
                "I fogli %(nomi)s sono nascosti e non sono stati letti: se contengono dati da caricare, "
                "renderli visibili, salvare il file e caricarlo di nuovo.",
                len(self.nascosti),
            )
            % {"nomi": nomi}
        ]


def numero(valore: int) -> str:
    """An integer the Italian way: 1.048.576."""
    return f"{valore:,}".replace(",", ".")


def in_mb(byte: int) -> str:
    return f"{byte / (1024 * 1024):.1f} MB".replace(".", ",")


def non_leggibile(nome_file: str, formato: str) -> FileNonValido:
    return FileNonValido(
        f"Il file «{nome_file}» non è un foglio di calcolo {FORMATI[formato]} leggibile: è danneggiato "
        "o è un altro tipo di file con l'estensione cambiata. Salvarlo di nuovo dal programma di "
        "foglio di calcolo e ricaricarlo."
    )


def protetto(nome_file: str) -> FileNonValido:
    return FileNonValido(
        f"Il file «{nome_file}» è protetto da password e non può essere letto. Aprirlo con il programma "
        "di foglio di calcolo, salvarlo senza password e caricarlo di nuovo."
    )


def colonna(indice: int) -> str:
    """The spreadsheet letters of a 1-based column index (16384 → XFD)."""
    lettere = ""
    while indice > 0:
        indice, resto = divmod(indice - 1, 26)
        lettere = chr(65 + resto) + lettere
    return lettere


def _indice_colonna(lettere: bytes) -> int:
    indice = 0
    for c in lettere:
        indice = indice * 26 + c - 64
    return indice


def misura(contenuto: bytes, nome_file: str, formato: str, *, fino_a: int | None = None) -> Misura:
    """Measure the file against the limits; raise ``FileNonValido`` for what must not be read.
    With ``fino_a`` the count may stop once past that many rows (a partial measure, only to choose
    the background path: the analysis measures the whole file again)."""
    if formato == "csv":
        return Misura(formato, [Estensione("", contenuto.count(b"\n") + 1, 0)])
    if contenuto.startswith(FIRMA_OLE2):
        if _PACCHETTO_CIFRATO in contenuto:
            raise protetto(nome_file)
        if formato != "xls":
            raise non_leggibile(nome_file, formato)
        return _misura_xls(contenuto, nome_file)
    if formato == "xls" or not contenuto.startswith(FIRMA_ZIP):
        raise non_leggibile(nome_file, formato)
    _controlla_voci(_voci_dichiarate(contenuto), nome_file)  # before zipfile parses the directory
    try:
        with zipfile.ZipFile(io.BytesIO(contenuto)) as archivio:
            _controlla_archivio(archivio, nome_file)
            if formato == "ods":
                return _misura_ods(archivio, nome_file, fino_a)
            return _misura_xlsx(archivio, nome_file, fino_a)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ET.ParseError):
        # A truncated or corrupt zip, a damaged deflate stream, malformed XML.
        raise non_leggibile(nome_file, formato) from None
    except (KeyError, ValueError, NotImplementedError, RuntimeError) as errore:
        if isinstance(errore, FileNonValido):
            raise
        # A missing part, an unsupported compression, an encrypted entry zipfile cannot open.
        raise non_leggibile(nome_file, formato) from None


def _voci_dichiarate(contenuto: bytes) -> int:
    """The entry count of the zip's end record (0 if not found: zipfile then judges the file)."""
    fine = contenuto.rfind(b"PK\x05\x06", max(0, len(contenuto) - 65_557))
    if fine < 0 or fine + 22 > len(contenuto):
        return 0
    voci: int = struct.unpack_from("<H", contenuto, fine + 10)[0]
    return voci


def _controlla_voci(voci: int, nome_file: str) -> None:
    if voci > limite("VOCI_ZIP_MASSIME"):
        raise FileNonValido(
            f"Il file «{nome_file}» contiene {numero(voci)} parti: un foglio di calcolo ne ha al più "
            f"{numero(limite('VOCI_ZIP_MASSIME'))}. Salvarlo di nuovo dal programma di foglio di calcolo "
            "e ricaricarlo."
        )


def _controlla_archivio(archivio: zipfile.ZipFile, nome_file: str) -> None:
    """Entries, declared sizes, ratio and encryption, from the zip's directory alone."""
    voci = archivio.infolist()
    _controlla_voci(len(voci), nome_file)
    totale = 0
    for voce in voci:
        if voce.flag_bits & 0x1:
            raise protetto(nome_file)
        if voce.file_size > limite("VOCE_ZIP_MASSIMA"):
            raise FileNonValido(
                f"Il file «{nome_file}» una volta decompresso avrebbe una parte di {in_mb(voce.file_size)} "
                f"(«{voce.filename[:80]}»): il massimo è {in_mb(limite('VOCE_ZIP_MASSIMA'))}. Dividere "
                "l'elenco in più file."
            )
        if voce.file_size > _COMPRESSIONE_IRRILEVANTE and voce.file_size > voce.compress_size * limite(
            "RAPPORTO_COMPRESSIONE_MASSIMO"
        ):
            raise FileNonValido(
                f"Il file «{nome_file}» contiene una parte compressa in modo anomalo («{voce.filename[:80]}», "
                f"{numero(voce.file_size // max(1, voce.compress_size))} volte): non viene letto. Salvarlo di "
                "nuovo dal programma di foglio di calcolo e ricaricarlo."
            )
        totale += voce.file_size
    if totale > limite("DECOMPRESSO_MASSIMO"):
        raise FileNonValido(
            f"Il file «{nome_file}» una volta decompresso occuperebbe {in_mb(totale)}: il massimo è "
            f"{in_mb(limite('DECOMPRESSO_MASSIMO'))}. Dividere l'elenco in più file o togliere i fogli "
            "non necessari."
        )


def _leggi_parte(archivio: zipfile.ZipFile, nome: str, massimo: int = _PARTE_PICCOLA) -> bytes:
    """A small part read whole, never more than ``massimo`` bytes whatever its directory says."""
    with archivio.open(nome) as parte:
        dati = parte.read(massimo + 1)
    if len(dati) > massimo:
        raise ValueError(f"parte {nome} troppo grande")
    return dati


def _blocchi(archivio: zipfile.ZipFile, nome: str) -> Iterator[bytes]:
    """A part's bytes in blocks, stopping at the entry limit even when the directory lied."""
    letti = 0
    massimo = limite("VOCE_ZIP_MASSIMA")
    with archivio.open(nome) as parte:
        while blocco := parte.read(_BLOCCO):
            letti += len(blocco)
            if letti > massimo:
                raise ValueError(f"parte {nome} oltre il limite")
            yield blocco


def controlla_estensione(estensione: Estensione, nome_file: str) -> None:
    """Refuse a sheet that reaches too far down, too far right, or holds too many cells."""
    nome = f"Il foglio «{estensione.nome}»" if estensione.nome else f"Il file «{nome_file}»"
    massime = limite("RIGHE_MASSIME")
    if estensione.righe > massime + 1:  # the header row is not a data row
        raise FileNonValido(
            f"{nome} arriva alla riga {numero(estensione.righe)}: il massimo è {numero(massime)} righe. "
            "Se le righe in fondo sono vuote, eliminarle (anche quelle solo formattate) e salvare di "
            "nuovo il file; altrimenti dividere l'elenco in più file."
        )
    if estensione.colonne > limite("COLONNE_MASSIME"):
        raise FileNonValido(
            f"{nome} arriva alla colonna {colonna(estensione.colonne)} ({numero(estensione.colonne)} "
            f"colonne): il massimo è {numero(limite('COLONNE_MASSIME'))} colonne. Eliminare le colonne "
            "non necessarie (anche quelle solo formattate) e salvare di nuovo il file."
        )
    celle = estensione.righe * estensione.colonne
    if celle > limite("CELLE_MASSIME"):
        raise FileNonValido(
            f"{nome} ha {numero(estensione.righe)} righe per {numero(estensione.colonne)} colonne "
            f"({numero(celle)} celle): il massimo è {numero(limite('CELLE_MASSIME'))} celle. Togliere le "
            "colonne non necessarie o dividere l'elenco in più file."
        )


# --------------------------------------------------------------------------------------------
# xlsx
# --------------------------------------------------------------------------------------------


def _misura_xlsx(archivio: zipfile.ZipFile, nome_file: str, fino_a: int | None = None) -> Misura:
    nomi = set(archivio.namelist())
    if "[Content_Types].xml" not in nomi or "xl/workbook.xml" not in nomi:
        raise non_leggibile(nome_file, "xlsx")  # an ods or another zip renamed .xlsx
    misura = Misura("xlsx")
    for nome, parte, visibile in _fogli_xlsx(archivio):
        if not visibile:
            misura.nascosti.append(nome)
            continue
        if parte not in nomi:
            raise non_leggibile(nome_file, "xlsx")
        estensione = _estensione_xlsx(archivio, parte, nome, fino_a)
        controlla_estensione(estensione, nome_file)
        misura.fogli.append(estensione)
        if fino_a is not None and misura.righe > fino_a:
            break
    return misura


def _fogli_xlsx(archivio: zipfile.ZipFile) -> Iterator[tuple[str, str, bool]]:
    """Each worksheet of the workbook: name, part in the zip, whether it is visible."""
    relazioni = {}
    if "xl/_rels/workbook.xml.rels" in archivio.namelist():
        radice = ET.fromstring(_leggi_parte(archivio, "xl/_rels/workbook.xml.rels"))
        for rel in radice.iter(f"{{{_NS_PKG_REL}}}Relationship"):
            destinazione = rel.get("Target", "").lstrip("/")
            if not destinazione.startswith("xl/"):
                destinazione = f"xl/{destinazione}"
            relazioni[rel.get("Id", "")] = destinazione
    radice = ET.fromstring(_leggi_parte(archivio, "xl/workbook.xml"))
    for foglio in radice.iter(f"{{{_NS_XLSX}}}sheet"):
        parte = relazioni.get(foglio.get(f"{{{_NS_REL}}}id", ""), "")
        if parte and "chartsheet" in parte:
            continue  # a chart, not cells: the reader skips it too
        yield foglio.get("name", ""), parte, foglio.get("state", "visible") == "visible"


def _estensione_xlsx(archivio: zipfile.ZipFile, parte: str, nome: str, fino_a: int | None) -> Estensione:
    """The sheet's declared ``<dimension>``; when missing or implausible for the part's size, the
    largest cell reference found by streaming the part."""
    with archivio.open(parte) as flusso:
        inizio = flusso.read(_INIZIO_SHEET)
    trovata = _DIMENSIONE.search(inizio)
    if trovata:
        colonne = _indice_colonna(trovata.group(3) or trovata.group(1) or b"A")
        righe = int(trovata.group(4) or trovata.group(2) or 1)
        # A sheet's XML takes at most some hundreds of bytes per declared cell (a long text is in
        # the shared strings): a «A1» dimension over megabytes of cells is a writer that did not
        # update it, so the cells themselves are measured.
        if archivio.getinfo(parte).file_size <= _INIZIO_SHEET + righe * colonne * 1024:
            return Estensione(nome, righe, colonne)
    return _scorri_xlsx(archivio, parte, nome, fino_a)


def _scorri_xlsx(archivio: zipfile.ZipFile, parte: str, nome: str, fino_a: int | None) -> Estensione:
    """Stream the part for how far it reaches, with searches that stay in C on ordinary files: the
    number of the last row of each block (rows come in order); references of two or three letters
    (none in a sheet up to column Z) or of seven digits (none up to row 999.999), anywhere; a sheet
    of single-letter columns is as wide as the furthest letter of its first block. Rows out of order
    or cells beyond their row are left to the child's limits and its row count."""
    righe = colonne = 0
    resto = b""
    primo = True
    for blocco in _blocchi(archivio, parte):
        testo = resto + blocco
        taglio = testo.rfind(b">") + 1  # a tag never straddles the cut
        testo, resto = testo[:taglio], testo[taglio:]
        ultima = _RIGA_XLSX.search(testo, max(0, testo.rfind(b"<row ")))
        if ultima:
            righe = max(righe, int(ultima.group(1)))
        for riferimento in _RIFERIMENTO_LONTANO.findall(testo):
            lettere = riferimento.rstrip(b"0123456789")
            righe = max(righe, int(riferimento[len(lettere) :]))
            colonne = max(colonne, _indice_colonna(lettere))
        if primo and not colonne:
            colonne = next(
                (26 - n for n, c in enumerate(b"ZYXWVUTSRQPONMLKJIHGFEDCBA") if b' r="%c' % c in testo), 0
            )
        primo = False
        if fino_a is not None and righe > fino_a:
            break  # enough to choose the background path
    return Estensione(nome, righe, colonne)


# --------------------------------------------------------------------------------------------
# ods
# --------------------------------------------------------------------------------------------


# The reader (calamine) matches the conventional prefixes literally, so the measure does too.
_ELEMENTO_ODS = re.compile(rb"<table:table(-row)?[\s>/]")
_RIPETI_RIGHE = re.compile(rb'table:number-rows-repeated="(\d+)"')
_RIPETI_COLONNE = re.compile(rb'table:number-columns-repeated="(\d+)"')
_NOME_TABELLA = re.compile(rb'table:name="([^"]*)"')
_STILE_TABELLA = re.compile(rb'table:style-name="([^"]*)"')
_STILE = re.compile(rb"<style:style\s[^>]*>.*?</style:style>", re.S)
_NOME_STILE = re.compile(rb'style:name="([^"]*)"')
_RIGA_ENORME = 16 * 1024 * 1024


class _TabelleOds:
    """The tables of content.xml, scanned in blocks (C-speed searches, a few per row): rows and
    columns up to the last cell holding something, ``number-rows-repeated`` and
    ``number-columns-repeated`` multiplied out as the reader would; trailing empty rows are not
    counted (the reader drops them)."""

    def __init__(self, nome_file: str) -> None:
        self.nome_file = nome_file
        self.tabelle: list[tuple[Estensione, str]] = []
        self.stili_nascosti: set[str] = set()
        self._riga_corrente = 0
        self._resto = b""
        self._prima = True
        # Read once: a settings lookup per row would cost more than the scan.
        self._massime = (limite("RIGHE_MASSIME") + 1, limite("COLONNE_MASSIME"), limite("CELLE_MASSIME"))

    def blocco(self, dati: bytes) -> None:
        testo = self._resto + dati
        if self._prima and b"<office:body" in testo:
            self._stili(testo[: testo.find(b"<office:body")])
            self._prima = False
        inizi = [(m.start(), m.group(1)) for m in _ELEMENTO_ODS.finditer(testo)]
        if not inizi:
            self._resto = testo[-64:]  # a tag cut by the block is found with the next one
            return
        for (inizio, riga), (fine, _) in zip(inizi, inizi[1:], strict=False):
            self._pezzo(testo[inizio:fine], riga is not None)
        self._resto = testo[inizi[-1][0] :]
        if len(self._resto) > _RIGA_ENORME:
            self._riga_enorme()

    def fine(self) -> None:
        if self._resto.startswith(b"<table:table"):
            self._pezzo(self._resto, self._resto.startswith(b"<table:table-row"))

    def _stili(self, testo: bytes) -> None:
        for stile in _STILE.finditer(testo):
            if b'table:display="false"' in stile.group(0) and (nome := _NOME_STILE.search(stile.group(0))):
                self.stili_nascosti.add(nome.group(1).decode(errors="replace"))

    def _pezzo(self, pezzo: bytes, riga: bool) -> None:
        """From a row's (or a table's) start tag to the next one."""
        fine_tag = pezzo.find(b">")
        intestazione = pezzo[: fine_tag + 1]
        if not riga:
            nome = _NOME_TABELLA.search(intestazione)
            stile = _STILE_TABELLA.search(intestazione)
            estensione = Estensione(nome.group(1).decode(errors="replace") if nome else "", 0, 0)
            self.tabelle.append((estensione, stile.group(1).decode(errors="replace") if stile else ""))
            self._riga_corrente = 0
            return
        if not self.tabelle:
            return
        ripeti = _RIPETI_RIGHE.search(intestazione)
        self._riga_corrente += int(ripeti.group(1)) if ripeti else 1
        ultima = max(pezzo.rfind(b"office:value-type="), pezzo.rfind(b"<text:p"))
        if ultima < 0:
            return  # an empty row: counted in the position of the rows after it, if any
        fine_cella = pezzo.find(b">", ultima) + 1
        larghezza = pezzo.count(b"<table:table-cell", 0, fine_cella) + pezzo.count(
            b"<table:covered-table-cell", 0, fine_cella
        )
        larghezza += sum(int(m.group(1)) - 1 for m in _RIPETI_COLONNE.finditer(pezzo, 0, fine_cella))
        estensione = self.tabelle[-1][0]
        estensione.righe = self._riga_corrente
        estensione.colonne = max(estensione.colonne, larghezza)
        righe, colonne, celle = self._massime
        if (
            estensione.righe > righe
            or estensione.colonne > colonne
            or estensione.righe * estensione.colonne > celle
        ):
            controlla_estensione(estensione, self.nome_file)  # refused as soon as it is too large

    def _riga_enorme(self) -> None:
        """A row of megabytes: its cells so far, against the column limit (no row is that long)."""
        celle = self._resto.count(b"<table:table-cell") + sum(
            int(m.group(1)) - 1 for m in _RIPETI_COLONNE.finditer(self._resto)
        )
        nome = self.tabelle[-1][0].nome if self.tabelle else ""
        controlla_estensione(Estensione(nome, self._riga_corrente, celle), self.nome_file)
        raise ValueError("riga di content.xml troppo lunga")


def _misura_ods(archivio: zipfile.ZipFile, nome_file: str, fino_a: int | None = None) -> Misura:
    nomi = set(archivio.namelist())
    if "mimetype" not in nomi or _leggi_parte(archivio, "mimetype", 200).strip() != _TIPO_ODS:
        raise non_leggibile(nome_file, "ods")  # an xlsx or another zip renamed .ods
    manifesto = _leggi_parte(archivio, "META-INF/manifest.xml") if "META-INF/manifest.xml" in nomi else b""
    if b"encryption-data" in manifesto:
        raise protetto(nome_file)
    if "content.xml" not in nomi:
        raise non_leggibile(nome_file, "ods")
    tabelle = _TabelleOds(nome_file)
    for blocco in _blocchi(archivio, "content.xml"):
        tabelle.blocco(blocco)
        if fino_a is not None and sum(e.righe for e, _ in tabelle.tabelle) > fino_a:
            break  # enough to know: the rest is measured by the analysis
    else:
        tabelle.fine()
    misura = Misura("ods")
    for estensione, stile in tabelle.tabelle:
        if stile in tabelle.stili_nascosti:
            misura.nascosti.append(estensione.nome)
        else:
            misura.fogli.append(estensione)
    return misura


# --------------------------------------------------------------------------------------------
# xls
# --------------------------------------------------------------------------------------------

_RECORD_DIMENSIONI = struct.Struct("<HHIIHH")  # id 0x0200, length 14, rows first/last+1, cols


def _misura_xls(contenuto: bytes, nome_file: str) -> Misura:
    """An OLE2 file: its header must be sane and it must hold a workbook stream; the sheets' extents
    come from their BIFF8 ``DIMENSIONS`` records (found by their signature: cheap, and good enough to
    refuse a declared 65,536 × 256 sheet and to count rows; the child process is the real guard)."""
    if len(contenuto) < 512:
        raise non_leggibile(nome_file, "xls")
    _, versione, ordine, settore = struct.unpack_from("<HHHH", contenuto, 24)
    if ordine != 0xFFFE or (versione, settore) not in {(3, 9), (4, 12)}:
        raise non_leggibile(nome_file, "xls")
    # The allocation table and the directory must lie inside the file: a header that points
    # elsewhere sends the reader chasing sectors (seconds of CPU and gigabytes) before it fails.
    dimensione_settore = 1 << settore
    settori = (len(contenuto) - 512) // dimensione_settore
    settori_fat, inizio_directory = struct.unpack_from("<II", contenuto, 44)
    fat = struct.unpack_from(f"<{min(settori_fat, 109)}I", contenuto, 76) if settori_fat else ()
    if not 1 <= settori_fat <= settori or inizio_directory >= settori or any(s >= settori for s in fat):
        raise non_leggibile(nome_file, "xls")
    if "Workbook".encode("utf-16-le") not in contenuto and "Book".encode("utf-16-le") not in contenuto:
        raise non_leggibile(nome_file, "xls")  # a Word document or another OLE2 file renamed .xls
    misura = Misura("xls")
    posizione = contenuto.find(b"\x00\x02\x0e\x00")
    while posizione >= 0 and posizione + _RECORD_DIMENSIONI.size <= len(contenuto):
        _, _, prima, ultima, prima_col, ultima_col = _RECORD_DIMENSIONI.unpack_from(contenuto, posizione)
        if prima <= ultima <= 65_536 and prima_col <= ultima_col <= 256:
            estensione = Estensione("", ultima, ultima_col)  # BIFF names sheets elsewhere
            controlla_estensione(estensione, nome_file)
            misura.fogli.append(estensione)
        posizione = contenuto.find(b"\x00\x02\x0e\x00", posizione + 1)
    if not misura.fogli:  # no record found: a rough count from the size, for the background choice
        misura.fogli.append(Estensione("", len(contenuto) // 64, 0))
    return misura
