"""Regenerate the spreadsheets made by LibreOffice that the upload tests read.

    .venv/bin/python tests/patrimonio/dati/genera_dati.py      # needs soffice (Debian: libreoffice-calc-nogui)

openpyxl writes the content (formulas as text, no cached value); LibreOffice opens it, computes the
formulas and saves a real .ods and a real .xlsx, with the computed values cached, as a user's
office suite would. The tests never need LibreOffice: the generated files are committed.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile

import openpyxl

QUI = pathlib.Path(__file__).resolve().parent
INTESTAZIONI = [
    "Ente proprietario",
    "ID regionale",
    "Codice dell'ente",
    "Comune",
    "Codice ISTAT",
    "Servizio",
    "Indirizzo",
    "Stato nell'anno",
    "Programma / lotto",
    "Note",
]


def cartella_soresina() -> openpyxl.Workbook:
    """Comune di Soresina declares four new units and its turnover, with formulas and numbers."""
    cartella = openpyxl.Workbook()
    unita = cartella.active
    assert unita is not None  # a new workbook has one active sheet
    unita.title = "Unità abitative"
    unita.append(INTESTAZIONI)
    unita.append(
        ["Comune di Soresina", "T-LO-001", "SOR-1", "Soresina", "019098", "SAP", "Via Roma 1", "libera"]
    )
    unita.append(
        [
            "Comune di Soresina",
            "T-LO-002",
            '=CONCATENATE("SOR-","2")',  # computed by LibreOffice: «SOR-2»
            "SORESINA",
            19098,  # the ISTAT code typed as a number: the leading zero is lost
            "SAP",
            None,
            "SFITTO PER CARENZE MANUTENTIVE (Assegnabile in AM)",
            None,
            "Nota con «accenti»: è così",
        ]
    )
    unita.append(["Comune di Soresina", 3001, None, "soresina", None, "SAS"])  # no state this year
    unita.append(
        [
            "Comune di Soresina",
            "T-LO-004",
            "SOR-4",
            "Soresina",
            None,
            None,
            "Piazza Garibaldi 2",
            "ristrutturazione",
            "Lotto Soresina 1",
        ]
    )
    turnover = cartella.create_sheet("Turnover")
    turnover.append(["Comune", "Codice ISTAT", "Numero di alloggi"])
    turnover.append(["Soresina", "019098", "=1+1"])  # computed by LibreOffice: 2
    istruzioni = cartella.create_sheet("Istruzioni")
    istruzioni.append(["Foglio di prova creato con LibreOffice."])
    return cartella


def cartella_formule() -> openpyxl.Workbook:
    """Formulas in every kind of cell: only the values LibreOffice computed and saved are read."""
    cartella = openpyxl.Workbook()
    unita = cartella.active
    assert unita is not None  # a new workbook has one active sheet
    unita.title = "Unità abitative"
    unita.append(INTESTAZIONI)
    unita.append(
        [
            "Comune di Soresina",
            '="T-F-"&"001"',  # «T-F-001»
            None,
            '=PROPER("soresina")',  # «Soresina»
            None,
            "SAP",
            None,
            '=LOWER("LIBERA")',  # «libera»
        ]
    )
    turnover = cartella.create_sheet("Turnover")
    turnover.append(["Comune", "Codice ISTAT", "Numero di alloggi"])
    turnover.append(["Soresina", None, "=2*3"])  # 6
    return cartella


def converti(cartella: openpyxl.Workbook, nome: str, formato: str) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("Serve LibreOffice (soffice): apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as cartella_tmp:
        tmp = pathlib.Path(cartella_tmp)
        sorgente = tmp / "sorgente.xlsx"
        cartella.save(sorgente)
        filtro = {"ods": "ods", "xlsx": 'xlsx:"Calc MS Excel 2007 XML"'}[formato]
        uscita = tmp / "uscita"
        subprocess.run(
            [
                soffice,
                "--headless",
                "--calc",
                "--convert-to",
                filtro.replace('"', ""),
                "--outdir",
                str(uscita),
                str(sorgente),
            ],
            check=True,
            capture_output=True,
            env={"HOME": str(tmp), "PATH": "/usr/bin:/bin"},
        )
        shutil.copy(uscita / f"sorgente.{formato}", QUI / nome)


if __name__ == "__main__":
    converti(cartella_soresina(), "libreoffice_soresina.ods", "ods")
    converti(cartella_formule(), "libreoffice_formule.xlsx", "xlsx")
    print("Scritti:", ", ".join(p.name for p in sorted(QUI.glob("libreoffice_*"))))
