# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Links in calendar feeds and mails must name the port `make run` serves on.
FACILITY_BASE_URL ?= http://127.0.0.1:$(PORT)
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint install chromium icaljs benchmark translations clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Create what is needed, migrate, load instruments.yaml and the demo data, serve on 127.0.0.1:$(PORT).
run: export FACILITY_BASE_URL := $(FACILITY_BASE_URL)
run: install
	$(FLASK) db upgrade
	$(FLASK) facility load-catalog
	$(FLASK) facility seed-demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## Install everything the tests need, check lint, format and layers, run the whole suite (SQLite, PostgreSQL, Chromium).
test: install chromium icaljs lint
	$(BIN)/python -m pytest -n auto

## ruff (lint and format) and import-linter (the layers of pyproject.toml's [tool.importlinter]).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Browser tests drive Debian's Chromium through Playwright (no downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The feed tests read feeds with ical.js too (Mozilla's parser): Node.js from Debian, ical.js
# from the npm registry at the version of tests/support/icaljs/package-lock.json.
ICALJS := tests/support/icaljs
icaljs: $(ICALJS)/node_modules/.package-lock.json

$(ICALJS)/node_modules/.package-lock.json: $(ICALJS)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's nodejs and npm for the feed tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix $(ICALJS) --no-audit --no-fund --silent

benchmark: install
	$(BIN)/python -m benchmarks

## After changing texts: extract them, merge into the Swedish catalogue, compile it.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l sv --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations -l sv --statistics

clean:
	rm -rf $(VENV) instance .pytest_cache
