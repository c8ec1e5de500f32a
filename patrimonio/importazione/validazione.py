"""Validation of every row: each sheet's header is recognised, then each row becomes a valid
``RigaUnita`` / ``RigaTurnover`` or one ``Errore`` per problem (sheet, row, column, value, message).
All rows are checked; nothing is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..resources import (
    ASSEGNABILE_IN_LOTTO,
    COLONNE_UNITA,
    NOME_FOGLIO_ISTRUZIONI,
    STATI_MODELLO,
    interpreta_servizio,
    interpreta_stato,
    normalizza,
)
from .celle import importo, intero, testo
from .comuni import TrovaComuni
from .contesto import Contesto
from .dichiarazioni import LettoreDichiarazioni, tracciato_dalle_righe, tracciato_del_foglio
from .errori import Errore, FileNonValido
from .lettura import Foglio
from .limiti import Avanzamento
from .righe import CARENZA, RISTRUTTURAZIONE, Analisi, RigaTurnover, RigaUnita
from .scelte import LettoreScelte, e_foglio_scelte
from .tracciati import (
    LAYOUT_MODELLO,
    LAYOUT_TURNOVER,
    RIGHE_CERCA_INTESTAZIONE,
    Intestazione,
    trova_intestazione,
)

_ID_REGIONALE = re.compile(r"^[0-9A-Za-z./-]+$")
LUNGHEZZE = {
    "id_regionale": 20,
    "codice_ente": 40,
    "indirizzo": 200,
    "programma": 120,
    "note": 300,
    "note_lavori": 300,
}
# The unit form's message (``patrimonio.forms.StatoUnitaForm``): the same rule, the same words.
SOLO_CARENZA = "Il costo e gli interventi si indicano solo per le unità in carenza manutentiva."
_TOTALE = re.compile(r"\btotale\b", re.IGNORECASE)


@dataclass(slots=True)
class _Riga:
    """One data row being read: where it is and its cells by column key."""

    foglio: str
    numero: int
    valori: list[Any]
    col: dict[str, int]
    nomi: dict[str, str]  # column key → header as written, with its letter

    def cella(self, chiave: str) -> Any:
        i = self.col.get(chiave)
        return self.valori[i] if i is not None and i < len(self.valori) else ""

    def errore(self, chiave: str, valore: str, messaggio: str) -> Errore:
        return Errore(self.numero, self.nomi[chiave], valore, messaggio, self.foglio)


class Lettore:
    """Turns every sheet's rows into valid ``RigaUnita`` / ``RigaTurnover`` or ``Errore``."""

    def __init__(self, analisi: Analisi, contesto: Contesto, avanzamento: Avanzamento) -> None:
        self.analisi = analisi
        self.contesto = contesto
        self.avanzamento = avanzamento
        self.errori = analisi.errori
        self.unita: list[RigaUnita] = []
        self.turnover: list[RigaTurnover] = []
        # Comuni by name or ISTAT code; those the ambito does not know are looked up elsewhere once.
        self.comuni = TrovaComuni(contesto, analisi.errori)
        self.dichiarazioni = LettoreDichiarazioni(analisi, contesto, self.comuni)
        # Memos of what the rows repeat thousands of times (only successes are remembered).
        self.righe_lette = 0  # data rows, valid or not
        self._enti_noti: dict[str, bool] = {}

    def _dell_ente(self, scritto: str) -> bool:
        noto = self._enti_noti.get(scritto)
        if noto is None:
            noto = self._enti_noti[scritto] = normalizza(scritto) in self.contesto.chiavi_ente
        return noto

    # -- sheets

    def leggi(self, fogli: list[Foglio]) -> None:
        trovati = False
        prime_righe: list[tuple[str, list[str]]] = []
        for foglio in fogli:
            if normalizza(foglio.nome) == normalizza(NOME_FOGLIO_ISTRUZIONI):
                continue  # the template's own explanations
            if foglio.nome and e_foglio_scelte(foglio.nome):
                LettoreScelte(self.analisi, self.contesto.regole).leggi(
                    foglio.nome, foglio.righe, foglio.prima_colonna
                )
                trovati = True
                continue
            tracciato = tracciato_del_foglio(foglio.nome) or tracciato_dalle_righe(foglio.righe)
            if tracciato is not None:  # consistenza, SAT, assignments
                self.righe_lette += self.dichiarazioni.leggi(
                    tracciato, foglio.nome, foglio.righe, foglio.prima_colonna
                )
                trovati = True
                continue
            trovati |= self._foglio(foglio, prime_righe)
        if not trovati:
            descrizione = "; ".join(
                (f"foglio «{n}»: " if n else "prima riga: ") + ", ".join(f"«{x}»" for x in v[:8])
                for n, v in prime_righe[:3]
            )
            attese = ", ".join(f"«{c.intestazione}»" for c in COLONNE_UNITA if c.obbligatoria)
            raise FileNonValido(
                "Le intestazioni delle colonne non sono state riconosciute"
                + (f" ({descrizione})" if descrizione else " (il file non contiene dati)")
                + f". Servono almeno le colonne {attese}: scaricare il modello da questa pagina e "
                "copiarvi i dati, senza cambiare la prima riga."
            )
        self.analisi.righe = self.righe_lette
        senza_righe = not (
            self.unita or self.analisi.scelte_presenti or self.turnover or self.analisi.turnover_presente
        )
        if senza_righe and not self.analisi.dichiarati and not any(e.riga is not None for e in self.errori):
            raise FileNonValido(
                "Il file non contiene unità abitative: sotto le intestazioni non ci sono righe. Se "
                "l'ente non ha nulla da dichiarare, usare «Nulla da dichiarare» nella pagina dell'ente."
            )
        self.comuni.fuori_ambito()
        self.analisi.nuove = self.unita  # matched and split by Confronto
        self.analisi.turnover_nuovi = self.turnover

    def _foglio(self, foglio: Foglio, prime_righe: list[tuple[str, list[str]]]) -> bool:
        intestazione: Intestazione | None = None
        trovata = False
        for indice, valori in enumerate(foglio.righe):
            numero = indice + 1
            if intestazione is None:
                if indice >= RIGHE_CERCA_INTESTAZIONE:
                    break
                intestazione = trova_intestazione(
                    numero, valori, foglio.prima_colonna, foglio.nome, self.errori
                )
                if intestazione is None:
                    if (
                        any(testo(v) for v in valori)
                        and len(prime_righe) < 3
                        and not prime_righe_di(prime_righe, foglio.nome)
                    ):
                        prime_righe.append((foglio.nome, [testo(v) for v in valori if testo(v)]))
                    continue
                trovata = True
                self._nota_intestazione(intestazione, foglio.nome)
                continue
            if intestazione.layout == LAYOUT_TURNOVER:
                self._riga_turnover(foglio.nome, numero, valori, intestazione)
            else:
                nuova = self._riga_unita(foglio.nome, numero, valori, intestazione, foglio.prima_colonna)
                if nuova is not None:  # the header of a second table in the same sheet
                    intestazione = nuova
                    self._nota_intestazione(nuova, foglio.nome)
            if numero % 5000 == 0:
                self.avanzamento(min(59, 10 + numero * 50 // max(1, foglio.altezza)))
        return trovata

    def _nota_intestazione(self, intestazione: Intestazione, foglio: str) -> None:
        if not self.contesto.regole.con_costo_lavori:
            # Rules without the cost of works (before L.R. 18/2025): its columns say nothing.
            for chiave in ("costo_lavori", "note_lavori"):
                if chiave in intestazione.colonne:
                    del intestazione.colonne[chiave]
                    self.analisi.avvisi.append(
                        f"Foglio «{foglio}»: la colonna «{intestazione.nomi.pop(chiave)}» non è prevista "
                        f"dalle regole del piano {self.contesto.piano.anno} ed è stata ignorata."
                    )
        if intestazione.layout not in self.analisi.layout:
            self.analisi.layout.append(intestazione.layout)
        for colonna in intestazione.ignorate:
            self.analisi.avvisi.append(
                f"Foglio «{foglio}»: la colonna «{colonna}» non è riconosciuta ed è stata ignorata."
            )

    # -- one unit row

    def _riga_unita(
        self, foglio: str, numero: int, valori: list[Any], intestazione: Intestazione, prima_colonna: int
    ) -> Intestazione | None:
        """Check one row of a unit sheet; keep it as a ``RigaUnita`` when it has no error. Return the
        header of a second table when the row is one."""
        r = _Riga(foglio, numero, valori, intestazione.colonne, intestazione.nomi)
        col = r.col
        id_regionale = testo(r.cella("id_regionale"))
        codice = testo(r.cella("codice_ente")) if "codice_ente" in col else None
        if not id_regionale and not codice:
            # Not a unit: an empty row, a subtotal («LOTTO 2.2 Totale»), or a second table's header.
            scritti = [testo(v) for v in valori]
            if not any(scritti) or any(_TOTALE.search(s) for s in scritti if s):
                return None
            nuova = trova_intestazione(numero, valori, prima_colonna, foglio, self.errori)
            if nuova is not None:
                return nuova
        self.righe_lette += 1
        errori_prima = len(self.errori)
        self._ente(r)
        riferimento = self._riferimento(r)
        self._identificativi(r, id_regionale, codice)
        comune_id = self._comune(foglio, numero, r.cella, col, r.nomi)
        tipo = self._tipo(r)
        indirizzo = self._testo_libero(foglio, numero, r.cella, col, r.nomi, "indirizzo", "L'indirizzo")
        programma = self._testo_libero(
            foglio, numero, r.cella, col, r.nomi, "programma", "Il programma o lotto"
        )
        note = self._testo_libero(foglio, numero, r.cella, col, r.nomi, "note", "Le note")
        stato_testo = testo(r.cella("stato"))
        stato, origine = self._stato(r, stato_testo, programma, intestazione.layout)
        gia_cosi = self._stato_invariato(riferimento, id_regionale, codice, stato, programma)
        self._coerenza(r, stato, stato_testo, programma, note, gia_cosi)
        costo, note_lavori = self._lavori(r, stato)
        if stato is not None and "programma" not in col and stato != RISTRUTTURAZIONE:
            programma = ""  # a list without lotti: its free and carenza units are in no programme
        if len(self.errori) == errori_prima and comune_id is not None:
            self.unita.append(
                RigaUnita(
                    foglio=foglio,
                    riga=numero,
                    layout=intestazione.layout,
                    id_regionale=id_regionale or None,
                    codice_ente=codice,
                    comune_id=comune_id,
                    tipo=tipo,
                    indirizzo=indirizzo,
                    stato=stato,
                    programma=programma,
                    stato_origine=origine,
                    note=note,
                    riferimento=riferimento,
                    costo_lavori=costo,
                    costo_nel_file="costo_lavori" in col,
                    note_lavori=note_lavori,
                )
            )
        return None

    def _lavori(self, r: _Riga, stato: str | None) -> tuple[Decimal | None, str | None]:
        """Section b)'s cost of works and the works, only for a unit in carenza manutentiva."""
        costo: Decimal | None = None
        grezzo = r.cella("costo_lavori") if "costo_lavori" in r.col else None
        if grezzo is not None and testo(grezzo):
            try:
                costo = importo(grezzo)
            except ValueError as errore:
                self.errori.append(r.errore("costo_lavori", testo(grezzo), str(errore)))
                return None, None
        note_lavori = self._testo_libero(
            r.foglio, r.numero, r.cella, r.col, r.nomi, "note_lavori", "La descrizione dei lavori"
        )
        if stato != CARENZA:
            for chiave, valore in (("costo_lavori", costo), ("note_lavori", note_lavori)):
                if valore not in (None, ""):
                    self.errori.append(r.errore(chiave, testo(r.cella(chiave)), SOLO_CARENZA))
        return costo, note_lavori

    def _ente(self, r: _Riga) -> None:
        """A row may only be of the ente the upload is for."""
        if "ente" not in r.col:
            return
        ente_testo = testo(r.cella("ente"))
        if ente_testo and not self._dell_ente(ente_testo):
            self.errori.append(
                r.errore(
                    "ente",
                    ente_testo,
                    f"La riga è di «{ente_testo}»: da qui si possono caricare solo le unità di "
                    f"«{self.contesto.ente.denominazione}». Le unità di altri enti non vengono toccate.",
                )
            )

    def _riferimento(self, r: _Riga) -> int | None:
        """The internal id the template writes: it must be one of the ente's units."""
        if "pk" not in r.col:
            return None
        grezzo = r.cella("pk")
        if not testo(grezzo):
            return None
        numero_rif, problema = intero(grezzo)
        if problema or numero_rif is None or numero_rif <= 0:
            self.errori.append(
                r.errore(
                    "pk",
                    testo(grezzo),
                    "L'ID interno deve essere il numero scritto dal modello: non modificarlo, "
                    "e lasciarlo vuoto per le unità nuove.",
                )
            )
            return None
        if numero_rif not in self.contesto.unita:
            self.errori.append(
                r.errore(
                    "pk",
                    str(numero_rif),
                    f"L'ID interno {numero_rif} non è di un'unità di «{self.contesto.ente.denominazione}»: "
                    "non si possono modificare le unità di altri enti. Lasciare vuoto l'ID "
                    "interno per le unità nuove.",
                )
            )
            return None
        return numero_rif

    def _identificativi(self, r: _Riga, id_regionale: str, codice: str | None) -> None:
        """The ID regionale's length and characters, the codice's length."""
        if id_regionale:
            if len(id_regionale) > LUNGHEZZE["id_regionale"]:
                self.errori.append(
                    r.errore("id_regionale", id_regionale, "L'ID regionale è lungo al massimo 20 caratteri.")
                )
            elif not _ID_REGIONALE.match(id_regionale):
                self.errori.append(
                    r.errore(
                        "id_regionale",
                        id_regionale,
                        "L'ID regionale può contenere solo lettere, cifre, punto, barra e trattino "
                        "(senza spazi). Lasciarlo vuoto se non è stato comunicato.",
                    )
                )
        if codice and len(codice) > LUNGHEZZE["codice_ente"]:
            self.errori.append(
                r.errore("codice_ente", codice, "Il codice dell'ente è lungo al massimo 40 caratteri.")
            )

    def _tipo(self, r: _Riga) -> str | None:
        if "tipo" not in r.col:
            return None
        tipo_testo = testo(r.cella("tipo"))
        if not tipo_testo:
            return None
        tipo = interpreta_servizio(tipo_testo)
        if tipo is None:
            self.errori.append(
                r.errore(
                    "tipo",
                    tipo_testo,
                    "Servizio non valido: indicare SAP (servizi abitativi pubblici) o SAS "
                    "(servizi abitativi sociali).",
                )
            )
        return tipo

    def _stato(
        self, r: _Riga, stato_testo: str, programma: str | None, layout: str
    ) -> tuple[str | None, str | None]:
        """The state in the plan and, when written as the platform writes it, its original text."""
        if not stato_testo:
            if layout != LAYOUT_MODELLO:
                self.errori.append(
                    r.errore(
                        "stato",
                        "",
                        "Manca lo stato dell'unità: gli elenchi della piattaforma riportano solo unità "
                        "assegnabili.",
                    )
                )
            return None, None
        stato, dalla_piattaforma = interpreta_stato(stato_testo)
        if stato is None:
            ammessi = ", ".join(STATI_MODELLO.values())
            self.errori.append(
                r.errore(
                    "stato",
                    stato_testo,
                    f"Stato non riconosciuto. Valori ammessi: {ammessi}; oppure i testi della "
                    "piattaforma regionale («LIBERO», «SFITTO PER CARENZE MANUTENTIVE (Assegnabile "
                    "in AM)», «1001 - ASSEGNABILE» con il lotto, «1006 - …» o «1007 - IN "
                    "MANUTENZIONE M.S.»). Lasciare vuoto se l'unità non è assegnabile nell'anno.",
                )
            )
            return None, None
        origine = stato_testo[:120] if dalla_piattaforma else None
        if stato != ASSEGNABILE_IN_LOTTO:
            return stato, origine
        if programma:
            return RISTRUTTURAZIONE, origine
        self.errori.append(
            r.errore(
                "stato",
                stato_testo,
                "«1001 - ASSEGNABILE» indica un'unità di un lotto di ristrutturazione: "
                "indicare il lotto nella colonna «Programma / lotto» (o «LOTTO»), "
                "oppure lo stato dell'unità.",
            )
        )
        return None, origine

    def _stato_invariato(
        self, pk: int | None, id_regionale: str, codice: str | None, stato: str | None, programma: str | None
    ) -> bool:
        """Whether the row repeats the state and programme its unit already has in the plan."""
        c = self.contesto
        pk = pk or (c.per_id.get(id_regionale) if id_regionale else None)
        pk = pk or (c.per_codice.get(codice) if codice else None)
        esistente = c.stati.get(pk) if pk is not None else None
        return esistente is not None and (esistente.stato, esistente.programma) == (stato, programma)

    def _coerenza(
        self,
        r: _Riga,
        stato: str | None,
        stato_testo: str,
        programma: str | None,
        note: str | None,
        gia_cosi: bool,
    ) -> None:
        """A programme only for units in renovation; notes only with a state. A unit that already has
        a programme with another state (data entered before the rule) is only reported: a file
        downloaded and uploaded unchanged changes nothing, and the plan's checks keep showing it."""
        if programma and stato is not None and stato != RISTRUTTURAZIONE and gia_cosi:
            self.analisi.avvisi.append(
                (f"Foglio «{r.foglio}», riga {r.numero}" if r.foglio else f"Riga {r.numero}")
                + f": il programma «{programma}» è indicato per un'unità "
                "che non è in ristrutturazione. È già così nei dati dell'ente e resta segnalato dai "
                "controlli del piano: un'unità è contata in una sola sezione."
            )
        elif programma and stato is not None and stato != RISTRUTTURAZIONE:
            self.errori.append(
                r.errore(
                    "programma",
                    programma,
                    "Il programma o lotto si indica solo per le unità in ristrutturazione: "
                    "un'unità è contata in una sola sezione del piano.",
                )
            )
        if note and not stato_testo:
            self.errori.append(
                r.errore(
                    "note",
                    note,
                    "Le note si riferiscono allo stato nell'anno: indicare prima lo stato.",
                )
            )

    def _testo_libero(
        self,
        foglio: str,
        numero: int,
        cella: Callable[[str], Any],
        col: dict[str, int],
        nomi: dict[str, str],
        chiave: str,
        cosa: str,
    ) -> str | None:
        if chiave not in col:
            return None
        valore = testo(cella(chiave))
        if len(valore) > LUNGHEZZE[chiave]:
            self.errori.append(
                Errore(
                    numero,
                    nomi[chiave],
                    valore[:60] + "…",
                    f"{cosa} è lungo al massimo {LUNGHEZZE[chiave]} caratteri.",
                    foglio,
                )
            )
        return valore

    def _comune(
        self,
        foglio: str,
        numero: int,
        cella: Callable[[str], Any],
        col: dict[str, int],
        nomi: dict[str, str],
    ) -> int | None:
        """The comune of a row, by name and/or ISTAT code, which must agree and be of the ambito."""
        nome = testo(cella("comune")) if "comune" in col else ""
        codice = testo(cella("codice_istat")) if "codice_istat" in col else ""
        return self.comuni.trova(foglio, numero, nome, codice, nomi)

    # -- one turnover row

    def _riga_turnover(self, foglio: str, numero: int, valori: list[Any], intestazione: Intestazione) -> None:
        col, nomi, n = intestazione.colonne, intestazione.nomi, len(valori)

        def cella(chiave: str) -> Any:
            i = col.get(chiave)
            return valori[i] if i is not None and i < n else ""

        scritti = [testo(v) for v in valori]
        if not any(scritti) or (any(_TOTALE.search(s) for s in scritti if s)):
            return
        self.righe_lette += 1
        errori_prima = len(self.errori)
        comune_id = self._comune(foglio, numero, cella, col, nomi)
        grezzo = cella("numero")
        quanti: int | None = None
        if not testo(grezzo):
            self.errori.append(
                Errore(numero, nomi["numero"], "", "Indicare il numero di alloggi (0 se nessuno).", foglio)
            )
        else:
            quanti, problema = intero(grezzo)
            if problema == "decimale":
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il numero di alloggi deve essere un numero intero.",
                        foglio,
                    )
                )
            elif problema:
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il valore non è un numero: indicare un numero intero di alloggi (0 se nessuno).",
                        foglio,
                    )
                )
            elif quanti is not None and quanti < 0:
                self.errori.append(
                    Errore(
                        numero,
                        nomi["numero"],
                        testo(grezzo),
                        "Il numero di alloggi non può essere negativo.",
                        foglio,
                    )
                )
        self.analisi.turnover_presente = True
        if len(self.errori) == errori_prima and comune_id is not None and quanti is not None:
            self.turnover.append(RigaTurnover(foglio, numero, comune_id, quanti))


def prime_righe_di(prime_righe: list[tuple[str, list[str]]], foglio: str) -> bool:
    return any(nome == foglio for nome, _ in prime_righe)
