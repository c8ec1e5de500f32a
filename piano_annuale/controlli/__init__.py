"""Controlli di coerenza: the named checks that find contradictions in a plan's input data.

Each check has a code, a severity and an Italian message naming the ente, comune or unit at fault.
Errors block sending the draft to ALER and the approval; warnings are shown. The checks read the
stored facts (``calcolo.dati``) and the computed sections (``calcolo.tipi``); ``calcola_piano`` runs
them (``verifica``) and puts what they find in the result. Rules that a single row can break are
database constraints instead (``vincoli``: ``VINCOLI``, ``messaggio_vincolo``).

- ``base``: severities, the catalogue entry, how enti and units are named;
- ``parte_prima``: units, consistenza, declared totals, SAT, Forze di Polizia, turnover, ricognizione;
- ``parte_seconda``: measures, residuals, contributo di solidarietà, avvisi;
- ``vincoli``: the database's rules and their messages.
"""

from __future__ import annotations

import dataclasses

from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.calcolo.tipi import Anomalia, PianoCalcolato

from .base import AVVISO, ERRORE, STATI, Controllo
from .parte_prima import (
    consistenza_non_comunicata,
    consistenza_per_comune_diversa,
    forze_polizia_senza_unita,
    id_regionale_ripetuto,
    niente_da_dichiarare_con_unita,
    normalizza_id_regionale,
    proprietario_senza_risposta,
    riepilogo_diverso_dalle_unita,
    sat_oltre_dieci_per_cento,
    sat_oltre_disponibili,
    turnover_senza_unita,
    unita_fuori_ambito,
    unita_in_due_sezioni,
    unita_oltre_consistenza,
    unita_sas_nelle_sezioni_sap,
    unita_senza_id,
)
from .parte_seconda import (
    aggregazione_del_riparto_diversa,
    avviso_con_comuni_fuori_ambito,
    avviso_per_misura_senza_dati,
    comune_senza_riga_nel_riparto,
    domande_diverse_dalle_fonti,
    erogato_diverso_dal_di_cui,
    erogato_oltre_impegnato_da_altre_fonti,
    erogato_oltre_impegno,
    quota_da_residui_incompleta,
    residui_trasferiti_non_coincidenti,
    residuo_attribuito_senza_destinazione,
    residuo_diverso_da_impegnato_meno_erogato,
    sintesi_solidarieta_diversa,
    solidarieta_ente_fuori_ambito,
    stesse_risorse_impegnate,
    utilizzi_diversi_dal_residuo,
)
from .regole import (
    carenza_senza_costo,
    quota_comunale_senza_unita,
    quota_non_prevista,
    quota_polizia_oltre_il_limite,
    soglia_c_bis_oltre_il_limite,
)
from .vincoli import VINCOLI, messaggio_vincolo

__all__ = [
    "AVVISO",
    "CONTROLLI",
    "ERRORE",
    "STATI",
    "VINCOLI",
    "Controllo",
    "messaggio_vincolo",
    "normalizza_id_regionale",
    "verifica",
]

