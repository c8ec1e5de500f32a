"""Rules enforced by the database, and the Italian message for a row it refused.

Rules that a single row can break are database constraints rather than checks: the database refuses
such a row, and ``messaggio_vincolo`` turns the refusal into the message the user sees.
"""

from __future__ import annotations

from django.db import IntegrityError

from misure.models import VINCOLI_MISURE

VINCOLI: dict[str, str] = {
    "scelte_quote_polizia_entro_100": (
        "Le quote per le Forze di Polizia (art. 7 bis) e per la Polizia Locale (art. 7 ter) insieme non "
        "possono superare il 100% delle unità."
    ),
    "scelte_soglia_c_bis_entro_100": "La soglia per le categorie (lett. c bis) non può superare il 100%.",
    "stato_costo_lavori_non_negativo": "Il costo stimato dei lavori non può essere negativo.",
    "piano_triennio_di_tre_anni_con_l_anno": (
        "Il piano triennale dura tre anni (ad es. 2026–2028) e deve comprendere l'anno del piano."
    ),
    "scelte_soglia_indigenti_0_80": "La soglia per gli indigenti eccedente il 20% va da 0 a 80 punti percentuali.",
    "assegnazioni_mobilita_entro_totale": (
        "Le assegnazioni per mobilità non possono superare il totale delle assegnazioni dell'anno precedente."
    ),
    "assegnazioni_deroga_entro_totale": (
        "Le assegnazioni in deroga non possono superare il totale delle assegnazioni dell'anno precedente."
    ),
    "unita_id_regionale_unico": "Questo ID regionale è già attribuito a un'altra unità abitativa.",
    "unita_codice_ente_unico_per_ente": "Questo codice è già usato dall'ente per un'altra unità abitativa.",
    "stato_unico_per_unita_e_piano": "L'unità ha già uno stato in questo piano: un'unità sta in una sola sezione.",
    "consistenza_sap_sas_entrambi_o_nessuno": "Indicare sia gli alloggi SAP sia gli alloggi SAS, o nessuno dei due.",
    "consistenza_una_per_comune": (
        "La consistenza dell'ente in questo comune è già dichiarata: modificare quella invece di aggiungerne "
        "un'altra."
    ),
    "turnover_positivo": "Il numero di alloggi liberati per turn-over deve essere almeno 1.",
    "sat_positivo": "Il numero di unità destinate ai SAT deve essere almeno 1.",
    "comune_codice_istat_6_cifre": "Il codice ISTAT è composto da 6 cifre.",
    # Parte seconda e terza (misure): the same messages the forms show.
    **{vincolo.name: str(vincolo.violation_error_message) for vincolo in VINCOLI_MISURE},
}


def messaggio_vincolo(errore: IntegrityError) -> str:
    """The Italian message for a row the database refused, naming the rule it breaks."""
    testo = str(errore)
    for nome, messaggio in VINCOLI.items():
        if nome in testo:
            return messaggio
    return "I dati non rispettano un vincolo di integrità del piano e non sono stati salvati."
