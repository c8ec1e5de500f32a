"""Writes that span several models, each in one transaction.

``carica_piano`` loads a whole plan (ambito, comuni, enti, units and everything the ricognizione
collected) from a JSON file such as ``fixtures/cremonese_2025.json``; ``fixtures/README.md``
describes the format. Everything in the file is keyed by natural keys (ISTAT code and name of the
comune, denominazione of the ente, ID regionale of the unit), never by database ids, so the same file
can be loaded into an empty database or over an existing one, as many times as wanted.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from ambito.models import RUOLI_CON_ENTE, AggregazioneTerritoriale, Ambito, Comune, Operatore, Popolazione
from patrimonio.models import (
    ConsistenzaDichiarata,
    EnteProprietario,
    Stato,
    StatoUnita,
    TipoEnte,
    TipoServizio,
    TurnoverPrevisto,
    UnitaAbitativa,
)
from piano_annuale.models import (
    RISPOSTE_DATE,
    AssegnazioniAnnoPrecedente,
    DestinazioneSAT,
    PianoAnnuale,
    PianoQuerySet,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    StatoPiano,
    StatoRisposta,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

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


# --------------------------------------------------------------------------------------------------
# Public entry point


def carica_piano(*, percorso: pathlib.Path) -> PianoAnnuale:
    """Load the plan in ``percorso`` in one transaction and return it.

    Idempotent: a second run with the same file leaves exactly the same rows. The file is the truth
    for the plan's own rows (consistenze, risposte, stati delle unità, turnover, scelte, SAT,
    assegnazioni, riepiloghi dell'Allegato A): rows of this plan that the file no longer lists are
    deleted. The registry
    (ambito, aggregazioni, comuni, enti, units with an ID or a codice) is created or updated, never
    deleted, because other plans may use it. Rows of other ambiti are never touched: a comune, ente
    or unit of the file that belongs to another ambito stops the load with an error.

    Raises ``FilePianoNonValido`` (a ``ValueError``) with an Italian message; nothing is written then.
    """
    dati = leggi_file(percorso)
    valida(dati)
    with transaction.atomic():
        piano = _Caricamento(dati).esegui()
        # Parte seconda e terza (misure app): validated against the enti just loaded, same transaction.
        from misure.services import carica_misure

        carica_misure(piano=piano, dati=dati["piano"].get("misure"))
        return piano


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

    def _aggregazioni(self, aggregazioni: list[Dati]) -> set[int]:
        for i, at in enumerate(aggregazioni):
            self._intero(at.get("numero"), f"aggregazioni[{i}]", "numero", minimo=1)
        numeri = [at.get("numero") for at in aggregazioni]
        self._unici(numeri, "aggregazioni", "il numero di aggregazione")
        return set(numeri)

    def _comuni(self, comuni: list[Dati], numeri_at: set[int]) -> None:
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
        self.comuni = {c.get("nome") for c in comuni}

    def _ambito(self, ambito: Dati) -> None:
        if not ambito.get("nome"):
            self.errore("ambito", "manca il nome")
        if ambito.get("comune_capofila") is not None:
            self._comune(ambito["comune_capofila"], "ambito.comune_capofila")

    def _enti(self, enti: list[Dati]) -> None:
        self._unici((e.get("denominazione") for e in enti), "enti", "la denominazione")
        self.enti = {e.get("denominazione") for e in enti}
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
                    anonime.append(", ".join(v for v in (ente, *_chiave_anonima(u)) if v))
        self._unici(id_regionali, "piano.unita", "l'ID regionale")
        self._unici(codici, "piano.unita", "il codice dell'ente")
        # Units without identifiers are matched by count per group: one line per group, with «numero».
        self._unici(anonime, "piano.unita", "il gruppo di unità senza ID (unire le righe con «numero»)")


def _chiave_anonima(u: Dati) -> tuple[str, str, str, str, str]:
    """What tells apart groups of units without identifiers: comune, servizio, address, state."""
    return (
        u["comune"],
        u.get("tipo", TipoServizio.SAP.value),
        u.get("indirizzo", ""),
        u["stato"],
        u.get("programma", ""),
    )


# --------------------------------------------------------------------------------------------------
# Loading: the file has been validated, so lookups by name cannot fail here.


class _Caricamento:
    """One load of a validated file, holding the rows created so far keyed by their natural keys."""

    def __init__(self, dati: Dati) -> None:
        self.dati = dati
        self.ambito: Ambito
        self.piano: PianoAnnuale
        self.aggregazioni: dict[int, AggregazioneTerritoriale] = {}
        self.comuni: dict[str, Comune] = {}
        self.enti: dict[str, EnteProprietario] = {}

    def esegui(self) -> PianoAnnuale:
        self._ambito()
        self._aggregazioni()
        self._comuni()
        self._capofila()
        self._enti()
        self._piano()
        piano = self.dati["piano"]
        self._consistenze(piano.get("consistenze", []))
        self._risposte(piano.get("risposte", []))
        self._unita(piano.get("unita", []))
        self._righe_semplici(piano)
        return self.piano

    # -- registry

    def _ambito(self) -> None:
        dati = self.dati["ambito"]
        self.ambito, _ = Ambito.objects.update_or_create(
            nome=dati["nome"], defaults={"ente_strumentale": dati.get("ente_strumentale", "")}
        )

    def _aggregazioni(self) -> None:
        for at in self.dati["aggregazioni"]:
            self.aggregazioni[at["numero"]], _ = AggregazioneTerritoriale.objects.update_or_create(
                ambito=self.ambito,
                numero=at["numero"],
                defaults={"denominazione": at.get("denominazione", "")},
            )

    def _comuni(self) -> None:
        popolazione = self.dati["popolazione"]
        data = datetime.date.fromisoformat(popolazione["data_riferimento"])
        for c in self.dati["comuni"]:
            esistente = Comune.objects.select_related("ambito").filter(codice_istat=c["codice_istat"]).first()
            if esistente and esistente.ambito_id not in (None, self.ambito.pk):
                raise FilePianoNonValido(
                    f"Il comune {esistente.nome} ({esistente.codice_istat}) appartiene già all'ambito "
                    f"«{esistente.ambito}»: il file non può spostarlo in «{self.ambito}»."
                )
            valori = {
                "nome": c["nome"],
                "provincia": c["provincia"],
                "ambito": self.ambito,
                "aggregazione": self.aggregazioni.get(c.get("aggregazione")),
            }
            # Surfaces are optional: a file without them must not erase those entered by hand.
            if "superficie_kmq" in c:
                valori["superficie_kmq"] = c["superficie_kmq"]
            comune, _ = Comune.objects.update_or_create(codice_istat=c["codice_istat"], defaults=valori)
            self.comuni[comune.nome] = comune
            if c.get("abitanti") is not None:
                Popolazione.objects.update_or_create(
                    comune=comune,
                    data_riferimento=data,
                    defaults={"abitanti": c["abitanti"], "fonte": popolazione.get("fonte", "ISTAT")},
                )

    def _capofila(self) -> None:
        capofila = self.comuni.get(self.dati["ambito"].get("comune_capofila"))
        if self.ambito.comune_capofila_id != (capofila.pk if capofila else None):
            self.ambito.comune_capofila = capofila
            self.ambito.save(update_fields=["comune_capofila"])

    def _enti(self) -> None:
        # Two passes: a gestore may be listed after the enti it manages.
        for e in self.dati["enti"]:
            self.enti[e["denominazione"]] = self._ente(e)
        for e in self.dati["enti"]:
            ente = self.enti[e["denominazione"]]
            gestore = self.enti.get(e.get("gestore"))
            if ente.gestore_id != (gestore.pk if gestore else None):
                ente.gestore = gestore
                ente.save(update_fields=["gestore"])

    def _ente(self, e: Dati) -> EnteProprietario:
        """A comune's ente is keyed by its comune; ALER and operatori by denominazione in the ambito."""
        valori = {
            "ambito": self.ambito,
            "tipo": e["tipo"],
            "denominazione": e["denominazione"],
            "uog": e.get("uog", ""),
            "email": e.get("email", ""),
        }
        if e["tipo"] == TipoEnte.COMUNE:
            comune = self.comuni[e["comune"]]
            altro = EnteProprietario.objects.filter(comune=comune).exclude(ambito=self.ambito).first()
            if altro:
                raise FilePianoNonValido(
                    f"L'ente «{altro}» del comune {comune} appartiene a un altro ambito."
                )
            ente, _ = EnteProprietario.objects.update_or_create(comune=comune, defaults=valori)
        else:
            ente, _ = EnteProprietario.objects.update_or_create(
                ambito=self.ambito, denominazione=e["denominazione"], defaults=valori
            )
        return ente

    # -- the plan and its rows

    def _piano(self) -> None:
        p = self.dati["piano"]
        scadenza = p.get("scadenza_ricognizione")
        self.piano, _ = PianoAnnuale.objects.update_or_create(
            ambito=self.ambito,
            anno=p["anno"],
            defaults={
                "stato": p["stato"],
                "data_popolazione": datetime.date.fromisoformat(p["data_popolazione"]),
                "scadenza_ricognizione": datetime.date.fromisoformat(scadenza) if scadenza else None,
            },
        )

    def _sincronizza(self, modello: type[models.Model], righe: Iterable[tuple[dict, dict]]) -> None:
        """Create or update each (key, values) row of this plan; delete the plan's rows not listed."""
        tenuti = []
        for chiave, valori in righe:
            riga, _ = modello.objects.update_or_create(piano=self.piano, **chiave, defaults=valori)
            tenuti.append(riga.pk)
        modello.objects.filter(piano=self.piano).exclude(pk__in=tenuti).delete()

    def _consistenze(self, consistenze: list[Dati]) -> None:
        self._sincronizza(
            ConsistenzaDichiarata,
            (
                (
                    {"ente": self.enti[c["ente"]]},
                    {"sap": c.get("sap"), "sas": c.get("sas"), "fonte": c.get("fonte", "")},
                )
                for c in consistenze
            ),
        )

    def _risposte(self, risposte: list[Dati]) -> None:
        self._sincronizza(
            RispostaRicognizione,
            (
                (
                    {"ente": self.enti[r["ente"]]},
                    {"stato": r["stato"], "inviata_il": _data_ora(r.get("inviata_il"))},
                )
                for r in risposte
            ),
        )

    def _righe_semplici(self, piano: Dati) -> None:
        """Turnover, scelte (h, i, i.b), SAT (j), assegnazioni (k), Allegato A: one row per key."""
        enti, comuni = self.enti, self.comuni
        self._sincronizza(
            TurnoverPrevisto,
            (
                ({"ente": enti[t["ente"]], "comune": comuni[t["comune"]]}, {"numero": t["numero"]})
                for t in piano.get("turnover", [])
            ),
        )
        self._sincronizza(
            ScelteEnte,
            (
                (
                    {"ente": enti[s["ente"]]},
                    {
                        "soglia_indigenti_eccedente": s.get("soglia_indigenti_eccedente", 0),
                        "categoria_aggiuntiva": s.get("categoria_aggiuntiva", ""),
                        "motivazione_categoria": s.get("motivazione_categoria", ""),
                        "quota_forze_polizia": s.get("quota_forze_polizia", 0),
                    },
                )
                for s in piano.get("scelte", [])
            ),
        )
        self._sincronizza(
            DestinazioneSAT,
            (
                ({"ente": enti[d["ente"]], "comune": comuni[d["comune"]]}, {"numero": d["numero"]})
                for d in piano.get("destinazioni_sat", [])
            ),
        )
        self._sincronizza(
            AssegnazioniAnnoPrecedente,
            (
                (
                    {"ente": enti[a["ente"]]},
                    {
                        "totale": a["totale"],
                        "mobilita": a.get("mobilita", 0),
                        "in_deroga": a.get("in_deroga", 0),
                    },
                )
                for a in piano.get("assegnazioni", [])
            ),
        )
        self._sincronizza(
            RiepilogoDichiarato,
            (
                (
                    {"ente": enti[r["ente"]]},
                    {campo: r.get(campo, 0) for campo in CAMPI_RIEPILOGO}
                    | {campo: r.get(campo) for campo in CAMPI_RIEPILOGO_FACOLTATIVI},
                )
                for r in piano.get("riepiloghi", [])
            ),
        )

    # -- units and their state in the plan

    def _unita(self, gruppi: list[Dati]) -> None:
        """Units of sections b–f: by ID regionale, else by codice dell'ente, else by count per group."""
        tenuti: list[int] = []
        for gruppo in gruppi:
            ente = self.enti[gruppo["ente"]]
            for voce in gruppo.get("elenco", []):
                if voce.get("id_regionale") or voce.get("codice_ente"):
                    unita = self._unita_identificata(ente, voce)
                    tenuti.append(self._stato(unita, voce).pk)
                else:
                    tenuti.extend(self._unita_anonime(ente, voce))
        self._elimina_stati_superflui(tenuti)

    def _unita_identificata(self, ente: EnteProprietario, voce: Dati) -> UnitaAbitativa:
        valori = {
            "ente": ente,
            "comune": self.comuni[voce["comune"]],
            "tipo": voce.get("tipo", TipoServizio.SAP.value),
            "indirizzo": voce.get("indirizzo", ""),
        }
        if voce.get("id_regionale"):
            # The ID regionale is unique across the region: refuse to take over another ambito's unit.
            altra = (
                UnitaAbitativa.objects.filter(id_regionale=voce["id_regionale"])
                .exclude(ente__ambito=self.ambito)
                .select_related("ente")
                .first()
            )
            if altra:
                raise FilePianoNonValido(
                    f"L'unità con ID regionale {altra.id_regionale} è già registrata per l'ente "
                    f"«{altra.ente}» di un altro ambito."
                )
            valori["codice_ente"] = voce.get("codice_ente", "")
            unita, _ = UnitaAbitativa.objects.update_or_create(
                id_regionale=voce["id_regionale"], defaults=valori
            )
        else:
            unita, _ = UnitaAbitativa.objects.update_or_create(
                ente=ente, codice_ente=voce["codice_ente"], defaults=valori
            )
        return unita

    def _stato(self, unita: UnitaAbitativa, voce: Dati) -> StatoUnita:
        stato, _ = StatoUnita.objects.update_or_create(
            piano=self.piano, unita=unita, defaults=_valori_stato(voce)
        )
        return stato

    def _unita_anonime(self, ente: EnteProprietario, voce: Dati) -> list[int]:
        """Reconcile a group of units without ID nor codice by count; return the states kept.

        Such units cannot be told apart, so the group's existing units are reused (oldest first) and
        the difference is created; any surplus is left out of the kept states and removed afterwards.
        """
        comune, tipo, indirizzo, stato, programma = _chiave_anonima(voce)
        esistenti = list(
            StatoUnita.objects.filter(
                piano=self.piano,
                stato=stato,
                programma=programma,
                unita__ente=ente,
                unita__comune=self.comuni[comune],
                unita__tipo=tipo,
                unita__indirizzo=indirizzo,
                unita__id_regionale__isnull=True,
                unita__codice_ente="",
            ).order_by("unita_id")
        )
        numero = voce.get("numero", 1)
        tenuti = esistenti[:numero]
        valori = _valori_stato(voce)
        for s in tenuti:
            if any(getattr(s, campo) != valore for campo, valore in valori.items()):
                StatoUnita.objects.filter(pk=s.pk).update(**valori)
        for _ in range(numero - len(tenuti)):
            unita = UnitaAbitativa.objects.create(
                ente=ente, comune=self.comuni[comune], tipo=tipo, indirizzo=indirizzo
            )
            tenuti.append(StatoUnita.objects.create(piano=self.piano, unita=unita, **valori))
        return [s.pk for s in tenuti]

    def _elimina_stati_superflui(self, tenuti: list[int]) -> None:
        """Delete this plan's states the file does not list, and the anonymous units left without any."""
        superflui = StatoUnita.objects.filter(piano=self.piano).exclude(pk__in=tenuti)
        # An anonymous unit exists only through its states: once it has none, nothing can find it again.
        anonime = list(
            superflui.filter(unita__id_regionale__isnull=True, unita__codice_ente="").values_list(
                "unita_id", flat=True
            )
        )
        superflui.delete()
        UnitaAbitativa.objects.filter(pk__in=anonime, stati__isnull=True).delete()


