# The newcomer's path: `make run` serves the site, `make test` runs the suite.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run setup test lint fmt bench audit audit-deps lock reliability cluster cluster-test clean node_modules

help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(PY):
	@interp=""; \
	for candidate in python$(PYTHON_VERSION) $$HOME/.pyenv/versions/$(PYTHON_VERSION)*/bin/python /usr/bin/python$(PYTHON_VERSION) /usr/local/bin/python$(PYTHON_VERSION); do \
	  if command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; assert "%d.%d" % sys.version_info[:2] == "$(PYTHON_VERSION)"' 2>/dev/null; then interp=$$candidate; break; fi; \
	done; \
	if [ -z "$$interp" ]; then echo "error: Python $(PYTHON_VERSION) is needed (see .python-version); install it, e.g. 'pyenv install $(PYTHON_VERSION)'." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$interp"; $$interp -m venv $(VENV)

# The locks hold every package, transitive ones included, each with its hashes: pip refuses anything else.
$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP) ## Create the virtual environment and install the dependencies
	@mkdir -p var/mail

run: setup ## Migrate, load the fixtures into a new database and serve on http://127.0.0.1:8000
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_content
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: setup ## Run the whole test suite (SQLite; set DATABASE_URL=postgres://… for PostgreSQL)
	$(PY) -m pytest $(PYTEST_ARGS)

# Node tools for the accessibility checks (axe-core, the Nu HTML Checker, Lighthouse), pinned in
# package-lock.json. --ignore-scripts: none needs an install script, and vnu-jar's would fetch a Java.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts
	@touch $(NODE_STAMP)

node_modules: $(NODE_STAMP) ## Install the pinned Node tools (axe-core, vnu-jar, lighthouse) with npm ci

audit: setup node_modules ## Lighthouse scores for the home, petition and a testimony page (var/audit/)
	$(PY) scripts/audit.py

lint: setup ## Check code and templates (ruff, djhtml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check $$(git ls-files 'templates/*.html' '*/templates/*.html')

fmt: setup ## Format code and templates
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml $$(git ls-files 'templates/*.html' '*/templates/*.html') || true

# Resolved against PyPI alone (not this machine's local wheel folders), so the hashes are PyPI's.
LOCK := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras
lock: setup ## Re-resolve requirements*.in into the hash-pinned locks requirements*.txt (pip-compile)
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

audit-deps: setup ## Known vulnerabilities in the pinned requirements (pip-audit with PyPI's advisories)
	bash scripts/audit_deps.sh

reliability: setup ## Load and fault runs: gunicorn + a throwaway PostgreSQL cluster (root; < 10 min)
	$(PY) scripts/reliability.py $(RELIABILITY_ARGS)

cluster: setup ## Two app nodes (network namespaces) behind nginx, PgBouncer, Redis; prints the address (root)
	$(PY) scripts/cluster.py --serve $(CLUSTER_ARGS)

cluster-test: setup ## The cluster scenarios of issue 17, figures in SCALING.md (root; < 10 min)
	$(PY) scripts/cluster.py $(CLUSTER_ARGS)

bench: setup ## Load-test on this machine (own PostgreSQL, gunicorn, wrk; ~5 min); BENCH_ARGS=--quick for a smoke run
	$(PY) scripts/bench.py $(BENCH_ARGS)

clean: ## Remove the virtual environment, the database and generated files
	rm -rf $(VENV) var staticfiles node_modules
