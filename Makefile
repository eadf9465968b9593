# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install docs bench soak clean

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

# docs/configuration.md is generated from the settings types (ingest/settings/types.py);
# tests/unit/test_docs.py fails when it is stale.
docs: $(STAMP)
	$(BIN)/python -m tests.support.config_reference

# The seeded chaos soak (tests/support/chaos.py): two daemon replicas on a private PostgreSQL,
# faulty sample sites, kill -9 and database restarts on a schedule the seed decides; exits 1
# unless every archive comes out exact. `make test` runs 60 seconds of it (tests/soak).
SECONDS ?= 600
SEED ?= 1
soak: $(STAMP)
	$(BIN)/python -m tests.support.chaos --seconds $(SECONDS) --seed $(SEED)

# Benchmarks (tests/benchmarks, never collected by pytest): one table, see its README.
# Scrapy, the CPU table's comparison, gets a virtual environment of its own: Twisted beside
# ingest would be imported by structlog and slow every ingest command's start-up.
SCRAPY_VENV := $(VENV)-scrapy
$(SCRAPY_VENV)/.installed:
	$(PYTHON) -m venv $(SCRAPY_VENV)
	$(SCRAPY_VENV)/bin/pip install --quiet 'scrapy==2.19.0'
	touch $@

bench: $(STAMP) $(SCRAPY_VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	INGEST_TEST_POSTGRES_URL="$${INGEST_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" \
	INGEST_BENCH_SCRAPY_PYTHON=$(SCRAPY_VENV)/bin/python $(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) $(SCRAPY_VENV) .mypy_cache .pytest_cache .ruff_cache build dist
