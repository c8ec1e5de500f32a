"""The rules in force for a plan's year, as data: a versioned rule set and its typed parameters.

The law changes (R.R. 3/2019, L.R. 11/2024, R.R. 2/2025, L.R. 18/2025): a plan is computed under the
rule set it records, so past plans keep their rules and a new rule set is a new row, not new code.
The parameters are a JSON document read into frozen dataclasses by ``leggi_parametri``, which refuses
an incomplete or inconsistent document with an Italian message.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

ARROTONDAMENTI = ("eccesso", "difetto")
AMBITI_QUOTA = ("ente", "comune")
COSTO_LAVORI = ("non_previsto", "facoltativo", "obbligatorio")
GRAVITA = ("errore", "avviso")


@dataclass(frozen=True)
class Categoria:
    """A category of applicants the law allows (art. 14 R.R. 4/2017, art. 23 c. 6 L.R. 16/2016)."""

    codice: str
    nome: str
    riferimento: str


@dataclass(frozen=True)
class QuotaPolizia:
    """The Forze di Polizia quota: per ente (art. 7 bis until R.R. 2/2025) or per comune split into
    7 bis and 7 ter (lett. d bis as replaced by R.R. 2/2025)."""

    per: str  # "ente" or "comune"
    massimo: int  # the limit of the whole quota, in percent
    con_7ter: bool  # whether a separate Polizia Locale quota (art. 7 ter) exists
    arrotondamento: str  # how the units of a quota are rounded, per ente proprietario
    arrotondamento_7ter: str
    destinatario_7bis: str
    destinatario_7ter: str
    interpretazione: str  # shown in the plan's normative section when not empty


@dataclass(frozen=True)
class Parametri:
    """Everything the computation, the checks and the renderings read from the rule set."""

    quota_polizia: QuotaPolizia
    c_bis_massimo: int | None  # lett. c bis threshold limit; None where c bis does not exist
    costo_lavori_carenza: str  # whether section b states the estimated cost of works per unit
    aggiornamento_triennale: str  # "obbligatorio" or "facoltativo" (L.R. 11/2024 art. 21)
    categorie: tuple[Categoria, ...]
    gravita: tuple[tuple[str, str], ...]  # check code → severity, where the rule set sets it

    def gravita_di(self, codice: str, predefinita: str) -> str:
        return dict(self.gravita).get(codice, predefinita)

    @property
    def con_c_bis(self) -> bool:
        return self.c_bis_massimo is not None

    @property
    def con_costo_lavori(self) -> bool:
        return self.costo_lavori_carenza != "non_previsto"

    def novita_rispetto_a(self, precedenti: Parametri) -> list[str]:
        """What an ente must declare anew under these rules, compared with ``precedenti``: the
        sentences the e-mail opening the next year's ricognizione lists."""
        novita = []
        if self.quota_polizia.per == "comune" and precedenti.quota_polizia.per == "ente":
            novita.append(
                "la quota per le forze dell'ordine è ora definita da ciascun comune (lett. d bis, R.R. "
                f"2/2025): fino al {self.quota_polizia.massimo}% delle unità disponibili nel comune, divisa "
                "tra Forze di Polizia, Vigili del Fuoco e Forze Armate (art. 7 bis) e Polizia Locale (art. "
                "7 ter). La percentuale del comune è stata ripresa come quota art. 7 bis, da confermare"
            )
        if self.con_c_bis and not precedenti.con_c_bis:
            novita.append(
                "ogni ente proprietario può indicare una soglia fino al "
                f"{self.c_bis_massimo}% delle unità disponibili per una o più categorie dell'art. 14 (lett. c bis)"
            )
        if self.con_costo_lavori and not precedenti.con_costo_lavori:
            novita.append(
                "per ogni unità in carenza manutentiva va indicato il costo stimato dei lavori "
                "(L.R. 16/2016 art. 23 c. 11, come modificato dalla L.R. 18/2025)"
            )
        elif (
            self.costo_lavori_carenza == "obbligatorio" and precedenti.costo_lavori_carenza != "obbligatorio"
        ):
            novita.append("il costo stimato dei lavori delle unità in carenza manutentiva è ora obbligatorio")
        return novita


def _scelta(valore: Any, ammessi: tuple[str, ...], nome: str) -> str:
    if valore not in ammessi:
        raise ValidationError(f"«{nome}» deve essere uno tra {', '.join(ammessi)}: trovato «{valore}».")
    return str(valore)


