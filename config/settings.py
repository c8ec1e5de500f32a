"""Settings for the POA application, driven by environment variables.

Development defaults are safe and need no server: SQLite in ``var/`` and Celery in eager mode.
With ``DEBUG`` off the application refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "sviluppo-non-usare-in-produzione"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY è obbligatoria quando DEBUG è disattivato.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS è obbligatoria quando DEBUG è disattivato.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.amministrazione.AmministrazioneConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files of our own (no CDN)
    "import_export",
    "axes",
    "csp",
    "django_prose_editor",  # the narratives' rich-text editor: its static files only (no model, no CDN)
    "ambito",
    "patrimonio",
    "piano_annuale",
    "misure",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The ambito a person with several memberships works in (before any view asks the access policy).
    "patrimonio.ambito_in_uso.AmbitoInUso",
    "config.sessioni.RinnovoSessione",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# DATABASE_URL unset means the embedded SQLite database of the demo.
DEFAULT_SQLITE = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    # A fresh clone has no var/ (it is not versioned): the embedded database needs its folder.
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's default random_page_cost (4) assumes spinning disks: with it the computation's
    # joins scan the whole regional registry instead of reading a plan's units by key
    # (benchmarks/regione.py prints the EXPLAIN of both; Milano-sized ambito 681 → 442 ms).
    costo = os.environ.get("POSTGRES_RANDOM_PAGE_COST", "1.1")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={float(costo)}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Database roles (issue 16). DATABASE_URL is the application's role, which owns no table: it reads
# and writes rows but cannot TRUNCATE, ALTER TABLE … DISABLE TRIGGER nor SET session_replication_role,
# so the immutability triggers hold. `migrate` runs with DATABASE_URL set to the owner role's URL
# (docker-compose's migrate service), then `concedi_privilegi` (as the owner) grants DATABASE_APP_ROLE
# the rows of every table; `verifica_ruolo_applicazione` (as the application) proves the refusals.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "")

# The computed plans (piano_annuale.calcolo.cache): in this process's memory by default (the demo, the
# tests: one process, nothing shared), in Redis when CACHE_URL (or REDIS_URL) names it, so that every
# worker reads what one computed.
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or ""
CACHES: dict[str, dict[str, object]]
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "poa"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "poa",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "300"))},
        }
    }

# Each process also keeps the entries it read last in memory, in front of CACHES (the keys name a
# revision, so they never go stale): at most this many MiB (estimated) per process; 0 turns it off.
POA_CACHE_LOCALE_MB = int(os.environ.get("POA_CACHE_LOCALE_MB", "64"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano")]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True
# Off: years and codes must not become "2.025"; counts use the `numero` filter, which groups.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development whitenoise serves straight from the apps' and project's static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Login throttling (django-axes): the first backend refuses a locked-out user before the password is
# even checked. Failures count by username and, separately, by IP address; FAILURE_LIMIT failures
# lock for COOLOFF minutes. The ufficio di piano and the platform admin unlock from /accessi-bloccati/.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_MINUTI = int(os.environ.get("AXES_COOLOFF_MINUTI", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTI)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login does not wipe the failures: axes would wipe the address's too, so anyone with an
# account could reset the per-address limit between guesses at other usernames.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "patrimonio.blocchi.risposta_blocco"
# Behind POA_PROXY_FIDATI reverse proxies the client's address is read from X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "patrimonio.blocchi.indirizzo_client"
POA_PROXY_FIDATI = int(os.environ.get("POA_PROXY_FIDATI", "0"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# E-mail: SMTP when EMAIL_HOST is set, the console otherwise (development). With DEBUG off the console
# would write password-reset links into the server's log: it is refused unless explicitly allowed.
EMAIL_CONSOLE = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else EMAIL_CONSOLE
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
if not DEBUG and not env_bool("POA_EMAIL_CONSOLE_CONSENTITA", False):
    if EMAIL_BACKEND == EMAIL_CONSOLE:
        raise ImproperlyConfigured(
            "Con DEBUG disattivato serve un server SMTP: impostare EMAIL_HOST (ed EMAIL_PORT, "
            "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD). Per scrivere le e-mail nel log del server, "
            "solo per prova, impostare POA_EMAIL_CONSOLE_CONSENTITA=1."
        )
    if EMAIL_BACKEND.endswith("smtp.EmailBackend") and not EMAIL_HOST:
        raise ImproperlyConfigured("EMAIL_BACKEND è SMTP ma EMAIL_HOST non è impostata.")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "poa@ambito.example")
# The service's contact address, shown in the accessibility statement and the privacy note.
EMAIL_SERVIZIO = os.environ.get("EMAIL_SERVIZIO", DEFAULT_FROM_EMAIL)

# Celery: without a broker, tasks run eagerly in the calling process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Jobs that survive faults (piano_annuale.lavori): a task is acknowledged only when it ends and put
# back in the queue if its worker dies, so each task claims its row first and a second delivery does
# nothing; one task at a time per worker process (a PDF holds a lot of memory). The broker keeps an
# unacknowledged message for the visibility timeout, longer than any task may run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "900"))
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 60, CELERY_TASK_TIME_LIMIT * 9 // 10)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600, 2 * CELERY_TASK_TIME_LIMIT)}
# An unreachable broker must fail the request's queueing in about a second, not hang it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Heartbeat and stale-job limits, seconds (piano_annuale.lavori; the sweep runs every SECONDI_PULIZIA
# under celery beat, or `manage.py pulisci_lavori`).
POA_LAVORI = {
    "SECONDI_BATTITO": int(os.environ.get("POA_LAVORI_SECONDI_BATTITO", "15")),
    "SECONDI_SENZA_SEGNALI": int(os.environ.get("POA_LAVORI_SECONDI_SENZA_SEGNALI", "120")),
    "SECONDI_IN_CODA": int(os.environ.get("POA_LAVORI_SECONDI_IN_CODA", "1800")),
    "SECONDI_PULIZIA": int(os.environ.get("POA_LAVORI_SECONDI_PULIZIA", "60")),
}

# The REST API (/api/v1/, app ``api``): the session (with CSRF) or a personal token, per-token
# throttling, problem details (RFC 9457) for every error, the OpenAPI schema by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permessi.TokenInScrittura",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.autenticazione.AutenticazioneToken",
        "api.autenticazione.AutenticazioneSessione",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.limiti.LimitePerToken"],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("POA_API_LIMITE_TOKEN", "1200/min"),
        "utente": os.environ.get("POA_API_LIMITE_UTENTE", "1200/min"),
    },
    "EXCEPTION_HANDLER": "api.errori.gestore_errori",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API del Piano Annuale dell'Offerta abitativa (POA)",
    "DESCRIPTION": (
        "Lettura del territorio, dei piani e del piano calcolato; scrittura dei dati dell'ente nella "
        "ricognizione, con le stesse regole, gli stessi messaggi e lo stesso storico del foglio di "
        "calcolo e delle pagine dell'ente. Autenticazione: la sessione del browser oppure un token "
        "personale (`Authorization: Bearer <token>`), creato nella pagina «I miei token di accesso». "
        "Chi opera in più ambiti indica quello in uso con `?ambito=<id>` o l'intestazione `X-Ambito`. "
        "Gli errori sono «problem details» (RFC 9457) in italiano."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.errori_nello_schema",
    ],
}

# Sessions end after SESSION_MINUTI minutes without a request and when the browser closes. The
# expiry is renewed by config.sessioni.RinnovoSessione at most once a minute, not on every request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_MINUTI", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# With Redis as the shared cache, a session is read from it (written to both, deleted from both at
# logout): one query fewer on every page. Never with the per-process locmem cache, where a session
# ended in one worker would live on in another's memory.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Content-Security-Policy (django-csp): no inline script or style; an inline <script> that must stay
# carries nonce="{{ CSP_NONCE }}". Bootstrap Italia's CSS embeds data: SVG images and a data: font.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # TLS ends at the reverse proxy, which says so in X-Forwarded-Proto (empty to disable: then
    # the proxy must not pass the header through from clients).
    _intestazione_proxy = os.environ.get("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")
    SECURE_PROXY_SSL_HEADER = (_intestazione_proxy, "https") if _intestazione_proxy else None
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # One year by default; 0 turns HSTS off (e.g. while trying the service over plain HTTP).
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