def _valori_stato(voce: Dati) -> dict[str, str]:
    return {
        "stato": voce["stato"],
        "programma": voce.get("programma", ""),
        "stato_origine": voce.get("stato_origine", ""),
        "note": voce.get("note", ""),
    }


def _data_ora(valore: str | None) -> datetime.datetime | None:
    """ISO date-time from the file; one without offset is taken in the project's time zone."""
    if valore is None:
        return None
    momento = datetime.datetime.fromisoformat(valore)
    return timezone.make_aware(momento) if timezone.is_naive(momento) else momento


# --------------------------------------------------------------------------------------------------
# The ricognizione in the browser: every write of an ente's answer goes through these functions,
# each in one transaction. The views decide *who* may call them (``visibili_a`` / ``modificabili_da``
# querysets); these functions decide *when*: only while the plan is open and the ente's answer has
# not been sent, and they record every change on the ente's RispostaRicognizione.


class ModificaNonConsentita(PermissionDenied):
    """The ente's data cannot change now. The Italian message is shown to the user (403 page)."""


class OperazioneNonValida(ValueError):
    """The request contradicts the stored data; the Italian message says what to do instead."""


def _quando(momento: datetime.datetime | None) -> str:
    return timezone.localtime(momento).strftime("%d/%m/%Y alle %H:%M") if momento else "—"


