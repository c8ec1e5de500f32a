"""The import's limits, each overridable in settings as ``POA_IMPORTAZIONE_<NOME>``."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

# Files with more data rows than this are analysed and committed by a Celery task.
RIGHE_IN_BACKGROUND = 2_000
# Uploads larger than this are refused before being read or stored (bytes).
DIMENSIONE_MASSIMA = 20 * 1024 * 1024
# A sheet with more rows than this is refused (the limit guards memory, not the real data).
RIGHE_MASSIME = 200_000
# How many of each kind of change and of the errors the stored preview keeps (the counts are exact).
# Measured before any reader sees the file (``misura``): a sheet wider or larger than these is
# refused from its declared dimension; a zip (xlsx, ods) with more entries, a larger entry or total
# once uncompressed, or an entry compressed more than this ratio (a zip bomb), likewise.
COLONNE_MASSIME = 500
CELLE_MASSIME = 10_000_000
VOCI_ZIP_MASSIME = 2_000
VOCE_ZIP_MASSIMA = 400 * 1024 * 1024
DECOMPRESSO_MASSIMO = 600 * 1024 * 1024
RAPPORTO_COMPRESSIONE_MASSIMO = 300
# The child process that reads the file (``lettore_isolato``): address space (bytes), CPU and wall
# time (seconds), and the size of the rows it hands back (bytes).
MEMORIA_LETTURA = 2 * 1024 * 1024 * 1024
TEMPO_LETTURA = 180
USCITA_LETTURA = 1024 * 1024 * 1024
ELEMENTI_IN_ANTEPRIMA = 200
ERRORI_IN_ANTEPRIMA = 1_000

FORMATI = {"xlsx": "Excel (.xlsx)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)", "csv": "CSV"}
VERSIONE_ANTEPRIMA = 1


def limite(nome: str) -> int:
    """A limit of this module, as overridden by ``settings.POA_IMPORTAZIONE_<NOME>``."""
    return int(getattr(settings, f"POA_IMPORTAZIONE_{nome}", globals()[nome]))


Avanzamento = Callable[[int], None]


def nessun_avanzamento(percento: int) -> None:
    return None
