# Powiadomienia: `make run` starts the platform, `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app:create_app

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast browser zbar lint bench bench-import bench-send bench-audience bench-campaign bench-reminders bench-portal translations clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations ## Create the virtual environment and install the platform

translations: $(STAMP) ## Compile the Polish and English UI catalogues
	@$(BIN)/pybabel compile -f -d app/translations >/dev/null

run: install ## Migrate, seed demo data if empty and start web, worker and scheduler
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask serve

test: install browser zbar ## Run the whole test suite (SQLite unless TEST_DATABASE_URL is set)
	$(BIN)/pytest

test-fast: install ## Run the suite without the browser tests
	$(BIN)/pytest -m "not browser"

browser: ## Install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "chromium is missing and could not be installed: run 'apt-get install chromium' as root"; exit 1; }; }

zbar: ## Install Debian's zbar library (the tests decode transfer-form QR codes with it) when missing
	@ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || { \
	  echo "installing Debian's libzbar0 for the QR code tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzbar0 >/dev/null) || \
	  { echo "libzbar0 is missing and could not be installed: run 'apt-get install libzbar0' as root"; exit 1; }; }

lint: install ## Lint and check the package dependency contracts
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports

bench-import: install ## Benchmark the legacy import (PostgreSQL; BENCH_CONTRACTORS=100000)
	$(BIN)/python -m bench.bench_import

bench-send: install ## Benchmark sending (PostgreSQL + Redis, fake providers; BENCH_MESSAGES=100000)
	$(BIN)/python -m bench.bench_send

bench-audience: CONTRACTORS ?= 1000000
bench-audience: LIVE_CONTRACTORS ?= 100000
bench-audience: install ## Benchmark segment counts, previews and snapshots (PostgreSQL; CONTRACTORS=1000000 LIVE_CONTRACTORS=100000)
	$(BIN)/python -m bench.audience --contractors $(CONTRACTORS) --live-contractors $(LIVE_CONTRACTORS) $(BENCH_ARGS)

bench-campaign: RECIPIENTS ?= 100000
bench-campaign: LATENCY ?= 0.05
bench-campaign: install ## Benchmark a campaign from approval to the last message sent, with an urgent alert (PostgreSQL + Redis, fakes; RECIPIENTS=100000 LATENCY=0.05)
	$(BIN)/python -m bench.campaign --recipients $(RECIPIENTS) --latency $(LATENCY) $(BENCH_ARGS)

bench-reminders: OBLIGATIONS ?= 1000000
bench-reminders: BUSINESSES ?= 100000
bench-reminders: DUE ?= 20000
bench-reminders: install ## Benchmark the reminder sweep (PostgreSQL; OBLIGATIONS=1000000 BUSINESSES=100000 DUE=20000)
	$(BIN)/python -m bench.reminders --obligations $(OBLIGATIONS) --businesses $(BUSINESSES) --due $(DUE) $(BENCH_ARGS)

bench-portal: OBLIGATIONS ?= 1000000
bench-portal: BUSINESSES ?= 100000
bench-portal: install ## Benchmark the portal's dashboard and obligations list (PostgreSQL, gunicorn, wrk; OBLIGATIONS=1000000 BUSINESSES=100000)
	@command -v wrk >/dev/null 2>&1 || { echo "installing Debian's wrk for the load"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || \
	  { echo "wrk is missing and could not be installed: run 'apt-get install wrk' as root"; exit 1; }; }
	$(BIN)/python -m bench.portal --obligations $(OBLIGATIONS) --businesses $(BUSINESSES) $(BENCH_ARGS)

bench: bench-import bench-send bench-audience bench-campaign bench-reminders bench-portal ## Run every benchmark

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) instance
