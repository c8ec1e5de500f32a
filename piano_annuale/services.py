"""Writes that span several models, each in one transaction.

``carica_piano`` loads a whole plan (ambito, comuni, enti, units and everything the ricognizione
collected) from a JSON file such as ``fixtures/cremonese_2025.json``; ``fixtures/README.md``
describes the format. Everything in the file is keyed by natural keys (ISTAT code and name of the
comune, denominazione of the ente, ID regionale of the unit), never by database ids, so the same file
can be loaded into an empty database or over an existing one, as many times as wanted.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione, data_popolazione_default
from patrimonio.models import (
    RUOLI_CON_ENTE,
    EnteProprietario,
    Operatore,
    TipoEnte,
    TipoServizio,
    UnitaAbitativa,
)
from piano_annuale.calcolo import calcola_piano
from piano_annuale.iter import osservazioni_in_attesa, ultima_versione_inviata
from piano_annuale.models import (
    PRIMO_GIORNO_POSSIBILE,
    RISPOSTE_DATE,
    STATI_RIPORTABILI_IN_BOZZA,
    Approvazione,
    AssegnazioniAnnoPrecedente,
    AzioneModifica,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    EsitoParere,
    OsservazioneAler,
    ParereAler,
    PassaggioDiStato,
    PianoAnnuale,
    PianoQuerySet,
    PresenzaAssemblea,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    SezionePiano,
    Stato,
    StatoPiano,
    StatoRisposta,
    StatoUnita,
    TestoPiano,
    TipoVersione,
    TurnoverPrevisto,
    VersionePiano,
)
from piano_annuale.notifiche import notifica_nuovo_piano, notifica_passaggio
from piano_annuale.storico import VoceModifica, istantanea, registra_modifiche, traccia
from piano_annuale.versioni import congela_versione

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from piano_annuale.calcolo import Anomalia

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
    utente: AbstractBaseUser | None = None,
) -> None:
    """Make the ente's per-comune counts of ``modello`` in the plan exactly ``numeri``
    (comune id → count ≥ 1): rows of comuni not listed are deleted. Every change is audited."""
    comuni_validi = Comune.objects.dell_ambito(piano.ambito_id).filter(pk__in=numeri).in_bulk()
    if set(comuni_validi) != set(numeri):
        raise OperazioneNonValida("Si possono indicare solo comuni dell'ambito del piano.")
    righe = modello.objects.filter(piano=piano, ente=ente).select_related("ente", "comune")
    esistenti = {r.comune_id: r for r in righe}
    voci = [VoceModifica.eliminazione(r, ente=ente.pk) for c, r in esistenti.items() if c not in numeri]
    modello.objects.filter(piano=piano, ente=ente).exclude(comune_id__in=numeri).delete()
    for comune_id, numero in numeri.items():
        riga = esistenti.get(comune_id)
        if riga is None:
            riga = modello.objects.create(
                piano=piano, ente=ente, comune=comuni_validi[comune_id], numero=numero
            )
            voci.append(VoceModifica.creazione(riga))
        elif riga.numero != numero:
            prima = istantanea(riga)
            riga.numero = numero
            riga.save(update_fields=["numero"])
            voci.append(VoceModifica.modifica(riga, prima))
    registra_modifiche(utente=utente, origine="", modifiche=voci)


def salva_riga_dell_ente(
    *,
    modello: type[models.Model],
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: AbstractBaseUser,
    valori: Mapping[str, Any],
) -> Any:
    """Create or update the ente's one row of ``modello`` in the plan and trace the change.

    The caller holds the answer open (``apri_modifica``) and records the change on it."""
    esistente = modello.objects.filter(piano=piano, ente=ente).first()
    prima = istantanea(esistente) if esistente else None
    riga, _ = modello.objects.update_or_create(piano=piano, ente=ente, defaults=dict(valori))
    traccia(utente=utente, oggetto=riga, prima=prima)
    return riga


@transaction.atomic
def salva_scelte(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, Any]
) -> ScelteEnte:
    """The ente's choices h (indigenti), i (extra category) and i.b (Forze di Polizia quota)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    scelte = salva_riga_dell_ente(modello=ScelteEnte, piano=piano, ente=ente, utente=utente, valori=valori)
    registra_modifica(risposta=risposta, utente=utente)
    return scelte


