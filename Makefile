# One command per thing a person does. Each target sets up what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCHIVE_DIR ?= data

.PHONY: venv demo test lint typecheck eval bench wayback clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# pywb pins redis==2.10.6 (we need redis>=5), so it lives in its own venv and
# is run as a separate process (tests and `scrapy wayback` find it there). cdxj-indexer and
# py-wacz (`wacz validate`) live there too: the standard tools the replay tests run.
PYWB_VENV := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed
$(PYWB_STAMP):
	test -x $(PYWB_VENV)/bin/python || $(PY) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install --quiet "pywb==2.10.0" "cdxj-indexer==1.5.0" "wacz==0.6.0"
	touch $(PYWB_STAMP)

venv: $(STAMP) $(PYWB_STAMP)

## Serve the bundled sample site on 127.0.0.1, crawl it into ./data and print a summary.
demo: $(STAMP)
	$(BIN)/python tools/demo.py --archive-dir $(ARCHIVE_DIR)

## Run the whole test suite (this is what CI runs).
## Debian's Chromium, for the test that opens the `scrapy report` page in it (installed when missing).
chromium:
	sh tools/ensure-chromium.sh

test: $(STAMP) $(PYWB_STAMP) chromium
	$(BIN)/python -m pytest -q

## Browse ARCHIVE_DIR's captures in pywb on http://127.0.0.1:8080/ (Ctrl-C to stop).
wayback: $(STAMP) $(PYWB_STAMP)
	$(BIN)/scrapy wayback -s ARCHIVE_DIR=$(ARCHIVE_DIR)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Extraction quality report (Zyte benchmark, Vietnamese pages, htmldate sample, vn-dev development
## and held-out groups, layout guesser leave-one-out): bench/report.md; docs/evaluation.md.
eval: $(STAMP)
	$(BIN)/python bench/eval.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(PYWB_VENV) .pytest_cache .mypy_cache .ruff_cache
