# Everything a fresh machine with Python 3.11 and make needs: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Extra requirement for the test venv, e.g. PANDAS_SPEC='pandas>=2.2,<2.3' (see .ci/run).
PANDAS_SPEC ?=
# A path entry, not an import hook: mypy and IDEs find an editable cvframe (and its py.typed).
EDITABLE := --config-settings editable_mode=compat
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck pytest bench cassettes package docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . $(EDITABLE)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]' $(EDITABLE) $(if $(PANDAS_SPEC),'$(PANDAS_SPEC)')
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev,bench]' $(EDITABLE)
	touch $@

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[docs,dask]' $(EDITABLE)
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

## package: build the wheel and sdist, install the wheel in a fresh venv, import and type-check it
package: $(VENV)/.installed-dev
	rm -rf dist .venv-wheel
	$(PIP) install build
	$(BIN)/python -m build --outdir dist . >/dev/null
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/python -m pip --disable-pip-version-check -q install dist/cvframe-*.whl
	cd .ci && ../.venv-wheel/bin/python installed_wheel_check.py
	# From .ci/, where no cvframe/ directory is beside the file: mypy must find the installed
	# package, the wheel's and the editable install's alike.
	cd .ci && for venv in .venv-wheel $(VENV); do \
		../$(BIN)/mypy --config-file= --python-executable ../$$venv/bin/python --strict \
			--follow-imports=silent --cache-dir=/dev/null installed_wheel_check.py || exit 1; done

## docs: build the documentation site into docs/_build/html (warnings are errors)
docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html

clean:
	rm -rf .venv .venv-* dist demo-output docs/_build docs/jupyter_execute docs/api/generated docs/examples/*.ipynb .pytest_cache .mypy_cache .ruff_cache .hypothesis