@transaction.atomic
def salva_sat(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, numeri: Mapping[int, int]
) -> None:
    """Units the ente destines to servizi abitativi transitori, per comune (section j)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    sostituisci_conteggi(modello=DestinazioneSAT, piano=piano, ente=ente, numeri=numeri, utente=utente)
    registra_modifica(risposta=risposta, utente=utente)


@transaction.atomic
def salva_assegnazioni(
    *, piano: PianoAnnuale, ente: EnteProprietario, utente: AbstractBaseUser, valori: Mapping[str, int]
) -> AssegnazioniAnnoPrecedente:
    """SAP units the ente assigned in the year before the plan (section k)."""
    risposta = apri_modifica(piano=piano, ente=ente)
    assegnazioni = salva_riga_dell_ente(
        modello=AssegnazioniAnnoPrecedente, piano=piano, ente=ente, utente=utente, valori=valori
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


def _chiudi_risposta(risposta: RispostaRicognizione, *, stato: str, utente: AbstractBaseUser) -> None:
    """Record the ente's answer as given (sent, or nothing to declare): from now on its data is locked."""
    prima = istantanea(risposta)
    adesso = timezone.now()
    risposta.stato = stato
    risposta.inviata_il = adesso
    risposta.aggiornata_il = adesso
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "inviata_il", "aggiornata_il", "aggiornata_da"])
    traccia(utente=utente, oggetto=risposta, prima=prima)


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
    _chiudi_risposta(risposta, stato=StatoRisposta.NIENTE_DA_DICHIARARE, utente=utente)


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
    # States carried over from last year's plan are proposals until the ente confirms them.
    da_confermare = StatoUnita.objects.del_piano(piano).filter(unita__ente=ente, da_confermare=True).count()
    if da_confermare:
        raise OperazioneNonValida(
            f"{da_confermare} unità hanno ancora lo stato ripreso dal piano {piano.anno_precedente} da "
            "confermare: confermarle (o correggerle) nell'elenco delle unità prima di inviare la risposta."
        )
    _chiudi_risposta(risposta, stato=StatoRisposta.INVIATA, utente=utente)


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
    prima = istantanea(risposta)
    risposta.stato = StatoRisposta.RIAPERTA
    risposta.aggiornata_il = timezone.now()
    risposta.aggiornata_da = utente
    risposta.save(update_fields=["stato", "aggiornata_il", "aggiornata_da"])
    traccia(utente=utente, oggetto=risposta, prima=prima)


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


# --------------------------------------------------------------------------------------------------
# The plan's workflow (issue 6): ricognizione → bozza → inviata ad ALER → parere espresso →
# trasmessa all'Assemblea → approvata, and back to bozza with a reason until approved.
#
# Each function is one transaction that locks the plan's row first, so two users cannot move the
# same plan at once. The views decide *who* may call them (the ufficio di piano moves the plan:
# ``PianoAnnuale.objects.dell_ufficio_di_piano``; ALER observes and gives the parere:
# ``iter.e_operatore_aler``); these functions decide *when*, record the move
# (``PassaggioDiStato`` and the audit) and tell the people concerned by e-mail after the commit.


class PianoConErrori(OperazioneNonValida):
    """The plan's consistency checks found errors: the move that needs a coherent plan is refused."""

    def __init__(self, messaggio: str, errori: tuple[Anomalia, ...]) -> None:
        super().__init__(messaggio)
        self.errori = errori


# The largest signed verbale accepted: a scanned multi-page PDF, not an archive of annexes.
DIMENSIONE_MASSIMA_VERBALE = 20 * 1024 * 1024


def _blocca_piano(piano: PianoAnnuale) -> PianoAnnuale:
    """The plan's row, locked until the end of the transaction and read afresh."""
    return PianoAnnuale.objects.select_for_update().select_related("ambito").get(pk=piano.pk)


def _richiedi_stato(piano: PianoAnnuale, *attesi: str, azione: str) -> None:
    if piano.stato not in attesi:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} è nello stato «{piano.get_stato_display()}»: non è possibile {azione}."
        )


def _richiedi_coerenza(piano: PianoAnnuale, *, azione: str) -> None:
    """Refuse the move while the computed plan has errors, listing each of them."""
    errori = calcola_piano(piano).errori
    if errori:
        elenco = "\n".join(f"- {a.codice} ({a.sezione}): {a.messaggio}" for a in errori)
        numero = "1 errore di coerenza" if len(errori) == 1 else f"{len(errori)} errori di coerenza"
        raise PianoConErrori(
            f"Non è possibile {azione}: il piano ha {numero}, da correggere prima.\n{elenco}", errori
        )


