"""Helpers for the tests of the history of changes: the rows recorded for a row, their values, the
whole row's columns, and the data of an admin page's form as a browser sends it back."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.db.models import Model
from django.urls import reverse

from piano_annuale.models import Modifica


def url(modello: type[Model], vista: str, *args: Any) -> str:
    return reverse(f"admin:{modello._meta.app_label}_{modello._meta.model_name}_{vista}", args=args)


class ModuloAdmin(HTMLParser):
    """What a browser would send for the admin's form: every field as the page renders it."""

    def __init__(self, id_modulo: str) -> None:
        super().__init__()
        self.id_modulo = id_modulo
        self.dentro = False
        self.dati: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None  # (name, multiple)
        self.opzioni: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def _aggiungi(self, nome: str, valore: str) -> None:
        if "__prefix__" not in nome:
            self.dati.setdefault(nome, []).append(valore)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.id_modulo:
            self.dentro = True
        if not self.dentro or not a.get("name") and tag != "option":
            return
        if tag == "input":
            tipo = a.get("type", "text")
            if tipo in ("checkbox", "radio"):
                if "checked" in a:
                    self._aggiungi(a["name"], a.get("value") or "on")
            elif tipo not in ("submit", "button", "reset", "image", "file"):
                self._aggiungi(a["name"], a.get("value", ""))
        elif tag == "select":
            self.select, self.opzioni = (a["name"], "multiple" in a), []
        elif tag == "option" and self.select is not None:
            self.opzioni.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea = a["name"]
            self._aggiungi(self.textarea, "")

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.dati[self.textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.dentro = False
        elif tag == "select" and self.select is not None:
            nome, multiplo = self.select
            scelte = [v for v, scelta in self.opzioni if scelta]
            if not scelte and not multiplo and self.opzioni:
                scelte = [self.opzioni[0][0]]
            for valore in scelte:
                self._aggiungi(nome, valore)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the newline that follows <textarea>.
            self.dati[self.textarea][-1] = self.dati[self.textarea][-1].removeprefix("\n")
            self.textarea = None


def dati_della_pagina(client: Any, indirizzo: str, modello: type[Model]) -> dict[str, list[str]]:
    risposta = client.get(indirizzo)
    assert risposta.status_code == 200
    modulo = ModuloAdmin(f"{modello._meta.model_name}_form")
    modulo.feed(risposta.content.decode())
    assert modulo.dati, f"nessun campo nel modulo di {indirizzo}"
    return modulo.dati


def storico(modello: type[Model], pk: Any, azione: str) -> list[Modifica]:
    return list(Modifica.objects.filter(modello=modello._meta.label_lower, oggetto_id=pk, azione=azione))


def valori_prima(modifica: Modifica) -> dict[str, Any]:
    assert isinstance(modifica.prima, dict)
    return modifica.prima


def valori_dopo(modifica: Modifica) -> dict[str, Any]:
    assert isinstance(modifica.dopo, dict)
    return modifica.dopo


def colonne(modello: type[Model]) -> set[str]:
    """Every column of the table but the id, and its many-to-many relations: the whole row."""
    return {c.attname for c in modello._meta.concrete_fields if not c.primary_key} | {
        c.name for c in modello._meta.many_to_many
    }
