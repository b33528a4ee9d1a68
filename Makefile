# opsdesk: `make run` serves the demo, `make test` runs every check. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
export OPSDESK_DATABASE_URL ?= sqlite:///opsdesk.db

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit pytest bench migrate demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP) ## install, migrate, load the demo and serve on http://127.0.0.1:8080
	$(BIN)/opsdesk migrate
	$(BIN)/opsdesk demo
	$(BIN)/opsdesk serve --host 127.0.0.1 --port 8080

migrate: $(RUNTIME_STAMP) ## apply database migrations
	$(BIN)/opsdesk migrate

demo: $(RUNTIME_STAMP) ## load the demo data set
	$(BIN)/opsdesk demo

lint: $(DEV_STAMP) ## ruff (rules and formatting) and the import-layer contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP) ## mypy --strict over the code, the tests and the benchmarks
	$(BIN)/mypy

pytest: $(DEV_STAMP) ## the whole test suite, on SQLite and PostgreSQL
	$(BIN)/pytest -n 2

test: lint typecheck pytest ## lint, type check and every test

bench: $(DEV_STAMP) ## measure the ticket API, finding work at a million tickets, then the time engine; writes BENCHMARKS.md
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.finding
	$(BIN)/python -m bench.time_engine

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
