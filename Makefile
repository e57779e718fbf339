# ILR Coordinator: `make run` to use it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export FLASK_APP := app
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint deps venv system-deps bench load clean screenshots

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The load test's own environment (locust and what it pulls in), never mixed into the app's.
LOAD_VENV := bench/load/.venv
$(LOAD_VENV)/.installed: bench/load/requirements.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet -r bench/load/requirements.txt
	touch $@

venv: $(BIN)/.installed

# What the tests need from the system: a browser with its en-GB locale (Debian ships only en-US in chromium),
# LibreOffice and poppler (installed only when missing). On CI also nginx and systemd-analyze, so the deploy/ files
# are checked by the tools themselves (tests/test_deploy.py; elsewhere those two checks skip when the tool is absent).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ "$$CI" != true ] || command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	[ "$$CI" != true ] || command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	[ -f /usr/lib/chromium/locales/en-GB.pak ] || missing="$$missing chromium-l10n"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing fonts-dejavu-core fonts-liberation; \
	fi

deps: venv system-deps

run: venv
	ILR_ENV=development $(BIN)/flask db upgrade
	ILR_ENV=development $(BIN)/flask seed-demo --if-empty
	ILR_ENV=development $(BIN)/flask demo-logins
	ILR_ENV=development ALLOW_HTTP=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

# The user guide's screenshots (docs/guide/images/), taken afresh from the demo data: after a screen the guide shows
# changes. Look at them before committing.
screenshots: deps
	$(BIN)/python -m docs.screenshots

# Formatting, lint and the security scan: a drift fails CI like a failing test.
lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/bandit -q -ll -c pyproject.toml -r .

# Lint, then the whole suite on SQLite; then, when TEST_DATABASE_URL is set, the database tests on PostgreSQL.
test: deps lint
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "--- again on PostgreSQL ($$TEST_DATABASE_URL), without browser and document tests"; \
	  ILR_TEST_DB=postgresql $(BIN)/python -m pytest -m "not browser and not documents"; \
	fi

# List-screen timings and SQL query counts on a seeded SQLite database (built once, then reused); figures only.
# make bench BENCH_ARGS="--patients 100000 --db /tmp/big.sqlite"   (python -m bench --help for the options)
bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

# 20 simulated coordinators for 60 s against gunicorn on 127.0.0.1: PostgreSQL with 4 workers, then SQLite with 1;
# the figures go to bench/results.md. Never part of `make test`. Needs a PostgreSQL server: LOAD_DATABASE_URL
# (default postgresql://postgres@127.0.0.1:5432/ilr_load) is made afresh; a local cluster that is down is started.
# make load LOAD_ARGS="--patients 20000"   (python -m bench.load --help for the options)
load: venv $(LOAD_VENV)/.installed
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || ! command -v pg_ctlcluster >/dev/null || \
	  pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | tail -n 1)" main start
	$(BIN)/python -m bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) $(LOAD_VENV) instance .pytest_cache
