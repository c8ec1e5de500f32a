"""The WSGI application. gunicorn imports it in its master before forking (``preload_app``): the
URLconf is imported here too, with every view and what the views import (DRF, WeasyPrint), so that
the workers share it instead of each importing it on its first request (about a second of CPU per
worker, at every start and every recycling). Nothing here connects to the database or to Redis."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  # the lazy import, done now
