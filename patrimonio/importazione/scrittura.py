"""Writing a valid analysis in one transaction: only the rows that change, each kind of change with
a fixed number of statements whatever the number of rows, and its history rows in bulk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from ambito.italiano import con_preposizione
from patrimonio.models import TipoServizio, UnitaAbitativa
from piano_annuale.models import Caricamento, StatoCaricamento, StatoUnita, TurnoverPrevisto
from piano_annuale.revisione import aggiorna_revisioni_ambito
from piano_annuale.services.ente import apri_modifica, registra_modifica, salva_scelte
from piano_annuale.services.errori import ModificaNonConsentita

from .dichiarazioni import numero_leggibile
from .errori import DatiCambiati
from .righe import CARENZA, Analisi
from .scrittura_dichiarazioni import DESCRIZIONE_ESITO, scrivi_dichiarati
from .sql import colonne, elimina, inserisci, righe_complete, tra
from .storico import (
    Inserita,
    Scritte,
    inserisci_voci,
    origine_di,
    voci_storico,
)
from .tracciati import LAYOUT_TURNOVER

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Esito:
    """What a confirmed upload did, counted."""

    aggiunte: int
    modificate: int
    rimosse: int
    invariate: int
    turnover: int
    scelte: bool = False
    confermati: int = 0  # states carried over from last year, confirmed as they are
    dichiarati: tuple[tuple[str, int], ...] = ()  # (kind of declaration sheet, rows changed)
    con_unita: bool = True  # the file had a unit list (a file of turnover alone has none)

    def descrizione(self) -> str:
        n = numero_leggibile
        parti = []
        if self.con_unita:
            parti = [
                ngettext("%(n)s unità aggiunta", "%(n)s unità aggiunte", self.aggiunte)
                % {"n": n(self.aggiunte)},
                ngettext("%(n)s modificata", "%(n)s modificate", self.modificate) % {"n": n(self.modificate)},
                ngettext("%(n)s tolta", "%(n)s tolte", self.rimosse) % {"n": n(self.rimosse)},
                ngettext("%(n)s invariata", "%(n)s invariate", self.invariate) % {"n": n(self.invariate)},
            ]
        if self.confermati:
            parti.append(
                ngettext(
                    "%(n)s stato ripreso dal piano precedente confermato",
                    "%(n)s stati ripresi dal piano precedente confermati",
                    self.confermati,
                )
                % {"n": n(self.confermati)}
            )
        if self.turnover:
            parti.append(
                ngettext(
                    "%(n)s comune del turn-over aggiornato",
                    "%(n)s comuni del turn-over aggiornati",
                    self.turnover,
                )
                % {"n": n(self.turnover)}
            )
        if self.scelte:
            parti.append("scelte dell'ente aggiornate")
        parti.extend(DESCRIZIONE_ESITO[tipo] for tipo, quante in self.dichiarati if quante)
        return "Caricamento registrato: " + (", ".join(parti) or "nessuna modifica") + "."


class ImportazioneNonValida(ValueError):
    """``registra`` was given an analysis that still has errors."""


def registra(
    *,
    analisi: Analisi,
    utente: User | None,
    caricamento: Caricamento | None = None,
) -> Esito:
    """Write what ``analisi`` found, in one transaction; only rows that change are written, and the
    history of each of them.

    Raises ``ImportazioneNonValida`` if errors remain, ``ModificaNonConsentita`` if the ente's data
    are locked (answer sent, plan past the ricognizione), ``DatiCambiati`` if they changed since the
    analysis, and lets ``IntegrityError`` through (another ente took an ID meanwhile): nothing is
    written in any of these cases.
    """
    if analisi.errori:
        raise ImportazioneNonValida("Il file contiene errori: nessun dato è stato registrato.")
    piano, ente = analisi.piano, analisi.ente
    with transaction.atomic():
        # First the gate (``blocca_per_scrittura``): the plan's row locked as «Invia ad ALER» locks
        # it, its state re-checked under the lock, so the upload commits before a freeze or not at all.
        risposta = apri_modifica(piano=piano, ente=ente)
        quando = risposta.aggiornata_il.isoformat() if risposta.aggiornata_il else ""
        if quando != analisi.timbro:
            raise DatiCambiati(
                f"I dati {con_preposizione(ente, 'di')} sono stati modificati dopo l'anteprima: ricaricare il "
                "file per vedere le modifiche aggiornate."
            )
        scritte = _scrivi(analisi)
        if analisi.scelte_dopo is not None:
            # The workspace's own service: the same write and history as the form's.
            salva_scelte(piano=piano, ente=ente, utente=utente, valori=analisi.scelte_dopo)
        scrivi_dichiarati(analisi, utente=utente, origine=origine_di(analisi, caricamento))
        registra_modifica(risposta=risposta, utente=utente)
        # The history of every row the import wrote, in the same transaction, with one insert.
        inserisci_voci(
            voci_storico(analisi, scritte),
            analisi=analisi,
            utente=utente,
            origine=origine_di(analisi, caricamento),
        )
        # The registry is the ambito's: every open plan of it is computed again (one UPDATE).
        aggiorna_revisioni_ambito(piano.ambito_id)
        esito = Esito(
            aggiunte=len(analisi.nuove),
            modificate=len(analisi.modifiche),
            rimosse=len(analisi.rimosse),
            invariate=analisi.invariate,
            turnover=len(analisi.turnover_nuovi)
            + len(analisi.turnover_modificati)
            + len(analisi.turnover_tolti),
            scelte=analisi.scelte_dopo is not None,
            confermati=len(analisi.da_confermare),
            dichiarati=tuple((f.tipo, len(f.cambi)) for f in analisi.dichiarati),
            con_unita=any(layout != LAYOUT_TURNOVER for layout in analisi.layout),
        )
        if caricamento is not None:
            _chiudi(caricamento, analisi, esito)
    return esito


def _chiudi(caricamento: Caricamento, analisi: Analisi, esito: Esito) -> None:
    """The upload is confirmed; older previews of the same ente describe data that no longer exist."""
    aggiorna_conteggi(caricamento, analisi)
    caricamento.stato = StatoCaricamento.CONFERMATO
    caricamento.progresso = 100
    caricamento.esito = esito.descrizione()
    caricamento.completato_il = timezone.now()
    caricamento.save()
    Caricamento.objects.filter(
        piano=analisi.piano, ente=analisi.ente, stato=StatoCaricamento.ANTEPRIMA
    ).exclude(pk=caricamento.pk).update(
        stato=StatoCaricamento.ANNULLATO,
        esito="Superato da un caricamento confermato in seguito: nulla è stato registrato.",
        completato_il=timezone.now(),
    )


def aggiorna_conteggi(caricamento: Caricamento, analisi: Analisi) -> None:
    caricamento.righe = analisi.righe
    caricamento.aggiunte = len(analisi.nuove)
    caricamento.modificate = len(analisi.modifiche)
    caricamento.rimosse = len(analisi.rimosse)
    caricamento.invariate = analisi.invariate


def _scrivi(analisi: Analisi) -> Scritte:
    """Write the analysis; return the rows it inserted (with their pks).

    Each step is a fixed number of statements whatever the number of rows: ids and rows go as one
    JSON parameter (``sql``); only ``bulk_update`` of rows that each take different values goes in
    batches of 500."""
    _togli(analisi)
    _aggiorna_unita(analisi)
    scritte = Scritte(unita=_crea_unita(analisi))
    scritte.stati = _scrivi_stati(analisi, scritte.unita)
    scritte.turnover = _scrivi_turnover(analisi)
    return scritte


def _togli(analisi: Analisi) -> None:
    """States the plan loses, then units that leave the registry (their IDs become free)."""
    if analisi.tolte_dal_piano:
        StatoUnita.objects.filter(piano=analisi.piano, unita_id__in=tra(analisi.tolte_dal_piano)).delete()
    if analisi.cancellate:
        # One plain DELETE (``QuerySet.delete()`` would read them back and delete them 100 at a
        # time): their states in this plan went just above, and the analysis found none in other
        # plans; should one have appeared since, the database refuses and nothing is written.
        # Only this ente's units, whatever the analysis says.
        elimina(UnitaAbitativa, analisi.cancellate, ente_id=analisi.ente.pk)


def _aggiorna_unita(analisi: Analisi) -> None:
    """Changed units. IDs and codici that move between units are cleared first, so a swap never
    meets the unique constraints half-way."""
    liberare_id = [m.pk for m in analisi.modifiche if "id_regionale" in m.campi]
    liberare_codice = [m.pk for m in analisi.modifiche if "codice_ente" in m.campi]
    unita_dell_ente = UnitaAbitativa.objects.filter(ente=analisi.ente)  # m.pk is always one of the ente's
    if liberare_id:
        unita_dell_ente.filter(pk__in=tra(liberare_id)).update(id_regionale=None)
    if liberare_codice:
        unita_dell_ente.filter(pk__in=tra(liberare_codice)).update(codice_ente="")
    aggiorna_righe(
        unita_dell_ente,
        UnitaAbitativa,
        [(m.pk, m.campi) for m in analisi.modifiche if m.campi],  # keyed by column: comune_id
    )


def _inserite(modello: type[Model], righe: list[dict[str, Any]]) -> list[Inserita]:
    """Insert rows with one statement (``sql.inserisci``): each with the pk it was given and all
    its values (those not given take the field's default), in the order of ``sql.colonne``."""
    valori = righe_complete(modello, righe)
    pks = inserisci(modello, colonne(modello), valori, ritorna=("id",))
    return [(pk, v) for (pk,), v in zip(pks, valori, strict=True)]


def _crea_unita(analisi: Analisi) -> list[Inserita]:
    ente_id, sap = analisi.ente.pk, str(TipoServizio.SAP.value)
    righe = [
        {
            "ente_id": ente_id,
            "comune_id": r.comune_id,
            "id_regionale": r.id_regionale,
            "codice_ente": r.codice_ente or "",
            "tipo": r.tipo or sap,
            "indirizzo": r.indirizzo or "",
        }
        for r in analisi.nuove
    ]
    return _inserite(UnitaAbitativa, righe)


def _stato(
    piano_id: int,
    unita_id: int,
    stato: str,
    programma: str,
    origine: str,
    note: str,
    costo_lavori: Decimal | None = None,
    note_lavori: str = "",
) -> dict[str, Any]:
    return {
        "piano_id": piano_id,
        "unita_id": unita_id,
        "stato": stato,
        "programma": programma,
        "stato_origine": origine,
        "note": note,
        "costo_lavori": costo_lavori,
        "note_lavori": note_lavori,
    }


def _scrivi_stati(analisi: Analisi, nuove_unita: list[Inserita]) -> list[Inserita]:
    """States of the new units (the pks come back from their insert) and of the changed ones;
    return the states inserted."""
    piano_id = analisi.piano.pk
    nuovi_stati = [
        _stato(
            piano_id,
            pk,
            r.stato,
            r.programma or "",
            r.stato_origine or "",
            r.note or "",
            *((r.costo_lavori, r.note_lavori or "") if r.stato == CARENZA else ()),
        )
        for (pk, _), r in zip(nuove_unita, analisi.nuove, strict=True)
        if r.stato
    ]
    stati_cambiati: list[tuple[int, dict[str, Any]]] = []
    stati_da_togliere: list[int] = []
    for m in analisi.modifiche:
        prima, dopo = m.stato_prima, m.stato_dopo
        if prima is None and dopo is not None:
            nuovi_stati.append(_stato(piano_id, m.pk, *dopo))
        elif prima is not None and dopo is None:
            stati_da_togliere.append(prima.pk)
        elif prima is not None and dopo is not None and prima.valori() != dopo:
            nomi = ("stato", "programma", "stato_origine", "note", "costo_lavori", "note_lavori")
            cambio: dict[str, Any] = {
                n: v for n, v, a in zip(nomi, dopo, prima.valori(), strict=True) if v != a
            }
            if prima.da_confermare:
                cambio["da_confermare"] = False  # the ente changed it: no longer a proposal
            stati_cambiati.append((prima.pk, cambio))
    stati_del_piano = StatoUnita.objects.filter(piano=analisi.piano, unita__ente=analisi.ente)
    if stati_da_togliere:
        stati_del_piano.filter(pk__in=tra(stati_da_togliere)).delete()
    aggiorna_righe(stati_del_piano, StatoUnita, stati_cambiati)
    if analisi.da_confermare:  # states carried over that the file lists as they are: confirmed
        stati_del_piano.filter(pk__in=tra(analisi.da_confermare)).update(da_confermare=False)
    return _inserite(StatoUnita, nuovi_stati)


def _scrivi_turnover(analisi: Analisi) -> list[Inserita]:
    """The turnover sheet replaces the ente's counts; return the counts inserted."""
    piano, ente = analisi.piano, analisi.ente
    if analisi.turnover_tolti:
        TurnoverPrevisto.objects.filter(
            piano=piano, ente=ente, pk__in=tra([pk for pk, _, _ in analisi.turnover_tolti])
        ).delete()
    aggiorna_righe(
        TurnoverPrevisto.objects.filter(piano=piano, ente=ente),
        TurnoverPrevisto,
        [(pk, {"numero": t.numero}) for pk, t, _ in analisi.turnover_modificati],
    )
    righe = [
        {"piano_id": piano.pk, "ente_id": ente.pk, "comune_id": t.comune_id, "numero": t.numero}
        for t in analisi.turnover_nuovi
    ]
    return _inserite(TurnoverPrevisto, righe)


def aggiorna_righe(righe: QuerySet, modello: type[Model], cambi: list[tuple[int, dict[str, Any]]]) -> None:
    """Write changed rows only, in as few statements as possible: rows that take the same new values
    (e.g. 300 units that become «libera») share one ``UPDATE … WHERE pk IN``; the rest go through one
    ``bulk_update`` per set of changed columns. ``righe`` confines every statement to the ente's rows."""
    per_valori: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for pk, cambio in cambi:
        per_valori[tuple(sorted(cambio.items()))].append(pk)
    singoli: dict[tuple[str, ...], list[Model]] = defaultdict(list)
    for valori, pks in per_valori.items():
        if len(pks) > 1:
            righe.filter(pk__in=tra(pks)).update(**dict(valori))
        else:
            singoli[tuple(c for c, _ in valori)].append(modello(pk=pks[0], **dict(valori)))
    for campi, oggetti in singoli.items():
        # The ente's rows only, as the grouped updates: bulk_update itself filters by pk alone.
        if righe.filter(pk__in=tra([o.pk for o in oggetti])).count() != len(oggetti):
            raise ModificaNonConsentita(
                "Il caricamento riguarda righe di un altro ente: nulla è stato registrato."
            )
        righe.model.objects.bulk_update(oggetti, list(campi), batch_size=500)
