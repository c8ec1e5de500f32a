"""The whole plan: ``calcola_piano`` assembles every part and runs the consistency checks on it.

``calcola_piano(piano)`` reads the stored facts with a fixed number of grouped queries (the same for
an ambito of 50 units or of 50,000) and returns one immutable ``PianoCalcolato``. Every rendering —
the page, the PDF, the exports, the API, the frozen versions — reads that result, so they cannot
disagree.
"""

from __future__ import annotations

import dataclasses

# Imported as a module, not ``from … import verifica``: the checks import this package's result types
# (``calcolo.tipi``) and data (``calcolo.dati``), so whichever of the two is imported first, the other
# is found complete by the time ``calcola_piano`` runs.
from piano_annuale import controlli
from piano_annuale.models import PianoAnnuale

from .allegati import allegato_a, allegato_b, sintesi
from .dati import DatiPiano
from .parte_prima import (
    demografia,
    info_piano,
    ricognizione,
    sezione_a,
    sezione_b,
    sezione_c,
    sezione_d,
    sezione_e,
    sezione_f,
    sezione_g,
    sezione_h,
    sezione_i,
    sezione_ib,
    sezione_j,
    sezione_k,
)
from .parte_seconda import parte_seconda, parte_terza
from .regole import costi_carenza, info_regole, sezione_cbis, sezione_dbis
from .tipi import PianoCalcolato

# Bump when the computation changes what it returns, so cached renderings are not reused.
# 2: parte seconda e terza (misure); 3: every printed total is a field (in the JSON too);
# 4: the rules applied, d bis), c bis) and the cost of works of b); 5: surface and density per
# aggregazione and ambito, the ambito's word for its aggregazioni; 6: the population's sources.
VERSIONE_CALCOLO = 6


def calcola_piano(piano: PianoAnnuale) -> PianoCalcolato:
    """Compute every part of the plan from the stored facts, with a fixed number of queries."""
    dati = DatiPiano.carica(piano)
    a = sezione_a(dati)
    g = sezione_g(dati)
    j = sezione_j(dati)
    calcolo = PianoCalcolato(
        versione=VERSIONE_CALCOLO,
        piano=info_piano(dati),
        demografia=demografia(dati),
        ricognizione=ricognizione(dati),
        a=a,
        b=sezione_b(dati),
        c=sezione_c(dati),
        d=sezione_d(dati),
        e=sezione_e(dati),
        f=sezione_f(dati),
        g=g,
        h=sezione_h(dati),
        i=sezione_i(dati),
        ib=sezione_ib(dati, g),
        j=j,
        k=sezione_k(dati),
        allegato_a=allegato_a(dati, g, j),
        allegato_b=allegato_b(dati),
        sintesi=sintesi(dati, a, g),
        parte_seconda=parte_seconda(dati),
        parte_terza=parte_terza(dati),
        regole=info_regole(dati),
        dbis=sezione_dbis(dati),
        cbis=sezione_cbis(dati, g),
        costi_b=costi_carenza(dati),
        anomalie=(),
    )
    # The checks read the computed sections: they run on the result, then join it.
    return dataclasses.replace(calcolo, anomalie=controlli.verifica(dati, calcolo))
