# POA – Piano annuale dell'offerta abitativa: comandi di sviluppo.
#
#   make demo         installa tutto, carica i dati dell'Ambito Cremonese 2025 e avvia http://127.0.0.1:8000
#   make test         installa anche le dipendenze di sviluppo, poi ruff, check, migrazioni e pytest
#
# Le variabili d'ambiente (DATABASE_URL, CELERY_BROKER_URL, DEBUG, ...) sono descritte nel README.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Un python3.11 capace di creare virtualenv: quello nel PATH (ad es. pyenv) o quello di Debian.
PYTHON ?= $(shell for p in python3.11 /usr/bin/python3.11; do \
	$$p -c 'import ensurepip, venv' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
MANAGE := $(PY) manage.py
RUFF := $(VENV)/bin/ruff
RUNSERVER_ADDR ?= 127.0.0.1:8000

# Le dipendenze Python si reinstallano solo quando cambia pyproject.toml.
STAMP := $(VENV)/.installato
STAMP_DEV := $(VENV)/.installato-dev

.PHONY: help install install-dev system-deps system-deps-dev venv demo test bench-smoke lint format migrate run worker clean distclean

help: ## elenca i comandi disponibili
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## installa i pacchetti Debian mancanti (librerie di WeasyPrint, font, poppler-utils)
	bash scripts/install-system-deps.sh --python

venv: system-deps
	@if ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1; then \
		if [ -z "$(PYTHON)" ]; then echo "Python 3.11 non trovato: installalo o imposta PYTHON=..." >&2; exit 1; fi; \
		echo "Creo il virtualenv $(VENV) con $(PYTHON)"; \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV); \
		$(PIP) install -q --upgrade pip; \
	fi
	@mkdir -p var

$(STAMP): pyproject.toml | venv
	$(PIP) install -q -e .
	@touch $@

$(STAMP_DEV): pyproject.toml | venv
	$(PIP) install -q -e ".[dev]"
	@touch $(STAMP) $@

install: venv $(STAMP) ## crea .venv (Python 3.11) e installa il progetto e i pacchetti di sistema

system-deps-dev: ## come system-deps, più Chromium per i test nel browser
	bash scripts/install-system-deps.sh --python --dev

install-dev: system-deps-dev venv $(STAMP_DEV) ## come install, più le dipendenze di sviluppo (pytest, ruff, Chromium, ...)

demo: install ## migra, carica l'Ambito Cremonese 2025, crea gli utenti demo e avvia il server
	$(MANAGE) demo --indirizzo http://$(RUNSERVER_ADDR)
	$(MANAGE) runserver $(RUNSERVER_ADDR)

test: install-dev ## ruff, mypy, controlli di Django, migrazioni mancanti e test
	$(RUFF) check .
	$(VENV)/bin/mypy .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest -q

bench-smoke: install-dev ## una esecuzione breve di ogni benchmark (le cifre complete: README, «Prestazioni»)
	PY=$(PY) bash benchmarks/smoke.sh

lint: install-dev ## ruff check, verifica della formattazione e mypy
	$(RUFF) check .
	$(RUFF) format --check .
	$(VENV)/bin/mypy .

format: install-dev ## formatta il codice e applica le correzioni automatiche di ruff
	$(RUFF) format .
	$(RUFF) check --fix .

migrate: install ## applica le migrazioni al database configurato
	$(MANAGE) migrate

run: install ## avvia il server di sviluppo su http://127.0.0.1:8000
	$(MANAGE) runserver $(RUNSERVER_ADDR)

worker: install ## avvia un worker Celery (richiede CELERY_BROKER_URL)
	$(VENV)/bin/celery -A config worker --loglevel=INFO

clean: ## rimuove cache e file generati (non tocca .venv né il database)
	rm -rf .pytest_cache .ruff_cache staticfiles build *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## come clean, e rimuove anche .venv
	rm -rf $(VENV)
