"""Frozen versions of the plan, their comparison, and the totals per section year over year.

``congela_versione`` freezes what the plan is now: the computed plan with its Note di chiusura as
JSON, and the PDF made from the same computation (a draft with the «BOZZA» watermark when sent to
ALER, the PDF/A-3b when approved), each with its SHA-256. The database refuses any later change of
the row (see the migration's trigger).

``confronta`` walks two such JSON documents and lists, section by section, every value that
changed, with the labels the plan prints; ``totali_sezioni`` gives the one total of each section.
Sections, their order, labels and totals come from ``piano_annuale.catalogo``.

``file_verificato`` is the one check every download of a frozen file goes through (a version's PDF,
the signed verbale, an approved PDF): the bytes served are those whose SHA-256 was just compared
with the recorded one, so a tampered or missing file is reported and logged, never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db.models import Max
from django.db.models.fields.files import FieldFile

from piano_annuale.calcolo import EncoderPiano, PianoCalcolato, calcola_piano
from piano_annuale.catalogo import CATALOGO, leggi_totale, sezioni_dei_dati
from piano_annuale.iter import NoteChiusura, note_di_chiusura
from piano_annuale.models import PianoAnnuale, TipoVersione, VersionePiano
from piano_annuale.rendering.pdf import genera_pdf, nome_file

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def json_versione(calcolo: PianoCalcolato, note: NoteChiusura) -> str:
    """The text frozen in a version: every section of the computed plan and the Note di chiusura."""
    dati = calcolo.as_dict() | {"note_chiusura": note.as_dict()}
    return json.dumps(dati, cls=EncoderPiano, ensure_ascii=False, indent=1)


def sha256(contenuto: str | bytes) -> str:
    return hashlib.sha256(contenuto.encode() if isinstance(contenuto, str) else contenuto).hexdigest()


logger = logging.getLogger(__name__)

# HTTP statuses of a frozen file that cannot be served. A missing file is «410 Gone»: the record
# says it existed and it is no longer there. A file whose digest differs is «409 Conflict»: the
# stored bytes conflict with the record of what was frozen (the request is fine, the archive is not).
FILE_MANCANTE = 410
FILE_ALTERATO = 409


class FileNonVerificato(Exception):
    """A frozen file that must not be served: missing (``FILE_MANCANTE``) or altered (``FILE_ALTERATO``)."""

    def __init__(self, messaggio: str, *, status: int) -> None:
        super().__init__(messaggio)
        self.messaggio = messaggio
        self.status = status


def file_verificato(campo: FieldFile, sha256_atteso: str, *, descrizione: str) -> bytes:
    """The file's bytes, once their SHA-256 equals ``sha256_atteso``; else ``FileNonVerificato``.

    The whole file is read and hashed, and those same bytes are returned: nothing can change
    between the check and the download. Both failures are logged (``logger.error``) with the path.
    """
    nome = campo.name or ""
    try:
        if not nome:
            raise FileNotFoundError("nessun file registrato")
        # From the storage, not the field's cached file object: always the bytes on disk now.
        with campo.storage.open(nome, "rb") as file:
            contenuto = file.read()
    except OSError as errore:  # FileNotFoundError, permissions, a storage that went away
        logger.error("File congelato mancante: %s (%s): %s", descrizione, nome or "senza nome", errore)
        raise FileNonVerificato(
            f"Il file «{descrizione}» non è più disponibile nell'archivio. L'errore è stato registrato: "
            "avvisare l'amministratore della piattaforma, che può ripristinarlo dalla copia di sicurezza.",
            status=FILE_MANCANTE,
        ) from errore
    trovato = sha256(contenuto)
    if trovato != sha256_atteso:
        logger.error(
            "File congelato alterato: %s (%s): SHA-256 %s, registrato %s",
            descrizione,
            nome,
            trovato,
            sha256_atteso,
        )
        raise FileNonVerificato(
            f"Il file «{descrizione}» nell'archivio non corrisponde a quello registrato (impronta SHA-256 "
            "diversa) e per sicurezza non viene consegnato. L'errore è stato registrato: avvisare "
            "l'amministratore della piattaforma, che può ripristinarlo dalla copia di sicurezza.",
            status=FILE_ALTERATO,
        )
    return contenuto


def congela_versione(*, piano: PianoAnnuale, tipo: str, utente: User) -> VersionePiano:
    """Freeze the plan as it is now; call it inside the transaction that moves the plan.

    The PDF is rendered here, synchronously, so the move and its version are kept or lost together.
    The plan's state decides the PDF's variant: approved plans get the definitive PDF/A-3b.
    """
    calcolo = calcola_piano(piano)
    note = note_di_chiusura(piano)
    testo = json_versione(calcolo, note)
    generato = genera_pdf(piano, calcolo=calcolo, note=note)
    if generato.definitivo != (tipo == TipoVersione.APPROVATA):
        raise ValueError(f"La versione {tipo} non corrisponde allo stato del piano ({piano.stato}).")
    numero = (VersionePiano.objects.filter(piano=piano).aggregate(n=Max("numero"))["n"] or 0) + 1
    versione = VersionePiano(
        piano=piano,
        numero=numero,
        tipo=tipo,
        dati_json=testo,
        dati_sha256=sha256(testo),
        pdf_sha256=sha256(generato.contenuto),
        creata_da=utente,
    )
    base = nome_file(piano.ambito.nome, piano.anno, definitiva=generato.definitivo).removesuffix(".pdf")
    versione.pdf.save(f"{base}-v{numero}.pdf", ContentFile(generato.contenuto), save=False)
    try:
        versione.save(force_insert=True)
    except Exception:
        versione.pdf.delete(save=False)
        raise
    return versione


# --------------------------------------------------------------------------------------------
# Labels: the plan's words for its sections and values
# --------------------------------------------------------------------------------------------

# Each key of the computed plan (and of a version's JSON) with its label, in the plan's order.
SEZIONI = {chiave: v.nome for chiave, v in sezioni_dei_dati().items()}
# The computation's version and the plan's header (its state) change with every move.
SEZIONI_IGNORATE = {"versione", "piano"}

VOCI = {
    "totale": "totale",
    "sap": "SAP",
    "sas": "SAS",
    "numero": "numero",
    "liberi": "liberi (incl. turn-over)",
    "libere": "già libere",
    "turnover": "turn-over",
    "totale_libere": "totale già libere",
    "totale_turnover": "totale turn-over",
    "ristrutturazione": "da ristrutturazione",
    "nuova_edificazione": "nuova edificazione",
    "carenza": "carenza manutentiva",
    "conferite": "conferite da privati",
    "disponibili": "U.I. disponibili",
    "unita": "U.I.",
    "totale_unita": "totale U.I.",
    "percentuale": "percentuale",
    "eccedenza": "eccedenza sul 20%",
    "soglia_complessiva": "soglia complessiva",
    "mobilita": "di cui per mobilità",
    "in_deroga": "di cui in deroga",
    "abitanti": "abitanti",
    "famiglie": "famiglie",
    "totale_abitanti": "totale abitanti",
    "numero_comuni": "numero di comuni",
    "quota_popolazione_senza_sap": "quota di popolazione senza SAP",
    "abitanti_comuni_senza_sap": "abitanti dei comuni senza SAP",
    "comuni_senza_sap": "comuni senza SAP",
    "comuni_rispondenti": "comuni che hanno risposto",
    "comuni_totali": "comuni",
    "comuni_proprietari": "comuni proprietari",
    "proprietari_rispondenti": "proprietari che hanno risposto",
    "non_rispondenti": "comuni che non hanno risposto",
    "tasso_risposta": "tasso di risposta",
    "tasso_risposta_proprietari": "tasso di risposta dei proprietari",
    "libere_turnover": "libere e turn-over",
    "nuove_ristrutturate": "nuove o ristrutturate",
    "transitori": "SAT",
    "assegnate_anno_precedente": "assegnate l'anno precedente",
    "soglia_indigenti": "soglia indigenti",
    "forze_polizia": "% Forze di Polizia",
    "categoria": "categoria",
    "motivazione": "motivazione",
    "totale_lotti": "totale nei lotti",
    "risorse_impegnate": "risorse impegnate",
    "risorse_erogate": "risorse erogate",
    "risorse_residue": "risorse residue",
    "domande_pervenute": "domande pervenute",
    "domande_approvate": "domande approvate",
    "domande_respinte": "domande respinte",
    "riparto": "nuova assegnazione",
    "residuo": "residuo",
    "importo": "importo",
    "costo": "costo",
    "alloggi": "alloggi",
    "righe": "",
    "per_ente": "per ente",
    "per_comune": "per comune",
    "quote_disponibili": "TAB 1, quote",
    "quote_patrimonio": "TAB 2, quote",
    "parere": "parere ALER",
    "osservazioni": "osservazioni",
    "approvazione": "approvazione",
    "esito_descrizione": "esito",
    "testo": "testo",
    "risposta": "risposta",
    "data": "data",
    "verbale": "numero del verbale",
    "presenti": "comuni presenti",
    "assenti": "comuni assenti",
    "aggregazioni": "per aggregazione",
    "classifica": "per comune",
    "tabella_turnover": "turn-over",
}
# Values that identify a row, never compared themselves: ids and codes, ranks, duplicated labels.
CHIAVI_IGNORATE = {
    "id",
    "posizione",
    "codice_istat",
    "esito",
    "sezione",
    "stato_origine",
    "data_inizio",
    "data_fine",
    "misura_id",
    "scritta_il",
    "risposta_il",
    "gravita",
}
# The same key means something else in some sections.
VOCI_PER_SEZIONE = {
    "sintesi": {"disponibili": "TAB 1, unità disponibili", "patrimonio": "TAB 2, patrimonio"},
    "ib": {"unita": "U.I. riservate", "percentuale": "quota"},
}
# Values that are percentages, printed with «%».
PERCENTUALI = {
    "quote_disponibili",
    "quote_patrimonio",
    "tasso_risposta",
    "tasso_risposta_proprietari",
    "quota_popolazione_senza_sap",
    "percentuale",
    "eccedenza",
    "soglia_complessiva",
    "forze_polizia",
    "soglia_indigenti",
}
# The string values that name a row of a list, in order of preference.
IDENTIFICATIVI = (
    "ente",
    "gestore",
    "comune",
    "programma",
    "gruppo",
    "denominazione",
    "codice",
    "lettera",
    "titolo",
    "id_regionale",
    "codice_ente",
    "contesto",
    "voce",
    "sezione_descrizione",
    "messaggio",
)
_NUMERO = re.compile(r"^-?\d+(\.\d+)?$")
_DATA_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Differenza:
    voce: str  # «Comune di Cremona › SAP»
    prima: str
    dopo: str
    tipo: str  # "modificata", "aggiunta", "rimossa"


@dataclass(frozen=True)
class SezioneConfrontata:
    chiave: str
    titolo: str
    differenze: tuple[Differenza, ...]


def _formatta(valore: Any, *, percento: bool = False) -> str:
    """A value as the plan prints it: «1.234», «80,6%», «14/02/2025»."""
    if valore is None:
        return "—"
    if isinstance(valore, bool):
        return "sì" if valore else "no"
    segno = "%" if percento else ""
    if isinstance(valore, int):
        return f"{valore:,}".replace(",", ".") + segno
    if isinstance(valore, str) and _NUMERO.match(valore):
        intero, _, decimali = valore.partition(".")
        return f"{int(intero):,}".replace(",", ".") + (f",{decimali}" if decimali else "") + segno
    if isinstance(valore, str) and (data := _DATA_ISO.match(valore)):
        return f"{data[3]}/{data[2]}/{data[1]}"
    if isinstance(valore, list):
        return ", ".join(_formatta(v) for v in valore) or "—"
    testo = str(valore)
    return testo if len(testo) <= 160 else testo[:157] + "…"


def _etichetta(chiave: str, sezione: str) -> str:
    propria = VOCI_PER_SEZIONE.get(sezione, {}).get(chiave)
    return propria or VOCI.get(chiave, chiave.replace("_", " "))


def _identita(riga: dict[str, Any]) -> str:
    parti = []
    for chiave in IDENTIFICATIVI:
        valore = riga.get(chiave)
        if isinstance(valore, dict):
            valore = valore.get("denominazione")
        if isinstance(valore, str) and valore and valore not in parti:
            parti.append(valore)
    return " – ".join(parti)


def _riassunto(valore: Any) -> str:
    """How an added or removed row is shown: its total when it has one, an observation's text."""
    if isinstance(valore, dict):
        for chiave in ("totale", "numero", "unita", "abitanti"):
            if isinstance(valore.get(chiave), int | str) and not isinstance(valore.get(chiave), bool):
                return f"{VOCI.get(chiave, chiave)} {_formatta(valore[chiave])}"
        if isinstance(valore.get("testo"), str):
            return _formatta(valore["testo"])
        return "presente"
    return _formatta(valore)