def _richiedi_risposte(piano: PianoAnnuale, *, azione: str) -> None:
    """ALER's observations must all be answered: the answers go into the next version."""
    senza = OsservazioneAler.objects.filter(piano=piano, risposta="").count()
    if senza:
        raise OperazioneNonValida(f"Non è possibile {azione}: {osservazioni_in_attesa(senza)}.")


def _sposta(piano: PianoAnnuale, *, a: str, utente: AbstractBaseUser, motivo: str = "") -> PassaggioDiStato:
    """Move the (locked) plan to state ``a`` and record the move in its history and in the audit."""
    prima = istantanea(piano)
    da = piano.stato
    piano.stato = a
    piano.save(update_fields=["stato", "aggiornato_il"])
    passaggio = PassaggioDiStato.objects.create(piano=piano, da=da, a=a, utente=utente, motivo=motivo)
    traccia(utente=utente, oggetto=piano, prima=prima, motivo=motivo)
    return passaggio


class _FileScritti:
    """Files written during a transaction, deleted again if the transaction fails.

    The database rolls back by itself; the storage does not.
    """

    def __init__(self) -> None:
        self.file: list[Any] = []

    def __enter__(self) -> _FileScritti:
        return self

    def __exit__(self, tipo: type[BaseException] | None, *_: object) -> None:
        if tipo is not None:
            for file in self.file:
                file.delete(save=False)


@transaction.atomic
def chiudi_ricognizione(
    *, piano: PianoAnnuale, utente: AbstractBaseUser, indirizzo_piano: str = ""
) -> PassaggioDiStato:
    """Close the ricognizione: the plan becomes a draft (its data can still be corrected)."""
    piano = _blocca_piano(piano)
    _richiedi_stato(piano, StatoPiano.RICOGNIZIONE, azione="chiudere la ricognizione")
    passaggio = _sposta(piano, a=StatoPiano.BOZZA, utente=utente)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


def invia_ad_aler(
    *, piano: PianoAnnuale, utente: AbstractBaseUser, indirizzo_piano: str = ""
) -> VersionePiano:
    """Send the draft to ALER for its parere preliminare (R.R. 4/2017 art. 4 c. 4).

    Refused while the plan has consistency errors or unanswered observations of an earlier round.
    Freezes the version ALER reads (JSON and watermarked PDF) and e-mails ALER.
    """
    with _FileScritti() as scritti, transaction.atomic():
        piano = _blocca_piano(piano)
        _richiedi_stato(piano, StatoPiano.BOZZA, azione="inviarlo ad ALER")
        _richiedi_risposte(piano, azione="inviarlo di nuovo ad ALER")
        _richiedi_coerenza(piano, azione="inviare il piano ad ALER per il parere")
        passaggio = _sposta(piano, a=StatoPiano.INVIATA_ALER, utente=utente)
        versione = congela_versione(piano=piano, tipo=TipoVersione.INVIATA_ALER, utente=utente)
        scritti.file.append(versione.pdf)
        notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
        return versione


@transaction.atomic
def riporta_in_bozza(
    *, piano: PianoAnnuale, utente: AbstractBaseUser, motivo: str, indirizzo_piano: str = ""
) -> PassaggioDiStato:
    """Take the plan back to bozza, e.g. to correct data after ALER's observations. Until approved."""
    motivo = motivo.strip()
    if not motivo:
        raise OperazioneNonValida("Indicare il motivo per cui il piano torna in bozza.")
    piano = _blocca_piano(piano)
    if piano.stato == StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} è stato approvato dall'Assemblea dei Sindaci: non può tornare in bozza."
        )
    _richiedi_stato(piano, *STATI_RIPORTABILI_IN_BOZZA, azione="riportarlo in bozza")
    passaggio = _sposta(piano, a=StatoPiano.BOZZA, utente=utente, motivo=motivo)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


def _versione_in_esame(piano: PianoAnnuale) -> VersionePiano:
    versione = ultima_versione_inviata(piano)
    if versione is None:  # a plan moved to inviata_aler outside the services (e.g. loaded from a file)
        raise OperazioneNonValida(
            f"Per il piano {piano.anno} non risulta alcuna versione inviata ad ALER: l'ufficio di piano "
            "deve riportarlo in bozza e inviarlo di nuovo."
        )
    return versione


