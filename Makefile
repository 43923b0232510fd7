# Modelwatch: `make run` starts the demo, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM := npm --prefix service

# better-sqlite3 builds from source with node-gyp; point it at the headers of the node we run
# (its own prefix first, e.g. nvm or /usr/local, then Debian's /usr) so it never downloads them.
NODE_PREFIX := $(shell node -p "require('path').resolve(process.execPath, '..', '..')" 2>/dev/null)
NODEDIR := $(firstword $(foreach d,$(npm_config_nodedir) $(NODE_PREFIX) /usr /usr/local,$(if $(wildcard $(d)/include/node/node_api.h),$(d))))
export npm_config_nodedir := $(NODEDIR)

.PHONY: help install build run check-config alerts test lint fmt readme-tables contract test-service test-python test-observability bench bench-outages bench-soak bench-scale lock-python clean

help:
	@echo "make run    start simulator, agent and service on config/demo.yaml (Ctrl-C stops all)"
	@echo "make check-config CONFIG=file   validate a config file without starting anything"
	@echo "make alerts Prometheus (:9090) and Alertmanager (:9093) with our rules, beside make run"
	@echo "make test   install what is missing, run make lint, then every test"
	@echo "make lint   eslint, prettier --check, ruff (lint and format check) and mypy"
	@echo "make fmt    apply prettier and ruff format"
	@echo "make readme-tables  regenerate the README's health-threshold table from its declarations"
	@echo "make contract  export the agent's OpenAPI contract and regenerate the service's types from it"
	@echo "make bench  run the benchmarks; results in bench/results/"
	@echo "make bench-outages  the outage benchmark alone (included in make bench)"
	@echo "make bench-soak  20 min at 20 starts/s with scheduled faults (MINUTES=4 for a short run)"
	@echo "make bench-scale  1,000 registered models, probes only (included in make bench)"

install: service/node_modules/.installed $(VENV)/.installed

service/node_modules/.installed: service/package.json service/package-lock.json
	@echo "installing service dependencies (better-sqlite3 builds from source against $(if $(NODEDIR),$(NODEDIR)/include/node,downloaded headers))"
	$(NPM) ci --no-audit --no-fund
	@touch $@

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

build: service/dist/.built

service/dist/.built: service/node_modules/.installed $(shell find service/src -name '*.ts' ! -name '*.test.ts' 2>/dev/null) service/tsconfig.json
	$(NPM) run --silent build
	@touch $@

run: install build
	@bash scripts/run.sh

# Loads and validates the file as start-up does (every problem with file, field and reason; exit 2).
check-config: build
	@node service/dist/check-config.js "$(or $(CONFIG),config/demo.yaml)"

# Debian's prometheus and prometheus-alertmanager on 127.0.0.1, scraping what `make run` started.
alerts: install
	@$(PY) scripts/local_alerts.py

# The tools hold the tree to one shape: zero findings, fixed rather than silenced.
lint: install
	@! git grep -nE '^(<<<<<<<|>>>>>>>) ' -- . || { echo "merge conflict markers committed (above)"; exit 1; }
	$(NPM) run --silent lint
	$(NPM) run --silent format:check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: install
	$(NPM) run --silent format
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The README's health-threshold table is generated from service/src/domain/health/threshold-declarations.ts.
readme-tables: install
	cd service && UPDATE_README=1 npx vitest run test/readme-config-reference.test.ts

# The agent's pydantic models are the one home of the service <-> agent contract (docs/contracts.md):
# export them, then generate the service's types and validators from the exported document.
contract: install
	$(PY) -m agent.export_contract
	node service/scripts/generate-agent-contract.mjs

test: install lint build test-service test-python
	@echo "all tests passed"

test-service: install build
	$(NPM) run --silent typecheck
	cd service && npx vitest run

test-python: install build
	$(PY) -m pytest -q simulator/tests agent/tests tests

bench: install build
	$(PY) bench/run_all.py
	$(PY) bench/outages.py
	$(PY) bench/scale.py

# 100, 300 and 1,000 registered models probed every 10 s, no interviews (about 5 min): bench/results/scale.{json,md}
bench-scale: install build
	$(PY) bench/scale.py

# Outage shapes at 10 starts/s and with probes only (about 20 min; --quick about 10): bench/results/outages.{json,md}
bench-outages: install build
	$(PY) bench/outages.py

# 20 min at 20 starts/s with faults on a schedule (MINUTES=4 for a short run): bench/results/soak.{json,md}
bench-soak: install build
	$(PY) bench/soak.py --minutes $(or $(MINUTES),20)

lock-python:
	$(PY) -m pip freeze --exclude-editable | grep -v '^pkg_resources' > requirements.lock

clean:
	rm -rf service/dist service/node_modules $(VENV)
