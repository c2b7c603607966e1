# fleetmaint: `make run` for the demo, `make test` for the checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## run: the web server and the background worker, with demo data (SQLite by default).
##   PORT=8101 serves on another port; links in e-mails and the calendar feed follow it
##   (SITE_URL, unless given). E-mails are written to var/mail/ (unless EMAIL_BACKEND is
##   given). The logins are printed once the server answers; Ctrl-C stops both in seconds.
run: export DEBUG ?= true
run: export Q_LOG_LEVEL ?= WARNING
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --no-logins
	$(BIN)/python manage.py setup_schedules
	@exec $(BIN)/python manage.py run_demo --port $(PORT)

## test: lint, format check and the whole test suite (PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: every benchmark under tests/bench, each beside its floor (needs DATABASE_URL
##   pointing at PostgreSQL): the write path, the pages (and the dashboard under load in
##   gunicorn), the API lists, the reports and the readings import. Settings (environment):
##   BENCH_SIZES=100000,1000000 the fleets' task counts; BENCH_PAIRS product/floor pairs
##   per measurement (default 3 for the write path and the reports, 5 for pages and lists);
##   BENCH_EMAILS=10000 e-mails delivered; BENCH_LOAD_SECONDS=20 the load test's length;
##   BENCH_DEEP_PAGE=4000 a numbered pager's deep page; BENCH_PAGE_CAP_S=20 a page slower
##   than this is measured once; BENCH_PDF_RUNS=1 runs of the PDF report.
##   Figures go to test-artifacts/bench.json and docs/benchmarks.md.
bench: $(VENV)/.installed-dev
	$(BIN)/pytest tests/bench -p no:randomly -s -o addopts=""

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
