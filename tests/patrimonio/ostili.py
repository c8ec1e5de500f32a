"""Hostile spreadsheets built in memory (no binary fixtures): the catalogue of issue 16, shared by
``test_file_ostili`` and ``benchmarks/file_ostili.py``. Each builder returns the file's bytes; the
zips are written by hand where a library would refuse to write what an attacker can."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.styles import Font

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{fogli}</Types>"
)
_CT_FOGLIO = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TIPO_FOGLIO = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_NS_ODS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
)


def zip_di(voci: dict[str, bytes | str], *, metodo: int = zipfile.ZIP_DEFLATED) -> bytes:
    uscita = io.BytesIO()
    with zipfile.ZipFile(uscita, "w") as archivio:
        for nome, dati in voci.items():
            archivio.writestr(nome, dati, compress_type=zipfile.ZIP_STORED if nome == "mimetype" else metodo)
    return uscita.getvalue()


def cella(riferimento: str, valore: str) -> str:
    return f'<c r="{riferimento}" t="inlineStr"><is><t>{escape(valore)}</t></is></c>'


def foglio_xml(righe: str, dimensione: str | None = "A1") -> str:
    """A worksheet part: ``righe`` is the inside of ``<sheetData>``; ``dimensione`` None omits it."""
    dim = f'<dimension ref="{dimensione}"/>' if dimensione is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">{dim}'
        f"<sheetData>{righe}</sheetData></worksheet>"
    )


def xlsx_grezzo(fogli: list[tuple[str, str, str]], *, workbook: str | None = None) -> bytes:
    """An xlsx written by hand: ``fogli`` is (name, state, worksheet XML) per sheet."""
    elenco = "".join(
        f'<sheet name="{escape(nome)}" sheetId="{n}" state="{stato}" r:id="rId{n}"/>'
        for n, (nome, stato, _) in enumerate(fogli, 1)
    )
    relazioni = "".join(
        f'<Relationship Id="rId{n}" Type="{_TIPO_FOGLIO}" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(fogli) + 1)
    )
    voci: dict[str, bytes | str] = {
        "[Content_Types].xml": _CT.format(
            fogli="".join(_CT_FOGLIO.format(n=n) for n in range(1, len(fogli) + 1))
        ),
        "_rels/.rels": _RELS,
        "xl/workbook.xml": workbook
        or f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><sheets>'
        f"{elenco}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        f'schemas.openxmlformats.org/package/2006/relationships">{relazioni}</Relationships>',
    }
    for n, (_, _, xml) in enumerate(fogli, 1):
        voci[f"xl/worksheets/sheet{n}.xml"] = xml
    return zip_di(voci)


def ods_grezzo(tabelle: str, *, stili: str = "", manifest_extra: str = "") -> bytes:
    """An ods written by hand: ``tabelle`` is the inside of ``<office:spreadsheet>``."""
    contenuto = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS_ODS} office:version="1.2">'
        f"<office:automatic-styles>{stili}</office:automatic-styles><office:body><office:spreadsheet>"
        f"{tabelle}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
        'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="'
        f'{_ODS}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f"{manifest_extra}</manifest:file-entry></manifest:manifest>"
    )
    return zip_di({"mimetype": _ODS, "content.xml": contenuto, "META-INF/manifest.xml": manifest})


def riga_ods(*valori: str, ripeti: int = 1) -> str:
    celle = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
        for v in valori
    )
    attributo = f' table:number-rows-repeated="{ripeti}"' if ripeti > 1 else ""
    return f"<table:table-row{attributo}>{celle}</table:table-row>"


def righe_vuote_ods(quante: int) -> str:
    return f'<table:table-row table:number-rows-repeated="{quante}"><table:table-cell/></table:table-row>'


def tabella_ods(nome: str, righe: str, stile: str = "") -> str:
    attributo = f' table:style-name="{stile}"' if stile else ""
    return f'<table:table table:name="{escape(nome)}"{attributo}>{righe}</table:table>'


def xlsx_openpyxl(fogli: dict[str, list[list[Any]]], *, nascosti: dict[str, str] | None = None) -> bytes:
    cartella = openpyxl.Workbook()
    vuoto = cartella.active
    assert vuoto is not None  # a new workbook has one sheet
    cartella.remove(vuoto)
    for nome, righe in fogli.items():
        foglio = cartella.create_sheet(nome)
        for riga in righe:
            foglio.append(riga)
        if nascosti and nome in nascosti:
            foglio.sheet_state = nascosti[nome]
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


# --------------------------------------------------------------------------------------------
# The hostile files
# --------------------------------------------------------------------------------------------


def cella_xfd() -> bytes:
    """The 1.7 KB file of issue 16: one cell at XFD1048576 (openpyxl writes an honest dimension)."""
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert foglio is not None
    foglio["A1"] = "Ente proprietario"
    foglio["XFD1048576"] = "x"
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def cella_xfd_dimensione_falsa() -> bytes:
    """The same cell, with a dimension that lies («A1»): only the child process's limits stop it."""
    return xlsx_grezzo([("Unità", "visible", foglio_xml(cella("A1", "a") + _riga_xfd(), "A1"))])


def cella_xfd_senza_dimensione() -> bytes:
    """The same cell and no dimension at all: the sheet is streamed to find how far it reaches."""
    return xlsx_grezzo([("Unità", "visible", foglio_xml(cella("A1", "a") + _riga_xfd(), None))])


def _riga_xfd() -> str:
    return f'<row r="1048576">{cella("XFD1048576", "x")}</row>'


def dimensione_enorme() -> bytes:
    return xlsx_grezzo(
        [("Unità", "visible", foglio_xml('<row r="1">' + cella("A1", "a") + "</row>", "A1:Z1048576"))]
    )


def troppe_colonne() -> bytes:
    return xlsx_grezzo(
        [("Unità", "visible", foglio_xml('<row r="1">' + cella("A1", "a") + "</row>", "A1:XFD10"))]
    )


def troppe_celle() -> bytes:
    """190,000 rows × 200 columns declared: the 5.9 MB file of issue 16, measured from its header."""
    return xlsx_grezzo(
        [("Unità", "visible", foglio_xml('<row r="1">' + cella("A1", "a") + "</row>", "A1:GR190000"))]
    )


def righe_vuote_formattate_xlsx() -> bytes:
    """1,048,576 rows of which all but one are empty: a bold empty cell on the last row."""
    cartella = openpyxl.Workbook()
    foglio = cartella.active
    assert foglio is not None
    foglio["A1"] = "Ente proprietario"
    foglio.cell(row=1_048_576, column=1).font = Font(bold=True)
    uscita = io.BytesIO()
    cartella.save(uscita)
    return uscita.getvalue()


def bomba_zip() -> bytes:
    """A sheet padded with 20 MB of spaces: a 20 KB file that expands a thousandfold."""
    xml = foglio_xml('<row r="1">' + cella("A1", "a") + "</row>" + " " * (20 * 1024 * 1024), "A1")
    return xlsx_grezzo([("Unità", "visible", xml)])


def _dichiara(contenuto: bytes, voce: str, dimensione: int, compresso: int | None = None) -> bytes:
    """Rewrite an entry's sizes in the zip's central directory (a lying directory)."""
    dati = bytearray(contenuto)
    nome = voce.encode()
    posizione = dati.find(b"PK\x01\x02")
    while posizione >= 0:
        lunghezza = struct.unpack_from("<H", dati, posizione + 28)[0]
        if bytes(dati[posizione + 46 : posizione + 46 + lunghezza]) == nome:
            struct.pack_into("<I", dati, posizione + 24, dimensione)
            if compresso is not None:
                struct.pack_into("<I", dati, posizione + 20, compresso)
        posizione = dati.find(b"PK\x01\x02", posizione + 4)
    return bytes(dati)


