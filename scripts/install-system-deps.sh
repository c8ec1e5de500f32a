#!/usr/bin/env bash
# Installa i pacchetti Debian di sistema necessari al progetto POA, solo se mancano.
#
#   scripts/install-system-deps.sh             librerie di WeasyPrint, font, poppler-utils
#   scripts/install-system-deps.sh --services  in più PostgreSQL e Redis
#   scripts/install-system-deps.sh --python    in più Python 3.11 con venv (se python3.11 manca)
#   scripts/install-system-deps.sh --dev       in più Chromium, per i test nel browser (Playwright, axe-core)
#   scripts/install-system-deps.sh --ci        tutto ciò che serve alla CI: --services, --python, --dev e make
#
# Idempotente: interroga dpkg e chiama `apt-get update` (una sola volta) e `apt-get install` soltanto
# se almeno un pacchetto manca. Funziona come root; altrimenti usa sudo.
set -euo pipefail

PACCHETTI=(
    # WeasyPrint (https://doc.courtbouillon.org/weasyprint/stable/first_steps.html, Debian ≥ 11)
    libpango-1.0-0
    libpangoft2-1.0-0
    libharfbuzz-subset0
    # font per i PDF del piano
    fonts-dejavu
    # pdftotext, usato dai test per leggere i PDF generati
    poppler-utils
)

# Python 3.11 di Debian solo se manca un python3.11 capace di creare virtualenv (ad es. quello di pyenv).
aggiungi_python() {
    if ! command -v python3.11 >/dev/null 2>&1 || ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        PACCHETTI+=(python3.11 python3.11-venv)
    fi
}

for arg in "$@"; do
    case "$arg" in
        --services)
            PACCHETTI+=(postgresql redis-server)
            ;;
        --python)
            aggiungi_python
            ;;
        --dev)
            PACCHETTI+=(chromium)
            ;;
        --ci)
            PACCHETTI+=(postgresql redis-server make chromium)
            aggiungi_python
            ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "Opzione sconosciuta: $arg (usa --services, --python, --dev, --ci o --help)" >&2
            exit 2
            ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "Questo script richiede un sistema Debian/Ubuntu (dpkg e apt-get)." >&2
    echo "Installa a mano: ${PACCHETTI[*]}" >&2
    exit 1
fi

installato() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

MANCANTI=()
for pacchetto in "${PACCHETTI[@]}"; do
    if ! installato "$pacchetto"; then
        MANCANTI+=("$pacchetto")
    fi
done

if [ "${#MANCANTI[@]}" -eq 0 ]; then
    echo "Pacchetti di sistema già presenti: ${PACCHETTI[*]}"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "Servono i privilegi di root per installare: ${MANCANTI[*]} (sudo non è disponibile)." >&2
    exit 1
fi

echo "Installo i pacchetti di sistema mancanti: ${MANCANTI[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MANCANTI[@]}"
