"""Spreadsheet upload of an ente's units and turnover: read → validate every row → preview → confirm.

The pipeline, for an ente and a plan, one module per step:

1. **Read** (``lettura.leggi_file``): xlsx, xls and ods with python-calamine, which reads the values
   the spreadsheet saved (formulas are never evaluated); csv with the ``csv`` module, ``;`` or ``,``,
   UTF-8 (with or without BOM) or Windows-1252. Size, format and corruption are checked here.
   Cells become text and numbers in ``celle``.
2. **Validate** (``analisi.analizza``): the headers are matched to the columns of
   ``patrimonio.resources`` (our template, or the regional platform's two Allegato B layouts:
   ``tracciati``); then every row is checked (``validazione``) against dictionaries prefetched with a
   handful of queries (``contesto``: the ambito's comuni by name and ISTAT code, the ente's units by
   ID regionale, codice and internal id, their state in the plan, the IDs that belong to other
   enti). Every problem becomes an ``Errore`` (sheet, row, column, value, Italian message); all rows
   are checked, none is written.
3. **Compare** (``confronto``): the difference with the database, computed in memory — units added,
   changed, removed, unchanged; counts per plan section before and after; turnover per comune. The
   **preview** (``anteprima``) shows it.
4. **Confirm** (``scrittura.registra``): one transaction, after ``apri_modifica`` has locked the
   ente's answer and checked its data may change; only the rows that change are written, each kind
   of change with a fixed number of statements whatever the number of rows (``sql``), and the
   history of every row written, whole (``storico``: built from the values in memory, inserted with
   one statement). Unchanged rows are not touched. An analysis with errors is never written.

One workbook carries everything an ente declares, each sheet optional (a file with only the
turnover, or only the consistenza, is valid): units and their states, «Turnover», «Scelte», and
(``dichiarazioni``) «Consistenza» (section a, for the whole ente and optionally per comune), «SAT»
(section j, per comune) and «Assegnazioni» (section k, one row); in a csv, which has no sheet name,
these are recognised by their headers. Counts accept the Italian thousands separator («1.234»). A
unit whose state was carried over from last year's plan (``da_confermare``) and that the file lists
with the same state is confirmed; one listed with another state is changed and so confirmed too.

What a file speaks for. Our template is the ente's full list: a unit it leaves out loses its state
in the plan and, when no other plan counts it, leaves the registry (as «Elimina» does in the
workspace). The regional platform's lists speak only for the states they carry: the list of free
and carenza units (Allegato B, first table) removes those two states from the units it no longer
lists, the lotto list does the same for units in renovation; other units are not touched. A
«Turnover» sheet, when present, replaces the ente's turnover counts; so do the «Consistenza» and
«SAT» sheets for theirs, and the «Assegnazioni» sheet sets the one row of section k.

The rules of the plan's year decide the columns (``Contesto.regole``): the cost of works of section
b) (L.R. 18/2025) is read only under rules that have it, and only for units in carenza manutentiva;
a «Scelte» sheet (``scelte``), when present, holds the ente's choices as the rule set defines them,
is validated by the workspace's own form and saved by its service, in the same transaction as the
units. A file may hold only that sheet.

A ``Caricamento`` keeps the original file, its preview and its outcome (``job``:
``crea_caricamento``, ``analizza_caricamento``, ``conferma_caricamento``); files above
``POA_IMPORTAZIONE_RIGHE_IN_BACKGROUND`` rows are analysed and committed by the Celery tasks of
``patrimonio.tasks``. Between the preview and the confirmation the file is read again and its
changes must be exactly those previewed (``impronta``): otherwise the new preview is shown instead.

The modules, bottom up: ``limiti`` (limits, overridable in settings), ``errori`` (``FileNonValido``,
``Errore``), ``celle``, ``lettura``, ``tracciati``, ``sql`` (set-based statements: rows and ids as one
JSON parameter), ``contesto``, ``righe`` (``Analisi`` and its rows), ``comuni`` (a row's comune by
name or ISTAT code), ``scelte`` (the «Scelte» sheet), ``dichiarazioni`` (consistenza, SAT and
assignments: read, checked, compared), ``validazione``, ``confronto``, ``analisi``, ``storico`` (the
history rows), ``scrittura_dichiarazioni``, ``scrittura``, ``anteprima``, ``job``. Each imports only
those before it. The REST API's bulk endpoint calls the same ``analizza`` and ``registra``.

Who may upload for which ente is the views' business (``EnteProprietario.objects.modificabili_da``);
here a file can only ever touch the ente it is analysed for: rows of other enti, IDs regionali or
internal ids of other enti's units are errors.
"""

from .analisi import analizza
from .anteprima import ETICHETTE_CAMPI, ETICHETTE_STATO, anteprima, riepilogo_testuale
from .celle import intero, lettera_colonna, testo
from .contesto import Contesto, id_regionali_altrui
from .errori import DatiCambiati, Errore, FileNonValido, neutralizza
from .job import (
    MESSAGGIO_ERRORE_INTERNO,
    analizza_caricamento,
    annulla_caricamento,
    conferma_caricamento,
    contenuto_di,
    crea_caricamento,
    in_background,
    prenota_conferma,
)
from .lettura import conta_righe, estensione, leggi_file, verifica_file
from .limiti import (
    DIMENSIONE_MASSIMA,
    ELEMENTI_IN_ANTEPRIMA,
    ERRORI_IN_ANTEPRIMA,
    FORMATI,
    RIGHE_IN_BACKGROUND,
    RIGHE_MASSIME,
    limite,
)
from .righe import Analisi, Modifica, RigaTurnover, RigaUnita
from .scrittura import Esito, ImportazioneNonValida, registra
from .tracciati import DESCRIZIONE_LAYOUT, LAYOUT_ELENCO, LAYOUT_LOTTI, LAYOUT_MODELLO, LAYOUT_TURNOVER

__all__ = [
    "DESCRIZIONE_LAYOUT",
    "DIMENSIONE_MASSIMA",
    "ELEMENTI_IN_ANTEPRIMA",
    "ERRORI_IN_ANTEPRIMA",
    "ETICHETTE_CAMPI",
    "ETICHETTE_STATO",
    "FORMATI",
    "LAYOUT_ELENCO",
    "LAYOUT_LOTTI",
    "LAYOUT_MODELLO",
    "LAYOUT_TURNOVER",
    "MESSAGGIO_ERRORE_INTERNO",
    "RIGHE_IN_BACKGROUND",
    "RIGHE_MASSIME",
    "Analisi",
    "Contesto",
    "DatiCambiati",
    "Errore",
    "Esito",
    "FileNonValido",
    "ImportazioneNonValida",
    "Modifica",
    "RigaTurnover",
    "RigaUnita",
    "analizza",
    "analizza_caricamento",
    "annulla_caricamento",
    "anteprima",
    "conferma_caricamento",
    "conta_righe",
    "contenuto_di",
    "crea_caricamento",
    "estensione",
    "id_regionali_altrui",
    "in_background",
    "intero",
    "leggi_file",
    "lettera_colonna",
    "limite",
    "neutralizza",
    "prenota_conferma",
    "registra",
    "riepilogo_testuale",
    "testo",
    "verifica_file",
]
