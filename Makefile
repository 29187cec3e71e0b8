PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-shifted lint eval-tagging eval-replies bench bench-ingest bench-digest bench-webhook bench-billtext bench-scale clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# DEMO_PORT: the sample site's port (default: the last one used, else 48765, else any free one).
demo: venv
	$(BIN)/advocacy demo $(if $(DEMO_PORT),--site-port $(DEMO_PORT))

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

# Speed is measured here, on generated data, never in the tests. `make bench` runs every bench (each beside its
# floor, in its own process) and prints one summary table even when one misses its target; sizes by argument,
# e.g. `$(BIN)/python bench/ingest.py --bills 5000 20000 50000 --database postgresql+psycopg://...`.
bench: venv
	$(BIN)/python bench/summary.py

bench-ingest: venv
	$(BIN)/python bench/summary.py ingest.py

bench-digest: venv
	$(BIN)/python bench/summary.py digest_render.py digest_send.py

bench-webhook: venv
	$(BIN)/python bench/summary.py webhook_load.py

# 1, 2 and 4 `advocacy worker` processes on a generated host (local PostgreSQL): cycle time, tasks/s, duplicates.
bench-scale: venv
	$(BIN)/python bench/summary.py scale.py

bench-billtext: venv
	$(BIN)/python bench/summary.py billtext.py

clean:
	rm -rf var/ .pytest_cache
