# POA – immagine di produzione: gunicorn (servizio web) e Celery (servizio worker) usano la stessa.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/app/var/media

# WeasyPrint's system libraries (Pango, HarfBuzz subsetting), fonts for the PDFs, pdftotext.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu \
        poppler-utils \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system poa && useradd --system --gid poa --create-home --home-dir /home/poa poa

WORKDIR /app

# Dependencies first, in their own layer: they change less often than the code.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected with the production storage (DEBUG=0); the key and hosts here exist
# only for this build step and are not kept in the image.
RUN mkdir -p static var/media \
    && DEBUG=0 SECRET_KEY=solo-per-collectstatic ALLOWED_HOSTS=localhost POA_EMAIL_CONSOLE_CONSENTITA=1 \
        python manage.py collectstatic --noinput \
    && chown -R poa:poa var

USER poa

EXPOSE 8000

# Workers and threads from the CPU count (WEB_CONCURRENCY, GUNICORN_THREADS override): gunicorn.conf.py.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi:application"]
