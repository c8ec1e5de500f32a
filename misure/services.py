"""Loading the plan's Parte seconda and terza from the ``"misure"`` section of a plan file.

``carica_misure`` is called by ``piano_annuale.services.carica_piano`` inside its transaction, after
the plan, its comuni and enti exist. Like that loader it validates everything first and writes only
a valid section; everything is keyed by natural keys (codice of the measure, «numero/anno» of the
DGR, denominazione of the ente, name of the comune, title of avvisi and projects), so loading the
same file twice leaves the same rows. ``fixtures/README.md`` describes the format.

Single-row rules (amounts not negative, approved + rejected = received, total = riparto + residuo)
are checked here too, so a bad file gets an Italian message rather than a database error. Rules across
rows are not: the seed breaks some of them, and the plan's checks (M01…) report them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction

from ambito.models import AggregazioneTerritoriale, Comune
from patrimonio.models import EnteProprietario
from piano_annuale.models import PianoAnnuale
from piano_annuale.storico import Scrittura

from .models import (
    Avviso,
    Delibera,
    InterventoRiqualificazione,
    Misura,
    MisuraPiano,
    Progettualita,
    Provenienza,
    QuotaErogata,
    QuotaSolidarieta,
    RipartoSolidarieta,
    UtilizzoResiduo,
    leggi_chiave_delibera,
)

M = TypeVar("M", bound=models.Model)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Dati = dict[str, Any]

ELENCHI = ("delibere", "catalogo", "dati_annuali", "avvisi", "riqualificazione", "progettualita")
CAMPI_IMPORTO = ("risorse_impegnate", "risorse_erogate", "risorse_residue")
CAMPI_DOMANDE = ("domande_pervenute", "domande_approvate", "domande_respinte")
IMPORTO = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


class MisureNonValide(ValueError):
    """The ``"misure"`` section cannot be loaded; the Italian message lists every problem."""


def carica_misure(
    *, piano: PianoAnnuale, dati: Dati | None, utente: User | None = None, origine: str = "file del piano"
) -> None:
    """Load Parte seconda and terza of ``piano`` from ``dati`` (the file's ``piano.misure``).

    The section is the truth for the plan's rows: measures' figures, avvisi, solidarity split,
    renovation funds and projects it no longer lists are deleted; a missing section means none.
    The catalogue (measures and DGR) is shared by every plan: created or updated, never deleted.
    Raises ``MisureNonValide`` (a ``ValueError``) before writing anything of its own. What the
    file changes is recorded in the history, in bulk, as done by ``utente`` from ``origine``.
    """
    dati = {} if dati is None else dati
    controlli = _Controlli(piano)
    controlli.esegui(dati)
    if controlli.errori:
        elenco = "\n".join(f"- {e}" for e in controlli.errori)
        raise MisureNonValide(f"La parte «misure» del file del piano non è valida:\n{elenco}")
    with transaction.atomic(), Scrittura(utente=utente, origine=origine, piano=piano.pk) as scrittura:
        for righe in righe_del_piano(piano):
            scrittura.osserva(righe)
        _Caricamento(piano, dati, controlli).esegui()


def righe_del_piano(piano: PianoAnnuale) -> list[models.QuerySet]:
    """Every row the ``"misure"`` section may write: the plan's own and the shared catalogue, each
    with the rows its name shows (so naming a row in the history costs no query)."""
    return [
        Delibera.objects.all(),
        Misura.objects.all(),
        MisuraPiano.objects.filter(piano=piano).select_related("misura", "piano"),
        QuotaErogata.objects.filter(misura_piano__piano=piano),
        UtilizzoResiduo.objects.filter(misura_piano__piano=piano),
        Avviso.objects.filter(piano=piano),
        RipartoSolidarieta.objects.filter(piano=piano),
        QuotaSolidarieta.objects.filter(piano=piano).select_related("ente"),
        InterventoRiqualificazione.objects.filter(piano=piano),
        Progettualita.objects.filter(piano=piano),
    ]


# --------------------------------------------------------------------------------------------------
# Validation


def importo(valore: Any) -> Decimal | None:
    """An amount of the file: a string «188331.50» or an integer; None stays None."""
    if valore is None:
        return None
    if isinstance(valore, bool) or not isinstance(valore, int | str) or not IMPORTO.fullmatch(str(valore)):
        raise ValueError
    return Decimal(str(valore)).quantize(Decimal("0.01"))


class _Controlli:
    """Collects the section's errors as Italian sentences that say where the problem is."""

    def __init__(self, piano: PianoAnnuale) -> None:
        self.piano = piano
        self.errori: list[str] = []
        self.enti = dict(
            EnteProprietario.objects.filter(ambito_id=piano.ambito_id).values_list("denominazione", "pk")
        )
        self.comuni = dict(Comune.objects.filter(ambito_id=piano.ambito_id).values_list("nome", "pk"))
        self.aggregazioni = dict(
            AggregazioneTerritoriale.objects.filter(ambito_id=piano.ambito_id).values_list("numero", "pk")
        )
        self.codici: set[str] = set(Misura.objects.values_list("codice", flat=True))

    def errore(self, dove: str, messaggio: str) -> None:
        self.errori.append(f"{dove}: {messaggio}")

    # -- generic checks

    def _importo(self, r: Dati, campo: str, dove: str, *, nullo: bool = True) -> None:
        valore = r.get(campo)
        if valore is None and nullo:
            return
        try:
            if importo(valore) is None:
                raise ValueError
        except ValueError:
            self.errore(
                dove,
                f"«{campo}» deve essere un importo non negativo scritto come stringa con il punto "
                f'decimale (ad es. "188331.50"), non {valore!r}',
            )

    def _intero(self, r: Dati, campo: str, dove: str) -> None:
        valore = r.get(campo)
        if valore is not None and (not isinstance(valore, int) or isinstance(valore, bool) or valore < 0):
            self.errore(dove, f"«{campo}» deve essere un intero ≥ 0, non {valore!r}")

    def _testo(self, r: Dati, campo: str, dove: str, *, obbligatorio: bool = False) -> None:
        valore = r.get(campo, "")
        if not isinstance(valore, str):
            self.errore(dove, f"«{campo}» deve essere un testo")
        elif obbligatorio and not valore.strip():
            self.errore(dove, f"manca «{campo}»")

    def _delibera(self, valore: Any, dove: str) -> None:
        if valore is None:
            return
        try:
            leggi_chiave_delibera(valore)
        except ValueError as exc:
            self.errore(dove, str(exc))

    def _misura(self, codice: Any, dove: str) -> None:
        if codice not in self.codici:
            self.errore(dove, f"misura sconosciuta «{codice}» (non è nel catalogo)")

    def _ente(self, nome: Any, dove: str) -> None:
        if nome is not None and nome not in self.enti:
            self.errore(dove, f"ente sconosciuto «{nome}» (non è tra gli enti dell'ambito)")

    def _data(self, valore: Any, dove: str, campo: str) -> None:
        if valore is None:
            return
        try:
            datetime.date.fromisoformat(valore)
        except (TypeError, ValueError):
            self.errore(dove, f"«{campo}» deve essere una data AAAA-MM-GG, non {valore!r}")

    def _unici(self, valori: Iterable[Any], dove: str, cosa: str) -> None:
        visti: set[Any] = set()
        for valore in valori:
            if valore in visti:
                self.errore(dove, f"{cosa} «{valore}» compare più volte")
            visti.add(valore)

    # -- the section

    def esegui(self, dati: Any) -> None:
        if not isinstance(dati, dict):
            self.errore("piano.misure", "deve essere un oggetto")
            return
        for nome in ELENCHI:
            if not isinstance(dati.get(nome, []), list) or not all(
                isinstance(r, dict) for r in dati.get(nome, [])
            ):
                self.errore(f"piano.misure.{nome}", "deve essere un elenco di oggetti")
                return
        try:
            self._delibere(dati.get("delibere", []))
            self._catalogo(dati.get("catalogo", []))
            self._dati_annuali(dati.get("dati_annuali", []))
            self._avvisi(dati.get("avvisi", []))
            self._solidarieta(dati.get("contributo_solidarieta"))
            self._riqualificazione(dati.get("riqualificazione", []))
            self._progettualita(dati.get("progettualita", []))
        except (KeyError, TypeError, AttributeError) as exc:
            # A value of the wrong JSON type deep in the section: report it rather than crash.
            self.errori.append(f"piano.misure: struttura non valida ({exc.__class__.__name__}: {exc})")

    def _delibere(self, delibere: list[Dati]) -> None:
        for i, d in enumerate(delibere):
            dove = f"piano.misure.delibere[{i}]"
            self._delibera(d.get("delibera"), dove)
            self._testo(d, "oggetto", dove)
        self._unici((d.get("delibera") for d in delibere), "piano.misure.delibere", "la delibera")

    def _catalogo(self, catalogo: list[Dati]) -> None:
        for i, m in enumerate(catalogo):
            dove = f"piano.misure.catalogo[{i}] ({m.get('codice')})"
            if not re.fullmatch(r"[-a-z0-9_]{1,50}", str(m.get("codice", ""))):
                self.errore(dove, "«codice» deve essere fatto di lettere minuscole, cifre e trattini")
            self._testo(m, "nome", dove, obbligatorio=True)
            self._testo(m, "descrizione", dove)
            self._intero(m, "ordine", dove)
            for d in m.get("delibere", []):
                self._delibera(d, dove)
        self._unici((m.get("codice") for m in catalogo), "piano.misure.catalogo", "il codice")
        self.codici |= {codice for m in catalogo if isinstance(codice := m.get("codice"), str)}

    def _dati_annuali(self, righe: list[Dati]) -> None:
        for i, r in enumerate(righe):
            dove = f"piano.misure.dati_annuali[{i}] ({r.get('misura')})"
            self._misura(r.get("misura"), dove)
            for campo in CAMPI_IMPORTO:
                self._importo(r, campo, dove)
            for campo in CAMPI_DOMANDE:
                self._intero(r, campo, dove)
            self._testo(r, "note", dove)
            if not isinstance(r.get("rinnovo_previsto", False), bool):
                self.errore(dove, "«rinnovo_previsto» deve essere true o false")
            pervenute, approvate, respinte = (r.get(c) for c in CAMPI_DOMANDE)
            if (
                isinstance(pervenute, int)
                and isinstance(approvate, int)
                and isinstance(respinte, int)
                and approvate + respinte != pervenute
            ):
                self.errore(
                    dove,
                    f"le domande approvate ({approvate}) più quelle non approvate ({respinte}) devono "
                    f"essere pari alle pervenute ({pervenute})",
                )
            self._quote(r.get("di_cui", []), dove)
            self._utilizzi(r.get("utilizzi_residuo", []), dove)
        self._unici((r.get("misura") for r in righe), "piano.misure.dati_annuali", "la misura")

    def _quote(self, quote: list[Dati], dove_misura: str) -> None:
        for j, q in enumerate(quote):
            dove = f"{dove_misura}, di_cui[{j}]"
            self._testo(q, "voce", dove, obbligatorio=True)
            provenienza = q.get("provenienza", Provenienza.IMPEGNO.value)
            if provenienza not in Provenienza.values:
                self.errore(
                    dove, f"«provenienza» vale {provenienza!r}; ammessi: {', '.join(Provenienza.values)}"
                )
            self._delibera(q.get("delibera"), dove)
            self._importo(q, "importo", dove)
            self._intero(q, "domande_approvate", dove)
            if q.get("importo") is None and q.get("domande_approvate") is None:
                self.errore(dove, "indicare l'importo o il numero di domande finanziate con questa fonte")
            residuo_di = q.get("residuo_di", [])
            for codice in residuo_di:
                self._misura(codice, dove)
            if provenienza == Provenienza.RESIDUO and not residuo_di:
                self.errore(dove, "per la provenienza «residuo» indicare in «residuo_di» di quali misure")
            if provenienza != Provenienza.RESIDUO and residuo_di:
                self.errore(dove, "«residuo_di» vale solo per la provenienza «residuo»")
        self._unici((q.get("voce") for q in quote), dove_misura, "la voce «di cui»")

    def _utilizzi(self, utilizzi: list[Dati], dove_misura: str) -> None:
        for j, u in enumerate(utilizzi):
            dove = f"{dove_misura}, utilizzi_residuo[{j}]"
            self._testo(u, "voce", dove, obbligatorio=True)
            self._importo(u, "importo", dove, nullo=False)
            if u.get("misura") is not None:
                self._misura(u["misura"], dove)
        self._unici((u.get("voce") for u in utilizzi), dove_misura, "l'utilizzo del residuo")

    def _avvisi(self, avvisi: list[Dati]) -> None:
        for i, a in enumerate(avvisi):
            dove = f"piano.misure.avvisi[{i}] ({a.get('titolo')})"
            self._testo(a, "titolo", dove, obbligatorio=True)
            self._testo(a, "numero", dove)
            self._data(a.get("data"), dove, "data")
            if not a.get("numero") and a.get("data") is None:
                self.errore(dove, "indicare il numero o la data dell'avviso")
            self._delibera(a.get("delibera"), dove)
            for codice in a.get("misure", []):
                self._misura(codice, dove)
            for nome in a.get("comuni_aderenti", []):
                if nome not in self.comuni:
                    self.errore(dove, f"comune sconosciuto «{nome}» (non è tra i comuni dell'ambito)")
        self._unici((a.get("titolo") for a in avvisi), "piano.misure.avvisi", "l'avviso")

    def _solidarieta(self, cs: Any) -> None:
        if cs is None:
            return
        dove = "piano.misure.contributo_solidarieta"
        if not isinstance(cs, dict):
            self.errore(dove, "deve essere un oggetto")
            return
        anno = cs.get("anno_riparto")
        if not isinstance(anno, int) or isinstance(anno, bool) or not 2016 <= anno <= 2100:
            self.errore(dove, f"«anno_riparto» deve essere un anno dal 2016, non {anno!r}")
        self._delibera(cs.get("delibera"), dove)
        self._testo(cs, "nota", dove)
        sintesi = cs.get("sintesi_dichiarata", {})
        for campo in ("con_riparto", "solo_residuo", "senza_contributo"):
            self._intero(sintesi, campo, f"{dove}.sintesi_dichiarata")
        righe = cs.get("righe", [])
        for i, r in enumerate(righe):
            dove_riga = f"{dove}.righe[{i}] ({r.get('ente')})"
            if r.get("ente") not in self.enti:
                self.errore(dove_riga, f"ente sconosciuto «{r.get('ente')}» (non è tra gli enti dell'ambito)")
            numero = r.get("aggregazione_indicata")
            if numero is not None and numero not in self.aggregazioni:
                self.errore(dove_riga, f"aggregazione {numero!r} non definita nell'ambito")
            for campo in ("riparto", "residuo", "totale"):
                self._importo(r, campo, dove_riga, nullo=False)
            try:
                riparto, residuo, totale = (importo(r.get(c)) for c in ("riparto", "residuo", "totale"))
            except ValueError:
                continue
            if (
                riparto is not None
                and residuo is not None
                and totale is not None
                and riparto + residuo != totale
            ):
                self.errore(
                    dove_riga,
                    f"il totale {totale} non è la somma di riparto {riparto} e residuo {residuo}",
                )
        self._unici((r.get("ente") for r in righe), f"{dove}.righe", "l'ente")

    def _riqualificazione(self, interventi: list[Dati]) -> None:
        for i, r in enumerate(interventi):
            dove = f"piano.misure.riqualificazione[{i}] ({r.get('titolo')})"
            for campo in ("contesto", "titolo", "descrizione"):
                self._testo(r, campo, dove, obbligatorio=True)
            self._testo(r, "finanziamento", dove)
            self._ente(r.get("ente"), dove)
            self._importo(r, "importo", dove)
            self._intero(r, "alloggi", dove)
        self._unici((r.get("titolo") for r in interventi), "piano.misure.riqualificazione", "l'intervento")

    def _progettualita(self, progetti: list[Dati]) -> None:
        for i, p in enumerate(progetti):
            dove = f"piano.misure.progettualita[{i}] ({p.get('titolo')})"
            self._testo(p, "titolo", dove, obbligatorio=True)
            self._testo(p, "descrizione", dove, obbligatorio=True)
            for campo in ("partner", "periodo", "finanziamento"):
                self._testo(p, campo, dove)
            self._ente(p.get("promotore"), dove)
            self._importo(p, "costo", dove)
            self._data(p.get("data_inizio"), dove, "data_inizio")
            self._data(p.get("data_fine"), dove, "data_fine")
            if p.get("data_inizio") and p.get("data_fine") and str(p["data_fine"]) < str(p["data_inizio"]):
                self.errore(dove, "la data di fine precede quella di inizio")
        self._unici((p.get("titolo") for p in progetti), "piano.misure.progettualita", "la progettualità")


# --------------------------------------------------------------------------------------------------
# Loading: the section has been validated, so lookups by natural key cannot fail here.


class _Caricamento:
    def __init__(self, piano: PianoAnnuale, dati: Dati, controlli: _Controlli) -> None:
        self.piano = piano
        self.dati = dati
        self.enti = controlli.enti
        self.comuni = controlli.comuni
        self.aggregazioni = controlli.aggregazioni
        self.delibere: dict[str, Delibera] = {}
        self.misure: dict[str, Misura] = {}

    def esegui(self) -> None:
        for d in self.dati.get("delibere", []):
            numero, anno = leggi_chiave_delibera(d["delibera"])
            self.delibere[d["delibera"]], _ = Delibera.objects.update_or_create(
                numero=numero, anno=anno, defaults={"oggetto": d.get("oggetto", "")}
            )
        self._catalogo()
        self._dati_annuali()
        self._avvisi()
        self._solidarieta()
        self._sincronizza(
            InterventoRiqualificazione,
            (
                (
                    {"titolo": r["titolo"]},
                    {
                        "ordine": n,
                        "contesto": r["contesto"],
                        "ente_id": self.enti.get(r.get("ente")),
                        "descrizione": r["descrizione"],
                        "finanziamento": r.get("finanziamento", ""),
                        "importo": importo(r.get("importo")),
                        "alloggi": r.get("alloggi"),
                    },
                )
                for n, r in enumerate(self.dati.get("riqualificazione", []), start=1)
            ),
        )
        self._sincronizza(
            Progettualita,
            (
                (
                    {"titolo": p["titolo"]},
                    {
                        "ordine": n,
                        "descrizione": p["descrizione"],
                        "promotore_id": self.enti.get(p.get("promotore")),
                        "partner": p.get("partner", ""),
                        "periodo": p.get("periodo", ""),
                        "data_inizio": _data(p.get("data_inizio")),
                        "data_fine": _data(p.get("data_fine")),
                        "costo": importo(p.get("costo")),
                        "finanziamento": p.get("finanziamento", ""),
                    },
                )
                for n, p in enumerate(self.dati.get("progettualita", []), start=1)
            ),
        )

    def delibera(self, chiave: str | None) -> Delibera | None:
        if chiave is None:
            return None
        if chiave not in self.delibere:
            numero, anno = leggi_chiave_delibera(chiave)
            self.delibere[chiave], _ = Delibera.objects.get_or_create(numero=numero, anno=anno)
        return self.delibere[chiave]

    def misura(self, codice: str | None) -> Misura | None:
        if codice is None:
            return None
        if codice not in self.misure:
            self.misure[codice] = Misura.objects.get(codice=codice)
        return self.misure[codice]

    def _sincronizza(
        self,
        modello: type[M],
        righe: Iterable[tuple[dict, dict]],
        **padre: Any,
    ) -> list[M]:
        """Create or update each (key, values) row under ``padre``; delete the rows not listed."""
        padre = padre or {"piano": self.piano}
        tenute = []
        for chiave, valori in righe:
            riga, _ = modello._default_manager.update_or_create(**padre, **chiave, defaults=valori)
            tenute.append(riga)
        modello._default_manager.filter(**padre).exclude(pk__in=[r.pk for r in tenute]).delete()
        return tenute

    def _catalogo(self) -> None:
        for m in self.dati.get("catalogo", []):
            misura, _ = Misura.objects.update_or_create(
                codice=m["codice"],
                defaults={
                    "nome": m["nome"],
                    "descrizione": m.get("descrizione", ""),
                    "ordine": m.get("ordine", 0),
                },
            )
            misura.delibere.set([d for chiave in m.get("delibere", []) if (d := self.delibera(chiave))])
            self.misure[misura.codice] = misura

    def _dati_annuali(self) -> None:
        righe = self.dati.get("dati_annuali", [])
        tenute = self._sincronizza(
            MisuraPiano,
            (
                (
                    {"misura": self.misura(r["misura"])},
                    {
                        **{campo: importo(r.get(campo)) for campo in CAMPI_IMPORTO},
                        **{campo: r.get(campo) for campo in CAMPI_DOMANDE},
                        "note": r.get("note", ""),
                        "rinnovo_previsto": r.get("rinnovo_previsto", False),
                    },
                )
                for r in righe
            ),
        )
        for misura_piano, r in zip(tenute, righe, strict=True):
            quote = self._sincronizza(
                QuotaErogata,
                (
                    (
                        {"voce": q["voce"]},
                        {
                            "ordine": n,
                            "provenienza": q.get("provenienza", Provenienza.IMPEGNO.value),
                            "delibera": self.delibera(q.get("delibera")),
                            "importo": importo(q.get("importo")),
                            "domande_approvate": q.get("domande_approvate"),
                        },
                    )
                    for n, q in enumerate(r.get("di_cui", []), start=1)
                ),
                misura_piano=misura_piano,
            )
            for quota, q in zip(quote, r.get("di_cui", []), strict=True):
                quota.residuo_di.set([m for c in q.get("residuo_di", []) if (m := self.misura(c))])
            self._sincronizza(
                UtilizzoResiduo,
                (
                    (
                        {"voce": u["voce"]},
                        {
                            "ordine": n,
                            "misura_destinataria": self.misura(u.get("misura")),
                            "importo": importo(u["importo"]),
                        },
                    )
                    for n, u in enumerate(r.get("utilizzi_residuo", []), start=1)
                ),
                misura_piano=misura_piano,
            )

    def _avvisi(self) -> None:
        avvisi = self.dati.get("avvisi", [])
        tenuti = self._sincronizza(
            Avviso,
            (
                (
                    {"titolo": a["titolo"]},
                    {
                        "numero": a.get("numero", ""),
                        "data": _data(a.get("data")),
                        "delibera": self.delibera(a.get("delibera")),
                        "note": a.get("note", ""),
                    },
                )
                for a in avvisi
            ),
        )
        for avviso, a in zip(tenuti, avvisi, strict=True):
            avviso.misure.set([m for c in a.get("misure", []) if (m := self.misura(c))])
            avviso.comuni_aderenti.set([self.comuni[nome] for nome in a.get("comuni_aderenti", [])])

    def _solidarieta(self) -> None:
        cs = self.dati.get("contributo_solidarieta")
        if cs is None:
            RipartoSolidarieta.objects.filter(piano=self.piano).delete()
            QuotaSolidarieta.objects.filter(piano=self.piano).delete()
            return
        sintesi = cs.get("sintesi_dichiarata", {})
        RipartoSolidarieta.objects.update_or_create(
            piano=self.piano,
            defaults={
                "anno_riparto": cs["anno_riparto"],
                "delibera": self.delibera(cs.get("delibera")),
                "nota": cs.get("nota", ""),
                "dichiarati_con_riparto": sintesi.get("con_riparto"),
                "dichiarati_solo_residuo": sintesi.get("solo_residuo"),
                "dichiarati_senza_contributo": sintesi.get("senza_contributo"),
            },
        )
        self._sincronizza(
            QuotaSolidarieta,
            (
                (
                    {"ente_id": self.enti[r["ente"]]},
                    {
                        "riparto": importo(r["riparto"]),
                        "residuo": importo(r["residuo"]),
                        "totale": importo(r["totale"]),
                        "aggregazione_indicata_id": self.aggregazioni.get(r.get("aggregazione_indicata")),
                    },
                )
                for r in cs.get("righe", [])
            ),
        )


def _data(valore: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(valore) if valore else None
