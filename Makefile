# From a fresh clone: `make run` serves the site with the Clever sandbox; `make test` lints and tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ADDRPORT ?= 127.0.0.1:8000

.PHONY: help install run test journeys lint format migrate bench bench-fleet bench-purge bench-district load-check clean

help:
	@echo "make run          install, migrate, create the demo accounts and serve http://$(ADDRPORT)/ with the Clever sandbox"
	@echo "make test         install, lint (ruff) and run the whole test suite, browser journeys included"
	@echo "make journeys     only the browser journeys (Playwright + /usr/bin/chromium; screenshots in artifacts/journeys/)"
	@echo "make lint         ruff check and format check only"
	@echo "make format       apply ruff's fixes and formatting"
	@echo "make install      create .venv, install the requirements, copy .env.example to .env"
	@echo "make migrate      install, then apply the migrations"
	@echo "make clean        delete .venv and the tools' caches"
	@echo "make bench        measure one roster sync at 10, 50 and 200 sections (HTTP calls, SQL statements, time)"
	@echo "make bench-fleet  re-sync 1,000 teachers on 1, 2 and 4 db_worker processes (PostgreSQL; slow)"
	@echo "make bench-purge  purge_data deleting 200,000 archived students (PostgreSQL): rows/s, SQL per batch, memory"
	@echo "make bench-district  a 1,000-teacher district: per-teacher jobs vs the district snapshot vs events (PostgreSQL)"
	@echo "make load-check [ARGS=\"--teachers 100\"]  N teachers log in with Clever at once on gunicorn,"
	@echo "                  PostgreSQL, Redis and the sandbox process; fails on any error or duplicate row"
	@echo "Docs: README.md, then docs/ (benchmarks: docs/benchmarks.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) .env

.env:
	cp .env.example .env

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	-$(BIN)/python manage.py demo_accounts
	$(BIN)/python manage.py runserver $(ADDRPORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest

journeys: install
	$(BIN)/pytest tests/journeys

bench: install
	$(BIN)/python -m benchmarks.roster_sync $(ARGS)

# PostgreSQL at FLEET_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clever_fleet_bench);
# options: ARGS="--help" (docs/benchmarks.md).
bench-fleet: install
	$(BIN)/python -m benchmarks.fleet_sync $(ARGS)

# PostgreSQL at PURGE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clever_purge_bench);
# options: ARGS="--help" (docs/benchmarks.md).
bench-purge: install
	$(BIN)/python -m benchmarks.purge $(ARGS)
# PostgreSQL at DISTRICT_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/clever_district_bench);
# options: ARGS="--help" (docs/benchmarks.md).
bench-district: install
	$(BIN)/python -m benchmarks.district_sync $(ARGS)

# Needs PostgreSQL and Redis on 127.0.0.1 (docs/benchmarks.md); options: ARGS="--help".
load-check: install
	$(BIN)/python -m benchmarks.load_check $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
