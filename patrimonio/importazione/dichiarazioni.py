"""The sheets of what an ente declares besides its units: consistenza (section a), SAT (j) and the
previous year's assignments (k).

Each sheet is optional and found by its name («Consistenza», «SAT», «Assegnazioni») or, in a table
without a name (csv), by its headers. Every row is checked (``Errore``: sheet, row, column, value,
Italian message, with the limits and words of the workspace's forms and of the database's
constraints); then the sheet is compared with what the ente declared (one query per sheet present):
the consistenza and SAT sheets replace the ente's rows (a comune left out, or at 0 for SAT, loses its
row), the assignments sheet holds one row of values. What changes becomes ``CambioDichiarato`` rows
of a ``FoglioDichiarato``, shown by the preview and written by ``scrittura``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from piano_annuale.controlli.vincoli import VINCOLI
from piano_annuale.models import AssegnazioniAnnoPrecedente, ConsistenzaDichiarata, DestinazioneSAT

from ..resources import (
    COLONNE_ASSEGNAZIONI,
    COLONNE_CONSISTENZA,
    COLONNE_SAT,
    INTESTAZIONI_UNITA,
    NOME_FOGLIO_ASSEGNAZIONI,
    NOME_FOGLIO_CONSISTENZA,
    NOME_FOGLIO_SAT,
    Colonna,
    mappa_intestazioni,
    normalizza,
)
from .celle import intero, lettera_colonna, testo
from .comuni import TrovaComuni
from .contesto import Contesto
from .errori import Errore
from .righe import Analisi, CambioDichiarato, FoglioDichiarato

CONSISTENZA, SAT, ASSEGNAZIONI = "consistenza", "sat", "assegnazioni"
# Whether the consistenza may be declared per comune (an optional breakdown of section a).
PER_COMUNE = any(f.name == "comune" for f in ConsistenzaDichiarata._meta.concrete_fields)
RIGHE_CERCA_INTESTAZIONE = 20
_TOTALE = re.compile(r"\btotale\b", re.IGNORECASE)
_LUNGHEZZA_FONTE = 120
# How the template writes a consistenza the ente did not communicate (both numbers empty).
NON_COMUNICATA_SCRITTA = "non comunicata"
NON_COMUNICATA = {normalizza(t) for t in (NON_COMUNICATA_SCRITTA, "non comunicato", "n.c.")}


@dataclass(frozen=True)
class Tracciato:
    """One kind of declaration sheet: its name, columns, and the headers that reveal it in a
    table without a name."""

    tipo: str
    nome: str
    titolo: str
    colonne: tuple[Colonna, ...]
    campi: tuple[str, ...]  # the values of a row, as the model names them
    rivelatrici: frozenset[str]
    altri_nomi: tuple[str, ...] = ()

    @property
    def intestazioni(self) -> dict[str, str]:
        return mappa_intestazioni(self.colonne)


TRACCIATI: dict[str, Tracciato] = {
    CONSISTENZA: Tracciato(
        CONSISTENZA,
        NOME_FOGLIO_CONSISTENZA,
        "a) Consistenza del patrimonio",
        COLONNE_CONSISTENZA,
        ("sap", "sas", "fonte"),
        frozenset({"sap", "sas"}),
        ("Consistenza del patrimonio",),
    ),
    SAT: Tracciato(
        SAT,
        NOME_FOGLIO_SAT,
        "j) Unità destinate ai servizi abitativi transitori",
        COLONNE_SAT,
        ("numero",),
        frozenset({"numero"}),
        ("Destinazioni SAT", "Servizi abitativi transitori"),
    ),
    ASSEGNAZIONI: Tracciato(
        ASSEGNAZIONI,
        NOME_FOGLIO_ASSEGNAZIONI,
        "k) Assegnazioni dell'anno precedente",
        COLONNE_ASSEGNAZIONI,
        ("totale", "mobilita", "in_deroga"),
        frozenset({"totale", "mobilita"}),
        ("Assegnazioni anno precedente", "Assegnazioni dell'anno precedente"),
    ),
}
_PER_NOME = {normalizza(n): t for t in TRACCIATI.values() for n in (t.nome, *t.altri_nomi)}
# In a table without a name only headers of its own reveal a sheet: SAT's count column is not the
# turnover's («Numero di alloggi»), the consistenza's SAP and SAS columns are not a unit's.
_RIVELATRICI = {
    CONSISTENZA: {normalizza(n) for n in ("Alloggi SAP", "Alloggi SAP di proprietà")},
    SAT: {normalizza(n) for n in ("U.I. destinate ai SAT", "Numero di U.I. per SAT", "U.I. per SAT")},
    ASSEGNAZIONI: {
        normalizza(n)
        for n in ("U.I. SAP assegnate nell'anno precedente", "U.I. assegnate", "U.I. SAP assegnate")
    },
}
# The headers of a unit list (ID regionale, state): a table that has them is not a declaration.
_DI_UNITA = {t for t, chiave in INTESTAZIONI_UNITA.items() if chiave in ("id_regionale", "stato")}


def tracciato_del_foglio(nome: str) -> Tracciato | None:
    """The declaration sheet a sheet's name says, if any."""
    return _PER_NOME.get(normalizza(nome)) if nome else None


