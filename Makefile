# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The HTTP edge is Debian's nginx (service/edge.py): installed on first use if missing.
NGINX := $(shell command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The pages' GOV.UK Frontend and the browser tests' axe-core, from package-lock.json.
NODE_STAMP := node_modules/.installed
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
CHROMIUM := /usr/bin/chromium
# The key file `make run` seals personal data with (made if missing).
DATA_KEY_FILE ?= $(or $(TFP_DATA_KEY_FILE),var/keys/data-keys.json)

.PHONY: setup run examples test lint format bench bench-quick bench-engine bench-service bench-impact bench-sealing bench-batch clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NGINX):
	@echo "Installing Debian's nginx, the service's HTTP edge (apt-get; root or sudo needed)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx

$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests (apt-get; root or sudo needed)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

setup: $(STAMP) $(NGINX) $(NODE_STAMP)

## Start the service: nginx on TFP_BIND in front of gunicorn on a private socket (service/run.py).
## Settings: TFP_BIND (127.0.0.1:8000), TFP_WORKERS (2), TFP_THREADS (4), TFP_DATABASE (var/tfp.sqlite),
## TFP_MAX_BODY_BYTES, TFP_HEADER_TIMEOUT_S, TFP_BODY_TIMEOUT_S, TFP_RATE_LIMIT, ... (README, "The service").
run: export TFP_DATA_KEY_FILE := $(DATA_KEY_FILE)
run: setup $(DATA_KEY_FILE)
	@mkdir -p var
	$(BIN)/python -m service.run

## The data key that seals personal data at rest, made on first use for a development
## machine. In production TFP_DATA_KEY_FILE names a file kept apart from the database and
## its backups (README, "Encryption at rest").
$(DATA_KEY_FILE): | $(STAMP)
	$(BIN)/tfp keys new-data-key --file $(DATA_KEY_FILE)

## Evaluate every example family with the national ruleset and print each decision.
examples: $(STAMP)
	@for f in fixtures/families/*.json; do \
		echo "== $$f"; $(BIN)/tfp eval "$$f" --format text || exit 1; \
	done

## Lint, format check, then the test suite.
test: setup $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Every benchmark of issue 19 in one run (engine, batch of 100,000 families, service,
## store, start-up), each against its baseline of the same run, written to
## docs/benchmarks.md (benchmarks/report.py; about 20 minutes). QUICK=1: small sizes.
bench: setup
	$(BIN)/python benchmarks/report.py $(if $(QUICK),--quick)

bench-quick: setup
	$(BIN)/python benchmarks/report.py --quick

## The engine against the hand-written baseline, then memory over 100,000 evaluations.
bench-engine: $(STAMP)
	$(BIN)/python benchmarks/engine.py

## The service in several gunicorn configurations side by side, and the store's write rate.
bench-service: setup
	$(BIN)/python benchmarks/service.py

## What sealing personal data at rest costs per POST (benchmarks/sealing.py).
bench-sealing: $(STAMP)
	$(BIN)/python benchmarks/sealing.py --families 300 --rounds 7

## tfp impact over 100,000 stored decisions, 1 worker (20,000 of them) against 2 (all).
bench-impact: $(STAMP)
	$(BIN)/python benchmarks/impact.py --decisions 100000 --one-worker 20000

## tfp batch: realistic families with full traces on 1 and 2 workers, then 10x for memory.
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/batch.py --families 10000 --flat

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis var
