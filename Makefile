# The README's commands. Only python3 (3.11 or 3.12) and make are assumed.
PYTHON := $(shell for p in python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; \
	then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
# The compiled catalogs (built from the committed .po files, ignored by git).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: run test test-all fuzz lint format bench bench-quick bench-demo i18n install install-test \
	install-bench clean

run: install
	$(BIN)/python app.py

test: install-test
	$(BIN)/python -m pytest $(ARGS)

test-all: install-test
	$(BIN)/python -m pytest -m "not fuzz" $(ARGS)

fuzz: install-test
	$(BIN)/python -m pytest -m fuzz $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The issue's figures beside their references: a table, bench/RESULTS.md, bench/latency.png.
# SQLite, and PostgreSQL when BENCH_DATABASE_URL is set; ARGS="--only M2,J" runs a few.
bench: install-bench
	$(BIN)/python bench/suite.py $(ARGS)

bench-quick: install-bench
	$(BIN)/python bench/suite.py --quick $(ARGS)

# The other benchmarks (not in the suite's table), one after another; each prints its own.
bench-demo: install-test
	$(BIN)/python bench/flush_cost.py
	$(BIN)/python bench/sign_in.py
	$(BIN)/python bench/outline_demo.py
	$(BIN)/python bench/scripts_demo.py
	$(BIN)/python bench/project_page.py
	$(BIN)/python bench/research.py

# After adding or changing a message: extract them all, merge them into each language's
# catalog (translate what is new or marked fuzzy there), compile.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l -k lazy_gettext --add-location=file \
		--sort-by-file --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete \
		--ignore-pot-creation-date --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations

install: $(VENV)/.installed $(CATALOGS)
install-test: $(VENV)/.installed-test $(CATALOGS)
install-bench: $(VENV)/.installed-bench $(CATALOGS)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Script Writer needs Python 3.11 or 3.12 (python3.12, python3.11 or python3)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache $(CATALOGS)
