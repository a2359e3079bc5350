# Storefront Assistant. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Rasa 3.6 needs Python 3.10: pyenv's 3.10.13 when present, else python3.10 on the PATH.
PYTHON310 ?= $(shell PYENV_VERSION=3.10.13 pyenv which python 2>/dev/null || command -v python3.10)
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.PHONY: help install run train evaluate bench bench-smoke test test-fast test-browser seed check-kb constraints clean chromium

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (pyenv install 3.10.13)"; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0" wheel
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed ## create .venv, install the pinned Python and npm packages

chromium: ## install Debian's chromium for the browser tests (when missing)
	./scripts/install-chromium.sh

run: install ## set up (.env with random secrets on the first run), run the servers under supervisord; Ctrl-C stops
	./scripts/run.sh

train: install ## train the Rasa model if data, domain or config changed
	$(PY) -m bot train

evaluate: train ## evaluate the model: test set and labelled messages; report in var/reports/
	$(PY) -m bot evaluate

bench: train ## benchmark ours against the stock Rasa setup (about 10 minutes); report in bench/results/
	$(PY) -m bench.run

bench-smoke: train ## seconds of every benchmark stage: checks the harness, never a timing
	$(PY) -m bench.run --smoke

check-kb: install ## validate knowledge_base/
	$(PY) -m bot check-kb

seed: install ## replace the orders in the database with the demo set
	$(PY) -m bot seed

test: install chromium ## run every test: knowledge base, unit, actions, real servers, Rasa stories, browser
	$(PY) -m bot.audit
	$(PY) -m bot check-kb
	$(PY) -m bot train
	$(PY) -m pytest

test-fast: install ## unit and action tests only (no servers)
	$(PY) -m pytest -m "not integration and not browser"

test-browser: install chromium ## the shopper and agent journeys in headless chromium
	$(PY) -m bot train
	$(PY) -m pytest -m browser

constraints: install ## rewrite constraints.txt from the current .venv
	(echo "# pip freeze of a working install; regenerate with: make constraints"; $(PY) -m pip freeze) > constraints.txt

clean: ## remove the model, the database and caches (keeps .venv)
	rm -rf models var .pytest_cache results test-artifacts
