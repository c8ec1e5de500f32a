"""The plan's narratives: each section's text (the plan's own or the project's default), saved by
the ufficio di piano and rendered as sanitised HTML in the PDF and in the editor's preview.

A text is HTML (written with the rich-text editor, or imported from a .docx/.odt) or Markdown (the
project's defaults and texts written before the editor): both end in the same sanitiser, with the
same allowed tags. Placeholders such as «{{ unita_disponibili }}» show live figures of the computed
plan: they are looked up in ``SEGNAPOSTI`` and replaced in the sanitised HTML by escaped values —
the user's text is never executed as a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
import nh3
from django.db import transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ambito.templatetags.italiano import data_estesa
from piano_annuale.calcolo import PianoCalcolato
from piano_annuale.models import PianoAnnuale, SezioneTesto, TestoPiano
from piano_annuale.storico import Scrittura
from piano_annuale.templatetags.piano import numero, perc
from piano_annuale.testi_predefiniti import testo_predefinito

# What the ufficio di piano may use; everything else is stripped.
ETICHETTE_AMMESSE = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "a", "code", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTI_AMMESSI = {"a": {"href"}, "th": {"scope", "colspan", "rowspan"}, "td": {"colspan", "rowspan"}}

# A text written with the editor (or imported) starts with a block element.
_INIZIO_HTML = re.compile(r"^\s*<(p|h[1-6]|ul|ol|blockquote|table|hr|div)\b", re.IGNORECASE)
_SEGNAPOSTO = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Segnaposto:
    descrizione: str
    valore: Callable[[PianoCalcolato], str]


# The figures a narrative may quote, by name: «{{ nome }}» in the text.
SEGNAPOSTI: dict[str, Segnaposto] = {
    "anno": Segnaposto("Anno del piano", lambda p: str(p.piano.anno)),
    "ambito": Segnaposto("Nome dell'ambito", lambda p: str(p.piano.ambito)),
    "unita_disponibili": Segnaposto(
        "Unità SAP assegnabili nell'anno (sezione g)", lambda p: numero(p.g.totale.totale)
    ),
    "alloggi_totali": Segnaposto(
        "Alloggi del patrimonio pubblico e sociale (sezione a)", lambda p: numero(p.a.totale)
    ),
    "alloggi_sap": Segnaposto("Alloggi SAP (sezione a)", lambda p: numero(p.a.sap)),
    "alloggi_sas": Segnaposto("Alloggi SAS (sezione a)", lambda p: numero(p.a.sas)),
    "unita_carenza": Segnaposto("Unità in carenza manutentiva (sezione b)", lambda p: numero(p.b.totale)),
    "unita_libere": Segnaposto("Unità già libere (sezione e)", lambda p: numero(p.e.totale_libere)),
    "unita_sat": Segnaposto(
        "Unità destinate ai servizi abitativi transitori (sezione j)", lambda p: numero(p.j.totale)
    ),
    "assegnate_anno_precedente": Segnaposto(
        "Unità assegnate nell'anno precedente (sezione k)", lambda p: numero(p.k.totale)
    ),
    "abitanti": Segnaposto(
        "Popolazione residente nell'ambito", lambda p: numero(p.demografia.totale_abitanti)
    ),
    "data_popolazione": Segnaposto(
        "Data di riferimento della popolazione", lambda p: data_estesa(p.demografia.data_riferimento)
    ),
    "numero_comuni": Segnaposto("Comuni dell'ambito", lambda p: numero(p.demografia.numero_comuni)),
    "comuni_rispondenti": Segnaposto(
        "Comuni che hanno risposto alla ricognizione", lambda p: numero(p.ricognizione.comuni_rispondenti)
    ),
    "tasso_risposta": Segnaposto(
        "Tasso di risposta della ricognizione", lambda p: perc(p.ricognizione.tasso_risposta)
    ),
}


class TestiNonValidi(ValueError):
    """What the ufficio di piano wrote cannot be saved: the message says why, in Italian."""


def testi_del_piano(piano: PianoAnnuale) -> dict[str, str]:
    """Text of every narrative section: the plan's own, else the project's default."""
    propri = {t.sezione: t.testo for t in piano.testi.all() if t.testo.strip()}
    return {sezione: propri.get(sezione) or testo_predefinito(sezione) for sezione in SezioneTesto.values}


def e_html(testo: str) -> bool:
    return bool(_INIZIO_HTML.match(testo))


def pulisci_html(html: str) -> str:
    """The sanitiser every narrative goes through, whatever wrote it."""
    return nh3.clean(html, tags=ETICHETTE_AMMESSE, attributes=ATTRIBUTI_AMMESSI)


def segnaposti_sconosciuti(testo: str) -> list[str]:
    return sorted({nome for nome in _SEGNAPOSTO.findall(testo) if nome not in SEGNAPOSTI})


def valori_segnaposti(calcolo: PianoCalcolato) -> dict[str, str]:
    return {nome: s.valore(calcolo) for nome, s in SEGNAPOSTI.items()}


def salva_testi(*, piano: PianoAnnuale, testi: dict[str, str], utente: Any) -> None:
    """Store the narratives the ufficio di piano wrote. HTML (the editor's) is sanitised before it
    is stored; a section left empty, or equal to the project's default, goes back to the default:
    only texts actually written are kept. Unknown placeholders refuse the whole save. What changes
    is recorded in the history."""
    puliti: dict[str, str] = {}
    for sezione in SezioneTesto.values:
        testo = testi.get(sezione, "").replace("\r\n", "\n").strip()
        if e_html(testo):
            testo = pulisci_html(testo).strip()
            if not re.sub(r"<[^>]*>|&nbsp;|\s", "", testo):  # the editor's empty paragraph
                testo = ""
        puliti[sezione] = testo
    errori = [
        f"«{SezioneTesto(sezione).label}»: segnaposto sconosciut{'o' if len(nomi) == 1 else 'i'} "
        + ", ".join(f"{{{{ {n} }}}}" for n in nomi)
        for sezione, testo in puliti.items()
        if (nomi := segnaposti_sconosciuti(testo))
    ]
    if errori:
        raise TestiNonValidi(
            "I testi non sono stati salvati. " + "; ".join(errori) + ". Usare solo i segnaposti dell'elenco."
        )
    attuali = testi_del_piano(piano)
    with transaction.atomic(), Scrittura(utente=utente, origine="", piano=piano.pk) as scrittura:
        scrittura.osserva(TestoPiano.objects.filter(piano=piano))
        for sezione, testo in puliti.items():
            predefinito = testo_predefinito(sezione).strip()
            if not testo or testo == predefinito or testo == html_sicuro(predefinito):
                TestoPiano.objects.filter(piano=piano, sezione=sezione).delete()
            elif testo != attuali[sezione].strip():
                TestoPiano.objects.update_or_create(
                    piano=piano, sezione=sezione, defaults={"testo": testo, "aggiornato_da": utente}
                )


def html_sicuro(testo: str, calcolo: PianoCalcolato | None = None) -> SafeString:
    """The narrative as sanitised HTML (Markdown converted first); with ``calcolo``, the placeholders
    replaced by the plan's figures, escaped. Unknown placeholders stay as written."""
    html = testo if e_html(testo) else markdown.markdown(testo, extensions=["sane_lists", "tables"])
    pulito = pulisci_html(html)
    if calcolo is not None:
        valori = valori_segnaposti(calcolo)
        pulito = _SEGNAPOSTO.sub(lambda m: escape(valori[m[1]]) if m[1] in valori else m[0], pulito)
    return mark_safe(pulito)  # noqa: S308 - sanitised, and the figures are escaped


# The name the PDF and the editor's preview have always used.
markdown_sicuro = html_sicuro