def motivo_blocco(*, piano: PianoAnnuale, risposta: RispostaRicognizione | None) -> str:
    """Why the ente's data cannot change now, in Italian; empty when it can.

    The plan must still be in the ricognizione (or a draft), and the ente's answer must not have
    been given ("inviata" or "nulla da dichiarare") unless the ufficio di piano reopened it.
    """
    if piano.stato not in PianoQuerySet.STATI_MODIFICABILI:
        return (
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: i dati della ricognizione "
            "non sono più modificabili."
        )
    if risposta is not None and risposta.ha_risposto:
        return (
            f"La risposta di {risposta.ente} è stata inviata il {_quando(risposta.inviata_il)} "
            f"(«{risposta.get_stato_display()}»): i dati sono bloccati. Per modificarli occorre che "
            "l'ufficio di piano riapra la risposta."
        )
    return ""


def apri_modifica(*, piano: PianoAnnuale, ente: EnteProprietario) -> RispostaRicognizione:
    """Lock the ente's answer for the current transaction and check its data may change.

    Call inside ``transaction.atomic``. Raises ``ModificaNonConsentita`` (see ``motivo_blocco``): the
    data of an ente that answered stays locked until the ufficio di piano reopens it.
    """
    if ente.ambito_id != piano.ambito_id:
        raise ModificaNonConsentita(f"{ente} non fa parte dell'ambito del piano {piano.anno}.")
    # Read the state afresh: the object may predate a change made in the meantime.
    piano = PianoAnnuale.objects.get(pk=piano.pk)
    # The row lock serialises concurrent writes of the same ente against submit and reopen.
    risposta, _ = RispostaRicognizione.objects.select_for_update().get_or_create(piano=piano, ente=ente)
    if motivo := motivo_blocco(piano=piano, risposta=risposta):
        raise ModificaNonConsentita(motivo)
    return risposta


