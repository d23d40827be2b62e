# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv on first use and reinstall when a requirements or
# pyproject file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES := requirements-dev.txt $(wildcard */pyproject.toml providers/*/pyproject.toml)

.PHONY: install demo test lint typecheck docs bench clean

install: $(STAMP)

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

ALGORITHM ?= ec-p256

demo: $(STAMP)
	$(BIN)/chatkeys demo --algorithm $(ALGORITHM)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict core/src providers/soft/src providers/gost/src providers/pkcs11/src server/src

docs: $(STAMP)
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/nox -s bench

clean:
	rm -rf $(VENV) docs/_build .nox
