PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint eval-tagging eval-replies bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/advocacy demo

test: venv
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check advocacy scrapers digests tests bench

eval-tagging: venv
	$(BIN)/python bench/eval_tagging.py

clean:
	rm -rf var/ .pytest_cache
