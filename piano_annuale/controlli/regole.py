"""Checks of the choices that the rule set limits: the Forze di Polizia quotas (art. 7 bis, and since
R.R. 2/2025 lett. d bis with art. 7 ter), the c bis) threshold and the cost of works of section b).

Their limits are parameters of the plan's rule set, so a new rule set changes them without code.
"""

from __future__ import annotations

from collections.abc import Iterator

from piano_annuale.calcolo.dati import DatiPiano
from piano_annuale.calcolo.helpers import il_percento
from piano_annuale.calcolo.tipi import Anomalia, PianoCalcolato

from .base import AVVISO, ERRORE, descrivi_unita, nome_ente


def quota_polizia_oltre_il_limite(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """Q01: a quota above the rule set's limit (per ente before R.R. 2/2025, per comune since)."""
    quota = dati.regole.valori.quota_polizia
    for s in dati.scelte.values():
        ente = dati.enti.get(s.ente_id)
        if ente is None:
            continue
        if quota.per == "ente" and s.quota_forze_polizia > quota.massimo:
            yield Anomalia(
                "Q01",
                ERRORE,
                f"{ente.denominazione} riserva {il_percento(s.quota_forze_polizia)} delle unità alle Forze di Polizia: "
                f"le regole applicate consentono al più {il_percento(quota.massimo)} per ente proprietario "
                "(art. 7 bis R.R. 4/2017).",
                "i.b",
                ente_id=ente.id,
            )
        elif quota.per == "comune" and ente.is_comune:
            totale = s.quota_forze_polizia + (s.quota_polizia_locale if quota.con_7ter else 0)
            if totale > quota.massimo:
                yield Anomalia(
                    "Q01",
                    ERRORE,
                    f"{ente.denominazione} destina {il_percento(s.quota_forze_polizia)} (art. 7 bis) e "
                    f"{il_percento(s.quota_polizia_locale)} (art. 7 ter) delle unità, in tutto {il_percento(totale)}: la lett. d bis) "
                    f"consente al più {il_percento(quota.massimo)} per comune.",
                    "d bis",
                    ente_id=ente.id,
                    comune_id=ente.comune_id,
                )


def quota_non_prevista(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """Q02: a choice the plan's rules do not provide, which the plan would silently ignore."""
    valori = dati.regole.valori
    quota = valori.quota_polizia
    for s in dati.scelte.values():
        ente = dati.enti.get(s.ente_id)
        if ente is None:
            continue
        if s.quota_polizia_locale and not quota.con_7ter:
            yield Anomalia(
                "Q02",
                ERRORE,
                f"{ente.denominazione} indica una quota del {s.quota_polizia_locale}% per la Polizia Locale "
                "(art. 7 ter), che le regole applicate al piano non prevedono: la quota non è conteggiata.",
                "i.b",
                ente_id=ente.id,
            )
        if quota.per == "comune" and not ente.is_comune and (s.quota_forze_polizia or s.quota_polizia_locale):
            yield Anomalia(
                "Q02",
                ERRORE,
                f"{ente.denominazione} indica una propria quota per le Forze di Polizia: dal R.R. 2/2025 la "
                "percentuale è definita per comune (lett. d bis) e si applica alle unità di ogni ente "
                "proprietario in quel comune. La quota dell'ente non è conteggiata.",
                "d bis",
                ente_id=ente.id,
            )
        if s.soglia_c_bis and not valori.con_c_bis:
            yield Anomalia(
                "Q02",
                ERRORE,
                f"{ente.denominazione} indica una soglia del {s.soglia_c_bis}% per le categorie (lett. c bis), "
                "che le regole applicate al piano non prevedono: la soglia non è recepita.",
                "c bis",
                ente_id=ente.id,
            )


def soglia_c_bis_oltre_il_limite(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """Q03: a c bis) threshold above the rule set's limit, or with no category named."""
    massimo = dati.regole.valori.c_bis_massimo
    if massimo is None:
        return
    for s in dati.scelte.values():
        if s.ente_id not in dati.enti or not s.soglia_c_bis:
            continue
        if s.soglia_c_bis > massimo:
            yield Anomalia(
                "Q03",
                ERRORE,
                f"{nome_ente(dati, s.ente_id)} indica una soglia del {s.soglia_c_bis}% per le categorie: la "
                f"lett. c bis) consente al più {il_percento(massimo)} delle unità disponibili nell'anno.",
                "c bis",
                ente_id=s.ente_id,
            )
        if not s.categorie_c_bis:
            yield Anomalia(
                "Q03",
                ERRORE,
                f"{nome_ente(dati, s.ente_id)} indica una soglia del {s.soglia_c_bis}% per le categorie senza "
                "dire a quali categorie dell'art. 14 la destina.",
                "c bis",
                ente_id=s.ente_id,
            )


def quota_comunale_senza_unita(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """Q04: a comune's d bis) percentage where no ente has units available in the year."""
    if calcolo.dbis is None:
        return
    for riga in calcolo.dbis.righe:
        if riga.disponibili == 0:
            yield Anomalia(
                "Q04",
                AVVISO,
                f"Il comune di {riga.comune} destina {il_percento(riga.percentuale_totale)} delle unità alle forze "
                "dell'ordine (lett. d bis), ma nel comune non ci sono unità disponibili nell'anno: la quota "
                "non produce alcuna unità.",
                "d bis",
                ente_id=riga.ente_id,
                comune_id=riga.comune_id,
            )


def carenza_senza_costo(dati: DatiPiano, calcolo: PianoCalcolato) -> Iterator[Anomalia]:
    """B01: a unit in carenza manutentiva without the estimated cost of its works (L.R. 18/2025)."""
    if calcolo.costi_b is None:
        return
    gravita = ERRORE if dati.regole.valori.costo_lavori_carenza == "obbligatorio" else AVVISO
    for u in calcolo.costi_b.unita:
        if u.costo is None:
            yield Anomalia(
                "B01",
                gravita,
                f"L'unità {descrivi_unita(u.id_regionale, u.codice_ente)} di {u.ente.denominazione} a "
                f"{u.comune} è in carenza manutentiva senza il costo stimato dei lavori: la sezione b) deve "
                "indicarlo (L.R. 16/2016 art. 23 c. 11, come modificato dalla L.R. 18/2025).",
                "b",
                ente_id=u.ente.id,
                unita_id=u.unita_id,
            )
