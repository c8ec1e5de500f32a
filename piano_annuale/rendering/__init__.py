"""The plan's renderings, all read from the one computed plan (``piano_annuale.calcolo``).

- ``pdf``: the document for the Assemblea dei Sindaci (outline, HTML, WeasyPrint, PDF/A-3b);
  ``grafici`` draws its charts, ``testi`` holds its narratives.
- ``esportazione``: the plan's tables as xlsx and csv, and the flat CSV attached to the PDF/A.
- ``versioni``: frozen versions (JSON and PDF), their comparison and the totals year over year.
- ``lettere``: the letters to the Prefettura for the Forze di Polizia quota.

Headings, sheet names and comparison labels come from ``piano_annuale.catalogo``. Queuing a PDF
for the background worker is ``piano_annuale.tasks.richiedi_pdf``, above these modules.
"""

import logging

# WeasyPrint logs every rendering step at INFO, even on import: noise in the worker's and the
# commands' output. Set here, before ``pdf`` imports it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
