"""The plan file: its format, reading it, and every check that needs no database.

A plan file (e.g. ``fixtures/cremonese_2025.json``, format described in ``fixtures/README.md``) holds a
whole plan: ambito, comuni, enti, units and everything the ricognizione collected. Everything in it is
keyed by natural keys (ISTAT code and name of the comune, denominazione of the ente, ID regionale of the
unit), never by database ids. ``piano_annuale.services.carica`` writes a file these checks accepted.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import re
from collections.abc import Iterable
from typing import Any

from django.db import models

from patrimonio.models import TipoEnte, TipoServizio
from piano_annuale.models import RISPOSTE_DATE, Stato, StatoPiano, StatoRisposta

FORMATO = "poa-piano-annuale"
VERSIONE = 1
SEZIONI = ("ambito", "aggregazioni", "popolazione", "comuni", "enti", "piano")
ELENCHI_DEL_PIANO = (
    "consistenze",
    "risposte",
    "unita",
    "turnover",
    "scelte",
    "destinazioni_sat",
    "assegnazioni",
    "riepiloghi",
)
# Allegato A: the per-ente totals declared on the regional platform (kept only to be compared).
CAMPI_RIEPILOGO = (
    "disponibili",
    "libere_turnover",
    "carenza_manutentiva",
    "nuove_ristrutturate",
    "transitori",
    "conferite_privati",
)
# Columns of Allegato A a platform report may leave empty: kept as null, never read as zero.
CAMPI_RIEPILOGO_FACOLTATIVI = ("sap", "sas", "assegnate_anno_precedente", "soglia_indigenti", "forze_polizia")

Dati = dict[str, Any]


class FilePianoNonValido(ValueError):
    """The file cannot be loaded. The message says why, in Italian, for the person who wrote it."""


def leggi_file(percorso: pathlib.Path) -> Dati:
    """Parse the JSON file, turning I/O and syntax errors into ``FilePianoNonValido``."""
    try:
        testo = pathlib.Path(percorso).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FilePianoNonValido(f"Il file {percorso} non esiste.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FilePianoNonValido(f"Impossibile leggere il file {percorso}: {exc}") from exc
    try:
        dati = json.loads(testo)
    except json.JSONDecodeError as exc:
        raise FilePianoNonValido(
            f"Il file {percorso} non è un JSON valido (riga {exc.lineno}, colonna {exc.colno}): {exc.msg}."
        ) from exc
    if not isinstance(dati, dict):
        raise FilePianoNonValido(f"Il file {percorso} deve contenere un oggetto JSON.")
    return dati


# --------------------------------------------------------------------------------------------------
# Validation: everything that can be checked without the database, all errors at once.


def valida(dati: Dati) -> None:
    """Check the file's structure and cross-references; raise one error listing every problem."""
    controlli = _Controlli()
    try:
        controlli.esegui(dati)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # A value of the wrong JSON type deep in the file: report it rather than crash.
        controlli.errori.append(f"struttura del file non valida ({exc.__class__.__name__}: {exc})")
    if controlli.errori:
        elenco = "\n".join(f"- {e}" for e in controlli.errori)
        raise FilePianoNonValido(f"Il file del piano non è valido:\n{elenco}")