@transaction.atomic
def aggiungi_osservazione(
    *, piano: PianoAnnuale, utente: AbstractBaseUser, sezione: str, testo: str
) -> OsservazioneAler:
    """ALER's observation on one part of the draft it was sent, until it gives its parere."""
    testo = testo.strip()
    if not testo:
        raise OperazioneNonValida("Scrivere il testo dell'osservazione.")
    if sezione not in SezionePiano.values:
        raise OperazioneNonValida("Scegliere la sezione del piano a cui si riferisce l'osservazione.")
    piano = _blocca_piano(piano)
    _richiedi_stato(piano, StatoPiano.INVIATA_ALER, azione="aggiungere osservazioni")
    osservazione = OsservazioneAler.objects.create(
        piano=piano, versione=_versione_in_esame(piano), sezione=sezione, testo=testo, autore=utente
    )
    traccia(utente=utente, oggetto=osservazione, prima=None)
    return osservazione


@transaction.atomic
def elimina_osservazione(*, osservazione: OsservazioneAler, utente: AbstractBaseUser) -> None:
    """ALER withdraws one of its observations, while the parere is still to be given."""
    piano = _blocca_piano(osservazione.piano)
    _richiedi_stato(piano, StatoPiano.INVIATA_ALER, azione="ritirare osservazioni")
    prima = istantanea(osservazione)
    OsservazioneAler.objects.filter(pk=osservazione.pk).delete()
    traccia(utente=utente, oggetto=osservazione, prima=prima, eliminato=True)


@transaction.atomic
def rispondi_osservazione(
    *, osservazione: OsservazioneAler, utente: AbstractBaseUser, risposta: str
) -> OsservazioneAler:
    """The ufficio di piano's answer to an observation (it may be revised until approval)."""
    risposta = risposta.strip()
    if not risposta:
        raise OperazioneNonValida("Scrivere il testo della risposta.")
    piano = _blocca_piano(osservazione.piano)
    if piano.stato == StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} è approvato: le risposte non sono più modificabili."
        )
    osservazione = OsservazioneAler.objects.select_for_update().get(pk=osservazione.pk)
    prima = istantanea(osservazione)
    osservazione.risposta = risposta
    osservazione.risposta_di = utente
    osservazione.risposta_il = timezone.now()
    osservazione.save(update_fields=["risposta", "risposta_di", "risposta_il"])
    traccia(utente=utente, oggetto=osservazione, prima=prima)
    return osservazione


@transaction.atomic
def esprimi_parere(
    *,
    piano: PianoAnnuale,
    utente: AbstractBaseUser,
    esito: str,
    testo: str,
    data: datetime.date,
    protocollo: str = "",
    indirizzo_piano: str = "",
) -> ParereAler:
    """ALER's parere on the version it was sent; the plan moves to «parere espresso»."""
    testo = testo.strip()
    if esito not in EsitoParere.values:
        raise OperazioneNonValida("Indicare l'esito del parere.")
    if esito != EsitoParere.FAVOREVOLE and not testo:
        raise OperazioneNonValida(
            f"Un parere «{EsitoParere(esito).label.lower()}» va motivato: scrivere il testo del parere."
        )
    piano = _blocca_piano(piano)
    _richiedi_stato(piano, StatoPiano.INVIATA_ALER, azione="esprimere il parere")
    versione = _versione_in_esame(piano)
    ricevuta_il = timezone.localtime(versione.creata_il).date()
    if not ricevuta_il <= data <= timezone.localdate():
        raise OperazioneNonValida(
            f"La data del parere deve essere compresa tra il {ricevuta_il:%d/%m/%Y}, giorno dell'invio "
            "della bozza ad ALER, e oggi."
        )
    parere = ParereAler.objects.create(
        piano=piano,
        versione=versione,
        esito=esito,
        testo=testo,
        data=data,
        protocollo=protocollo.strip(),
        espresso_da=utente,
    )
    traccia(utente=utente, oggetto=parere, prima=None)
    passaggio = _sposta(piano, a=StatoPiano.PARERE_ESPRESSO, utente=utente)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return parere


