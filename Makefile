# The two commands of the README's quick start are `make run` and `make test`.
VENV ?= .venv
KB_DIR ?= .kb/corpus
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run install install-dev kb test test-fast lint bench bench-quick eval-tables clean-kb

run: install kb
	$(VENV)/bin/kb --kb $(KB_DIR) app

# Runtime install; as root also the Debian packages the ingest needs (Tesseract with spa/por/fra/eng,
# for the corpus's scanned PDFs), otherwise it prints the one apt-get line to run and goes on.
install:
	scripts/install.sh

# Plus the test dependencies and, as root, chromium and fonts for the browser tests.
install-dev:
	scripts/install.sh --dev

kb:
	$(VENV)/bin/kb --kb $(KB_DIR) ingest corpus/documents

test: install-dev
	$(VENV)/bin/python -m pytest -q --durations 20 -p no:cacheprovider

test-fast:
	$(VENV)/bin/python -m pytest -q -m "not slow and not browser" -x

lint:
	$(VENV)/bin/ruff check kb ingest index tests bench app.py
	$(VENV)/bin/ruff format --check kb ingest index
	$(VENV)/bin/mypy kb ingest index

bench: install
	$(PY) bench/run_all.py $(BENCH_ARGS)

bench-quick: install
	$(PY) bench/run_all.py --quick

# The README's search-quality tables (XQuAD, gold set before/after pooling, dev/test halves) as Markdown.
eval-tables:
	$(PY) bench/eval_tables.py --kb $(KB_DIR) $(EVAL_ARGS)

clean-kb:
	rm -rf $(KB_DIR)