CONTROLLI: tuple[Controllo, ...] = (
    Controllo("U01", ERRORE, "Unità in due sezioni", "b–f", unita_in_due_sezioni),
    Controllo("U02", ERRORE, "Stesso ID regionale su più unità", "b–f", id_regionale_ripetuto),
    Controllo("U03", AVVISO, "Unità senza ID regionale", "b–f", unita_senza_id),
    Controllo("U04", ERRORE, "Unità in un comune fuori dall'ambito", "b–f", unita_fuori_ambito),
    Controllo("U05", AVVISO, "Unità SAS dichiarate nelle sezioni SAP", "b–f", unita_sas_nelle_sezioni_sap),
    Controllo("C01", ERRORE, "Unità elencate oltre la consistenza dichiarata", "a", unita_oltre_consistenza),
    Controllo("C02", AVVISO, "Consistenza non comunicata", "a", consistenza_non_comunicata),
    Controllo(
        "C03",
        AVVISO,
        "Consistenza per comune diversa da quella complessiva",
        "a",
        consistenza_per_comune_diversa,
    ),
    Controllo(
        "D01",
        ERRORE,
        "Totali dichiarati diversi dalle unità elencate",
        "Allegato A",
        riepilogo_diverso_dalle_unita,
    ),
    Controllo("S01", ERRORE, "Unità SAT oltre le disponibili", "j", sat_oltre_disponibili),
    Controllo("S02", AVVISO, "Unità SAT oltre il 10%", "j", sat_oltre_dieci_per_cento),
    Controllo(
        "F01", AVVISO, "Quota Forze di Polizia senza unità disponibili", "i.b", forze_polizia_senza_unita
    ),
    Controllo("T01", ERRORE, "Turn-over dove l'ente non ha unità", "e", turnover_senza_unita),
    # The choices the plan's rule set limits.
    Controllo(
        "Q01",
        ERRORE,
        "Quota Forze di Polizia oltre il limite delle regole",
        "i.b / d bis",
        quota_polizia_oltre_il_limite,
    ),
    Controllo(
        "Q02", ERRORE, "Scelta non prevista dalle regole del piano", "i.b / d bis / c bis", quota_non_prevista
    ),
    Controllo(
        "Q03", ERRORE, "Soglia c bis oltre il limite o senza categorie", "c bis", soglia_c_bis_oltre_il_limite
    ),
    Controllo("Q04", AVVISO, "Quota comunale senza unità disponibili", "d bis", quota_comunale_senza_unita),
    Controllo("B01", AVVISO, "Unità in carenza manutentiva senza costo dei lavori", "b", carenza_senza_costo),
    Controllo(
        "R01", AVVISO, "Comune proprietario senza risposta", "ricognizione", proprietario_senza_risposta
    ),
    Controllo(
        "R02",
        ERRORE,
        "«Nulla da dichiarare» con unità dichiarate",
        "ricognizione",
        niente_da_dichiarare_con_unita,
    ),
    # Parte seconda
    Controllo(
        "M01",
        ERRORE,
        "Erogato diverso dalla somma delle voci «di cui»",
        "Parte seconda",
        erogato_diverso_dal_di_cui,
    ),
    Controllo(
        "M02",
        ERRORE,
        "Domande approvate diverse dalla somma per fonte",
        "Parte seconda",
        domande_diverse_dalle_fonti,
    ),
    Controllo(
        "M03",
        ERRORE,
        "Residuo diverso da impegnato meno erogato",
        "Parte seconda",
        residuo_diverso_da_impegnato_meno_erogato,
    ),
    Controllo(
        "M04", ERRORE, "Residuo diverso dai suoi utilizzi", "Parte seconda", utilizzi_diversi_dal_residuo
    ),
    Controllo(
        "M05",
        ERRORE,
        "Erogato a valere sull'impegno oltre l'impegnato",
        "Parte seconda",
        erogato_oltre_impegno,
    ),
    Controllo(
        "M06",
        AVVISO,
        "Erogato oltre l'impegnato, coperto da altre fonti",
        "Parte seconda",
        erogato_oltre_impegnato_da_altre_fonti,
    ),
    Controllo(
        "M07",
        ERRORE,
        "Residui passati tra misure che non coincidono",
        "Parte seconda",
        residui_trasferiti_non_coincidenti,
    ),
    Controllo(
        "M08",
        AVVISO,
        "Residuo attribuito a una misura che non lo destina",
        "Parte seconda",
        residuo_attribuito_senza_destinazione,
    ),
    Controllo(
        "M09", AVVISO, "Stesse risorse impegnate per più misure", "Parte seconda", stesse_risorse_impegnate
    ),
    Controllo(
        "M10",
        ERRORE,
        "Sintesi del contributo di solidarietà diversa dalla tabella",
        "Parte seconda",
        sintesi_solidarieta_diversa,
    ),
    Controllo(
        "M11",
        AVVISO,
        "Aggregazione del riparto diversa da quella del comune",
        "Parte seconda",
        aggregazione_del_riparto_diversa,
    ),
    Controllo(
        "M12",
        ERRORE,
        "Contributo di solidarietà a un ente fuori ambito",
        "Parte seconda",
        solidarieta_ente_fuori_ambito,
    ),
    Controllo(
        "M13",
        AVVISO,
        "Comune senza riga nel riparto del contributo",
        "Parte seconda",
        comune_senza_riga_nel_riparto,
    ),
    Controllo(
        "M14", ERRORE, "Avviso con comuni fuori dall'ambito", "Parte seconda", avviso_con_comuni_fuori_ambito
    ),
    Controllo(
        "M15", AVVISO, "Avviso per una misura senza dati", "Parte seconda", avviso_per_misura_senza_dati
    ),
    Controllo(
        "M16",
        ERRORE,
        "Voce «di cui» da residui senza misura di origine",
        "Parte seconda",
        quota_da_residui_incompleta,
    ),
)


def verifica(dati: DatiPiano, calcolo: PianoCalcolato) -> tuple[Anomalia, ...]:
    """Run every check; errors first, then warnings, each in catalogue order. The plan's rule set
    may set a check's severity (e.g. B01 is an error once the cost of works is required)."""
    regole = dati.regole.valori
    anomalie = [
        dataclasses.replace(a, gravita=regole.gravita_di(a.codice, a.gravita))
        for controllo in CONTROLLI
        for a in controllo.esegui(dati, calcolo)
    ]
    return tuple(sorted(anomalie, key=lambda a: a.gravita != ERRORE))
