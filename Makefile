# `make` alone prints the targets. Each target that needs Python creates .venv on first use
# (after checking the Python version pyproject.toml asks for) and reinstalls only when the pins
# change; `make PYTHON=python3.12 …` picks another interpreter and rebuilds .venv with it.
PYTHON ?= python3
PORT ?= 8000
export NO_MKDOCS_2_WARNING := 1
# Python writes its bytecode caches (__pycache__/, ignored by git) even where the environment
# asks it not to: every build starts example workers that import the lab afresh, and compiling
# its modules from source each time costs more than most examples. The workers cannot write in
# the project (it is read-only to them), hence `compiled` below, before anything runs the lab.
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Zensical (successor of Material for MkDocs) in an environment of its own, without MkDocs.
ZENSICAL_VENV := .venv-zensical
ZENSICAL_STAMP := $(ZENSICAL_VENV)/.installed
# The interpreter .venv was made with ("python3.12 3.12"): rewritten only when it changes.
CHOSEN := $(VENV)/.python
# "3.11" from `requires-python = ">=3.11"`: one place says which Python the project needs.
MIN_PYTHON := $(shell sed -n 's/^requires-python *= *">= *\([0-9.]*\)".*/\1/p' pyproject.toml)
# Given on the command line (or in the environment): .venv must then use that interpreter.
EXPLICIT_PYTHON := $(filter command line environment,$(origin PYTHON))
NB := $(shell printf '\302\240')
# Prints "3.12 ok", or "3.10 ancien" below MIN_PYTHON.
VERSION_OF := import sys; v = sys.version_info[:2]; \
    print("%d.%d" % v, "ok" if v >= tuple(map(int, "$(MIN_PYTHON)".split("."))) else "ancien")

# Fails when 127.0.0.1:PORT is taken, so that `make serve` says so instead of a traceback.
PORT_FREE := import socket, sys; socket.create_server(("127.0.0.1", int(sys.argv[1])))

.DEFAULT_GOAL := help
.PHONY: help serve build test lint typo bench lab run bless reference zensical clean distclean \
    compiled FORCE

help: ## cette aide
	@echo "La messagerie$(NB): protocoles et transferts — les commandes"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables$(NB): PYTHON=python3.12 (Python ≥ $(MIN_PYTHON) à utiliser), PORT=8001 (make serve),"
	@echo "F=examples/pop3/deux_appareils.py (make run, make bless), ARGS=… (options de plus)."

# Always run, but touch $(CHOSEN) only when .venv has to be (re)made: then $(STAMP) follows.
# Kept: a working .venv on a recent enough Python (the same as PYTHON's, when PYTHON is given).
$(CHOSEN): FORCE
	@wanted=$$($(PYTHON) -c '$(VERSION_OF)' 2>/dev/null); \
	current=$$($(BIN)/python -c '$(VERSION_OF)' 2>/dev/null); \
	case "$$current" in *" ok") \
	  if [ -z "$(EXPLICIT_PYTHON)" ] || [ "$$current" = "$$wanted" ]; then \
	    [ -f $(CHOSEN) ] || echo "$$current" > $(CHOSEN); exit 0; \
	  fi;; \
	esac; \
	case "$$wanted" in \
	  "") echo "Python introuvable$(NB): «$(NB)$(PYTHON)$(NB)» ne s’exécute pas." >&2;; \
	  *" ancien") echo "$(PYTHON) est Python $${wanted% *}$(NB); ce projet demande Python ≥ $(MIN_PYTHON)." >&2;; \
	esac; \
	case "$$wanted" in *" ok") ;; *) \
	  echo "Installez-en un (python3.11, python3.12…) et choisissez-le ainsi$(NB): make PYTHON=python3.12 …" >&2; \
	  exit 1;; \
	esac; \
	echo "Création de $(VENV) avec $(PYTHON) (Python $${wanted% *})…"; \
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && echo "$$wanted" > $(CHOSEN)

$(STAMP): $(CHOSEN) pyproject.toml constraints.txt
	@echo "Installation des dépendances dans $(VENV) (une à trois minutes la première fois)…"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on \
	    -c constraints.txt -e '.[dev]'
	@touch $(STAMP)
	@echo "$(VENV) est prêt."

# Only the modules changed since their last compilation are compiled again (a tenth of a second).
# A warm-up only: a module that does not compile is reported by the command that imports it.
compiled: $(STAMP)
	@$(BIN)/python -m compileall -qq labo hooks || true

serve: compiled ## exécute les exemples et sert le site sur http://127.0.0.1:8000 (PORT=…)
	@$(BIN)/python -c '$(PORT_FREE)' $(PORT) 2>/dev/null || { \
	  echo "Le port $(PORT) est déjà pris (un autre make serve$(NB)?)$(NB): choisissez-en un autre," >&2; \
	  echo "par exemple$(NB): make serve PORT=8001" >&2; exit 1; }
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(PORT) --livereload

build: compiled ## construit le site dans site/ en mode strict
	$(BIN)/mkdocs build --strict

test: compiled ## ruff, puis toute la suite pytest (site, labo, exemples)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff : vérification et format du code Python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typo: $(STAMP) ## corrige la typographie des pages, inclusions et titres d’exemples
	$(BIN)/python -m labo.typography --corriger

# The scale table builds the site 6 times (N generated examples, in full then static): minutes.
bench: compiled ## mesure les exemples, puis la construction avec 100, 250, 500 exemples
	$(BIN)/python bench/bench.py --echelle 100,250,500 $(ARGS)

lab: compiled ## le labo seul, pour de vrais clients (ARGS=--ports-libres…)
	$(BIN)/python -m labo serve --describe labo.json $(ARGS)

run: compiled ## exécute un exemple et affiche sa transcription (F=examples/…)
	$(BIN)/python -m labo run $(ARGS) $(F)

bless: compiled ## approuve la transcription d’un exemple (F=examples/…, ARGS=--reference)
	$(BIN)/python -m labo bless $(ARGS) $(F)

# Every example against private Postfix and Dovecot instances (installed through apt when
# missing, as root), compared with the lab; `python -m labo.reference --smoke` for a quick check.
reference: compiled ## rejoue les exemples contre Postfix et Dovecot (root, apt)
	$(BIN)/python -m labo.reference

# Made from .venv's Python; every package pinned, nothing resolved (constraints-zensical.txt).
$(ZENSICAL_STAMP): $(STAMP) constraints-zensical.txt
	@echo "Installation de Zensical dans $(ZENSICAL_VENV) (une demi-minute environ)…"
	rm -rf $(ZENSICAL_VENV) && $(BIN)/python -m venv $(ZENSICAL_VENV)
	$(ZENSICAL_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar on \
	    --no-deps -r constraints-zensical.txt
	$(ZENSICAL_VENV)/bin/python -m pip check --disable-pip-version-check
	@touch $(ZENSICAL_STAMP)

zensical: compiled $(ZENSICAL_STAMP) ## construit aussi avec Zensical, compare les transcriptions
	$(BIN)/python -m labo.site.zensical_check --zensical $(ZENSICAL_VENV)/bin/zensical

clean: ## efface le site construit et les caches
	rm -rf site .cache .pytest_cache .ruff_cache

distclean: clean ## efface aussi l’environnement .venv (et .venv-zensical)
	rm -rf $(VENV) $(ZENSICAL_VENV)

FORCE:
