"""The small files of the onboarding (comuni and aggregazioni, operators, population): measured and
read as the spreadsheet import reads its files (``patrimonio.importazione.lettura``: size and format
checked first, the sheet measured before any reader sees it, the reading in a limited child
process), with tighter limits, since these lists have one row per comune or per person."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from patrimonio.importazione.errori import FileNonValido
from patrimonio.importazione.lettura import leggi
from patrimonio.importazione.misura import in_mb, numero

from .normalizza import cella, chiave

# A Lombard ambito has at most ~90 comuni and a few hundred operators: these bounds leave room.
DIMENSIONE_MASSIMA = 2 * 1024 * 1024
RIGHE_MASSIME = 5_000

# Header words: a first row made of these is a header, not data.
INTESTAZIONI = {
    "comune",
    "codice",
    "codice istat",
    "istat",
    "aggregazione",
    "ente",
    "nome",
    "e-mail",
    "email",
    "abitanti",
    "famiglie",
    "popolazione",
    "sub-ambito",
    "distretto",
    "at",
    "nominativo",
    "ruolo",
}


def righe_del_file(file: UploadedFile, *, colonne: int) -> list[list[str]]:
    """The rows of the uploaded list's first sheet as text, without empty rows and header; each row
    has at least ``colonne`` cells. Raises ``FileNonValido`` with the Italian reason."""
    nome = file.name or "file"
    dimensione = file.size or 0
    if dimensione > DIMENSIONE_MASSIMA:
        raise FileNonValido(
            f"Il file «{nome}» è troppo grande ({in_mb(dimensione)}): per questo elenco il massimo è "
            f"{in_mb(DIMENSIONE_MASSIMA)}."
        )
    lettura = leggi(file.read(), nome)
    if not lettura.fogli:
        raise FileNonValido(f"Il file «{nome}» non contiene fogli da leggere.")
    righe: list[list[str]] = []
    for riga in lettura.fogli[0].righe:
        valori = [cella(v) for v in riga]
        if not any(valori):
            continue
        righe.append(valori + [""] * (colonne - len(valori)))
        if len(righe) > RIGHE_MASSIME + 1:
            raise FileNonValido(
                f"Il file «{nome}» ha più di {numero(RIGHE_MASSIME)} righe: dividere l'elenco in più file."
            )
    if righe and all(chiave(v) in INTESTAZIONI for v in righe[0] if v):
        righe = righe[1:]
    if not righe:
        raise FileNonValido(f"Il file «{nome}» non contiene righe di dati.")
    return righe