@dataclass(frozen=True)
class _Dove:
    """Where the walk is: the labels so far, the section, and whether the values are percentages."""

    voci: tuple[str, ...]
    sezione: str
    percento: bool = False

    def sotto(self, chiave: str, *, etichetta: str | None = None) -> _Dove:
        voce = etichetta if etichetta is not None else _etichetta(chiave, self.sezione)
        return _Dove((*self.voci, voce), self.sezione, self.percento or chiave in PERCENTUALI)

    def percorso(self, *altre: str) -> str:
        return " › ".join(v for v in (*self.voci, *altre) if v) or "valore"


def _confronta(prima: Any, dopo: Any, dove: _Dove) -> Iterator[Differenza]:
    if isinstance(prima, dict) and isinstance(dopo, dict):
        for chiave in dict.fromkeys([*prima, *dopo]):
            if chiave in CHIAVI_IGNORATE or chiave.endswith("_id"):
                continue
            if chiave in ("ente", "gestore") and isinstance(prima.get(chiave), dict):
                continue  # the ente names the row
            yield from _confronta(prima.get(chiave), dopo.get(chiave), dove.sotto(chiave))
    elif isinstance(prima, list) and isinstance(dopo, list):
        yield from _confronta_elenchi(prima, dopo, dove)
    elif (prima is None and isinstance(dopo, dict | list)) or (
        dopo is None and isinstance(prima, dict | list)
    ):
        vuoto: dict | list = {} if isinstance(prima or dopo, dict) else []
        yield from _confronta(
            prima if prima is not None else vuoto, dopo if dopo is not None else vuoto, dove
        )
    elif prima != dopo:
        yield Differenza(
            dove.percorso(),
            _formatta(prima, percento=dove.percento),
            _formatta(dopo, percento=dove.percento),
            "modificata",
        )


