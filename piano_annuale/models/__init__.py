"""The plan-year layer: the plan record, what the enti declare for it, its texts, its workflow
records and the audit. Every model is importable from ``piano_annuale.models``."""

from piano_annuale.models.dichiarazioni import *  # noqa: F403
from piano_annuale.models.iter import *  # noqa: F403
from piano_annuale.models.piano import *  # noqa: F403
from piano_annuale.models.regole import *  # noqa: F403
from piano_annuale.models.storico import *  # noqa: F403
from piano_annuale.models.testi import *  # noqa: F403
