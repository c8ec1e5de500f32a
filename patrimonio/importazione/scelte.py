"""The «Scelte» sheet: the ente's choices (h, i, i.b or d bis, c bis) as the plan's rules define them.

Which columns exist is what ``piano_annuale.forms.ScelteForm`` keeps for the ente under the plan's
rule set (h and i only for comuni; i.b under the old rules; d bis 7 bis and 7 ter for comuni and
c bis for every ente under R.R. 2/2025): the sheet is the form in another shape, and an upload is
validated by that form, so the limits and the Italian messages are the same as in the workspace.
The sheet has a header row and one row of values; c bis categories are written as their names,
separated by «;», and read back as names or codes. Written by ``patrimonio.esportazione``, read by
``validazione``; ``scrittura`` saves the choices with ``salva_scelte``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ambito.italiano import con_preposizione
from patrimonio.models import EnteProprietario
from piano_annuale.forms import ScelteForm
from piano_annuale.models import Parametri, PianoAnnuale, ScelteEnte

from ..resources import NOME_FOGLIO_SCELTE, Colonna, normalizza
from .celle import lettera_colonna, testo
from .errori import Errore
from .righe import Analisi

# Every column the sheet may have, by the form's field name: (header, header under the old rules).
_INTESTAZIONI: dict[str, tuple[str, str]] = {
    "soglia_indigenti_eccedente": ("h) Punti % oltre il 20% per i nuclei indigenti",) * 2,
    "categoria_aggiuntiva": ("i) Categoria aggiuntiva",) * 2,
    "motivazione_categoria": ("i) Motivazione della categoria aggiuntiva",) * 2,
    "quota_forze_polizia": (
        "d bis) % art. 7 bis (Forze di Polizia, Vigili del Fuoco, Forze Armate)",
        "i.b) % Forze di Polizia e Vigili del Fuoco (art. 7 bis)",
    ),
    "quota_polizia_locale": ("d bis) % art. 7 ter (Polizia Locale)",) * 2,
    "soglia_c_bis": ("c bis) Soglia %",) * 2,
    "categorie_c_bis": ("c bis) Categorie",) * 2,
}
_PERCENTUALI = {"soglia_indigenti_eccedente", "quota_forze_polizia", "quota_polizia_locale", "soglia_c_bis"}
# Any header of any rule set, and the form's labels, → field name.
_CHIAVI: dict[str, str] = {}
for _campo, _nomi in _INTESTAZIONI.items():
    for _nome in _nomi:
        _CHIAVI[normalizza(_nome)] = _campo
RIGHE_CERCA_INTESTAZIONE = 20


def modulo(*, ente: EnteProprietario, regole: Parametri, **kwargs: Any) -> ScelteForm:
    return ScelteForm(ente=ente, regole=regole, **kwargs)


def colonne_scelte(*, ente: EnteProprietario, regole: Parametri) -> tuple[Colonna, ...]:
    """The sheet's columns for ``ente`` under ``regole``: the fields the form keeps, in its order."""
    form = modulo(ente=ente, regole=regole)
    vecchie = regole.quota_polizia.per == "ente"
    return tuple(
        Colonna(
            nome,
            _INTESTAZIONI[nome][1 if vecchie else 0],
            str(campo.label or "") + (f". {campo.help_text}" if campo.help_text else ""),
            _ammessi(nome, regole),
        )
        for nome, campo in form.fields.items()
    )


def _ammessi(nome: str, regole: Parametri) -> str:
    if nome == "categorie_c_bis":
        return "i nomi delle categorie separati da «;»: " + "; ".join(c.nome for c in regole.categorie)
    if nome in _PERCENTUALI:
        return "numero intero (0 se nessuna)"
    return "testo libero"


def valori_attuali(scelte: ScelteEnte | None, campi: Iterable[str]) -> dict[str, Any]:
    """The ente's current choices (the model's defaults when it has none yet)."""
    scelte = scelte if scelte is not None else ScelteEnte()
    return {nome: getattr(scelte, nome) for nome in campi}


