"""Writes that span several models, each in one transaction, by concern.

- ``errori``: the refusals every service raises (``ModificaNonConsentita``, ``OperazioneNonValida``).
- ``ente``: what an ente declares in the ricognizione (units and their state, consistenza, turnover,
  choices, SAT, assignments) and its answer (send, nothing to declare, reopen, confirm last year's states).
- ``promemoria``: reminders to the enti that have not answered.
- ``iter``: the plan's workflow moves (``piano_annuale.transizioni``), ALER's observations and parere,
  the Assemblea's approval.
- ``anno_successivo``: the plan of the following year, opened from the approved one.
- ``file_piano`` and ``carica``: reading, validating and loading a whole plan from a JSON file.

Import from the module that owns a function: this package imports none of them, so a caller pulls
in only the layer it needs.
"""