def tracciato_dalle_righe(righe: Iterable[list[Any]]) -> Tracciato | None:
    """The declaration sheet a table's headers reveal (for a csv, which has no sheet name)."""
    for indice, valori in enumerate(righe):
        if indice >= RIGHE_CERCA_INTESTAZIONE:
            break
        scritti = {normalizza(testo(v)) for v in valori if testo(v)}
        if scritti & _DI_UNITA:
            return None  # a unit list's header: never a declaration sheet
        for tipo, intestazioni in _RIVELATRICI.items():
            if scritti & intestazioni:
                return TRACCIATI[tipo]
    return None


def numero_leggibile(valore: Any) -> str:
    """A count as the preview writes it: «1.234»; «—» for none."""
    if valore is None or valore == "":
        return "—"
    return f"{valore:,}".replace(",", ".") if isinstance(valore, int) else str(valore)


def descrivi(tipo: str, valori: dict[str, Any] | None) -> str:
    """One declared row in words, for the preview: «SAP 120, SAS 4 (fonte: ricognizione 2025)»."""
    if valori is None:
        return "—"
    if tipo == CONSISTENZA:
        if valori["sap"] is None:
            testo_valori = "non comunicata"
        else:
            testo_valori = f"SAP {numero_leggibile(valori['sap'])}, SAS {numero_leggibile(valori['sas'])}"
        return testo_valori + (f" (fonte: {valori['fonte']})" if valori.get("fonte") else "")
    if tipo == SAT:
        return numero_leggibile(valori["numero"])
    return (
        f"{numero_leggibile(valori['totale'])}, di cui per mobilità {numero_leggibile(valori['mobilita'])}"
        f" e in deroga {numero_leggibile(valori['in_deroga'])}"
    )


@dataclass(slots=True)
class _Intestazione:
    riga: int
    colonne: dict[str, int]
    nomi: dict[str, str]