def scrivi(nome: str, valore: Any, regole: Parametri) -> Any:
    """A choice as the sheet writes it: categories by name, «;»-separated."""
    if nome == "categorie_c_bis":
        nomi = {c.codice: c.nome for c in regole.categorie}
        return "; ".join(nomi.get(codice, codice) for codice in valore or [])
    return valore


def riga_scelte(
    *, piano: PianoAnnuale, ente: EnteProprietario, regole: Parametri
) -> tuple[list[str], list[Any]]:
    """The sheet's header and its one row of values, the ente's current choices in ``piano``."""
    colonne = colonne_scelte(ente=ente, regole=regole)
    attuali = valori_attuali(
        ScelteEnte.objects.filter(piano=piano, ente=ente).first(), [c.chiave for c in colonne]
    )
    return [c.intestazione for c in colonne], [scrivi(c.chiave, attuali[c.chiave], regole) for c in colonne]


def e_foglio_scelte(nome: str) -> bool:
    return normalizza(nome) == normalizza(NOME_FOGLIO_SCELTE)


class LettoreScelte:
    """Reads the «Scelte» sheet into ``analisi``: what changes, or one ``Errore`` per problem."""

    def __init__(self, analisi: Analisi, regole: Parametri) -> None:
        self.analisi = analisi
        self.regole = regole
        self.errori = analisi.errori
        self.foglio = NOME_FOGLIO_SCELTE  # the sheet's name as written, once ``leggi`` has it

    def leggi(self, nome_foglio: str, righe: Iterable[Sequence[Any]], prima_colonna: int) -> None:
        self.foglio = nome_foglio
        intestazione: dict[str, int] | None = None
        nomi: dict[str, str] = {}
        valori: tuple[int, Sequence[Any]] | None = None
        for indice, riga in enumerate(righe):
            numero = indice + 1
            if intestazione is None:
                if indice >= RIGHE_CERCA_INTESTAZIONE:
                    break
                intestazione, nomi = self._intestazione(riga, prima_colonna)
                continue
            if not any(testo(v) for v in riga):
                continue
            if valori is not None:
                self.errori.append(
                    Errore(
                        numero,
                        "",
                        "",
                        "Il foglio «Scelte» ha una sola riga di valori, sotto le intestazioni: "
                        "cancellare le righe in più.",
                        nome_foglio,
                    )
                )
                return
            valori = (numero, riga)
        if not intestazione:
            self.errori.append(
                Errore(
                    None,
                    "",
                    "",
                    "Nel foglio «Scelte» non sono state riconosciute le intestazioni: usare quelle del "
                    "modello scaricato da questo servizio.",
                    nome_foglio,
                )
            )
            return
        self.analisi.scelte_presenti = True
        if valori is not None:
            self._valori(*valori, intestazione, nomi)

    def _intestazione(
        self, riga: Sequence[Any], prima_colonna: int
    ) -> tuple[dict[str, int] | None, dict[str, str]]:
        colonne: dict[str, int] = {}
        nomi: dict[str, str] = {}
        ignorate = []
        for indice, valore in enumerate(riga):
            scritto = testo(valore)
            if not scritto:
                continue
            etichetta = f"{scritto} (colonna {lettera_colonna(indice + prima_colonna)})"
            chiave = _CHIAVI.get(normalizza(scritto))
            if chiave is None or chiave in colonne:
                ignorate.append(etichetta)
            else:
                colonne[chiave], nomi[chiave] = indice, etichetta
        if not colonne:
            return None, {}
        for etichetta in ignorate:
            self.analisi.avvisi.append(
                f"Foglio «{self.foglio}»: la colonna «{etichetta}» non è riconosciuta ed è stata ignorata."
            )
        return colonne, nomi

    def _valori(
        self, numero: int, riga: Sequence[Any], colonne: dict[str, int], nomi: dict[str, str]
    ) -> None:
        """Validate the row with the form, over the current choices (a column left out keeps them)."""
        analisi, regole = self.analisi, self.regole
        esistenti = ScelteEnte.objects.filter(piano=analisi.piano, ente=analisi.ente).first()
        campi = list(modulo(ente=analisi.ente, regole=regole).fields)
        prima = valori_attuali(esistenti, campi)
        dati: dict[str, Any] = {n: "" if v is None else v for n, v in prima.items()}
        scritti: dict[str, str] = {}
        errori_prima = len(self.errori)
        for nome, indice in colonne.items():
            scritto = testo(riga[indice]) if indice < len(riga) else ""
            if nome not in campi:
                if scritto:
                    self.analisi.avvisi.append(
                        f"Foglio «{self.foglio}»: la colonna «{nomi[nome]}» non è prevista dalle regole del "
                        f"piano {con_preposizione(analisi.ente, 'per')} ed è stata ignorata."
                    )
                continue
            scritti[nome] = scritto
            dati[nome] = self._valore(nome, scritto, numero, nomi[nome])
        if len(self.errori) > errori_prima:
            return
        if all(_confronta(dati[n]) == _confronta(prima[n]) for n in scritti):
            # The choices as they are (a re-uploaded export): nothing to validate nor to write,
            # even when data saved before a rule existed would not pass the form today.
            return
        form = modulo(
            data=dati,
            ente=analisi.ente,
            regole=regole,
            instance=esistenti or ScelteEnte(piano=analisi.piano, ente=analisi.ente),
        )
        if not form.is_valid():
            for nome, messaggi in form.errors.items():
                colonna = nomi.get(nome) or _INTESTAZIONI.get(nome, ("",))[0]
                for messaggio in messaggi:
                    self.errori.append(
                        Errore(numero, colonna, scritti.get(nome, ""), str(messaggio), self.foglio)
                    )
            return
        dopo = form.valori()
        cambi = [
            (nomi.get(n) or _INTESTAZIONI[n][0], scrivi(n, prima[n], regole), scrivi(n, dopo[n], regole))
            for n in campi
            if _confronta(prima[n]) != _confronta(dopo[n])
        ]
        if cambi:
            analisi.scelte_cambi, analisi.scelte_dopo = cambi, dopo

    def _valore(self, nome: str, scritto: str, numero: int, colonna: str) -> Any:
        """A cell as the form reads it: percentages without «%», categories as their codes."""
        if nome in _PERCENTUALI:
            return scritto.removesuffix("%").strip()
        if nome != "categorie_c_bis":
            return scritto
        per_nome = {normalizza(c.nome): c.codice for c in self.regole.categorie}
        per_nome |= {normalizza(c.codice): c.codice for c in self.regole.categorie}
        codici = []
        for parte in (p.strip() for p in scritto.replace("\n", ";").split(";")):
            if not parte:
                continue
            codice = per_nome.get(normalizza(parte))
            if codice is None:
                ammesse = "; ".join(c.nome for c in self.regole.categorie)
                self.errori.append(
                    Errore(
                        numero,
                        colonna,
                        parte,
                        f"Categoria non prevista dalle regole del piano. Indicare una o più tra: {ammesse} "
                        "(separate da «;»).",
                        self.foglio,
                    )
                )
            elif codice not in codici:
                codici.append(codice)
        ordine = [c.codice for c in self.regole.categorie]
        return sorted(codici, key=ordine.index)


def _confronta(valore: Any) -> Any:
    """Values compared as the form gives them: texts stripped (whole numbers as numbers), lists as sets."""
    if isinstance(valore, list):
        return frozenset(valore)
    if isinstance(valore, str):
        valore = valore.strip()
        return int(valore) if valore.isdigit() else valore
    return valore
