"""The plan's pages, by concern."""

from piano_annuale.views.approvazione import *  # noqa: F403
from piano_annuale.views.confronto import *  # noqa: F403
from piano_annuale.views.cruscotto import *  # noqa: F403
from piano_annuale.views.documenti import *  # noqa: F403
from piano_annuale.views.iter import *  # noqa: F403
from piano_annuale.views.osservazioni import *  # noqa: F403
from piano_annuale.views.piano import *  # noqa: F403
