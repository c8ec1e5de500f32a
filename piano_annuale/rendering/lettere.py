"""Letters to the Prefettura: each ente's units for the Forze di Polizia (R.R. 4/2017 art. 7 bis c. 2).

At approval every ente proprietario that reserves a quota to the Forze di Polizia and the Corpo
nazionale dei Vigili del Fuoco tells the Prefettura how many units that is. The numbers are those
of section i.b of the **approved version** (rounded up per ente, as the plan computes them), so a
letter always agrees with the plan the Assemblea approved, whatever changed afterwards.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from piano_annuale.models import Approvazione, TipoVersione, VersionePiano
from piano_annuale.rendering.pdf import CSS_PDF, data_italiana, pdf_da_html

# The Prefetture (Uffici territoriali del Governo) of Lombardy, by the province's abbreviation.
PREFETTURE = {
    "BG": "Bergamo",
    "BS": "Brescia",
    "CO": "Como",
    "CR": "Cremona",
    "LC": "Lecco",
    "LO": "Lodi",
    "MB": "Monza e della Brianza",
    "MI": "Milano",
    "MN": "Mantova",
    "PV": "Pavia",
    "SO": "Sondrio",
    "VA": "Varese",
}


@dataclass(frozen=True)
class LetteraPrefettura:
    ente_id: int
    ente: str
    tipo_ente: str
    percentuale: int
    disponibili: int
    unita: int
    anno: int
    ambito: str
    comune_capofila: str | None
    prefettura: str  # «Cremona»; empty when the province is unknown
    data_approvazione: datetime.date
    numero_verbale: str
    protocollo_verbale: str

    @property
    def nome_file(self) -> str:
        ascii_ = unicodedata.normalize("NFKD", self.ente).encode("ascii", "ignore").decode("ascii")
        parole = re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-")
        return f"POA-{self.anno}-lettera-Prefettura-{parole}.pdf"


def versione_approvata(piano_id: int) -> VersionePiano | None:
    return VersionePiano.objects.filter(piano_id=piano_id, tipo=TipoVersione.APPROVATA).first()


def lettere_prefettura(
    versione: VersionePiano, approvazione: Approvazione, *, provincia: str | None
) -> list[LetteraPrefettura]:
    """One letter per ente whose Forze di Polizia quota gives at least one unit in the approved
    version (section i.b); a quota applied to no available unit has nothing to communicate."""
    dati = versione.dati
    info = dati["piano"]
    prefettura = PREFETTURE.get((provincia or "").upper(), "")
    return [
        LetteraPrefettura(
            ente_id=riga["ente"]["id"],
            ente=riga["ente"]["denominazione"],
            tipo_ente=riga["ente"]["tipo"],
            percentuale=riga["percentuale"],
            disponibili=riga["disponibili"],
            unita=riga["unita"],
            anno=info["anno"],
            ambito=info["ambito"],
            comune_capofila=info["comune_capofila"],
            prefettura=prefettura,
            data_approvazione=approvazione.data_seduta,
            numero_verbale=approvazione.numero_verbale,
            protocollo_verbale=approvazione.protocollo,
        )
        for riga in dati["ib"]["righe"]
        if riga["unita"] > 0
    ]


def html_lettera(lettera: LetteraPrefettura) -> str:
    with translation.override("it"):
        return render_to_string(
            "piano_annuale/lettere/prefettura.html",
            {
                "l": lettera,
                "data": data_italiana(lettera.data_approvazione),
                "css": mark_safe(CSS_PDF.read_text(encoding="utf-8")),  # noqa: S308 - our own file
            },
        )


def pdf_lettera(lettera: LetteraPrefettura) -> bytes:
    """The letter as a one-page PDF, with the plan document's fonts and typography."""
    return pdf_da_html(html_lettera(lettera), definitiva=False)


def lettera_dell_ente(piano_id: int, ente_id: int, *, provincia: str | None) -> LetteraPrefettura | None:
    """The ente's letter for an approved plan, if its quota gives any unit (two small queries)."""
    versione = versione_approvata(piano_id)
    approvazione = Approvazione.objects.filter(piano_id=piano_id).first()
    if versione is None or approvazione is None:
        return None
    return next(
        (x for x in lettere_prefettura(versione, approvazione, provincia=provincia) if x.ente_id == ente_id),
        None,
    )
