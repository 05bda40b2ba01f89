# Passerelle: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home
export PASSERELLE_HOME ?= $(CURDIR)/var

# The shipped sample: nights of October 2010 (see fixtures/README.md).
FIXTURE_INBOX := fixtures/echantillon/inbox
FIXTURE_FROM := 2010-10-04
FIXTURE_TO := 2010-10-08
SCALE ?= 0.01

.PHONY: venv run test lint dev bench fixtures contrat system-deps migration migration-initiale clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests start for real: OpenSSH's sshd, PostgreSQL, Chromium.
system-deps:
	@missing=""; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root or install:$$missing" >&2; exit 2; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: venv $(DAGSTER_HOME)/dagster.yaml
	@mkdir -p var && chmod 700 var
	@$(BIN)/passerelle run --from $(FIXTURE_FROM) --to $(FIXTURE_TO) --inbox $(FIXTURE_INBOX); \
	  code=$$?; \
	  if [ $$code -eq 3 ]; then echo "(code 3 attendu : l'échantillon contient un fichier rejeté exprès)"; \
	  elif [ $$code -ne 0 ]; then exit $$code; fi
	@echo "Résultats : base var/passerelle.db, flux sortants var/outbox/, rapports var/reports/"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: system-deps venv lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The Dagster UI (http://$(DEV_HOST):$(PORT)) and its daemon: run queue, backfills, schedule and
# sensors (these two off until switched on in the UI). The instance lives in $(DAGSTER_HOME);
# unless PASSERELLE_INBOX says otherwise, the nights read the shipped sample, so launching
# 2010-10-04 to 2010-10-08 works at once (docs/exploitation-ui.md). `make dev PORT=3001`.
PORT ?= 3000
DEV_HOST ?= 127.0.0.1

# The Dagster instance of make run / make dev: the shipped dagster.yaml, refreshed when it
# changes; a home's own edited copy is kept aside.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME) && chmod 700 $(DAGSTER_HOME)
	@if [ -f $@ ] && ! cmp -s dagster.yaml $@; then \
	  cp -p $@ $@.precedent && echo "$@ remplacé (ancienne version : $@.precedent)"; \
	fi
	@install -m 600 dagster.yaml $@

dev: venv $(DAGSTER_HOME)/dagster.yaml
	@mkdir -p $(PASSERELLE_HOME) && chmod 700 $(PASSERELLE_HOME)
	@echo "Interface Dagster : http://$(DEV_HOST):$(PORT) (instance $(DAGSTER_HOME), Ctrl-C pour arrêter)"
	@# From DAGSTER_HOME (else Dagster warns about the repository's dagster.yaml); owner-only files.
	cd $(abspath $(DAGSTER_HOME)) && umask 077 && \
	  DAGSTER_HOME=$(abspath $(DAGSTER_HOME)) PASSERELLE_HOME=$(abspath $(PASSERELLE_HOME)) \
	  PASSERELLE_INBOX="$${PASSERELLE_INBOX:-$(CURDIR)/$(FIXTURE_INBOX)}" \
	  exec $(abspath $(BIN))/dagster dev -m pipelines.definitions -d $(CURDIR) \
	    -h $(DEV_HOST) -p $(PORT)

contrat: venv
	$(BIN)/passerelle contrat --datapackage docs/contrat/datapackage.json --readme docs/contrat/README.md

fixtures: venv
	$(BIN)/python -m fixtures.generate --scale $(SCALE) --out var/fixtures/scale-$(SCALE)

# Schema migrations from connectors/tables.py (docs/migrations.md); review the file written.
migration: venv
	@test -n "$(MESSAGE)" || { echo 'usage : make migration MESSAGE="add column x"' >&2; exit 2; }
	$(BIN)/python -m connectors.migrations revision "$(MESSAGE)"

# Before the first release only: rewrite the initial migration from tables.py.
migration-initiale: venv
	$(BIN)/python -m connectors.migrations regenerate-initial

bench: system-deps venv
	$(BIN)/python -m bench.run

clean:
	rm -rf var .pytest_cache .ruff_cache
