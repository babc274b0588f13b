# Twinning Tracker — two commands do all set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := tracker:create_app

.PHONY: run test test-sqlite test-postgres lint translations install install-dev clean help

help:
	@echo "make run    set up everything and start the web app + scheduler on SQLite"
	@echo "make test   install test tools and run the whole suite (SQLite, then PostgreSQL if reachable)"
	@echo "make lint   ruff check + ruff format --check + bandit"

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d tracker/translations -D messages >/dev/null

run: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask tracker seed --demo --if-empty
	./scripts/dev-run.sh

test: install-dev translations browser-deps
	@if [ -n "$$DATABASE_URL" ]; then \
		$(MAKE) --no-print-directory test-db; \
	elif [ "$$TEST_DB" = "sqlite" ]; then \
		$(MAKE) --no-print-directory test-sqlite; \
	else \
		$(MAKE) --no-print-directory test-sqlite && \
		if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
			DATABASE_URL=$(PG_TEST_URL) $(MAKE) --no-print-directory test-db; \
		else \
			echo "!! PostgreSQL at $(PG_TEST_URL) is not reachable: only the SQLite pass ran."; \
		fi; \
	fi

test-sqlite:
	@echo "== test suite on SQLite"
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-db:
	@echo "== test suite on $$DATABASE_URL"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser) drive Debian's chromium (never a browser downloaded by
# `playwright install`) and inject axe-core from npm. Both are installed once, idempotently;
# a CJK font keeps the Chinese partner's name readable in the screenshots.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: browser-deps browser-system
browser-deps: browser-system node_modules/.installed

browser-system:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ] || ! command -v npm >/dev/null; then \
		echo "== installing chromium, a CJK font and npm for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei \
			$$(command -v npm >/dev/null || echo npm); \
	fi

node_modules/.installed: package.json package-lock.json | browser-system
	npm ci --no-audit --no-fund
	touch $@

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -ll -r tracker config.py wsgi.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache

.PHONY: test-deploy
# The production shape on loopback: gunicorn (4 workers) + one scheduler on a throw-away
# PostgreSQL database, an SMTP sink, a twinning carried through the HTTP API (tests/deploy).
test-deploy: install-dev translations
	@echo "== deployment smoke test on $${DATABASE_URL:-$(PG_TEST_URL)}"
	DEPLOY_SMOKE=1 DATABASE_URL=$${DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/python -m pytest -q tests/deploy $(PYTEST_ARGS)

.PHONY: bench bench-peer
# Every figure of docs/performance.md, each a ratio against a baseline measured in the same run.
# BENCH_PG: a PostgreSQL database the load figure may wipe (default: the test_h bench database).
BENCH_PG ?= postgresql://postgres@127.0.0.1:5432/test_h
bench: install-dev translations  ## all figures (docs/performance.md); bench-peer adds viewflow
	$(BIN)/python -m bench.run_all --database-url $(BENCH_PG)

PEER_VENV := bench/.venv-peer
$(PEER_VENV)/.installed:
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q django-viewflow==2.4.0
	touch $@

bench-peer: install-dev $(PEER_VENV)/.installed  ## one approval here vs django-viewflow 2.4
	$(BIN)/python -m bench.versus_viewflow