def registra_modifica(*, risposta: RispostaRicognizione, utente: AbstractBaseUser) -> None:
    """Record who changed the ente's data and when; the first change starts the answer."""
    if risposta.stato == StatoRisposta.NESSUNA:
        risposta.stato = StatoRisposta.IN_CORSO
    risposta.aggiornata_il = timezone.now()
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "aggiornata_il", "aggiornata_da"])


def sostituisci_conteggi(
    *,
    modello: type[TurnoverPrevisto] | type[DestinazioneSAT],
    piano: PianoAnnuale,
    ente: EnteProprietario,
    numeri: Mapping[int, int],
) -> None:
    """Make the ente's per-comune counts of ``modello`` in the plan exactly ``numeri``
    (comune id → count ≥ 1): rows of comuni not listed are deleted."""
    comuni_validi = set(
        Comune.objects.dell_ambito(piano.ambito_id).filter(pk__in=numeri).values_list("pk", flat=True)
    )
    if comuni_validi != set(numeri):
        raise OperazioneNonValida("Si possono indicare solo comuni dell'ambito del piano.")
    modello.objects.filter(piano=piano, ente=ente).exclude(comune_id__in=numeri).delete()
    for comune_id, numero in numeri.items():
        modello.objects.update_or_create(
            piano=piano, ente=ente, comune_id=comune_id, defaults={"numero": numero}
        )


