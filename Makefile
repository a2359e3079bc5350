# Storefront Assistant. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Two environments (README, "Architecture"): the application (.venv, Python 3.12) and the Rasa server
# with training and model evaluation (.venv-rasa, Python 3.10, which Rasa 3.6 needs).
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python
# The application runs on 3.12 (what its lock file was made with) or a newer Python.
PYTHON_APP ?= $(shell scripts/find-python.sh 3.12 3.13 3.14)
PYTHON310 ?= $(shell scripts/find-python.sh 3.10)
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.PHONY: help install run train evaluate bench bench-smoke widget-size test test-fast test-browser seed check-kb audit lock clean chromium

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# A .venv of another Python (a checkout from before the split held Rasa's 3.10 there) is made anew.
$(VENV)/.installed: requirements/app.in requirements/app.lock
	@test -n "$(PYTHON_APP)" || { echo "Python 3.12 or newer not found (pyenv install 3.12)"; exit 1; }
	@test -x $(PY) && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null || \
	  { rm -rf $(VENV); $(PYTHON_APP) -m venv $(VENV); }
	$(PY) -m pip install --quiet "pip==26.3"
	$(PY) -m pip install --quiet -r requirements/app.in -c requirements/app.lock
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.in requirements/rasa.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (pyenv install 3.10.13)"; exit 1; }
	test -x $(RASA_PY) || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install --quiet "pip==24.0"
	$(RASA_PY) -m pip install --quiet -r requirements/rasa.in -c requirements/rasa.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# rasa-webchat 1.x, the widget many Rasa shops already embed: the browser tests run a handoff through it.
# Only its self-contained bundle is needed, so the package is fetched by name from npm (which checks its
# integrity) and unpacked, instead of installing its 590 build-time dependencies.
RASA_WEBCHAT_VERSION := 1.0.1
RASA_WEBCHAT := var/vendor/rasa-webchat-$(RASA_WEBCHAT_VERSION).js
$(RASA_WEBCHAT):
	@command -v npm >/dev/null || { echo "npm not found (Debian: apt-get install nodejs npm)"; exit 1; }
	rm -rf var/vendor/unpack && mkdir -p var/vendor/unpack
	cd var/vendor/unpack && npm pack --silent --loglevel=error rasa-webchat@$(RASA_WEBCHAT_VERSION) >/dev/null && \
	  tar xzf rasa-webchat-$(RASA_WEBCHAT_VERSION).tgz package/lib/index.js
	mv var/vendor/unpack/package/lib/index.js $@ && rm -rf var/vendor/unpack

install: $(VENV)/.installed $(RASA_VENV)/.installed node_modules/.installed ## create .venv and .venv-rasa from the lock files, install the npm packages

chromium: ## install Debian's chromium for the browser tests (when missing)
	./scripts/install-chromium.sh

run: install ## set up (.env with random secrets on the first run), run the servers under supervisord; Ctrl-C stops
	./scripts/run.sh

train: install ## train the Rasa model if data, domain or config changed
	$(PY) -m bot train

evaluate: train ## evaluate the model: test set and labelled messages; report in var/reports/
	$(PY) -m bot evaluate

bench: train ## benchmark ours against the stock Rasa setup (about 15 minutes); report in bench/results/
	$(PY) -m bench.run

widget-size: install ## the chat widget's size on a shop's page, minified and gzipped (budget 30 KB)
	node bench/widget_size.js

bench-smoke: train ## seconds of every benchmark stage: checks the harness, never a timing
	$(PY) -m bench.run --smoke

check-kb: install ## validate knowledge_base/
	$(PY) -m bot check-kb

seed: install ## replace the orders in the database with the demo set
	$(PY) -m bot seed

audit: install ## dependency audit of both environments against ../shared/advisories (and online sources if reachable)
	$(PY) -m bot.audit --environment app
	$(RASA_PY) -m bot.audit --environment rasa

test: install chromium $(RASA_WEBCHAT) ## run every test: audit, knowledge base, both environments' tests, real servers, browser
	$(MAKE) --no-print-directory audit
	$(PY) -m bot check-kb
	node --test tests/widget/
	node --test tests/console/
	$(PY) -m bot train
	$(RASA_PY) -m pytest -c tests/rasa/pytest.ini tests/rasa
	$(PY) -m pytest

test-fast: install ## unit and action tests of both environments and the widget and console cores (no servers)
	node --test tests/widget/
	node --test tests/console/
	$(RASA_PY) -m pytest -c tests/rasa/pytest.ini tests/rasa -m "not integration"
	$(PY) -m pytest -m "not integration and not browser"

test-browser: install chromium $(RASA_WEBCHAT) ## the shopper and agent journeys in headless chromium
	$(PY) -m bot train
	$(PY) -m pytest -m browser

lock: ## after editing requirements/*.in: install what they now ask for (the application's packages at their newest), rewrite both lock files
	@test -x $(PY) && test -x $(RASA_PY) || { echo "no environments yet: make install first"; exit 1; }
	$(PY) -m pip install --quiet --upgrade -r requirements/app.in
	$(RASA_PY) -m pip install --quiet -r requirements/rasa.in
	(echo "# Exact versions of the application environment (.venv, Python 3.12); regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable) > requirements/app.lock
	(echo "# Exact versions of the Rasa environment (.venv-rasa, Python 3.10); regenerate with: make lock"; \
	  $(RASA_PY) -m pip freeze --exclude-editable) > requirements/rasa.lock
	touch $(VENV)/.installed $(RASA_VENV)/.installed

clean: ## remove the model, the database and caches (keeps .venv and .venv-rasa)
	rm -rf models var .pytest_cache results test-artifacts