def _confronta_elenchi(prima: list[Any], dopo: list[Any], dove: _Dove) -> Iterator[Differenza]:
    if all(isinstance(r, dict) for r in [*prima, *dopo]):
        sinistra, destra = _per_identita(prima), _per_identita(dopo)
        for chiave in dict.fromkeys([*sinistra, *destra]):
            if chiave not in destra:
                yield Differenza(dove.percorso(chiave), _riassunto(sinistra[chiave]), "—", "rimossa")
            elif chiave not in sinistra:
                yield Differenza(dove.percorso(chiave), "—", _riassunto(destra[chiave]), "aggiunta")
            else:
                yield from _confronta(sinistra[chiave], destra[chiave], dove.sotto(chiave, etichetta=chiave))
    else:
        # Lists of names (comuni without SAP…): what entered and what left.
        testo = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in prima]
        nuovo = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in dopo]
        for valore, originale in zip(testo, prima, strict=True):
            if valore not in nuovo:
                yield Differenza(dove.percorso(), _formatta(originale), "—", "rimossa")
        for valore, originale in zip(nuovo, dopo, strict=True):
            if valore not in testo:
                yield Differenza(dove.percorso(), "—", _formatta(originale), "aggiunta")


def _per_identita(righe: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows keyed by what names them (ente, comune, lotto…), numbered when two share a name."""
    chiavi: dict[str, dict[str, Any]] = {}
    for n, riga in enumerate(righe, start=1):
        base = _identita(riga) or f"riga {n}"
        chiave, k = base, 2
        while chiave in chiavi:
            chiave, k = f"{base} ({k})", k + 1
        chiavi[chiave] = riga
    return chiavi


def confronta(prima: dict[str, Any], dopo: dict[str, Any]) -> list[SezioneConfrontata]:
    """Every value that differs between two frozen plans, section by section in the plan's order.

    Rows are matched by what names them (ente, comune, lotto, measure), not by position, so a row
    added to a table shows as one added row and not as a shift of all those below it.
    """
    sezioni = []
    chiavi = [c for c in SEZIONI if c in prima or c in dopo]
    chiavi += [c for c in dict.fromkeys([*prima, *dopo]) if c not in SEZIONI and c not in SEZIONI_IGNORATE]
    for chiave in chiavi:
        differenze = tuple(_confronta(prima.get(chiave), dopo.get(chiave), _Dove((), chiave)))
        sezioni.append(SezioneConfrontata(chiave, SEZIONI.get(chiave, chiave), differenze))
    return sezioni


# --------------------------------------------------------------------------------------------
# One total per section, for the plan page's comparison with the previous year
# --------------------------------------------------------------------------------------------

# The parts with a total, in the plan's order.
TOTALI = [v for v in CATALOGO if v.totale]


@dataclass(frozen=True)
class TotaleSezione:
    chiave: str
    etichetta: str
    precedente: int | None
    attuale: int | None

    @property
    def variazione(self) -> int | None:
        if self.precedente is None or self.attuale is None:
            return None
        return self.attuale - self.precedente


def totali(dati: dict[str, Any]) -> dict[str, int | None]:
    """The total of each section of a computed plan (as ``as_dict`` or a version's JSON gives it)."""
    return {v.chiave: leggi_totale(v, dati) for v in TOTALI}


def totali_sezioni(attuale: dict[str, Any], precedente: dict[str, Any]) -> list[TotaleSezione]:
    """Each section's total this year beside the previous year's."""
    ora, prima = totali(attuale), totali(precedente)
    return [
        TotaleSezione(v.chiave, f"{v.nome} ({v.totale_di})", prima[v.chiave], ora[v.chiave]) for v in TOTALI
    ]
