"""Letters at approval: each ente proprietario tells the addressee of a quota how many units it
reserves (R.R. 4/2017 art. 7 bis c. 2 and, since R.R. 2/2025, art. 7 ter).

- Under the rules before R.R. 2/2025 the quota is the ente's own (section i.b): one letter per ente
  to the Prefettura, exactly as the plans approved under those rules always had it.
- Under R.R. 2/2025 the percentage is each comune's (lett. d bis), split into the 7 bis quota (Forze
  di Polizia, Vigili del Fuoco, Forze Armate) and the 7 ter quota (Polizia Locale): one letter per
  ente to the Prefettura with its 7 bis units comune by comune, and one per ente and comune to that
  comune's Comando di Polizia Locale with its 7 ter units there. The addressees are the rule set's.

The numbers are those of the **approved version** (its frozen JSON), so a letter always agrees with
the plan the Assemblea approved, whatever changed afterwards. ``testo_lettera`` writes the letter's
text once; the PDF (``html_lettera``) and the editable DOCX (``lettere_docx``) both print it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

from ambito.italiano import nome_con_preposizione
from piano_annuale.calcolo.serializzazione import da_json
from piano_annuale.calcolo.tipi import InfoRegole, SezioneDBis
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

QUOTA_7BIS = "7bis"
QUOTA_7TER = "7ter"
# The addressee of the letters under the rules before R.R. 2/2025, as those letters always wrote it.
PREFETTURA = "Prefettura – Ufficio territoriale del Governo"

PIANO = "Piano annuale dell'offerta dei servizi abitativi pubblici e sociali"
PROTOCOLLO = "Prot. n. ____________ del ____________"
SALUTI = "Distinti saluti."
RESPONSABILE = "Il responsabile del procedimento"
FIRMA = "(firma)"
ARROTONDAMENTI = {  # the rule set's rounding, as the letters say it
    "eccesso": ("per eccesso", "all'unità superiore"),
    "difetto": ("per difetto", "all'unità inferiore"),
}


@dataclass(frozen=True)
class RigaLettera:
    """The units of a quota in one comune (under the old rules, the ente's quota: ``comune`` empty)."""

    comune: str
    percentuale: int
    disponibili: int
    unita: int


@dataclass(frozen=True)
class Lettera:
    """One letter at approval: an ente's units of one quota, to that quota's addressee."""

    piano_id: int
    quota: str  # QUOTA_7BIS (Prefettura) or QUOTA_7TER (Polizia Locale)
    per_comune: bool  # the percentage is each comune's (lett. d bis, R.R. 2/2025), not the ente's
    ente_id: int
    ente: str
    tipo_ente: str
    destinatario: str  # the office written to: «Prefettura – … di Cremona»
    righe: tuple[RigaLettera, ...]
    arrotondamento: str  # "eccesso" or "difetto", as the rule set says
    interpretazione: str  # the rule set's reading of a text not found (art. 7 ter), said in the letter
    anno: int
    ambito: str
    comune_capofila: str | None
    data_approvazione: datetime.date
    numero_verbale: str
    protocollo_verbale: str
    comune_id: int | None = None  # the comune of a 7 ter letter, whose Comando it is written to
    comune: str | None = None

    @property
    def disponibili(self) -> int:
        return sum(r.disponibili for r in self.righe)

    @property
    def unita(self) -> int:
        return sum(r.unita for r in self.righe)

    @property
    def percentuale(self) -> int:
        """The percentage of a letter with one row (a 7 ter letter, an old-rules letter)."""
        return self.righe[0].percentuale

    @property
    def alla_prefettura(self) -> bool:
        return self.quota == QUOTA_7BIS

    @property
    def descrizione(self) -> str:
        """What the letter communicates, in one line for the lists that offer it."""
        if not self.per_comune:
            return (
                f"{self.unita} unità per le Forze di Polizia "
                f"({self.percentuale}% di {self.disponibili} disponibili)"
            )
        if self.quota == QUOTA_7TER:
            return (
                f"{self.unita} unità per la Polizia Locale del Comune di {self.comune} "
                f"(art. 7 ter: {self.percentuale}% di {self.disponibili} disponibili)"
            )
        comuni = ", ".join(f"{r.comune} {r.percentuale}% di {r.disponibili}" for r in self.righe)
        return f"{self.unita} unità per le Forze di Polizia, i Vigili del Fuoco e le Forze Armate (art. 7 bis: {comuni})"

    def _argomenti(self) -> list[int]:
        return (
            [self.piano_id, self.ente_id]
            if self.alla_prefettura
            else [self.piano_id, self.ente_id, self.comune_id or 0]
        )

    @property
    def url_pdf(self) -> str:
        nome = "lettera_prefettura" if self.alla_prefettura else "lettera_polizia_locale"
        return reverse(f"piano_annuale:{nome}", args=self._argomenti())

    @property
    def url_docx(self) -> str:
        nome = "lettera_prefettura_docx" if self.alla_prefettura else "lettera_polizia_locale_docx"
        return reverse(f"piano_annuale:{nome}", args=self._argomenti())

    def nome_file(self, estensione: str = "pdf") -> str:
        """«POA-2025-lettera-Prefettura-Comune-di-Cremona.pdf»; a 7 ter letter names its comune."""
        if self.alla_prefettura:
            nome = f"POA-{self.anno}-lettera-Prefettura-{self.ente}"
        else:
            nome = f"POA-{self.anno}-lettera-Polizia-Locale-{self.comune}-{self.ente}"
        ascii_ = unicodedata.normalize("NFKD", nome).encode("ascii", "ignore").decode("ascii")
        return f"{re.sub(r'[^A-Za-z0-9]+', '-', ascii_).strip('-')}.{estensione}"


# --------------------------------------------------------------------------------------------
# The letters of an approved plan
# --------------------------------------------------------------------------------------------


def versione_approvata(piano_id: int) -> VersionePiano | None:
    return VersionePiano.objects.filter(piano_id=piano_id, tipo=TipoVersione.APPROVATA).first()


def lettere_approvazione(
    versione: VersionePiano, approvazione: Approvazione, *, provincia: str | None
) -> list[Lettera]:
    """Every letter of the approved version: each quota that gives at least one unit has one (a
    quota applied to no available unit has nothing to communicate)."""
    dati = versione.dati
    comuni = _dati_comuni(versione.piano_id, dati["piano"], approvazione)
    prefettura = PREFETTURE.get((provincia or "").upper(), "")
    if dati.get("dbis") is None:  # the rules before R.R. 2/2025, or a version frozen before them
        return _lettere_per_ente(dati["ib"]["righe"], comuni, prefettura)
    regole = da_json(InfoRegole, dati["regole"])
    dbis = da_json(SezioneDBis, dati["dbis"])
    return _lettere_7bis(dbis, regole, comuni, prefettura) + _lettere_7ter(dbis, regole, comuni)


def _dati_comuni(piano_id: int, piano: dict[str, Any], approvazione: Approvazione) -> dict[str, Any]:
    """The fields every letter of the plan shares."""
    return {
        "piano_id": piano_id,
        "anno": piano["anno"],
        "ambito": piano["ambito"],
        "comune_capofila": piano["comune_capofila"],
        "data_approvazione": approvazione.data_seduta,
        "numero_verbale": approvazione.numero_verbale,
        "protocollo_verbale": approvazione.protocollo,
    }


def _di(ufficio: str, luogo: str) -> str:
    return f"{ufficio} di {luogo}" if luogo else ufficio


def _lettere_per_ente(righe: list[dict[str, Any]], comuni: dict[str, Any], prefettura: str) -> list[Lettera]:
    """Before R.R. 2/2025: the ente's own quota of section i.b, to the Prefettura."""
    return [
        Lettera(
            quota=QUOTA_7BIS,
            per_comune=False,
            ente_id=riga["ente"]["id"],
            ente=riga["ente"]["denominazione"],
            tipo_ente=riga["ente"]["tipo"],
            destinatario=_di(PREFETTURA, prefettura),
            righe=(RigaLettera("", riga["percentuale"], riga["disponibili"], riga["unita"]),),
            arrotondamento="eccesso",
            interpretazione="",
            **comuni,
        )
        for riga in righe
        if riga["unita"] > 0
    ]


def _lettere_7bis(
    dbis: SezioneDBis, regole: InfoRegole, comuni: dict[str, Any], prefettura: str
) -> list[Lettera]:
    """Under R.R. 2/2025: per ente, its 7 bis units comune by comune, to the Prefettura."""
    per_ente: dict[int, list[RigaLettera]] = defaultdict(list)
    for riga in dbis.righe:
        for r in riga.enti:
            if r.unita_7bis > 0:
                per_ente[r.ente.id].append(
                    RigaLettera(riga.comune, riga.percentuale_7bis, r.disponibili, r.unita_7bis)
                )
    return [
        Lettera(
            quota=QUOTA_7BIS,
            per_comune=True,
            ente_id=totale.ente.id,
            ente=totale.ente.denominazione,
            tipo_ente=totale.ente.tipo,
            destinatario=_di(regole.destinatario_7bis, prefettura),
            righe=tuple(per_ente[totale.ente.id]),
            arrotondamento=regole.arrotondamento,
            interpretazione="",
            **comuni,
        )
        for totale in dbis.per_ente
        if per_ente.get(totale.ente.id)
    ]


def _lettere_7ter(dbis: SezioneDBis, regole: InfoRegole, comuni: dict[str, Any]) -> list[Lettera]:
    """Under R.R. 2/2025: per ente and comune, its 7 ter units there, to the comune's Comando."""
    ordine = {totale.ente.id: n for n, totale in enumerate(dbis.per_ente)}
    lettere = [
        Lettera(
            quota=QUOTA_7TER,
            per_comune=True,
            ente_id=r.ente.id,
            ente=r.ente.denominazione,
            tipo_ente=r.ente.tipo,
            destinatario=_di(regole.destinatario_7ter, riga.comune),
            righe=(RigaLettera(riga.comune, riga.percentuale_7ter, r.disponibili, r.unita_7ter),),
            arrotondamento=regole.arrotondamento,
            interpretazione=regole.interpretazione,
            comune_id=riga.comune_id,
            comune=riga.comune,
            **comuni,
        )
        for riga in dbis.righe
        for r in riga.enti
        if r.unita_7ter > 0
    ]
    # Each ente's letters together, in the plan's order of the enti; the comuni as section d bis.
    return sorted(lettere, key=lambda lettera: ordine.get(lettera.ente_id, len(ordine)))


def lettere_dell_ente(piano_id: int, ente_id: int, *, provincia: str | None) -> list[Lettera]:
    """The ente's letters for an approved plan (two small queries); none before approval."""
    versione = versione_approvata(piano_id)
    approvazione = Approvazione.objects.filter(piano_id=piano_id).first()
    if versione is None or approvazione is None:
        return []
    return [
        x for x in lettere_approvazione(versione, approvazione, provincia=provincia) if x.ente_id == ente_id
    ]


# --------------------------------------------------------------------------------------------
# The text of a letter, printed by the PDF and the DOCX
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestoLettera:
    """Everything a letter says, in reading order, whatever it is printed with."""

    titolo: str
    mittente: str
    sotto: str
    destinatario: str
    oggetto: str
    apertura: str
    intestazione_tabella: tuple[str, ...]  # empty: a table of labels and their values
    righe_tabella: tuple[tuple[str, ...], ...]
    totale_tabella: tuple[str, ...]
    chiusura: tuple[str, ...]
    firma: str
    piede: str


def _numero(valore: int) -> str:
    with translation.override("it"):
        return number_format(valore, use_l10n=True, force_grouping=True)


def _premessa(lettera: Lettera) -> str:
    protocollo = f", protocollo {lettera.protocollo_verbale}" if lettera.protocollo_verbale else ""
    with translation.override("it"):
        data = data_italiana(lettera.data_approvazione)
    return (
        f"Con la presente si comunica che il {PIANO} {lettera.anno} dell'{lettera.ambito}, approvato "
        f"dall'Assemblea dei Sindaci nella seduta del {data} (verbale n. {lettera.numero_verbale}{protocollo}),"
    )


def testo_lettera(lettera: Lettera) -> TestoLettera:
    """The letter's text: the old rules' letter word for word as it always was, or a d bis) letter."""
    comune: dict[str, Any] = {
        "mittente": lettera.ente,
        "sotto": lettera.ambito
        + (f" · comune capofila {lettera.comune_capofila}" if lettera.comune_capofila else ""),
        "destinatario": lettera.destinatario,
        "firma": nome_con_preposizione(lettera.ente, lettera.tipo_ente, "per", maiuscola=True),
    }
    if not lettera.per_comune:
        return TestoLettera(**comune, **_testo_per_ente(lettera))
    if lettera.quota == QUOTA_7BIS:
        return TestoLettera(**comune, **_testo_7bis(lettera))
    return TestoLettera(**comune, **_testo_7ter(lettera))


def _testo_per_ente(lettera: Lettera) -> dict[str, Any]:
    destinati = "agli appartenenti alle Forze di Polizia e al Corpo nazionale dei Vigili del Fuoco"
    return {
        "titolo": f"Comunicazione alla Prefettura – {lettera.ente} – piano {lettera.anno}",
        "oggetto": f"{PIANO} {lettera.anno} – comunicazione delle unità abitative destinate {destinati} "
        "(art. 7 bis, comma 2, del regolamento regionale 4 agosto 2017, n. 4).",
        "apertura": f"{_premessa(lettera)} prevede per l'ente proprietario {lettera.ente} la seguente quota "
        "di unità abitative destinate ai servizi abitativi pubblici per gli appartenenti alle Forze di "
        "Polizia e al Corpo nazionale dei Vigili del Fuoco:",
        "intestazione_tabella": (),
        "righe_tabella": (
            (
                f"Unità abitative SAP disponibili nell'anno {lettera.anno} (sezione g del Piano)",
                _numero(lettera.disponibili),
            ),
            ("Quota riservata", f"{lettera.percentuale}%"),
        ),
        "totale_tabella": ("Unità abitative destinate (arrotondamento per eccesso)", _numero(lettera.unita)),
        "chiusura": (
            "Il numero di unità è calcolato applicando la quota alle unità disponibili nell'anno e "
            "arrotondando il risultato all'unità superiore, come previsto dall'art. 7 bis del R.R. 4/2017. "
            "Le unità saranno assegnate secondo le modalità stabilite negli avvisi pubblici dell'ambito.",
        ),
        "piede": "comunicazione ai sensi dell'art. 7 bis R.R. 4/2017",
    }


def _testo_7bis(lettera: Lettera) -> dict[str, Any]:
    modo, a_quale = ARROTONDAMENTI[lettera.arrotondamento]
    destinati = (
        "agli appartenenti alle Forze di Polizia, al Corpo nazionale dei Vigili del Fuoco e alle Forze Armate"
    )
    return {
        "titolo": f"Comunicazione alla Prefettura – {lettera.ente} – piano {lettera.anno}",
        "oggetto": f"{PIANO} {lettera.anno} – comunicazione delle unità abitative destinate {destinati} "
        "(art. 4, comma 3, lett. d bis, e art. 7 bis, comma 2, del regolamento regionale 4 agosto 2017, n. 4).",
        "apertura": f"{_premessa(lettera)} definisce per ciascun comune la quota di unità abitative da "
        "destinare all'assegnazione a favore delle Forze di Polizia, del Corpo nazionale dei Vigili del "
        "Fuoco e delle Forze Armate (quota art. 7 bis) e prevede per l'ente proprietario "
        f"{lettera.ente} le seguenti unità abitative:",
        "intestazione_tabella": (
            "Comune",
            "Quota art. 7 bis",
            f"Unità SAP disponibili nell'anno {lettera.anno}",
            f"Unità destinate (arrotondamento {modo})",
        ),
        "righe_tabella": tuple(
            (r.comune, f"{r.percentuale}%", _numero(r.disponibili), _numero(r.unita)) for r in lettera.righe
        ),
        "totale_tabella": ("Totale", "", _numero(lettera.disponibili), _numero(lettera.unita)),
        "chiusura": (
            "Per ciascun comune il numero di unità è calcolato applicando la quota alle unità "
            "dell'ente proprietario disponibili nell'anno nel comune (sezione g del Piano) e arrotondando "
            f"il risultato {a_quale}, come previsto dall'art. 7 bis del R.R. 4/2017. "
            "Le unità saranno assegnate secondo le modalità stabilite negli avvisi pubblici dell'ambito.",
        ),
        "piede": "comunicazione ai sensi dell'art. 7 bis R.R. 4/2017",
    }


def _testo_7ter(lettera: Lettera) -> dict[str, Any]:
    modo, a_quale = ARROTONDAMENTI[lettera.arrotondamento]
    nel_comune = f"nel Comune di {lettera.comune}"
    return {
        "titolo": f"Comunicazione alla Polizia Locale – {lettera.ente} – Comune di {lettera.comune} – "
        f"piano {lettera.anno}",
        "oggetto": f"{PIANO} {lettera.anno} – comunicazione delle unità abitative destinate agli "
        f"appartenenti alla Polizia Locale {nel_comune} (art. 4, comma 3, lett. d bis, e art. 7 ter "
        "del regolamento regionale 4 agosto 2017, n. 4).",
        "apertura": f"{_premessa(lettera)} definisce per il Comune di {lettera.comune} una quota del "
        f"{lettera.percentuale}% delle unità abitative disponibili nell'anno da destinare all'assegnazione "
        "a favore della Polizia Locale (quota art. 7 ter) e prevede per l'ente proprietario "
        f"{lettera.ente} le seguenti unità abitative {nel_comune}:",
        "intestazione_tabella": (),
        "righe_tabella": (
            (
                f"Unità abitative SAP disponibili nell'anno {lettera.anno} {nel_comune} (sezione g del Piano)",
                _numero(lettera.disponibili),
            ),
            ("Quota art. 7 ter", f"{lettera.percentuale}%"),
        ),
        "totale_tabella": (f"Unità abitative destinate (arrotondamento {modo})", _numero(lettera.unita)),
        "chiusura": tuple(
            p
            for p in (
                "Il numero di unità è calcolato applicando la quota alle unità disponibili nell'anno e "
                f"arrotondando il risultato {a_quale}. Le unità saranno assegnate secondo le modalità "
                "stabilite negli avvisi pubblici dell'ambito.",
                f"Interpretazione applicata: {lettera.interpretazione}" if lettera.interpretazione else "",
            )
            if p
        ),
        "piede": "comunicazione ai sensi dell'art. 7 ter R.R. 4/2017",
    }


# --------------------------------------------------------------------------------------------
# The letter as PDF
# --------------------------------------------------------------------------------------------


def _stringa_css(testo: str) -> SafeString:
    """``testo`` as a quoted CSS string, safe inside <style> (where HTML escapes are not read)."""
    sicuro = testo.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return mark_safe(f'"{sicuro}"')  # noqa: S308 - every special character is escaped above


def html_lettera(lettera: Lettera) -> str:
    testo = testo_lettera(lettera)
    with translation.override("it"):
        return render_to_string(
            "piano_annuale/lettere/lettera.html",
            {
                "t": testo,
                "compatta": lettera.per_comune,
                "piede": _stringa_css(f" · {testo.piede}"),
                "protocollo": PROTOCOLLO,
                "saluti": SALUTI,
                "responsabile": RESPONSABILE,
                "segno_firma": FIRMA,
                "css": mark_safe(CSS_PDF.read_text(encoding="utf-8")),  # noqa: S308 - our own file
            },
        )


def pdf_lettera(lettera: Lettera) -> bytes:
    """The letter as a one-page PDF, with the plan document's fonts and typography."""
    return pdf_da_html(html_lettera(lettera), definitiva=False)