@transaction.atomic
def trasmetti_all_assemblea(
    *, piano: PianoAnnuale, utente: AbstractBaseUser, indirizzo_piano: str = ""
) -> PassaggioDiStato:
    """Send the plan, with ALER's parere and the answers, to the Assemblea dei Sindaci."""
    piano = _blocca_piano(piano)
    _richiedi_stato(piano, StatoPiano.PARERE_ESPRESSO, azione="trasmetterlo all'Assemblea dei Sindaci")
    _richiedi_risposte(piano, azione="trasmettere il piano all'Assemblea dei Sindaci")
    passaggio = _sposta(piano, a=StatoPiano.TRASMESSA_ASSEMBLEA, utente=utente)
    notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano)
    return passaggio


def leggi_verbale(file: Any) -> bytes:
    """The signed verbale's bytes, once checked to be a PDF within the size limit."""
    nome = getattr(file, "name", "") or ""
    if not nome.lower().endswith(".pdf"):
        raise OperazioneNonValida("Il verbale firmato deve essere un file PDF (estensione .pdf).")
    dimensione = getattr(file, "size", None)
    if dimensione is not None and dimensione > DIMENSIONE_MASSIMA_VERBALE:
        raise OperazioneNonValida(
            f"Il verbale supera la dimensione massima di {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB."
        )
    file.seek(0)
    contenuto = file.read(DIMENSIONE_MASSIMA_VERBALE + 1)
    if len(contenuto) > DIMENSIONE_MASSIMA_VERBALE:
        raise OperazioneNonValida(
            f"Il verbale supera la dimensione massima di {DIMENSIONE_MASSIMA_VERBALE // (1024 * 1024)} MB."
        )
    if not contenuto.startswith(b"%PDF-"):
        raise OperazioneNonValida("Il file caricato non è un PDF valido: caricare il verbale firmato in PDF.")
    return contenuto


@dataclass(frozen=True)
class Presenza:
    presente: bool
    rappresentante: str = ""


def approva_piano(
    *,
    piano: PianoAnnuale,
    utente: AbstractBaseUser,
    data_seduta: datetime.date,
    numero_verbale: str,
    verbale: Any,
    protocollo: str = "",
    luogo: str = "",
    presenze: Mapping[int, Presenza] | None = None,
    quorum: int | None = None,
    seduta_valida: bool | None = None,
    indirizzo_piano: str = "",
) -> Approvazione:
    """Record the Assemblea dei Sindaci's approval and freeze the approved plan (PDF/A-3b).

    ``verbale`` is the signed verbale (an uploaded PDF). ``presenze`` maps comune ids of the ambito
    to who was present; with ``quorum`` (the comuni the regolamento requires) the session's validity
    is computed, otherwise ``seduta_valida`` is taken as the verbale records it. A session without
    quorum cannot approve. Refused while the plan has consistency errors or unanswered observations.
    """
    numero_verbale = numero_verbale.strip()
    if not numero_verbale:
        raise OperazioneNonValida("Indicare il numero del verbale dell'Assemblea dei Sindaci.")
    contenuto = leggi_verbale(verbale)
    with _FileScritti() as scritti, transaction.atomic():
        piano = _blocca_piano(piano)
        _richiedi_stato(piano, StatoPiano.TRASMESSA_ASSEMBLEA, azione="registrarne l'approvazione")
        _richiedi_risposte(piano, azione="registrare l'approvazione")
        _richiedi_coerenza(piano, azione="registrare l'approvazione del piano")
        trasmesso = (
            PassaggioDiStato.objects.filter(piano=piano, a=StatoPiano.TRASMESSA_ASSEMBLEA)
            .order_by("-eseguito_il")
            .values_list("eseguito_il", flat=True)
            .first()
        )
        dal = timezone.localtime(trasmesso).date() if trasmesso else PRIMO_GIORNO_POSSIBILE
        if not dal <= data_seduta <= timezone.localdate():
            raise OperazioneNonValida(
                f"La data della seduta deve essere compresa tra il {dal:%d/%m/%Y}, giorno della trasmissione "
                "all'Assemblea, e oggi."
            )
        presenze = dict(presenze or {})
        comuni = set(Comune.objects.dell_ambito(piano.ambito_id).values_list("pk", flat=True))
        if not set(presenze) <= comuni:
            raise OperazioneNonValida("Le presenze si registrano solo per i comuni dell'ambito.")
        if quorum is not None and presenze:
            calcolata = sum(p.presente for p in presenze.values()) >= quorum
            if seduta_valida is not None and seduta_valida != calcolata:
                raise OperazioneNonValida(
                    f"Con {sum(p.presente for p in presenze.values())} comuni presenti e un quorum di {quorum} "
                    f"la seduta {'è' if calcolata else 'non è'} valida, diversamente da quanto indicato."
                )
            seduta_valida = calcolata
        if seduta_valida is False:
            raise OperazioneNonValida(
                "La seduta non era valida (quorum non raggiunto): il piano non può risultare approvato."
            )
        approvazione = Approvazione(
            piano=piano,
            data_seduta=data_seduta,
            numero_verbale=numero_verbale,
            protocollo=protocollo.strip(),
            luogo=luogo.strip(),
            verbale_sha256=hashlib.sha256(contenuto).hexdigest(),
            quorum=quorum,
            seduta_valida=seduta_valida,
            registrata_da=utente,
        )
        nome = (
            f"verbale-assemblea-{piano.anno}-{re.sub(r'[^0-9A-Za-z]+', '-', numero_verbale).strip('-')}.pdf"
        )
        approvazione.verbale.save(nome, ContentFile(contenuto), save=False)
        scritti.file.append(approvazione.verbale)
        approvazione.save(force_insert=True)
        PresenzaAssemblea.objects.bulk_create(
            PresenzaAssemblea(
                approvazione=approvazione,
                comune_id=comune_id,
                presente=p.presente,
                rappresentante=p.rappresentante.strip()[:200],
            )
            for comune_id, p in presenze.items()
        )
        traccia(utente=utente, oggetto=approvazione, prima=None)
        passaggio = _sposta(piano, a=StatoPiano.APPROVATA, utente=utente)
        versione = congela_versione(piano=piano, tipo=TipoVersione.APPROVATA, utente=utente)
        scritti.file.append(versione.pdf)
        enti_con_lettera = [
            r["ente"]["denominazione"] for r in versione.dati["ib"]["righe"] if r["unita"] > 0
        ]
        notifica_passaggio(passaggio, indirizzo_piano=indirizzo_piano, lettere=enti_con_lettera)
        return approvazione


