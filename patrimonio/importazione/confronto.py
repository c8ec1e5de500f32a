"""Comparison with the database: match every row to the ente's units, check IDs stay unique, and
split into new, changed, removed and unchanged; the turnover; the counts per plan section."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from django.utils.translation import ngettext

from patrimonio.models import TipoServizio
from piano_annuale.controlli.vincoli import VINCOLI
from piano_annuale.models import StatoUnita

from .contesto import Contesto, StatoEsistente, a_blocchi, id_regionali_altrui
from .dichiarazioni import numero_leggibile
from .errori import Errore
from .righe import (
    CARENZA,
    RISTRUTTURAZIONE,
    SAP,
    SAS,
    Analisi,
    Modifica,
    RigaTurnover,
    RigaUnita,
    ValoriStato,
)
from .tracciati import AMBITO_LAYOUT, LAYOUT_MODELLO, LAYOUT_TURNOVER


def _descrivi_riga(r: RigaUnita) -> str:
    return f"riga {r.riga}" if not r.foglio else f"riga {r.riga} del foglio «{r.foglio}»"


class Confronto:
    """Match every row to the ente's units, check uniqueness, and split into new, changed, removed."""

    def __init__(self, analisi: Analisi, contesto: Contesto) -> None:
        self.analisi = analisi
        self.c = contesto
        self.errori = analisi.errori

    def _errore(self, r: RigaUnita, colonna: str, valore: Any, messaggio: str) -> None:
        self.errori.append(Errore(r.riga, colonna, str(valore or ""), messaggio, r.foglio))

    def esegui(self) -> None:
        righe = self.analisi.nuove
        self.analisi.nuove = []
        abbinate = self._abbina(righe)
        self._id_di_altri_enti(righe)
        assenti = [pk for pk in self.c.unita if pk not in abbinate]
        self._assenti(assenti)
        self._unicita(righe)
        self._turnover()
        if self.errori:
            # Nothing is written while an error remains: the preview shows only the errors.
            self.analisi.nuove, self.analisi.modifiche = [], []
            self.analisi.tolte_dal_piano, self.analisi.cancellate = [], []
            self.analisi.turnover_nuovi, self.analisi.turnover_modificati = [], []
            self.analisi.turnover_tolti, self.analisi.da_confermare = [], []
            return
        self._differenze(righe)
        self._sezioni()

    # -- which existing unit each row is

    def _abbina(self, righe: list[RigaUnita]) -> dict[int, RigaUnita]:
        c = self.c
        abbinate: dict[int, RigaUnita] = {}
        visti_id: dict[str, RigaUnita] = {}
        visti_codice: dict[str, RigaUnita] = {}
        anonime: list[RigaUnita] = []
        for r in righe:
            if r.id_regionale:
                prima = visti_id.get(r.id_regionale)
                if prima is not None:
                    self._errore(
                        r,
                        "ID regionale",
                        r.id_regionale,
                        f"L'ID regionale {r.id_regionale} compare anche alla {_descrivi_riga(prima)}: "
                        "ogni unità va indicata una sola volta.",
                    )
                    continue
                visti_id[r.id_regionale] = r
            if r.codice_ente:
                prima = visti_codice.get(r.codice_ente)
                if prima is not None:
                    self._errore(
                        r,
                        "Codice dell'ente",
                        r.codice_ente,
                        f"Il codice {r.codice_ente} compare anche alla {_descrivi_riga(prima)}: "
                        "ogni unità va indicata una sola volta.",
                    )
                    continue
                visti_codice[r.codice_ente] = r
            pk = r.riferimento
            per_id = c.per_id.get(r.id_regionale) if r.id_regionale else None
            per_codice = c.per_codice.get(r.codice_ente) if r.codice_ente else None
            if pk is None:
                if per_id is not None and per_codice is not None and per_id != per_codice:
                    self._errore(
                        r,
                        "ID regionale",
                        r.id_regionale,
                        f"L'ID regionale {r.id_regionale} e il codice {r.codice_ente} sono di due unità "
                        "diverse dell'ente: correggere l'uno o l'altro.",
                    )
                    continue
                pk = per_id if per_id is not None else per_codice
            if pk is None:
                if not r.id_regionale and not r.codice_ente:
                    anonime.append(r)
                continue
            prima = abbinate.get(pk)
            if prima is not None:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale or r.codice_ente or r.riferimento,
                    f"Questa unità è già indicata alla {_descrivi_riga(prima)}: ogni unità va indicata "
                    "una sola volta.",
                )
                continue
            r.pk = pk
            abbinate[pk] = r
        self._abbina_anonime(anonime, abbinate)
        return abbinate

    def _abbina_anonime(self, anonime: list[RigaUnita], abbinate: dict[int, RigaUnita]) -> None:
        """Rows with neither ID nor codice nor internal id take the ente's units with neither, of the
        same comune (and, where possible, the same state), so re-uploading does not duplicate them."""
        if not anonime:
            return
        libere: dict[int, list[int]] = defaultdict(list)
        for pk, u in self.c.unita.items():
            if pk not in abbinate and not u.id_regionale and not u.codice_ente:
                libere[u.comune_id].append(pk)
        if not libere:
            return

        def stato_di(pk: int) -> str | None:
            stato = self.c.stati.get(pk)
            return stato.stato if stato else None

        # Closest first: same address and state, then same state, then any of the comune.
        passate: tuple[Callable[[RigaUnita, int], bool], ...] = (
            lambda r, pk: stato_di(pk) == r.stato and (r.indirizzo or "") == self.c.unita[pk].indirizzo,
            lambda r, pk: stato_di(pk) == r.stato,
            lambda r, pk: True,
        )
        for adatta in passate:
            for r in anonime:
                if r.pk is not None:
                    continue
                candidate = libere.get(r.comune_id) or []
                for pk in candidate:
                    if adatta(r, pk):
                        r.pk = pk
                        abbinate[pk] = r
                        candidate.remove(pk)
                        break

    # -- IDs of other enti

    def _id_di_altri_enti(self, righe: list[RigaUnita]) -> None:
        """An ID regionale the ente does not hold may not belong to any other unit (one query)."""
        ignoti = [r.id_regionale for r in righe if r.id_regionale and r.id_regionale not in self.c.per_id]
        if not ignoti:
            return
        altrui = id_regionali_altrui(ignoti, ente_id=self.c.ente.pk)
        if not altrui:
            return
        for r in righe:
            if r.id_regionale in altrui:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale,
                    f"L'ID regionale {r.id_regionale} è già attribuito a un'unità di un altro ente "
                    "proprietario: ogni ente può dichiarare solo le proprie unità. Verificare l'ID; "
                    "l'unità dell'altro ente non viene toccata.",
                )

    # -- units the file does not list

    def _assenti(self, assenti: list[int]) -> None:
        layout = set(self.analisi.layout) - {LAYOUT_TURNOVER}
        if not layout:
            return
        if LAYOUT_MODELLO in layout:
            # A full list: every unit it leaves out is removed from the plan, and from the registry
            # when no other plan counts it (as «Elimina» does in the workspace).
            altri_piani: set[int] = set()
            for blocco in a_blocchi(assenti):
                altri_piani.update(
                    StatoUnita.objects.filter(unita_id__in=blocco)
                    .exclude(piano=self.c.piano)
                    .values_list("unita_id", flat=True)
                )
            self.analisi.tolte_dal_piano = [pk for pk in assenti if pk in self.c.stati]
            self.analisi.cancellate = [pk for pk in assenti if pk not in altri_piani]
            return
        # The platform's lists speak only for the states they list.
        ambito: set[str] = set().union(*(AMBITO_LAYOUT[lay] for lay in layout))
        self.analisi.tolte_dal_piano = [
            pk for pk in assenti if pk in self.c.stati and self.c.stati[pk].stato in ambito
        ]

    # -- IDs and codici must stay unique within the ente after the change

    def _unicita(self, righe: list[RigaUnita]) -> None:
        cancellate = set(self.analisi.cancellate)
        nel_file = {r.pk for r in righe if r.pk is not None}
        # The values that units not in the file keep.
        restano_id = {
            u.id_regionale: pk
            for pk, u in self.c.unita.items()
            if pk not in nel_file and pk not in cancellate and u.id_regionale
        }
        restano_codice = {
            u.codice_ente: pk
            for pk, u in self.c.unita.items()
            if pk not in nel_file and pk not in cancellate and u.codice_ente
        }
        for r in righe:
            if r.id_regionale and restano_id.get(r.id_regionale, r.pk) != r.pk:
                self._errore(
                    r,
                    "ID regionale",
                    r.id_regionale,
                    VINCOLI["unita_id_regionale_unico"]
                    + " L'unità che lo ha già è dell'ente ma non è in questo file.",
                )
            if r.codice_ente and restano_codice.get(r.codice_ente, r.pk) != r.pk:
                self._errore(
                    r,
                    "Codice dell'ente",
                    r.codice_ente,
                    VINCOLI["unita_codice_ente_unico_per_ente"]
                    + " L'unità che lo ha già non è in questo file.",
                )

    # -- turnover

    def _turnover(self) -> None:
        righe = self.analisi.turnover_nuovi
        self.analisi.turnover_nuovi = []
        if not self.analisi.turnover_presente:
            return
        visti: dict[int, RigaTurnover] = {}
        for t in righe:
            prima = visti.get(t.comune_id)
            if prima is not None:
                nome = self.c.comuni[t.comune_id].nome
                self.errori.append(
                    Errore(
                        t.riga,
                        "Comune",
                        nome,
                        f"Il comune di {nome} compare anche alla riga {prima.riga}: indicare ogni comune "
                        "una sola volta, con il numero complessivo.",
                        t.foglio,
                    )
                )
                continue
            visti[t.comune_id] = t
        for comune_id, t in visti.items():
            esistente = self.c.turnover.get(comune_id)
            if t.numero == 0:
                continue
            if esistente is None:
                self.analisi.turnover_nuovi.append(t)
            elif esistente[1] != t.numero:
                self.analisi.turnover_modificati.append((esistente[0], t, esistente[1]))
        self.analisi.turnover_tolti = [
            (pk, comune_id, numero)
            for comune_id, (pk, numero) in self.c.turnover.items()
            if comune_id not in visti or visti[comune_id].numero == 0
        ]

    # -- what changes

    def _differenze(self, righe: list[RigaUnita]) -> None:
        unita, stati = self.c.unita, self.c.stati
        nuove, modifiche = self.analisi.nuove, self.analisi.modifiche
        invariate = 0
        comune_ente = self.c.ente.comune_id
        fuori_comune = 0
        for r in righe:
            if comune_ente and r.comune_id != comune_ente:
                fuori_comune += 1
            prima = stati.get(r.pk) if r.pk is not None else None
            dopo = _stato_dopo(r, prima)
            if r.pk is None:
                nuove.append(r)
                continue
            u = unita[r.pk]
            campi: dict[str, Any] = {}
            if r.id_regionale != u.id_regionale:
                campi["id_regionale"] = r.id_regionale
            if r.codice_ente is not None and r.codice_ente != u.codice_ente:
                campi["codice_ente"] = r.codice_ente
            if r.comune_id != u.comune_id:
                campi["comune_id"] = r.comune_id
            if r.tipo is not None and r.tipo != u.tipo:
                campi["tipo"] = r.tipo
            if r.indirizzo is not None and r.indirizzo != u.indirizzo:
                campi["indirizzo"] = r.indirizzo
            cambia_stato = (prima.valori() if prima else None) != dopo
            if prima is not None and prima.da_confermare and not cambia_stato:
                # A state carried over from last year, listed as it is: the file confirms it.
                self.analisi.da_confermare.append(prima.pk)
            if campi or cambia_stato:
                modifiche.append(Modifica(r.pk, r, campi, prima, dopo))
            else:
                invariate += 1
        self.analisi.invariate = invariate
        if fuori_comune:
            self.analisi.avvisi.append(
                ngettext(
                    "%(n)s unità si trova in un comune diverso da quello dell'ente: verificare che il "
                    "comune indicato sia quello in cui si trova l'alloggio.",
                    "%(n)s unità si trovano in un comune diverso da quello dell'ente: verificare che il "
                    "comune indicato sia quello in cui si trova l'alloggio.",
                    fuori_comune,
                )
                % {"n": numero_leggibile(fuori_comune)}
            )
        sas = sum(1 for r in righe if r.stato and (r.tipo or _tipo_attuale(self.c, r)) == SAS)
        if sas:
            self.analisi.avvisi.append(
                ngettext(
                    "%(n)s unità SAS ha uno stato nell'anno: le sezioni b–g del piano contano solo le "
                    "unità SAP.",
                    "%(n)s unità SAS hanno uno stato nell'anno: le sezioni b–g del piano contano solo le "
                    "unità SAP.",
                    sas,
                )
                % {"n": numero_leggibile(sas)}
            )

    def _sezioni(self) -> None:
        """Units per state (SAP: what sections b–f count) before and after, and the turnover count."""
        prima: Counter[str] = Counter()
        dopo: Counter[str] = Counter()
        unita, stati = self.c.unita, self.c.stati
        for pk, s in stati.items():
            if unita[pk].tipo == SAP:
                prima[s.stato] += 1
        tolte = set(self.analisi.tolte_dal_piano) | set(self.analisi.cancellate)
        cambiate = {m.pk: m for m in self.analisi.modifiche}
        for pk, s in stati.items():
            if pk in tolte:
                continue
            m = cambiate.get(pk)
            tipo = (m.campi.get("tipo") if m else None) or unita[pk].tipo
            stato = (m.stato_dopo[0] if m.stato_dopo else None) if m else s.stato
            if stato and tipo == SAP:
                dopo[stato] += 1
        for m in self.analisi.modifiche:
            if m.pk not in stati and m.stato_dopo and (m.campi.get("tipo") or unita[m.pk].tipo) == SAP:
                dopo[m.stato_dopo[0]] += 1
        for r in self.analisi.nuove:
            if r.stato and (r.tipo or SAP) == SAP:
                dopo[r.stato] += 1
        prima["turnover"] = sum(n for _, n in self.c.turnover.values())
        if self.analisi.turnover_presente:
            dopo["turnover"] = sum(t.numero for t in self._turnover_finale())
        else:
            dopo["turnover"] = prima["turnover"]
        self.analisi.sezioni_prima, self.analisi.sezioni_dopo = prima, dopo

    def _turnover_finale(self) -> list[RigaTurnover]:
        tolti = {pk for pk, _, _ in self.analisi.turnover_tolti}
        modificati = {pk: t for pk, t, _ in self.analisi.turnover_modificati}
        finale = list(self.analisi.turnover_nuovi)
        for comune_id, (pk, numero) in self.c.turnover.items():
            if pk in tolti:
                continue
            finale.append(modificati.get(pk) or RigaTurnover("", 0, comune_id, numero))
        return finale