def _percentuale(valore: Any, nome: str) -> int:
    if not isinstance(valore, int) or isinstance(valore, bool) or not 0 <= valore <= 100:
        raise ValidationError(f"«{nome}» deve essere una percentuale intera da 0 a 100: trovato «{valore}».")
    return valore


def leggi_parametri(dati: Any) -> Parametri:
    """The typed parameters of a rule set, or a ValidationError naming the first wrong entry."""
    if not isinstance(dati, dict):
        raise ValidationError("I parametri delle regole devono essere un oggetto JSON.")
    try:
        quota = dati["quota_polizia"]
        c_bis = dati.get("c_bis_massimo")
        categorie = [
            Categoria(codice=str(c["codice"]), nome=str(c["nome"]), riferimento=str(c.get("riferimento", "")))
            for c in dati["categorie"]
        ]
        parametri = Parametri(
            quota_polizia=QuotaPolizia(
                per=_scelta(quota["per"], AMBITI_QUOTA, "quota_polizia.per"),
                massimo=_percentuale(quota["massimo"], "quota_polizia.massimo"),
                con_7ter=bool(quota.get("con_7ter", False)),
                arrotondamento=_scelta(
                    quota["arrotondamento"], ARROTONDAMENTI, "quota_polizia.arrotondamento"
                ),
                arrotondamento_7ter=_scelta(
                    quota.get("arrotondamento_7ter", quota["arrotondamento"]),
                    ARROTONDAMENTI,
                    "quota_polizia.arrotondamento_7ter",
                ),
                destinatario_7bis=str(quota["destinatario_7bis"]),
                destinatario_7ter=str(quota.get("destinatario_7ter", "")),
                interpretazione=str(quota.get("interpretazione", "")),
            ),
            c_bis_massimo=None if c_bis is None else _percentuale(c_bis, "c_bis_massimo"),
            costo_lavori_carenza=_scelta(dati["costo_lavori_carenza"], COSTO_LAVORI, "costo_lavori_carenza"),
            aggiornamento_triennale=_scelta(
                dati["aggiornamento_triennale"], ("obbligatorio", "facoltativo"), "aggiornamento_triennale"
            ),
            categorie=tuple(categorie),
            gravita=tuple(
                (str(codice), _scelta(g, GRAVITA, f"gravita.{codice}"))
                for codice, g in sorted(dati.get("gravita", {}).items())
            ),
        )
    except KeyError as mancante:
        raise ValidationError(f"Nei parametri delle regole manca la voce {mancante}.") from None
    except (TypeError, AttributeError):
        raise ValidationError("I parametri delle regole non hanno la forma attesa.") from None
    if parametri.quota_polizia.con_7ter and not parametri.quota_polizia.destinatario_7ter:
        raise ValidationError("Con la quota art. 7 ter va indicato a chi si comunica (destinatario_7ter).")
    if len({c.codice for c in categorie}) != len(categorie):
        raise ValidationError("Le categorie hanno codici ripetuti.")
    return parametri


class RegoleQuerySet(models.QuerySet["RegoleAnno"]):
    def in_vigore_al(self, data: datetime.date) -> RegoleAnno | None:
        """The rule set in force on ``data``: the latest one that started on or before it."""
        return self.filter(in_vigore_dal__lte=data).order_by("-in_vigore_dal").first()


class RegoleAnno(models.Model):
    """A rule set: the legal texts in force from a date, and the parameters the plan applies."""

    codice = models.SlugField("codice", max_length=40, unique=True)
    nome = models.CharField("nome", max_length=200)
    riferimenti = models.TextField(
        "riferimenti normativi", help_text="I testi applicati, come li cita la sezione normativa del piano."
    )
    in_vigore_dal = models.DateField("in vigore dal", unique=True)
    parametri = models.JSONField("parametri")

    objects = RegoleQuerySet.as_manager()

    class Meta:
        verbose_name = "regole in vigore"
        verbose_name_plural = "regole in vigore"
        ordering = ["in_vigore_dal"]

    def __str__(self) -> str:
        return f"{self.nome} (dal {self.in_vigore_dal:%d/%m/%Y})"

    def clean(self) -> None:
        try:
            leggi_parametri(self.parametri)
        except ValidationError as errore:
            raise ValidationError({"parametri": errore.messages}) from None

    @cached_property
    def valori(self) -> Parametri:
        return leggi_parametri(self.parametri)