class LettoreDichiarazioni:
    """Reads the declaration sheets into ``analisi.dichiarati``, or one ``Errore`` per problem."""

    def __init__(self, analisi: Analisi, contesto: Contesto, comuni: TrovaComuni) -> None:
        self.analisi = analisi
        self.contesto = contesto
        self.comuni = comuni
        self.errori = analisi.errori

    def leggi(self, tracciato: Tracciato, nome_foglio: str, righe: Iterable[list[Any]], prima: int) -> int:
        """Read one sheet; return how many data rows it has."""
        lette = 0
        if any(f.tipo == tracciato.tipo for f in self.analisi.dichiarati):
            self.errori.append(
                Errore(
                    None,
                    "",
                    "",
                    f"Il file contiene due fogli «{tracciato.nome}»: lasciarne uno solo.",
                    nome_foglio,
                )
            )
            return lette
        errori_prima = len(self.errori)
        intestazione: _Intestazione | None = None
        letti: dict[int | None, tuple[int, dict[str, Any]]] = {}
        for indice, valori in enumerate(righe):
            numero = indice + 1
            if intestazione is None:
                if indice >= RIGHE_CERCA_INTESTAZIONE:
                    break
                intestazione = self._intestazione(tracciato, nome_foglio, numero, valori, prima)
                if len(self.errori) > errori_prima:
                    break  # a column is missing: its rows cannot be read
                continue
            scritti = [testo(v) for v in valori]
            if not any(scritti) or any(_TOTALE.search(s) for s in scritti if s):
                continue
            lette += 1
            self._riga(tracciato, nome_foglio, numero, valori, intestazione, letti)
        if intestazione is None:
            attese = ", ".join(f"«{c.intestazione}»" for c in tracciato.colonne if c.obbligatoria)
            self.errori.append(
                Errore(
                    None,
                    "",
                    "",
                    f"Nel foglio «{nome_foglio or tracciato.nome}» non sono state riconosciute le "
                    f"intestazioni: servono le colonne {attese}, come nel modello scaricato da questo servizio.",
                    nome_foglio,
                )
            )
            return lette
        foglio = FoglioDichiarato(tracciato.tipo, nome_foglio or tracciato.nome)
        self.analisi.dichiarati.append(foglio)
        if len(self.errori) == errori_prima:
            foglio.cambi = self._cambi(tracciato, {k: v for k, (_, v) in letti.items()})
        return lette

    # -- the header

    def _intestazione(
        self, tracciato: Tracciato, foglio: str, numero: int, valori: list[Any], prima: int
    ) -> _Intestazione | None:
        mappa = tracciato.intestazioni
        colonne: dict[str, int] = {}
        nomi: dict[str, str] = {}
        ignorate: list[str] = []
        for indice, valore in enumerate(valori):
            scritto = testo(valore)
            if not scritto:
                continue
            chiave = mappa.get(normalizza(scritto))
            etichetta = f"{scritto} (colonna {lettera_colonna(indice + prima)})"
            if chiave is None or chiave in colonne:
                ignorate.append(etichetta)
            else:
                colonne[chiave], nomi[chiave] = indice, etichetta
        if not colonne:
            return None
        for etichetta in ignorate:
            self.analisi.avvisi.append(
                f"Foglio «{foglio or tracciato.nome}»: la colonna «{etichetta}» non è riconosciuta ed è "
                "stata ignorata."
            )
        for colonna in tracciato.colonne:
            if colonna.obbligatoria and colonna.chiave not in colonne:
                if colonna.chiave == "comune" and "codice_istat" in colonne:
                    continue
                self.errori.append(
                    Errore(
                        numero,
                        colonna.intestazione,
                        "",
                        f"Manca la colonna «{colonna.intestazione}»: usare le intestazioni del modello "
                        "scaricato da questo servizio.",
                        foglio,
                    )
                )
        return _Intestazione(numero, colonne, nomi)

    # -- one row

    def _riga(
        self,
        tracciato: Tracciato,
        foglio: str,
        numero: int,
        valori: list[Any],
        intestazione: _Intestazione,
        letti: dict[int | None, tuple[int, dict[str, Any]]],
    ) -> None:
        col, nomi = intestazione.colonne, intestazione.nomi

        def cella(chiave: str) -> Any:
            i = col.get(chiave)
            return valori[i] if i is not None and i < len(valori) else ""

        def errore(chiave: str, valore: str, messaggio: str) -> None:
            colonna = nomi.get(chiave) or next(
                c.intestazione for c in tracciato.colonne if c.chiave == chiave
            )
            self.errori.append(Errore(numero, colonna, valore, messaggio, foglio))

        errori_prima = len(self.errori)
        comune_id: int | None = None
        if tracciato.tipo != ASSEGNAZIONI:
            nome, codice = testo(cella("comune")), testo(cella("codice_istat"))
            if tracciato.tipo == CONSISTENZA and (nome or codice) and not PER_COMUNE:
                errore(
                    "comune",
                    nome or codice,
                    "La consistenza si dichiara per l'intero ente: lasciare vuota la colonna «Comune».",
                )
            elif tracciato.tipo == SAT or nome or codice:
                comune_id = self.comuni.trova(
                    foglio,
                    numero,
                    nome,
                    codice,
                    nomi,
                    mancante="Indicare il comune a cui si riferisce il numero.",
                )
        numeri: dict[str, int | None] = {}
        for chiave in tracciato.campi:
            if chiave == "fonte":
                continue
            grezzo = cella(chiave)
            numeri[chiave] = None
            if not testo(grezzo) or (tracciato.tipo == CONSISTENZA and normalizza(grezzo) in NON_COMUNICATA):
                continue
            valore, problema = intero(grezzo)
            if problema == "decimale":
                errore(chiave, testo(grezzo), "Indicare un numero intero.")
            elif problema or valore is None:
                errore(
                    chiave,
                    testo(grezzo),
                    "Il valore non è un numero: indicare un numero intero (0 se nessuno).",
                )
            elif valore < 0:
                errore(chiave, testo(grezzo), "Il numero non può essere negativo.")
            else:
                numeri[chiave] = valore
        if len(self.errori) > errori_prima:
            return
        riga = self._valori(tracciato, cella, numeri, errore)
        if len(self.errori) > errori_prima or riga is None:
            return
        chiave_riga = None if tracciato.tipo == ASSEGNAZIONI else comune_id
        precedente = letti.get(chiave_riga)
        if precedente is not None:
            self.errori.append(
                Errore(numero, "", "", self._doppia(tracciato, chiave_riga, precedente[0]), foglio)
            )
            return
        letti[chiave_riga] = (numero, riga)

    def _valori(
        self, tracciato: Tracciato, cella: Any, numeri: dict[str, int | None], errore: Any
    ) -> dict[str, Any] | None:
        """The row's values as the model holds them, checked as the workspace's form checks them."""
        if tracciato.tipo == CONSISTENZA:
            fonte = testo(cella("fonte"))
            if len(fonte) > _LUNGHEZZA_FONTE:
                errore(
                    "fonte", fonte[:60] + "…", f"La fonte è lunga al massimo {_LUNGHEZZA_FONTE} caratteri."
                )
            sap, sas = numeri["sap"], numeri["sas"]
            if (sap is None) != (sas is None):
                chiave = "sap" if sap is None else "sas"
                errore(chiave, testo(cella(chiave)), VINCOLI["consistenza_sap_sas_entrambi_o_nessuno"])
            return {"sap": sap, "sas": sas, "fonte": fonte}
        if tracciato.tipo == SAT:
            if numeri["numero"] is None:
                errore("numero", "", "Indicare il numero di unità destinate ai SAT (0 se nessuna).")
            return {"numero": numeri["numero"]}
        for chiave in tracciato.campi:
            if numeri[chiave] is None:
                errore(chiave, "", "Indicare il numero (0 se nessuna).")
        totale = numeri["totale"]
        if totale is not None:
            if (numeri["mobilita"] or 0) > totale:
                errore("mobilita", str(numeri["mobilita"]), VINCOLI["assegnazioni_mobilita_entro_totale"])
            if (numeri["in_deroga"] or 0) > totale:
                errore("in_deroga", str(numeri["in_deroga"]), VINCOLI["assegnazioni_deroga_entro_totale"])
        return dict(numeri)

    def _doppia(self, tracciato: Tracciato, comune_id: int | None, riga: int) -> str:
        if tracciato.tipo == ASSEGNAZIONI:
            return (
                f"Il foglio «{tracciato.nome}» ha una sola riga di valori, sotto le intestazioni: la prima è "
                f"alla riga {riga}; cancellare le righe in più."
            )
        if comune_id is None:
            return (
                f"La consistenza dell'intero ente compare anche alla riga {riga}: indicarla una sola volta."
            )
        nome = self.contesto.comuni[comune_id].nome
        return (
            f"Il comune di {nome} compare anche alla riga {riga}: indicare ogni comune una sola volta, "
            "con il numero complessivo."
        )

    # -- what changes

    def _cambi(self, tracciato: Tracciato, dopo: dict[int | None, dict[str, Any]]) -> list[CambioDichiarato]:
        """The sheet against the ente's rows (one query): created, changed, removed."""
        piano, ente = self.contesto.piano, self.contesto.ente
        campi = list(tracciato.campi)
        if tracciato.tipo == CONSISTENZA:
            modello: Any = ConsistenzaDichiarata
        elif tracciato.tipo == SAT:
            modello = DestinazioneSAT
            dopo = {k: v for k, v in dopo.items() if v["numero"]}  # 0: no row
        else:
            modello = AssegnazioniAnnoPrecedente
        chiave = (
            ["comune_id"] if tracciato.tipo == SAT or (tracciato.tipo == CONSISTENZA and PER_COMUNE) else []
        )
        prima: dict[int | None, tuple[int, dict[str, Any]]] = {}
        for riga in modello.objects.filter(piano=piano, ente=ente).values("pk", *chiave, *campi):
            prima[riga.get("comune_id")] = (riga["pk"], {c: riga[c] for c in campi})
        cambi: list[CambioDichiarato] = []
        for comune_id, valori in dopo.items():
            esistente = prima.get(comune_id)
            if esistente is None:
                cambi.append(CambioDichiarato(comune_id, self._voce(tracciato, comune_id), None, valori))
            elif esistente[1] != valori:
                cambi.append(
                    CambioDichiarato(
                        comune_id, self._voce(tracciato, comune_id), esistente[1], valori, esistente[0]
                    )
                )
        if tracciato.tipo != ASSEGNAZIONI:  # a sheet of rows replaces the ente's rows
            for comune_id, (pk, valori) in prima.items():
                if comune_id not in dopo:
                    cambi.append(
                        CambioDichiarato(comune_id, self._voce(tracciato, comune_id), valori, None, pk)
                    )
        return cambi

    def _voce(self, tracciato: Tracciato, comune_id: int | None) -> str:
        if comune_id is not None:
            noto = self.contesto.comuni.get(comune_id)
            return noto.nome if noto is not None else self.contesto.nomi_comuni.get(comune_id, "")
        return "intero ente" if tracciato.tipo == CONSISTENZA else "U.I. SAP assegnate"