@transaction.atomic
def salva_scelte(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, Any]
) -> ScelteEnte:
    """The ente's choices h (indigenti), i (extra category) and i.b (Forze di Polizia quota)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    scelte, _ = ScelteEnte.objects.update_or_create(piano=piano, ente=ente, defaults=dict(valori))
    registra_modifica(risposta=risposta, utente=utente)
    return scelte


@transaction.atomic
def salva_sat(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, numeri: Mapping[int, int]
) -> None:
    """Units the ente destines to servizi abitativi transitori, per comune (section j)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    sostituisci_conteggi(modello=DestinazioneSAT, piano=piano, ente=ente, numeri=numeri)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_assegnazioni(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, int]
) -> AssegnazioniAnnoPrecedente:
    """SAP units the ente assigned in the year before the plan (section k)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    assegnazioni, _ = AssegnazioniAnnoPrecedente.objects.update_or_create(
        piano=piano, ente=ente, defaults=dict(valori)
    )
    registra_modifica(risposta=risposta, utente=utente)
    return assegnazioni


def _dati_dichiarati(piano: PianoAnnuale, ente: EnteProprietario) -> int:
    """Units and counts the ente declared for the plan (states, turnover, SAT)."""
    return (
        StatoUnita.objects.del_piano(piano).filter(unita__ente=ente).count()
        + sum(TurnoverPrevisto.objects.filter(piano=piano, ente=ente).values_list("numero", flat=True))
        + sum(DestinazioneSAT.objects.filter(piano=piano, ente=ente).values_list("numero", flat=True))
    )


@transaction.atomic
def dichiara_nulla(*, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser) -> None:
    """Answer "nulla da dichiarare" — an answer in its own right (L.R. 16/2016 art. 6) — and lock."""
    risposta = apri_modifica(piano=piano, ente=ente)
    dichiarate = _dati_dichiarati(piano, ente)
    if dichiarate:
        raise OperazioneNonValida(
            f"Per il piano risultano {dichiarate} unità dichiarate (stati, turn-over o SAT): "
            "non è possibile rispondere «nulla da dichiarare». Rimuoverle oppure inviare la risposta."
        )
    adesso = timezone.now()
    risposta.stato = StatoRisposta.NIENTE_DA_DICHIARARE
    risposta.inviata_il = adesso
    risposta.aggiornata_il = adesso
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "inviata_il", "aggiornata_il", "aggiornata_da"])


@transaction.atomic
def invia_risposta(*, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser) -> None:
    """Submit the ente's answer to the ufficio di piano; its data is locked from now on."""
    risposta = apri_modifica(piano=piano, ente=ente)
    ha_dati = (
        _dati_dichiarati(piano, ente)
        or ConsistenzaDichiarata.objects.filter(piano=piano, ente=ente).exists()
        or ScelteEnte.objects.filter(piano=piano, ente=ente).exists()
        or AssegnazioniAnnoPrecedente.objects.filter(piano=piano, ente=ente).exists()
    )
    if not ha_dati:
        raise OperazioneNonValida(
            "Non risulta alcun dato da inviare. Se l'ente non ha nulla da dichiarare, usare il "
            "pulsante «Nulla da dichiarare»."
        )
    adesso = timezone.now()
    risposta.stato = StatoRisposta.INVIATA
    risposta.inviata_il = adesso
    risposta.aggiornata_il = adesso
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "inviata_il", "aggiornata_il", "aggiornata_da"])