def _tipo_attuale(contesto: Contesto, r: RigaUnita) -> str:
    return contesto.unita[r.pk].tipo if r.pk is not None else TipoServizio.SAP


def _stato_dopo(r: RigaUnita, prima: StatoEsistente | None) -> ValoriStato | None:
    """The unit's state in the plan after the upload; columns the file lacks keep their value. The
    cost of works belongs to a unit in carenza manutentiva: a unit that leaves it loses it."""
    if r.stato is None:
        return None
    if r.programma is not None:
        programma = r.programma
    else:
        programma = prima.programma if prima and r.stato == RISTRUTTURAZIONE else ""
    if r.stato_origine is not None:
        origine = r.stato_origine
    else:
        origine = prima.stato_origine if prima and prima.stato == r.stato else ""
    note = r.note if r.note is not None else (prima.note if prima else "")
    if r.stato != CARENZA:
        return (r.stato, programma, origine, note, None, "")
    resta = prima is not None and prima.stato == CARENZA
    costo = r.costo_lavori if r.costo_nel_file else (prima.costo_lavori if prima and resta else None)
    lavori_prima = prima.note_lavori if prima and resta else ""
    lavori = r.note_lavori if r.note_lavori is not None else lavori_prima
    return (r.stato, programma, origine, note, costo, lavori)
