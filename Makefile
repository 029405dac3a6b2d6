# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run examples test lint format bench bench-service clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Start the service on a production WSGI server (gunicorn), store created on first start.
## Settings: TFP_BIND (127.0.0.1:8000), TFP_WORKERS (2), TFP_THREADS (4), TFP_DATABASE (var/tfp.sqlite).
run: $(STAMP)
	@mkdir -p var
	$(BIN)/gunicorn --preload --bind $${TFP_BIND:-127.0.0.1:8000} --workers $${TFP_WORKERS:-2} \
		--threads $${TFP_THREADS:-4} --control-socket $${TFP_CONTROL_SOCKET:-var/gunicorn.ctl} \
		--access-logfile - 'service.wsgi:app'

## Evaluate every example family with the national ruleset and print each decision.
examples: $(STAMP)
	@for f in fixtures/families/*.json; do \
		echo "== $$f"; $(BIN)/tfp eval "$$f" --format text || exit 1; \
	done

## Lint, format check, then the test suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py

bench-service: $(STAMP)
	$(BIN)/python benchmarks/service.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis var