@transaction.atomic
def riapri_risposta(*, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser) -> None:
    """The ufficio di piano reopens a sent answer, so the ente can change its data and send again."""
    if not PianoAnnuale.objects.modificabili().filter(pk=piano.pk).exists():
        raise ModificaNonConsentita(
            f"Il piano {piano.anno} non è più in ricognizione: le risposte non si possono riaprire."
        )
    risposta = RispostaRicognizione.objects.select_for_update().filter(piano=piano, ente=ente).first()
    if risposta is None or not risposta.ha_risposto:
        raise OperazioneNonValida(f"{ente} non ha inviato la risposta: non c'è nulla da riaprire.")
    # inviata_il keeps the date of the last submission.
    risposta.stato = StatoRisposta.RIAPERTA
    risposta.aggiornata_il = timezone.now()
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "aggiornata_il", "aggiornata_da"])


@dataclass(frozen=True)
class EsitoPromemoria:
    enti: tuple[str, ...]  # enti reminded
    indirizzi: int  # e-mail addresses written to
    senza_indirizzo: tuple[str, ...]  # enti without answer and without any address


def destinatari_promemoria(ente: EnteProprietario) -> list[str]:
    """The ente's address and its active operators' addresses, without repetitions.

    Expects ``ente.operatori`` prefetched with the comune and ALER operators and their users.
    """
    indirizzi: dict[str, str] = {}
    for indirizzo in [ente.email, *(o.user.email for o in ente.operatori.all())]:
        if indirizzo:
            indirizzi.setdefault(indirizzo.strip().lower(), indirizzo.strip())
    return list(indirizzi.values())


