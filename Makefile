# Two commands for everything: `make serve` (read the site) and `make test` (prove it).
# Each target creates .venv on first use and reinstalls only when the pins change.
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve build test lint bench lab reference clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

build: $(STAMP)
	$(BIN)/mkdocs build --strict

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/bench.py

lab: $(STAMP)
	$(BIN)/python -m labo serve --describe labo.json

# Every example against private Postfix and Dovecot instances (installed through apt when
# missing, as root), compared with the lab; `python -m labo.reference --smoke` for a quick check.
reference: $(STAMP)
	$(BIN)/python -m labo.reference

clean:
	rm -rf site .cache