def voce_enorme_dichiarata() -> bytes:
    piccolo = xlsx_grezzo([("Unità", "visible", foglio_xml('<row r="1">' + cella("A1", "a") + "</row>"))])
    return _dichiara(piccolo, "xl/worksheets/sheet1.xml", 0xFFFF0000)


def totale_enorme_dichiarato() -> bytes:
    """Three sheets of 300 MB each declared: each under the entry limit, together over the total."""
    fogli = [(f"F{n}", "visible", foglio_xml('<row r="1">' + cella("A1", "a") + "</row>")) for n in range(3)]
    contenuto = xlsx_grezzo(fogli)
    for n in range(1, 4):
        contenuto = _dichiara(contenuto, f"xl/worksheets/sheet{n}.xml", 300 * 1024 * 1024, 10 * 1024 * 1024)
    return contenuto


def troppe_voci() -> bytes:
    voci: dict[str, bytes | str] = {f"xl/media/immagine{n}.bin": b"" for n in range(3_000)}
    voci["[Content_Types].xml"] = _CT.format(fogli="")
    return zip_di(voci)


def zip_cifrato() -> bytes:
    """A zip whose entries carry the «encrypted» flag (a password-protected zip renamed .xlsx)."""
    dati = bytearray(xlsx_openpyxl({"Unità": [["a"]]}))
    for firma, scarto in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        posizione = dati.find(firma)
        while posizione >= 0:
            dati[posizione + scarto] |= 0x1
            posizione = dati.find(firma, posizione + 4)
    return bytes(dati)