class _Controlli:
    """Collects the file's errors as Italian sentences that say where the problem is."""

    def __init__(self) -> None:
        self.errori: list[str] = []
        self.comuni: set[str] = set()
        self.enti: set[str] = set()

    def errore(self, dove: str, messaggio: str) -> None:
        self.errori.append(f"{dove}: {messaggio}")

    def esegui(self, dati: Dati) -> None:
        if dati.get("formato") != FORMATO or dati.get("versione") != VERSIONE:
            self.errore("intestazione", f"attesi formato «{FORMATO}» e versione {VERSIONE}")
        mancanti = [s for s in SEZIONI if s not in dati]
        if mancanti:
            self.errore("file", "mancano le sezioni " + ", ".join(mancanti))
            return
        numeri_at = self._aggregazioni(dati["aggregazioni"])
        self._comuni(dati["comuni"], numeri_at)
        self._ambito(dati["ambito"])
        self._data(dati["popolazione"].get("data_riferimento"), "popolazione", "data_riferimento")
        self._enti(dati["enti"])
        self._piano(dati["piano"])

    # -- generic checks

    def _intero(self, valore: Any, dove: str, cosa: str, *, minimo: int = 0, nullo: bool = False) -> None:
        if valore is None and nullo:
            return
        if not isinstance(valore, int) or isinstance(valore, bool) or valore < minimo:
            self.errore(dove, f"«{cosa}» deve essere un intero ≥ {minimo}, non {valore!r}")

    def _scelta(self, valore: Any, scelte: type[models.TextChoices], dove: str, cosa: str) -> None:
        if valore not in scelte.values:
            ammessi = ", ".join(scelte.values)
            self.errore(dove, f"«{cosa}» vale {valore!r}; valori ammessi: {ammessi}")

    def _data(self, valore: Any, dove: str, cosa: str, *, nullo: bool = False) -> None:
        if valore is None and nullo:
            return
        try:
            datetime.date.fromisoformat(valore)
        except (TypeError, ValueError):
            self.errore(dove, f"«{cosa}» deve essere una data AAAA-MM-GG, non {valore!r}")

    def _comune(self, nome: Any, dove: str) -> None:
        if nome not in self.comuni:
            self.errore(dove, f"comune sconosciuto «{nome}» (non è tra i comuni del file)")

    def _ente(self, nome: Any, dove: str) -> None:
        if nome not in self.enti:
            self.errore(dove, f"ente sconosciuto «{nome}» (non è tra gli enti del file)")

    def _unici(self, valori: Iterable[Any], dove: str, cosa: str) -> None:
        visti: set[Any] = set()
        for valore in valori:
            if valore in visti:
                self.errore(dove, f"{cosa} «{valore}» compare più volte")
            visti.add(valore)

    # -- sections

    def _aggregazioni(self, aggregazioni: list[Dati]) -> set[Any]:
        """The numbers of the aggregazioni, as the file writes them (checked to be integers)."""
        for i, at in enumerate(aggregazioni):
            self._intero(at.get("numero"), f"aggregazioni[{i}]", "numero", minimo=1)
        numeri = [at.get("numero") for at in aggregazioni]
        self._unici(numeri, "aggregazioni", "il numero di aggregazione")
        return set(numeri)

    def _comuni(self, comuni: list[Dati], numeri_at: set[Any]) -> None:
        for i, c in enumerate(comuni):
            dove = f"comuni[{i}] ({c.get('nome')})"
            if not re.fullmatch(r"[0-9]{6}", str(c.get("codice_istat", ""))):
                self.errore(dove, f"codice ISTAT {c.get('codice_istat')!r} non valido (servono 6 cifre)")
            if not c.get("nome"):
                self.errore(dove, "manca il nome")
            if not re.fullmatch(r"[A-Z]{2}", str(c.get("provincia", ""))):
                self.errore(dove, f"sigla di provincia {c.get('provincia')!r} non valida")
            if c.get("aggregazione") is not None and c["aggregazione"] not in numeri_at:
                self.errore(dove, f"aggregazione {c['aggregazione']!r} non definita")
            self._intero(c.get("abitanti"), dove, "abitanti", nullo=True)
        self._unici((c.get("codice_istat") for c in comuni), "comuni", "il codice ISTAT")
        self._unici((c.get("nome") for c in comuni), "comuni", "il comune")
        self.comuni = {str(c.get("nome")) for c in comuni}

    def _ambito(self, ambito: Dati) -> None:
        if not ambito.get("nome"):
            self.errore("ambito", "manca il nome")
        if ambito.get("comune_capofila") is not None:
            self._comune(ambito["comune_capofila"], "ambito.comune_capofila")

    def _enti(self, enti: list[Dati]) -> None:
        self._unici((e.get("denominazione") for e in enti), "enti", "la denominazione")
        self.enti = {str(e.get("denominazione")) for e in enti}
        for i, e in enumerate(enti):
            dove = f"enti[{i}] ({e.get('denominazione')})"
            if not e.get("denominazione"):
                self.errore(dove, "manca la denominazione")
            self._scelta(e.get("tipo"), TipoEnte, dove, "tipo")
            if e.get("tipo") == TipoEnte.COMUNE:
                self._comune(e.get("comune"), dove)
            elif e.get("comune") is not None:
                self.errore(dove, "solo gli enti di tipo comune hanno un comune")
            if e.get("gestore") is not None:
                self._ente(e["gestore"], dove)
                if e["gestore"] == e.get("denominazione"):
                    self.errore(dove, "un ente non può essere gestore di se stesso")
        comuni_con_ente = [e.get("comune") for e in enti if e.get("tipo") == TipoEnte.COMUNE]
        self._unici(comuni_con_ente, "enti", "l'ente del comune")

    def _piano(self, piano: Dati) -> None:
        self._intero(piano.get("anno"), "piano", "anno", minimo=2018)
        self._scelta(piano.get("stato"), StatoPiano, "piano", "stato")
        self._data(piano.get("data_popolazione"), "piano", "data_popolazione")
        self._data(piano.get("scadenza_ricognizione"), "piano", "scadenza_ricognizione", nullo=True)
        for nome in ELENCHI_DEL_PIANO:
            if not isinstance(piano.get(nome, []), list):
                self.errore(f"piano.{nome}", "deve essere un elenco")
                return
        self._righe_per_ente(piano)
        self._risposte(piano.get("risposte", []))
        self._unita(piano.get("unita", []))

    def _righe_per_ente(self, piano: Dati) -> None:
        """Lists with one row per ente (or per ente and comune): references and numbers."""
        for nome, campi_interi, chiave in [
            ("consistenze", (), ("ente",)),
            ("turnover", ("numero",), ("ente", "comune")),
            ("scelte", ("soglia_indigenti_eccedente", "quota_forze_polizia"), ("ente",)),
            ("destinazioni_sat", ("numero",), ("ente", "comune")),
            ("assegnazioni", ("totale", "mobilita", "in_deroga"), ("ente",)),
            ("riepiloghi", CAMPI_RIEPILOGO, ("ente",)),
        ]:
            righe = piano.get(nome, [])
            for i, r in enumerate(righe):
                dove = f"piano.{nome}[{i}] ({r.get('ente')})"
                self._ente(r.get("ente"), dove)
                if "comune" in chiave:
                    self._comune(r.get("comune"), dove)
                for campo in campi_interi:
                    minimo = 1 if campo == "numero" else 0
                    self._intero(r.get(campo, 0), dove, campo, minimo=minimo)
                if nome == "riepiloghi":
                    for campo in CAMPI_RIEPILOGO_FACOLTATIVI:
                        self._intero(r.get(campo), dove, campo, nullo=True)
            chiavi = (", ".join(str(r.get(k)) for k in chiave) for r in righe)
            self._unici(chiavi, f"piano.{nome}", "la riga di")
        for i, s in enumerate(piano.get("scelte", [])):
            dove = f"piano.scelte[{i}] ({s.get('ente')})"
            if s.get("soglia_indigenti_eccedente", 0) > 80:
                self.errore(dove, "la soglia per gli indigenti eccedente il 20% non può superare 80 punti")
            if s.get("quota_forze_polizia", 0) > 10:
                self.errore(dove, "la quota per le Forze di Polizia va da 0 a 10 (art. 7 bis R.R. 4/2017)")
        for i, a in enumerate(piano.get("assegnazioni", [])):
            dove = f"piano.assegnazioni[{i}] ({a.get('ente')})"
            if max(a.get("mobilita", 0), a.get("in_deroga", 0)) > a.get("totale", 0):
                self.errore(dove, "le assegnazioni per mobilità o in deroga superano il totale")
        for i, c in enumerate(piano.get("consistenze", [])):
            dove = f"piano.consistenze[{i}] ({c.get('ente')})"
            if (c.get("sap") is None) != (c.get("sas") is None):
                self.errore(dove, "SAP e SAS vanno indicati entrambi o nessuno dei due")
            self._intero(c.get("sap"), dove, "sap", nullo=True)
            self._intero(c.get("sas"), dove, "sas", nullo=True)

    def _risposte(self, risposte: list[Dati]) -> None:
        for i, r in enumerate(risposte):
            dove = f"piano.risposte[{i}] ({r.get('ente')})"
            self._ente(r.get("ente"), dove)
            self._scelta(r.get("stato"), StatoRisposta, dove, "stato")
            if r.get("inviata_il") is not None:
                try:
                    datetime.datetime.fromisoformat(r["inviata_il"])
                except (TypeError, ValueError):
                    self.errore(dove, f"«inviata_il» non è una data e ora ISO: {r['inviata_il']!r}")
            elif r.get("stato") in RISPOSTE_DATE:
                self.errore(dove, "una risposta inviata deve avere «inviata_il»")
        self._unici((r.get("ente") for r in risposte), "piano.risposte", "la risposta dell'ente")

    def _unita(self, gruppi: list[Dati]) -> None:
        id_regionali: list[str] = []
        codici: list[str] = []
        anonime: list[str] = []
        for g in gruppi:
            ente = g.get("ente")
            self._ente(ente, f"piano.unita ({ente})")
            for i, u in enumerate(g.get("elenco", [])):
                dove = f"piano.unita ({ente}, voce {i + 1})"
                self._comune(u.get("comune"), dove)
                self._scelta(u.get("stato"), Stato, dove, "stato")
                self._scelta(u.get("tipo", TipoServizio.SAP.value), TipoServizio, dove, "tipo")
                if u.get("id_regionale"):
                    id_regionali.append(u["id_regionale"])
                    if not re.fullmatch(r"[0-9A-Za-z./-]+", str(u["id_regionale"])):
                        self.errore(dove, f"ID regionale {u['id_regionale']!r} non valido")
                if u.get("codice_ente"):
                    codici.append(f"{u['codice_ente']} ({ente})")
                if u.get("id_regionale") or u.get("codice_ente"):
                    if u.get("numero", 1) != 1:
                        self.errore(dove, "«numero» vale solo per unità senza ID regionale né codice")
                else:
                    self._intero(u.get("numero", 1), dove, "numero", minimo=1)
                    anonime.append(", ".join(v for v in (ente, *chiave_anonima(u)) if v))
        self._unici(id_regionali, "piano.unita", "l'ID regionale")
        self._unici(codici, "piano.unita", "il codice dell'ente")
        # Units without identifiers are matched by count per group: one line per group, with «numero».
        self._unici(anonime, "piano.unita", "il gruppo di unità senza ID (unire le righe con «numero»)")


def chiave_anonima(u: Dati) -> tuple[str, str, str, str, str]:
    """What tells apart groups of units without identifiers: comune, servizio, address, state."""
    return (
        u["comune"],
        u.get("tipo", TipoServizio.SAP.value),
        u.get("indirizzo", ""),
        u["stato"],
        u.get("programma", ""),
    )
