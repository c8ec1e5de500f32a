"""The ente workspace (area dell'ente), by concern."""

from patrimonio.views.area import *  # noqa: F403
from patrimonio.views.caricamenti import *  # noqa: F403
from patrimonio.views.conteggi import *  # noqa: F403
from patrimonio.views.unita import *  # noqa: F403