def ole2(nomi: list[str], *, versione: int = 3) -> bytes:
    """A compound file (OLE2): a sane header, its allocation table (sector 0) and one directory
    sector (sector 1) naming the given streams, all empty."""
    settore = 512 if versione == 3 else 4096
    intestazione = bytearray(512)
    intestazione[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", intestazione, 24, 0x3E, versione, 0xFFFE, 9 if versione == 3 else 12, 6)
    struct.pack_into("<IIII", intestazione, 44, 1, 1, 0, 4096)  # 1 FAT sector, directory at 1
    struct.pack_into("<III", intestazione, 60, 0xFFFFFFFE, 0, 0xFFFFFFFE)  # no mini FAT, no DIFAT
    struct.pack_into("<I", intestazione, 68, 0)
    intestazione[76:512] = b"\xff" * 436
    struct.pack_into("<I", intestazione, 76, 0)  # the FAT is sector 0
    fat = struct.pack("<II", 0xFFFFFFFD, 0xFFFFFFFE).ljust(settore, b"\xff")
    directory = bytearray()
    for nome in ["Root Entry", *nomi]:
        voce = bytearray(128)
        codificato = nome.encode("utf-16-le")
        voce[0 : len(codificato)] = codificato
        struct.pack_into("<HB", voce, 64, len(codificato) + 2, 5 if nome == "Root Entry" else 2)
        struct.pack_into("<III", voce, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<I", voce, 116, 0xFFFFFFFE)
        directory += voce
    if len(nomi) > 0:  # the root's child: the first stream (a flat, unbalanced tree is still valid)
        struct.pack_into("<I", directory, 76, 1)
        for n in range(1, len(nomi)):
            struct.pack_into("<I", directory, n * 128 + 72, n + 1)  # right sibling
    testa = bytes(intestazione) + b"\x00" * (settore - 512)
    return testa + fat + bytes(directory).ljust(settore, b"\x00")


def protetto_da_password() -> bytes:
    """What Excel saves with «Proteggi con password»: an OLE2 file with an «EncryptedPackage»."""
    return ole2(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"], versione=4)


def ods_cifrato() -> bytes:
    return ods_grezzo(
        tabella_ods("Unità", riga_ods("a")),
        manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>',
    )


def foglio_nascosto(intestazioni: list[str], riga: list[str]) -> bytes:
    return xlsx_openpyxl(
        {"Unità abitative": [intestazioni, riga], "Vecchi dati": [intestazioni, riga]},
        nascosti={"Vecchi dati": "hidden"},
    )


def foglio_molto_nascosto(intestazioni: list[str], riga: list[str]) -> bytes:
    return xlsx_openpyxl(
        {"Unità abitative": [intestazioni, riga], "Segreto": [["x"]], "Altro": [["y"]]},
        nascosti={"Segreto": "veryHidden", "Altro": "hidden"},
    )


def ods_foglio_nascosto(intestazioni: list[str], riga: list[str]) -> bytes:
    stili = (
        '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/>'
        '</style:style><style:style style:name="ta2" style:family="table"><style:table-properties '
        'table:display="false"/></style:style>'
    )
    return ods_grezzo(
        tabella_ods("Unità abitative", riga_ods(*intestazioni) + riga_ods(*riga), "ta1")
        + tabella_ods("Nascosto", riga_ods("x"), "ta2"),
        stili=stili,
    )


def ods_righe_vuote_in_mezzo() -> bytes:
    """A million empty rows, then one cell: the reader would allocate all of them."""
    return ods_grezzo(tabella_ods("Unità", riga_ods("a") + righe_vuote_ods(1_048_574) + riga_ods("z")))


def ods_righe_vuote_in_fondo(intestazioni: list[str], riga: list[str]) -> bytes:
    """A million empty rows after the data, as LibreOffice writes formatted rows: harmless, read."""
    return ods_grezzo(
        tabella_ods("Unità abitative", riga_ods(*intestazioni) + riga_ods(*riga) + righe_vuote_ods(1_048_574))
    )


def ods_riga_ripetuta() -> bytes:
    return ods_grezzo(tabella_ods("Unità", riga_ods("a") + riga_ods("copia", ripeti=1_048_575)))


def ods_colonne_ripetute() -> bytes:
    cella_ripetuta = (
        '<table:table-cell office:value-type="string" table:number-columns-repeated="16384">'
        "<text:p>x</text:p></table:table-cell>"
    )
    return ods_grezzo(tabella_ods("Unità", f"<table:table-row>{cella_ripetuta}</table:table-row>"))


def troncato() -> bytes:
    completo = xlsx_openpyxl({"Unità": [["a", "b"]] * 50})
    return completo[: len(completo) // 2]


def risate() -> bytes:
    """A billion laughs in workbook.xml: expat refuses the amplification."""
    entita = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    workbook = (
        f'<?xml version="1.0"?><!DOCTYPE workbook [{entita}]><workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
        '<sheets><sheet name="&a9;" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    return xlsx_grezzo([("x", "visible", foglio_xml(""))], workbook=workbook)


def entita_esterna() -> bytes:
    """XXE: a sheet name taken from a local file; never resolved."""
    workbook = (
        '<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}"><sheets><sheet name="&xxe;" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    return xlsx_grezzo([("x", "visible", foglio_xml(""))], workbook=workbook)


def xml_malformato() -> bytes:
    return xlsx_grezzo([("x", "visible", foglio_xml(""))], workbook="<workbook><sheets><sheet")


@dataclass(frozen=True)
class Ostile:
    """A kind of bad file: a short name, the file's name and how to build its bytes."""

    tipo: str
    nome_file: str
    costruisci: Callable[[], bytes]


def catalogo(intestazioni: list[str], riga: list[str]) -> list[Ostile]:
    """At least 30 kinds of bad (or odd) files; ``intestazioni`` and ``riga`` make the valid sheets."""
    return [
        Ostile("cella XFD1048576 (1,7 KB)", "xfd.xlsx", cella_xfd),
        Ostile("cella XFD1048576, dimensione falsa «A1»", "xfd_falsa.xlsx", cella_xfd_dimensione_falsa),
        Ostile("cella XFD1048576, senza dimensione", "xfd_senza.xlsx", cella_xfd_senza_dimensione),
        Ostile("dimensione dichiarata A1:Z1048576", "alto.xlsx", dimensione_enorme),
        Ostile("dimensione dichiarata A1:XFD10", "largo.xlsx", troppe_colonne),
        Ostile("190.000 × 200 celle dichiarate", "grande.xlsx", troppe_celle),
        Ostile("1M righe vuote formattate (xlsx)", "vuote.xlsx", righe_vuote_formattate_xlsx),
        Ostile("bomba zip (20 MB di spazi)", "bomba.xlsx", bomba_zip),
        Ostile("voce zip dichiarata di 4 GB", "voce.xlsx", voce_enorme_dichiarata),
        Ostile("3 voci da 300 MB dichiarate", "totale.xlsx", totale_enorme_dichiarato),
        Ostile("3.000 voci zip", "voci.xlsx", troppe_voci),
        Ostile("protetto da password (OLE2 EncryptedPackage)", "protetto.xlsx", protetto_da_password),
        Ostile("protetto da password, rinominato .xls", "protetto.xls", protetto_da_password),
        Ostile("zip cifrato", "cifrato.xlsx", zip_cifrato),
        Ostile("ods cifrato", "cifrato.ods", ods_cifrato),
        Ostile("foglio nascosto", "nascosto.xlsx", lambda: foglio_nascosto(intestazioni, riga)),
        Ostile(
            "foglio molto nascosto", "molto_nascosto.xlsx", lambda: foglio_molto_nascosto(intestazioni, riga)
        ),
        Ostile("foglio nascosto (ods)", "nascosto.ods", lambda: ods_foglio_nascosto(intestazioni, riga)),
        Ostile("1M righe vuote in mezzo (ods)", "vuote.ods", ods_righe_vuote_in_mezzo),
        Ostile(
            "1M righe vuote in fondo (ods)", "coda.ods", lambda: ods_righe_vuote_in_fondo(intestazioni, riga)
        ),
        Ostile("riga ripetuta 1M volte (ods)", "ripetuta.ods", ods_riga_ripetuta),
        Ostile("cella ripetuta 16.384 colonne (ods)", "colonne.ods", ods_colonne_ripetute),
        Ostile("zip troncato", "troncato.xlsx", troncato),
        Ostile("xlsx rinominato .ods", "rinominato.ods", lambda: xlsx_openpyxl({"Unità": [["a"]]})),
        Ostile(
            "ods rinominato .xlsx", "rinominato.xlsx", lambda: ods_grezzo(tabella_ods("Unità", riga_ods("a")))
        ),
        Ostile("xlsx rinominato .xls", "rinominato.xls", lambda: xlsx_openpyxl({"Unità": [["a"]]})),
        Ostile("xls danneggiato (OLE2 con «Workbook» vuoto)", "rotto.xls", lambda: ole2(["Workbook"])),
        Ostile("oltre 20 MB", "enorme.xlsx", lambda: b"PK\x03\x04" + bytes(21 * 1024 * 1024)),
        Ostile("CSV di 250.000 righe", "lungo.csv", lambda: b"a;b\n" * 250_000),
        Ostile("OLE2 senza cartella di lavoro (.xls)", "documento.xls", lambda: ole2(["WordDocument"])),
        Ostile("zip vuoto", "vuoto.xlsx", lambda: zip_di({})),
        Ostile(
            "xlsx senza workbook.xml",
            "monco.xlsx",
            lambda: zip_di({"[Content_Types].xml": _CT.format(fogli="")}),
        ),
        Ostile("workbook.xml malformato", "malformato.xlsx", xml_malformato),
        Ostile("miliardo di risate (entità XML)", "risate.xlsx", risate),
        Ostile("entità esterna (XXE)", "xxe.xlsx", entita_esterna),
        Ostile(
            "PNG rinominato .xlsx",
            "foto.xlsx",
            lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        ),
        Ostile("testo rinominato .ods", "lettera.ods", lambda: b"Caro ufficio di piano, ecco i dati."),
        Ostile("binario rinominato .csv", "dati.csv", lambda: bytes(range(256)) * 40),
        Ostile("file vuoto", "vuoto.csv", lambda: b""),
        Ostile("formato non ammesso", "programma.exe", lambda: b"MZ\x90\x00"),
    ]