def invia_promemoria(
    *, piano: PianoAnnuale, indirizzo_area: Callable[[EnteProprietario], str]
) -> EsitoPromemoria:
    """E-mail every ente of the plan's ambito that has not answered a reminder with the deadline.

    ``indirizzo_area(ente)`` is the absolute address of the ente's workspace, put in the message.
    Writes nothing to the database.
    """
    rispondenti = RispostaRicognizione.objects.filter(piano=piano).date().values("ente_id")
    operatori = (
        Operatore.objects.con_ruolo(*RUOLI_CON_ENTE).filter(user__is_active=True).select_related("user")
    )
    enti = (
        EnteProprietario.objects.dell_ambito(piano.ambito_id)
        .exclude(pk__in=rispondenti)
        .select_related("ambito")
        .prefetch_related(Prefetch("operatori", queryset=operatori))
        .order_by("tipo", "denominazione")
    )
    messaggi, raggiunti, senza_indirizzo = [], [], []
    for ente in enti:
        destinatari = destinatari_promemoria(ente)
        if not destinatari:
            senza_indirizzo.append(ente.denominazione)
            continue
        contesto = {"piano": piano, "ente": ente, "indirizzo_area": indirizzo_area(ente)}
        oggetto = " ".join(render_to_string("piano_annuale/email/promemoria_oggetto.txt", contesto).split())
        testo = render_to_string("piano_annuale/email/promemoria.txt", contesto)
        messaggi.append(EmailMessage(subject=oggetto, body=testo, to=destinatari))
        raggiunti.append(ente.denominazione)
    if messaggi:
        get_connection().send_messages(messaggi)
    return EsitoPromemoria(
        enti=tuple(raggiunti),
        indirizzi=sum(len(m.to) for m in messaggi),
        senza_indirizzo=tuple(senza_indirizzo),
    )
