# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ingest demo

lint: $(STAMP)
	$(BIN)/ruff check ingest tests migrations
	$(BIN)/ruff format --check ingest tests migrations

typecheck: $(STAMP)
	$(BIN)/mypy --strict ingest

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Benchmarks (tests/benchmarks, never collected by pytest): one table, see its README.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	INGEST_TEST_POSTGRES_URL="$${INGEST_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" $(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist
