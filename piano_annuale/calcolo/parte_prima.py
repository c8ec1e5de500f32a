"""Parte prima of the plan: its header, the demographics, the ricognizione and sections a–k.

One typed function per part; each reads the facts loaded in ``DatiPiano`` and returns result types.
Sections b–g count SAP units only.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ambito.models import Comune
from patrimonio.models import TipoServizio
from piano_annuale.models import Stato, StatoRisposta

from .dati import DatiPiano
from .helpers import chiave_nome, percentuale, quota_arrotondata_per_eccesso
from .tipi import (
    Demografia,
    Ente,
    Gestione,
    GruppoAggregazione,
    InfoPiano,
    Ricognizione,
    RigaAssegnazioni,
    RigaCategoria,
    RigaConsistenza,
    RigaConteggio,
    RigaDensita,
    RigaDisponibili,
    RigaForzePolizia,
    RigaPopolazione,
    RigaProgramma,
    RigaSoglia,
    SezioneA,
    SezioneC,
    SezioneE,
    SezioneG,
    SezioneIB,
    SezioneK,
    Superficie,
    TabellaConteggi,
    ordina_enti,
    ordina_righe,
)


def info_piano(dati: DatiPiano) -> InfoPiano:
    piano = dati.piano
    capofila = piano.ambito.comune_capofila
    return InfoPiano(
        id=piano.pk,
        anno=piano.anno,
        ambito=piano.ambito.nome,
        comune_capofila=capofila.nome if capofila else None,
        ente_strumentale=piano.ambito.ente_strumentale,
        stato=piano.stato,
        stato_descrizione=piano.get_stato_display(),
        data_popolazione=piano.data_popolazione,
        triennio_inizio=piano.triennio_inizio,
        triennio_fine=piano.triennio_fine,
    )


def demografia(dati: DatiPiano) -> Demografia:
    """Population ranking, population per aggregazione, density, and comuni without own SAP units."""
    comuni = dati.comuni
    ordinati = sorted(comuni, key=lambda c: (-(c.abitanti or 0), chiave_nome(c.nome)))
    classifica = tuple(
        RigaPopolazione(n, c.pk, c.nome, c.codice_istat, c.abitanti, c.famiglie)
        for n, c in enumerate(ordinati, start=1)
    )

    termine = dati.piano.ambito.termine_aggregazioni
    gruppi: dict[int | None, list[Comune]] = defaultdict(list)
    for comune in comuni:
        gruppi[comune.aggregazione.numero if comune.aggregazione else None].append(comune)
    aggregazioni = []
    posizione = 0
    for numero in sorted(gruppi, key=lambda n: (n is None, n or 0)):
        membri = sorted(gruppi[numero], key=lambda c: chiave_nome(c.nome))
        righe = []
        for comune in membri:
            posizione += 1
            righe.append(
                RigaPopolazione(
                    posizione, comune.pk, comune.nome, comune.codice_istat, comune.abitanti, comune.famiglie
                )
            )
        aggregazione = membri[0].aggregazione
        aggregazioni.append(
            GruppoAggregazione(
                numero=numero,
                denominazione=aggregazione.denominazione if aggregazione else "Senza aggregazione",
                righe=tuple(righe),
                totale=sum(c.abitanti or 0 for c in membri),
                superficie=superficie(membri),
                termine=termine,
            )
        )

    densita = tuple(
        RigaDensita(
            comune=c.nome,
            superficie_kmq=c.superficie_kmq,
            abitanti=c.abitanti,
            densita=(Decimal(c.abitanti) / c.superficie_kmq).quantize(Decimal("0.1"), ROUND_HALF_UP),
        )
        for c in sorted(comuni, key=lambda c: chiave_nome(c.nome))
        if c.superficie_kmq and c.abitanti is not None
    )

    totale = sum(c.abitanti or 0 for c in comuni)
    enti = dati.ente_di_comune()
    senza_sap = []
    for comune in comuni:
        ente = enti.get(comune.pk)
        consistenza = dati.consistenze.get(ente.id) if ente else None
        # A comune whose consistenza was declared but not communicated does own units: not counted.
        if consistenza is None or (consistenza.comunicata and consistenza.sap == 0):
            senza_sap.append(comune)
    abitanti_senza_sap = sum(c.abitanti or 0 for c in senza_sap)
    return Demografia(
        data_riferimento=dati.piano.data_popolazione,
        numero_comuni=len(comuni),
        totale_abitanti=totale,
        classifica=classifica,
        aggregazioni=tuple(aggregazioni),
        densita=densita,
        comuni_senza_sap=tuple(sorted((c.nome for c in senza_sap), key=chiave_nome)),
        abitanti_comuni_senza_sap=abitanti_senza_sap,
        quota_popolazione_senza_sap=percentuale(abitanti_senza_sap, totale, 1),
        comuni_senza_dato=tuple(sorted((c.nome for c in comuni if c.abitanti is None), key=chiave_nome)),
        superficie=superficie(comuni),
        termine_aggregazioni=termine,
        fonti_popolazione=tuple(
            sorted(
                {f for c in comuni if c.abitanti is not None and (f := getattr(c, "fonte_popolazione", None))}
            )
        ),
    )


def superficie(comuni: list[Comune]) -> Superficie:
    """The surface of ``comuni`` (the sum of the known ones) and their density over the comuni whose
    surface and population are both known; the comuni without a surface are named."""
    noti = [(c, c.superficie_kmq) for c in comuni if c.superficie_kmq]
    con_abitanti = [(c.abitanti, kmq) for c, kmq in noti if c.abitanti is not None]
    superficie_nota = sum((kmq for _, kmq in con_abitanti), Decimal(0))
    abitanti = sum(n for n, _ in con_abitanti)
    return Superficie(
        superficie_kmq=sum((kmq for _, kmq in noti), Decimal(0)) if noti else None,
        abitanti=abitanti,
        densita=(Decimal(abitanti) / superficie_nota).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if superficie_nota
        else None,
        comuni_senza_superficie=tuple(
            sorted((c.nome for c in comuni if not c.superficie_kmq), key=chiave_nome)
        ),
    )


def ricognizione(dati: DatiPiano) -> Ricognizione:
    """Who answered the ricognizione, the response rates, and which comuni delegate management."""
    enti_comunali = [e for e in dati.enti.values() if e.is_comune]
    rispondenti = [e for e in enti_comunali if dati.ha_risposto(e.id)]
    proprietari = [e for e in enti_comunali if dati.possiede_patrimonio(e.id)]
    proprietari_rispondenti = [e for e in proprietari if dati.ha_risposto(e.id)]
    comuni_con_unita_altrui = {
        comune_id for ente_id, comune_id in dati.registro_coppie if not dati.enti[ente_id].is_comune
    }

    zero: list[str] = []
    solo_aler: list[str] = []
    proprietari_mancanti: list[str] = []
    altri: list[str] = []
    for ente in sorted(enti_comunali, key=ordina_enti):
        if dati.ha_risposto(ente.id):
            continue
        consistenza = dati.consistenze.get(ente.id)
        if dati.possiede_patrimonio(ente.id):
            proprietari_mancanti.append(ente.comune or ente.denominazione)
        elif ente.comune_id in comuni_con_unita_altrui:
            solo_aler.append(ente.comune or ente.denominazione)
        elif consistenza is not None and consistenza.totale == 0:
            zero.append(ente.comune or ente.denominazione)
        else:
            altri.append(ente.comune or ente.denominazione)

    stato_risposta = dict(StatoRisposta.choices)
    altri_enti = tuple(
        (
            ente.denominazione,
            stato_risposta[dati.risposte[ente.id].stato] if ente.id in dati.risposte else "Nessuna risposta",
        )
        for ente in sorted(dati.enti.values(), key=ordina_enti)
        if not ente.is_comune
    )

    gestiti: dict[int, list[str]] = defaultdict(list)
    for ente_id, gestore_id in dati.gestori.items():
        if gestore_id is not None and gestore_id in dati.enti:
            gestiti[gestore_id].append(dati.enti[ente_id].comune or dati.enti[ente_id].denominazione)
    gestioni = tuple(
        Gestione(dati.enti[g], tuple(sorted(nomi, key=chiave_nome)))
        for g, nomi in sorted(gestiti.items(), key=lambda kv: ordina_enti(dati.enti[kv[0]]))
    )

    return Ricognizione(
        comuni_totali=len(dati.comuni),
        comuni_rispondenti=len(rispondenti),
        tasso_risposta=percentuale(len(rispondenti), len(dati.comuni), 1),
        comuni_proprietari=len(proprietari),
        proprietari_rispondenti=len(proprietari_rispondenti),
        tasso_risposta_proprietari=percentuale(len(proprietari_rispondenti), len(proprietari), 1),
        non_rispondenti=len(enti_comunali) - len(rispondenti),
        non_rispondenti_patrimonio_zero=tuple(zero),
        non_rispondenti_solo_aler=tuple(solo_aler),
        non_rispondenti_proprietari=tuple(proprietari_mancanti),
        non_rispondenti_altri=tuple(altri),
        altri_enti=altri_enti,
        gestioni=gestioni,
    )


def sezione_a(dati: DatiPiano) -> SezioneA:
    """a) Consistenza del patrimonio per ente proprietario: total, SAP, SAS."""
    righe, non_comunicata, zero = [], [], []
    for ente_id, consistenza in dati.consistenze.items():
        ente = dati.enti.get(ente_id)
        if ente is None:
            continue
        totale, sap, sas = consistenza.totale, consistenza.sap, consistenza.sas
        if totale is None or sap is None or sas is None:  # not communicated
            non_comunicata.append(ente)
        elif totale == 0:
            zero.append(ente)
        else:
            righe.append(RigaConsistenza(ente, totale, sap, sas))
    righe.sort(key=lambda r: ordina_enti(r.ente))
    return SezioneA(
        righe=tuple(righe),
        totale=sum(r.totale for r in righe),
        sap=sum(r.sap for r in righe),
        sas=sum(r.sas for r in righe),
        non_comunicata=tuple(sorted(non_comunicata, key=ordina_enti)),
        patrimonio_zero=tuple(sorted(zero, key=ordina_enti)),
    )


def conteggi_sap(dati: DatiPiano, stato: str) -> dict[tuple[int, int], int]:
    """(ente, comune) ids → SAP units in ``stato``. Sections b–g count SAP units only."""
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for c in dati.conteggi:
        if c.stato == stato and c.tipo == TipoServizio.SAP and c.ente_id in dati.enti:
            somme[(c.ente_id, c.comune_id)] += c.numero
    return somme


def _tabella(dati: DatiPiano, somme: dict[tuple[int, int], int]) -> TabellaConteggi:
    nomi = dati.nomi_comuni()
    righe = ordina_righe(RigaConteggio(dati.enti[e], nomi[c], n) for (e, c), n in somme.items() if n)
    return TabellaConteggi(righe=righe, totale=sum(r.numero for r in righe))


def sezione_b(dati: DatiPiano) -> TabellaConteggi:
    """b) SAP units in carenza manutentiva, assignable as they are (R.R. 4/2017 art. 10)."""
    return _tabella(dati, conteggi_sap(dati, Stato.CARENZA_MANUTENTIVA))


def sezione_c(dati: DatiPiano) -> SezioneC:
    """c) SAP units in formalised renovation programmes, assignable in the year, per programme."""
    per_programma: dict[tuple[int, str, str], int] = defaultdict(int)
    for c in dati.conteggi:
        if c.stato == Stato.RISTRUTTURAZIONE and c.tipo == TipoServizio.SAP and c.ente_id in dati.enti:
            per_programma[(c.ente_id, c.comune_nome, c.programma)] += c.numero
    righe = tuple(
        sorted(
            (RigaProgramma(dati.enti[e], comune, prog, n) for (e, comune, prog), n in per_programma.items()),
            key=lambda r: (ordina_enti(r.ente), chiave_nome(r.comune), r.programma == "", r.programma),
        )
    )
    per_comune = _tabella(dati, conteggi_sap(dati, Stato.RISTRUTTURAZIONE))
    return SezioneC(righe=righe, per_comune=per_comune.righe, totale=per_comune.totale)


def sezione_d(dati: DatiPiano) -> TabellaConteggi:
    """d) SAP units from new building, assignable in the year."""
    return _tabella(dati, conteggi_sap(dati, Stato.NUOVA_EDIFICAZIONE))


def turnover_per_coppia(dati: DatiPiano) -> dict[tuple[int, int], int]:
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for t in dati.turnover:
        if t.ente_id in dati.enti:
            somme[(t.ente_id, t.comune_id)] += t.numero
    return somme


def sezione_e(dati: DatiPiano) -> SezioneE:
    """e) SAP units already free (listed), and units that will free up by turnover (counts)."""
    libere = tuple(
        sorted(
            (u for u in dati.elencate if u.stato == Stato.LIBERA),
            key=lambda u: (
                ordina_enti(u.ente),
                chiave_nome(u.comune),
                u.id_regionale is None,
                u.id_regionale or "",
            ),
        )
    )
    per_comune = _tabella(dati, conteggi_sap(dati, Stato.LIBERA))
    turnover = _tabella(dati, turnover_per_coppia(dati))
    return SezioneE(
        libere=libere,
        libere_per_comune=per_comune.righe,
        turnover=turnover.righe,
        totale_libere=per_comune.totale,
        totale_turnover=turnover.totale,
    )


def sezione_f(dati: DatiPiano) -> TabellaConteggi:
    """f) Units conferred by private owners and destined to SAP (L.R. 16/2016 art. 23 c. 2)."""
    return _tabella(dati, conteggi_sap(dati, Stato.CONFERITA_PRIVATI))


def riga_disponibili(ente: Ente | None, comune: str | None, valori: dict[str, int]) -> RigaDisponibili:
    """A row of section g from its columns; ``liberi`` and ``totale`` are added up here, once."""
    libere, turnover = valori.get("libere", 0), valori.get("turnover", 0)
    parti = {
        "ristrutturazione": valori.get("ristrutturazione", 0),
        "nuova_edificazione": valori.get("nuova_edificazione", 0),
        "carenza": valori.get("carenza", 0),
        "conferite": valori.get("conferite", 0),
    }
    return RigaDisponibili(
        ente=ente,
        comune=comune,
        libere=libere,
        turnover=turnover,
        liberi=libere + turnover,
        totale=libere + turnover + sum(parti.values()),
        **parti,
    )


def sezione_g(dati: DatiPiano) -> SezioneG:
    """g) All SAP units assignable in the year, b + c + d + e + f, per ente and comune."""
    colonne = {
        "libere": conteggi_sap(dati, Stato.LIBERA),
        "turnover": turnover_per_coppia(dati),
        "ristrutturazione": conteggi_sap(dati, Stato.RISTRUTTURAZIONE),
        "nuova_edificazione": conteggi_sap(dati, Stato.NUOVA_EDIFICAZIONE),
        "carenza": conteggi_sap(dati, Stato.CARENZA_MANUTENTIVA),
        "conferite": conteggi_sap(dati, Stato.CONFERITA_PRIVATI),
    }
    per_coppia: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    per_ente: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totale: dict[str, int] = defaultdict(int)
    for nome, somme in colonne.items():
        for (ente_id, comune), n in somme.items():
            per_coppia[(ente_id, comune)][nome] = n
            per_ente[ente_id][nome] += n
            totale[nome] += n
    nomi = dati.nomi_comuni()
    righe = ordina_righe(
        riga_disponibili(dati.enti[e], nomi[c], valori) for (e, c), valori in per_coppia.items()
    )
    righe = tuple(r for r in righe if r.totale)
    enti = tuple(
        riga_disponibili(dati.enti[e], None, per_ente[e])
        for e in sorted(per_ente, key=lambda e: ordina_enti(dati.enti[e]))
    )
    return SezioneG(righe=righe, per_ente=enti, totale=riga_disponibili(None, None, totale))


def sezione_h(dati: DatiPiano) -> tuple[RigaSoglia, ...]:
    """h) Comuni whose quota for indigenti exceeds 20%, and by how much."""
    righe = [
        RigaSoglia(dati.enti[s.ente_id], s.soglia_indigenti_eccedente, 20 + s.soglia_indigenti_eccedente)
        for s in dati.scelte.values()
        if s.soglia_indigenti_eccedente and s.ente_id in dati.enti
    ]
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def sezione_i(dati: DatiPiano) -> tuple[RigaCategoria, ...]:
    """i) Comuni with an additional category of particular social relevance (L.R. 16/2016 art. 23 c. 3)."""
    righe = [
        RigaCategoria(dati.enti[s.ente_id], s.categoria_aggiuntiva.strip(), s.motivazione_categoria.strip())
        for s in dati.scelte.values()
        if s.categoria_aggiuntiva.strip() and s.ente_id in dati.enti
    ]
    return tuple(sorted(righe, key=lambda r: ordina_enti(r.ente)))


def sezione_ib(dati: DatiPiano, g: SezioneG) -> SezioneIB:
    """i.b) Forze di Polizia quota per ente and the units it yields, rounded up (R.R. 4/2017 art. 7 bis
    until R.R. 2/2025; under later rules the quotas are per comune, in ``regole.sezione_dbis``)."""
    if dati.regole.valori.quota_polizia.per != "ente":
        return SezioneIB(righe=(), totale_unita=0)
    disponibili = {ente_id: r.totale for ente_id, r in g.per_ente_id().items()}
    righe = []
    for s in dati.scelte.values():
        if s.quota_forze_polizia and s.ente_id in dati.enti:
            base = disponibili.get(s.ente_id, 0)
            righe.append(
                RigaForzePolizia(
                    ente=dati.enti[s.ente_id],
                    percentuale=s.quota_forze_polizia,
                    disponibili=base,
                    unita=quota_arrotondata_per_eccesso(s.quota_forze_polizia, base),
                )
            )
    righe.sort(key=lambda r: ordina_enti(r.ente))
    return SezioneIB(righe=tuple(righe), totale_unita=sum(r.unita for r in righe))


def sezione_j(dati: DatiPiano) -> TabellaConteggi:
    """j) Units destined to servizi abitativi transitori, per ente and comune (among those of g)."""
    somme: dict[tuple[int, int], int] = defaultdict(int)
    for s in dati.sat:
        if s.ente_id in dati.enti:
            somme[(s.ente_id, s.comune_id)] += s.numero
    return _tabella(dati, somme)


def sezione_k(dati: DatiPiano) -> SezioneK:
    """k) SAP units assigned in the previous year per ente, of which by mobilità and in deroga."""
    righe = tuple(
        sorted(
            (
                RigaAssegnazioni(dati.enti[a.ente_id], a.totale, a.mobilita, a.in_deroga)
                for a in dati.assegnazioni.values()
                if a.ente_id in dati.enti and a.totale
            ),
            key=lambda r: ordina_enti(r.ente),
        )
    )
    return SezioneK(
        righe=righe,
        totale=sum(r.totale for r in righe),
        mobilita=sum(r.mobilita for r in righe),
        in_deroga=sum(r.in_deroga for r in righe),
    )
