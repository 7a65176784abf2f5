# Everything a fresh machine with Python 3.11 and make needs: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Extra requirement for the test venv, e.g. PANDAS_SPEC='pandas>=2.2,<2.3' (see .ci/run).
PANDAS_SPEC ?=
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck pytest bench cassettes clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]' $(if $(PANDAS_SPEC),'$(PANDAS_SPEC)')
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev,bench]'
	touch $@

## demo: run the main job on the built-in emulator (no account needed)
demo: $(VENV)/.installed
	$(BIN)/cvframe demo

## test: lint, type-check and run the whole suite (tests and doctests)
test: lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/python -c "import pandas, pyarrow; print('pandas', pandas.__version__, 'pyarrow', pyarrow.__version__)"
	$(BIN)/pytest -n auto

## cassettes: re-record the vcrpy cassettes from the emulator
cassettes: $(VENV)/.installed-dev
	$(BIN)/python tests/record_cassettes.py

## bench: measure speed as ratios against anchors in the same run
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf .venv .venv-* demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis
