"""The plan's narratives: each section's Markdown (the plan's own or the project's default), saved
by the ufficio di piano and rendered as sanitised HTML in the PDF and in the editor's preview."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

from piano_annuale.models import PianoAnnuale, SezioneTesto, TestoPiano
from piano_annuale.storico import Scrittura
from piano_annuale.testi_predefiniti import testo_predefinito

# Markdown of the narratives: what the ufficio di piano may use; everything else is stripped.
ETICHETTE_AMMESSE = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "a", "code", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def testi_del_piano(piano: PianoAnnuale) -> dict[str, str]:
    """Markdown of every narrative section: the plan's own text, else the project's default."""
    propri = {t.sezione: t.testo for t in piano.testi.all() if t.testo.strip()}
    return {sezione: propri.get(sezione) or testo_predefinito(sezione) for sezione in SezioneTesto.values}


def salva_testi(*, piano: PianoAnnuale, testi: dict[str, str], utente: Any) -> None:
    """Store the narratives the ufficio di piano wrote. A section left empty, or equal to the
    project's default, goes back to the default: only texts actually written are kept. What
    changes is recorded in the history."""
    attuali = testi_del_piano(piano)
    with transaction.atomic(), Scrittura(utente=utente, origine="", piano=piano.pk) as scrittura:
        scrittura.osserva(TestoPiano.objects.filter(piano=piano))
        for sezione in SezioneTesto.values:
            testo = testi.get(sezione, "").replace("\r\n", "\n").strip()
            if not testo or testo == testo_predefinito(sezione).strip():
                TestoPiano.objects.filter(piano=piano, sezione=sezione).delete()
            elif testo != attuali[sezione].strip():
                TestoPiano.objects.update_or_create(
                    piano=piano, sezione=sezione, defaults={"testo": testo, "aggiornato_da": utente}
                )


def markdown_sicuro(testo: str) -> SafeString:
    """Markdown to HTML, sanitised: the text comes from users and goes into an official document."""
    html = markdown.markdown(testo, extensions=["sane_lists", "tables"], output_format="html")
    return mark_safe(nh3.clean(html, tags=ETICHETTE_AMMESSE, attributes={"a": {"href"}}))  # noqa: S308
