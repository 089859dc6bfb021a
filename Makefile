# The same targets run on a laptop and in CI (.ci/run calls `make test`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint install install-test catalogues migration

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## First command: install and run the platform on the demo city (SQLite).
run: $(VENV)/.installed
	$(BIN)/communitas serve --demo

## Second command: install the test tools and run every check.
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/mypy benchmarks  # checked apart: mixing it with src confuses mypy's module map
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/mypy benchmarks

catalogues: $(VENV)/.installed
	$(BIN)/python scripts/update_catalogues.py

migration: $(VENV)/.installed
	$(BIN)/python scripts/regenerate_initial_migration.py
