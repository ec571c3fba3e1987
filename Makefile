# Two commands on a fresh machine: `make demo` (the main job) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
OUT ?= out
SCHOOLS ?= 30
SEED ?= 1
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: install demo test bench services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## The main job on the embedded defaults (SQLite file xuequ.db, Prefect's local ephemeral API).
demo: install
	$(BIN)/xuequ demo --out $(OUT) --schools $(SCHOOLS) --seed $(SEED)

## Lint and types first (configured in pyproject.toml; any finding stops here), then the whole test suite,
## on SQLite and PostgreSQL (started here if it is not running).
test: install services
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile

services:
	bash scripts/ensure_services.sh

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) xuequ.db xuequ.db-wal xuequ.db-shm .pytest_cache .mypy_cache .ruff_cache
