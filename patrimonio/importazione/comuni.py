"""The comune a row names, by name and/or ISTAT code: they must agree and be of the ambito. Names
and codes the ambito does not know are looked up among all comuni once, at the end, to say «not in
the ambito» instead of «unknown». Used by every sheet that has a comune column."""

from __future__ import annotations

import re
from collections import defaultdict

from ..resources import normalizza
from .contesto import Contesto
from .errori import Errore

_ISTAT = re.compile(r"^\d{1,6}$")


class TrovaComuni:
    """Resolves the comuni of a file's rows; every problem becomes an ``Errore`` in ``errori``."""

    def __init__(self, contesto: Contesto, errori: list[Errore]) -> None:
        self.contesto = contesto
        self.errori = errori
        # Comuni the ambito does not know: (name or code) → the errors that name them.
        self.comuni_ignoti: dict[tuple[str, str], list[Errore]] = defaultdict(list)
        self._noti: dict[tuple[str, str], int] = {}  # only successes are remembered

    def trova(
        self,
        foglio: str,
        numero: int,
        nome: str,
        codice: str,
        nomi: dict[str, str],
        mancante: str = "Indicare il comune in cui si trova l'unità.",
    ) -> int | None:
        """The comune's pk, or None with an error (``mancante`` when neither name nor code)."""
        noto = self._noti.get((nome, codice))
        if noto is not None:
            return noto
        trovato = self._cerca(foglio, numero, nome, codice, nomi, mancante)
        if trovato is not None:
            self._noti[(nome, codice)] = trovato
        return trovato

    def _cerca(
        self, foglio: str, numero: int, nome: str, codice: str, nomi: dict[str, str], mancante: str
    ) -> int | None:
        per_codice = per_nome = None
        if codice:
            if _ISTAT.match(codice):
                codice = codice.zfill(6)  # a spreadsheet turns «019036» into the number 19036
                per_codice = self.contesto.comuni_per_istat.get(codice)
            if per_codice is None:
                errore = Errore(
                    numero,
                    nomi["codice_istat"],
                    codice,
                    f"Il codice ISTAT {codice} non è di un comune dell'ambito «{self.contesto.piano.ambito}».",
                    foglio,
                )
                self.errori.append(errore)
                if _ISTAT.match(codice):
                    self.comuni_ignoti[("codice", codice)].append(errore)
                return None
        if nome:
            chiave = normalizza(nome)
            per_nome = self.contesto.comuni_per_nome.get(chiave)
            if per_nome is None and chiave.startswith("comune di "):  # «COMUNE DI CREMONA»
                per_nome = self.contesto.comuni_per_nome.get(chiave[len("comune di ") :])
            if per_nome is None:
                errore = Errore(
                    numero,
                    nomi["comune"],
                    nome,
                    f"Comune «{nome}» sconosciuto: indicare il nome di un comune dell'ambito "
                    f"«{self.contesto.piano.ambito}» come nell'elenco ISTAT, oppure il codice ISTAT.",
                    foglio,
                )
                self.errori.append(errore)
                self.comuni_ignoti[("nome", chiave)].append(errore)
                return None
        if per_nome and per_codice and per_nome.pk != per_codice.pk:
            self.errori.append(
                Errore(
                    numero,
                    nomi["codice_istat"],
                    codice,
                    f"Il codice ISTAT {codice} è del comune di {per_codice.nome}, non di «{nome}».",
                    foglio,
                )
            )
            return None
        trovato = per_nome or per_codice
        if trovato is None:
            self.errori.append(
                Errore(
                    numero,
                    nomi.get("comune") or nomi.get("codice_istat", "Comune"),
                    "",
                    mancante,
                    foglio,
                )
            )
            return None
        return trovato.pk

    def fuori_ambito(self) -> None:
        """Say «not in the ambito» instead of «unknown» for comuni that exist elsewhere (one query)."""
        if not self.comuni_ignoti:
            return
        nomi = {v for k, v in self.comuni_ignoti if k == "nome"}
        codici = {v for k, v in self.comuni_ignoti if k == "codice"}
        altrove = self.contesto.comuni_fuori_ambito(nomi, codici)
        ambito = self.contesto.piano.ambito
        for (_, valore), errori in self.comuni_ignoti.items():
            if valore in altrove:
                for e in errori:
                    e.messaggio = (
                        f"Il comune di {altrove[valore]} non fa parte dell'ambito «{ambito}»: si possono "
                        "indicare solo unità che si trovano nei comuni dell'ambito."
                    )
