"""Loading a whole plan from a JSON file, in one transaction, with the history of what it wrote.

``carica_piano`` loads a plan (ambito, comuni, enti, units and everything the ricognizione collected,
then the misure) from a file such as ``fixtures/cremonese_2025.json``, once ``file_piano`` has read and
checked it. The file is keyed by natural keys, so the same file can be loaded into an empty database
or over an existing one, as many times as wanted. Every row the load creates, changes or deletes is
recorded in the history (``piano_annuale.storico.Scrittura``) with one bulk write: the rows within
the load's reach are read before and after the writes, one query per table each time, and the
difference is what is recorded (the misure's loader records its own rows the same way).
"""

from __future__ import annotations

import datetime
import pathlib
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from ambito.models import AggregazioneTerritoriale, Ambito, Comune, Popolazione
from misure.services import carica_misure
from patrimonio.models import EnteProprietario, TipoEnte, TipoServizio, UnitaAbitativa
from piano_annuale.models import (
    AssegnazioniAnnoPrecedente,
    ConsistenzaDichiarata,
    DestinazioneSAT,
    PianoAnnuale,
    RegoleAnno,
    RiepilogoDichiarato,
    RispostaRicognizione,
    ScelteEnte,
    StatoUnita,
    TurnoverPrevisto,
)
from piano_annuale.services.carica_protezione import DatiInseritiDopoIlCaricamento, perdite, ultimo_id_storico
from piano_annuale.services.file_piano import (
    CAMPI_RIEPILOGO,
    CAMPI_RIEPILOGO_FACOLTATIVI,
    Dati,
    FilePianoNonValido,
    chiave_anonima,
    leggi_file,
    valida,
)
from piano_annuale.services.regole import assicura_regole_predefinite
from piano_annuale.storico import Scrittura


def carica_piano(*, percorso: pathlib.Path, sostituisci: bool = False) -> PianoAnnuale:
    """Load the plan in ``percorso`` in one transaction and return it.

    Idempotent: a second run with the same file leaves exactly the same rows (and records nothing).
    The file is the truth for the plan's own rows (consistenze, risposte, stati delle unità,
    turnover, scelte, SAT, assegnazioni, riepiloghi dell'Allegato A, misure): rows of this plan that
    the file no longer lists are deleted. The registry (ambito, aggregazioni, comuni, enti, units
    with an ID or a codice) is created or updated, never deleted, because other plans may use it.
    Rows of other ambiti are never touched: a comune, ente or unit of the file that belongs to
    another ambito stops the load with an error.

    It never destroys silently: if the load would change or delete rows that were last written by
    something else than a load (the web pages, the admin, an import) or that have no history, it
    raises ``DatiInseritiDopoIlCaricamento`` saying what would be lost, and writes nothing, unless
    ``sostituisci`` (``carica_piano --sostituisci``).

    Raises ``FilePianoNonValido`` (a ``ValueError``) with an Italian message; nothing is written then.
    """
    dati = leggi_file(percorso)
    valida(dati)
    origine = f"caricamento del file {pathlib.Path(percorso).name}"
    with transaction.atomic():
        prima_del_caricamento = ultimo_id_storico()
        # The plan records the rules in force for its year: they must exist (a flushed database
        # lacks the rule sets its migration wrote).
        assicura_regole_predefinite()
        with Scrittura(utente=None, origine=origine) as scrittura:
            for righe in righe_raggiungibili(dati):
                scrittura.osserva(righe)
            piano = _Caricamento(dati).esegui()
        # Parte seconda e terza (misure app): validated against the enti just loaded, same transaction,
        # recorded in the history by the misure's own loader.
        carica_misure(piano=piano, dati=dati["piano"].get("misure"), origine=origine)
        if not sostituisci:
            perse = perdite(dopo_id=prima_del_caricamento, origine=origine)
            if perse is not None:
                raise DatiInseritiDopoIlCaricamento(perse, nome_file=pathlib.Path(percorso).name)
        return piano


def righe_raggiungibili(dati: Dati) -> list[models.QuerySet]:
    """Every row loading ``dati`` may create, change or delete, one QuerySet per table.

    ``Scrittura`` reads each of them before and after the load (two queries per table whatever the
    number of rows) and records the difference; the related rows that name a row in the history are
    read with it, so naming costs no query per row.
    """
    nome = dati["ambito"]["nome"]
    codici = [c["codice_istat"] for c in dati["comuni"]]
    data = datetime.date.fromisoformat(dati["popolazione"]["data_riferimento"])
    del_piano = {"piano__ambito__nome": nome, "piano__anno": dati["piano"]["anno"]}
    return [
        Ambito.objects.filter(nome=nome),
        AggregazioneTerritoriale.objects.filter(ambito__nome=nome),
        Comune.objects.filter(codice_istat__in=codici),
        Popolazione.objects.filter(comune__codice_istat__in=codici, data_riferimento=data).select_related(
            "comune"
        ),
        EnteProprietario.objects.filter(Q(ambito__nome=nome) | Q(comune__codice_istat__in=codici)),
        UnitaAbitativa.objects.filter(ente__ambito__nome=nome).select_related("comune"),
        PianoAnnuale.objects.filter(ambito__nome=nome, anno=dati["piano"]["anno"]).select_related("ambito"),
        StatoUnita.objects.filter(**del_piano).select_related("unita__comune"),
        TurnoverPrevisto.objects.filter(**del_piano).select_related("ente", "comune"),
        DestinazioneSAT.objects.filter(**del_piano).select_related("ente", "comune"),
        *(
            tabella.objects.filter(**del_piano).select_related("ente")
            for tabella in (
                ConsistenzaDichiarata,
                RispostaRicognizione,
                ScelteEnte,
                AssegnazioniAnnoPrecedente,
                RiepilogoDichiarato,
            )
        ),
    ]


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
                # The rules named by the file, or those in force on 1 January of the plan's year.
                "regole": (
                    RegoleAnno.objects.get(codice=p["regole"])
                    if p.get("regole")
                    else RegoleAnno.objects.in_vigore_al(datetime.date(p["anno"], 1, 1))
                ),
            },
        )

    def _sincronizza(self, modello: type[models.Model], righe: Iterable[tuple[dict, dict]]) -> None:
        """Create or update each (key, values) row of this plan; delete the plan's rows not listed."""
        tenuti = []
        for chiave, valori in righe:
            riga, _ = modello._default_manager.update_or_create(piano=self.piano, **chiave, defaults=valori)
            tenuti.append(riga.pk)
        modello._default_manager.filter(piano=self.piano).exclude(pk__in=tenuti).delete()

    def _consistenze(self, consistenze: list[Dati]) -> None:
        self._sincronizza(
            ConsistenzaDichiarata,
            (
                (
                    {"ente": self.enti[c["ente"]], "comune": None},  # the total; the file has no breakdown
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
        comune, tipo, indirizzo, stato, programma = chiave_anonima(voce)
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
