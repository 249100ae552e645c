# evalmeet — two commands:
#   make run    set up, load the demo when the database is empty, make an admin, serve :5000
#   make test   set up, then ruff, mypy and the whole pytest suite
# Both build on `make setup` (virtualenv + package, pinned socket.io client, translations,
# database schema), which is safe to run again and only redoes what changed.
#
# Knobs: VENV=path (default .venv), PYTHON=python3.11, HOST=127.0.0.1 (default 0.0.0.0: phones on the
# same Wi-Fi can join), PORT=8000, PYTEST_ARGS="-x -k cli"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every interface, so phones on the same Wi-Fi can open the join links (web/reach.py).
HOST ?= 0.0.0.0
PORT ?= 5000
PYTEST_ARGS ?=

# Installed from the npm registry into git-ignored static/vendor/, checked against this hash.
SOCKETIO_CLIENT_VERSION := 4.8.4
SOCKETIO_CLIENT_SHA256 := d5d79a35039e860b32bdef4795528b05c2f788d4b2d9dacc913120e2878f7b3f
VENDOR_JS := static/vendor/socket.io.min.js

# Touched after a successful install; older than pyproject.toml means "install again".
STAMP := $(VENV)/.evalmeet-installed
SHA256 = $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())'

.PHONY: help setup run test test-clock lint typecheck security audit vendor static translations messages db migration

help:
	@echo "make run     set up and serve the demo on port $(PORT) (HOST=$(HOST))"
	@echo "make test    set up and run ruff, mypy and the whole test suite"
	@echo "make test-clock  the suite (no browser/server tests) under faketime at two awkward instants"
	@echo "make setup   only install: $(VENV), the package, $(VENDOR_JS), translations, database"
	@echo "make messages  extract the UI's messages and update messages.po (then translate the new ones)"

setup: $(STAMP) vendor static translations db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $@

# Verify what is there; fetch only when it is missing or does not match the pinned hash.
vendor:
	@if [ -f $(VENDOR_JS) ] && [ "$$($(SHA256) $(VENDOR_JS))" = "$(SOCKETIO_CLIENT_SHA256)" ]; then \
	  exit 0; \
	fi; \
	echo "fetching socket.io-client@$(SOCKETIO_CLIENT_VERSION) from the npm registry"; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent --ignore-scripts socket.io-client@$(SOCKETIO_CLIENT_VERSION) >/dev/null); \
	tar -xzf "$$tmp"/socket.io-client-$(SOCKETIO_CLIENT_VERSION).tgz -C "$$tmp" package/dist/socket.io.min.js; \
	got=$$($(SHA256) "$$tmp/package/dist/socket.io.min.js"); \
	if [ "$$got" != "$(SOCKETIO_CLIENT_SHA256)" ]; then \
	  echo "ERROR: socket.io.min.js from socket.io-client@$(SOCKETIO_CLIENT_VERSION) has sha256 $$got," >&2; \
	  echo "       expected $(SOCKETIO_CLIENT_SHA256). Refusing to install it." >&2; \
	  exit 1; \
	fi; \
	mkdir -p $(dir $(VENDOR_JS)); \
	cp "$$tmp/package/dist/socket.io.min.js" $(VENDOR_JS).tmp; \
	mv $(VENDOR_JS).tmp $(VENDOR_JS); \
	echo "installed $(VENDOR_JS) (sha256 verified)"

# Minified, content-hashed, precompressed copies in git-ignored static/dist/ (static_build.py).
static: $(STAMP) vendor
	@$(BIN)/python -m evalmeet.static_build

translations: $(STAMP)
	@$(BIN)/python -c 'from evalmeet.i18n import compile_catalogs; compile_catalogs()'

# For developers: extract every message the code and the templates use (babel.cfg) into a .pot,
# then merge it into messages.po: new messages arrive with an empty msgstr for you to translate,
# ones no longer used are dropped. tests/test_translations.py fails until every one has Chinese.
POT := build/messages.pot
messages: $(STAMP)
	@mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract -F babel.cfg --add-location=file --sort-by-file --no-wrap -c Translators: \
	  --project=evalmeet --version=$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("evalmeet"))') \
	  -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d evalmeet/translations -D messages -l zh_Hans_CN \
	  --no-wrap --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d evalmeet/translations -D messages --statistics

db: $(STAMP)
	@$(BIN)/evalmeet db upgrade

run: setup
	@$(BIN)/evalmeet demo --if-empty
	@$(BIN)/evalmeet ensure-admin
	@echo
	@echo "  evalmeet: open http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)/ on this computer and log in as the admin above."
	@echo "  Phones join with the QR codes of the join slips: see the 'phones ... join at' lines below (Ctrl-C stops)."
	@echo
	@exec $(BIN)/evalmeet serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy evalmeet

# Static security checks of our code (medium severity and up); part of `make test`.
security: $(STAMP)
	$(BIN)/bandit -q -r evalmeet -ll

# Known-vulnerability check of the installed dependencies. Needs the PyPI JSON API or OSV;
# --strict fails when a package could not be checked, so an unreachable service is never a pass.
audit: $(STAMP)
	$(BIN)/pip-audit --strict --progress-spinner off

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
# One worker per core (pytest-xdist; PYTEST_WORKERS=0 runs in this process), the 15 slowest listed at
# the end; --dist loadgroup keeps
# the tests that share a module or package fixture on one worker (tests/conftest.py groups them).
# Python may cache bytecode here even where the environment says not to (PYTHONDONTWRITEBYTECODE):
# without it every run compiles and assertion-rewrites all test and plugin modules again, in
# every worker (__pycache__ is git-ignored).
PYTEST_WORKERS ?= auto
PYTEST = env PYTHONDONTWRITEBYTECODE= $(BIN)/pytest
test: setup lint typecheck security
	@status=0; $(PYTEST) -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS) tests || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# The suite at two awkward instants under Debian's faketime (README, Development): 23:45 China time
# on New Year's Eve 2027, and 00:30 China time on 1 March 2028 while UTC is still on the leap day.
# The browser and real-server tests are left out (libfaketime upsets a gevent server's loop).
# Not part of `make test` or CI.
FAKETIME_PYTEST = $(PYTEST) -m 'not browser and not server' -q -p no:cacheprovider $(PYTEST_ARGS) tests
test-clock: setup
	@command -v faketime >/dev/null || { echo "make test-clock: needs Debian's faketime (apt-get install faketime)" >&2; exit 1; }
	TZ=UTC faketime '2027-12-31 15:45:00' $(FAKETIME_PYTEST)
	TZ=UTC faketime '2028-02-29 16:30:00' $(FAKETIME_PYTEST)

# Models changed before the first release: rewrite versions/0001_initial.py from them (then
# review it). After a release, add revisions instead: `evalmeet db revision -m "what changed"`.
migration: $(STAMP)
	$(BIN)/evalmeet db revision --replace-initial -m initial