# --------------------------------------------------------------------------------------------------
# Year over year: the plan of the following year starts from this one.


@dataclass(frozen=True)
class EsitoNuovoPiano:
    piano: PianoAnnuale
    stati: int  # unit states carried over, to be confirmed
    testi: int
    scelte: int
    consistenze: int
    messaggi: int  # e-mails asking the enti to confirm
    data_popolazione_aggiornata: bool  # False: the population of the new date is not loaded yet


@transaction.atomic
def crea_piano_anno_successivo(
    *,
    piano: PianoAnnuale,
    utente: AbstractBaseUser,
    indirizzo_area: Callable[[PianoAnnuale, EnteProprietario], str] | None = None,
) -> EsitoNuovoPiano:
    """Open the plan of year N+1 from the approved plan of year N.

    Copies each unit's state of year N as the proposed state of N+1, marked «da confermare» (the
    units themselves are the ambito's registry, shared by the plans), the narratives, the enti's
    choices (h, i, i.b) and consistenze. Answers, turnover, SAT and assignments are the new year's
    own and start empty. Each ente with states to confirm is asked by e-mail to confirm them.
    """
    piano = _blocca_piano(piano)
    anno = piano.anno + 1
    if piano.stato != StatoPiano.APPROVATA:
        raise OperazioneNonValida(
            f"Il piano {piano.anno} non è ancora approvato: il piano {anno} si apre dal piano approvato, "
            "di cui riprende i dati."
        )
    if PianoAnnuale.objects.filter(ambito_id=piano.ambito_id, anno=anno).exists():
        raise OperazioneNonValida(f"Il piano {anno} dell'{piano.ambito} esiste già.")
    data = data_popolazione_default(anno)
    aggiornata = Popolazione.objects.filter(comune__ambito_id=piano.ambito_id, data_riferimento=data).exists()
    nuovo = PianoAnnuale.objects.create(
        ambito=piano.ambito,
        anno=anno,
        stato=StatoPiano.RICOGNIZIONE,
        # Until the new year's population is loaded, the plan counts last year's residents.
        data_popolazione=data if aggiornata else piano.data_popolazione,
    )
    origine = f"nuovo piano {anno} dal piano {piano.anno}"
    voci: list[VoceModifica] = [VoceModifica.creazione(nuovo)]

    stati = StatoUnita.objects.bulk_create(
        StatoUnita(
            piano=nuovo,
            unita_id=s.unita_id,
            stato=s.stato,
            programma=s.programma,
            stato_origine=s.stato_origine,
            note=s.note,
            da_confermare=True,
        )
        for s in StatoUnita.objects.del_piano(piano).order_by("pk")
    )
    testi = TestoPiano.objects.bulk_create(
        TestoPiano(piano=nuovo, sezione=t.sezione, testo=t.testo, aggiornato_da=t.aggiornato_da)
        for t in piano.testi.all()
    )
    scelte = ScelteEnte.objects.bulk_create(
        ScelteEnte(
            piano=nuovo,
            ente_id=s.ente_id,
            soglia_indigenti_eccedente=s.soglia_indigenti_eccedente,
            categoria_aggiuntiva=s.categoria_aggiuntiva,
            motivazione_categoria=s.motivazione_categoria,
            quota_forze_polizia=s.quota_forze_polizia,
        )
        for s in ScelteEnte.objects.filter(piano=piano)
    )
    consistenze = ConsistenzaDichiarata.objects.bulk_create(
        ConsistenzaDichiarata(piano=nuovo, ente_id=c.ente_id, sap=c.sap, sas=c.sas, fonte=c.fonte)
        for c in ConsistenzaDichiarata.objects.filter(piano=piano)
    )
    # bulk_create gives the rows their ids on SQLite and PostgreSQL: record them in the audit.
    enti_delle_unita = dict(UnitaAbitativa.objects.filter(stati__piano=nuovo).values_list("pk", "ente_id"))
    voci += [
        VoceModifica(
            modello=StatoUnita,
            oggetto_id=s.pk,
            azione=AzioneModifica.CREAZIONE,
            dopo=istantanea(s),
            descrizione=f"Stato dell'unità n. {s.unita_id} nel piano {anno}",
            piano=nuovo.pk,
            ente=enti_delle_unita.get(s.unita_id),
            unita=s.unita_id,
        )
        for s in stati
    ]
    voci += [
        VoceModifica(
            modello=type(r),
            oggetto_id=r.pk,
            azione=AzioneModifica.CREAZIONE,
            dopo=istantanea(r),
            descrizione=f"{r._meta.verbose_name.capitalize()} – piano {anno}",
            piano=nuovo.pk,
            ente=getattr(r, "ente_id", None),
        )
        for r in [*testi, *scelte, *consistenze]
    ]
    registra_modifiche(utente=utente, origine=origine, modifiche=voci)

    messaggi = 0
    if indirizzo_area is not None:
        enti = set(enti_delle_unita.values())
        messaggi = notifica_nuovo_piano(
            piano=nuovo,
            precedente=piano,
            indirizzi_area={
                e.pk: indirizzo_area(nuovo, e) for e in EnteProprietario.objects.filter(pk__in=enti)
            },
        )
    return EsitoNuovoPiano(
        piano=nuovo,
        stati=len(stati),
        testi=len(testi),
        scelte=len(scelte),
        consistenze=len(consistenze),
        messaggi=messaggi,
        data_popolazione_aggiornata=aggiornata,
    )


@transaction.atomic
def conferma_stati(
    *,
    piano: PianoAnnuale,
    ente: EnteProprietario,
    utente: AbstractBaseUser,
    unita: Collection[int] | None = None,
) -> int:
    """The ente confirms the states carried over from last year: the listed units, or all of them.

    Returns how many states were confirmed. Like every write of the ente's data, refused once the
    ente has answered or the plan has left the ricognizione.
    """
    risposta = apri_modifica(piano=piano, ente=ente)
    da_confermare = StatoUnita.objects.del_piano(piano).filter(unita__ente=ente, da_confermare=True)
    if unita is not None:
        da_confermare = da_confermare.filter(unita_id__in=list(unita))
    stati = list(da_confermare.select_related("unita__comune").order_by("pk"))
    if not stati:
        return 0
    voci = []
    for s in stati:
        prima = istantanea(s)
        s.da_confermare = False
        voci.append(VoceModifica.modifica(s, prima, ente=ente.pk))
    StatoUnita.objects.filter(pk__in=[s.pk for s in stati]).update(da_confermare=False)
    registra_modifiche(utente=utente, origine="conferma dello stato", modifiche=voci)
    registra_modifica(risposta=risposta, utente=utente)
    return len(stati)