def righe_dichiarate(tipo: str, *, piano: Any, ente: Any) -> tuple[list[str], list[list[Any]]]:
    """A declaration sheet as the template writes it: its headers and the ente's current rows in
    ``piano`` (the whole ente first, then the comuni by name), one empty row when there are none."""
    tracciato = TRACCIATI[tipo]
    intestazioni = [c.intestazione for c in tracciato.colonne]
    campi = list(tracciato.campi)
    if tipo == ASSEGNAZIONI:
        riga = AssegnazioniAnnoPrecedente.objects.filter(piano=piano, ente=ente).values(*campi).first()
        return intestazioni, [[riga[c] for c in campi] if riga else [None] * len(campi)]
    modello: Any = DestinazioneSAT if tipo == SAT else ConsistenzaDichiarata
    con_comune = tipo == SAT or PER_COMUNE
    comune = ["comune__nome", "comune__codice_istat"] if con_comune else []
    righe = modello.objects.filter(piano=piano, ente=ente).values(*comune, *campi)
    if tipo == CONSISTENZA:  # «non comunicata» written out: an empty row would read as no row
        righe = [r | {c: NON_COMUNICATA_SCRITTA for c in ("sap", "sas") if r["sap"] is None} for r in righe]
    valori = sorted(
        ([r.get("comune__nome"), r.get("comune__codice_istat"), *(r[c] for c in campi)] for r in righe),
        key=lambda r: (r[0] is not None, r[0] or ""),
    )
    return intestazioni, valori or [[None] * len(intestazioni)]
