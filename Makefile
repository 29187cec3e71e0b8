PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-shifted lint eval-tagging eval-replies bench bench-ingest bench-digest bench-billtext clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/advocacy demo

# pytest exits 5 when it collected no test: that is a failure here, never a silent success.
test: venv
	$(BIN)/pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests ran: failing"; exit 1; fi; exit $$rc

# The suite again with the wall clock 400 days ahead (SQLite only, no browser): a test that depends on the day
# it runs fails here today instead of next year. Tests that need a date inject or freeze it.
test-shifted: venv
	env -u ADVOCACY_TEST_DATABASE_URL ADVOCACY_TEST_CLOCK_SHIFT_DAYS=400 \
	  $(BIN)/pytest -q -p no:cacheprovider -m "not browser"; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests ran: failing"; exit 1; fi; exit $$rc

lint: venv
	$(BIN)/ruff check advocacy scrapers digests vocabulary tests bench

eval-replies: venv
	$(BIN)/python bench/eval_replies.py

eval-tagging: venv
	$(BIN)/python bench/eval_tagging.py

# Speed is measured here, on generated data, never in the tests.
bench: bench-ingest bench-digest bench-billtext

bench-ingest: venv
	$(BIN)/python bench/ingest.py

bench-digest: venv
	$(BIN)/python bench/digest_render.py
	$(BIN)/python bench/digest_send.py

bench-billtext: venv
	$(BIN)/python bench/billtext.py --pages 1000

clean:
	rm -rf var/ .pytest_cache
