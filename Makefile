# Arena: `make run` starts the whole product on this machine; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL pass of the tests runs against this server (pytest-django makes test_<name>).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

# Exact versions with hashes (docs/decisions.md, "Locked installs"); `make lock` rewrites them.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
PIP := $(BIN)/python -m pip --disable-pip-version-check
# One resolution valid on every Python from 3.11 on, with the same version of each package on
# all of them (fewest forks), so every machine runs the same libraries and encoders.
LOCK_COMPILE := $(BIN)/uv pip compile --quiet --universal --fork-strategy fewest \
	--python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
	$(if $(UPGRADE),--upgrade)
# The build backend of pyproject.toml is locked too: installing the project downloads nothing.
BUILD_REQUIRES := $(BIN)/python -c 'import tomllib; \
	print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

.PHONY: run test test-sqlite test-postgres install install-dev lock lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(RUNTIME_LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes --no-deps -r $(RUNTIME_LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# After editing the dependencies in pyproject.toml: keeps every other pin where it is.
# `make lock UPGRADE=1` moves everything to the newest versions that fit.
lock: install-dev
	$(BUILD_REQUIRES) | $(LOCK_COMPILE) pyproject.toml - -o $(RUNTIME_LOCK)
	$(BUILD_REQUIRES) | $(LOCK_COMPILE) pyproject.toml - --extra dev --extra bench \
		--constraint $(RUNTIME_LOCK) -o $(DEV_LOCK)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runstack --host $(HOST) --port $(PORT)

# Both passes always run; the target fails if either failed, after one summary line per pass.
test: install-dev
	@sqlite=0; postgres=0; \
	$(MAKE) --no-print-directory test-sqlite || sqlite=$$?; \
	$(MAKE) --no-print-directory test-postgres || postgres=$$?; \
	echo; \
	echo "pass 1 (SQLite):     $$(tail -n 1 var/test-sqlite.summary 2>/dev/null || echo 'no summary')"; \
	echo "pass 2 (PostgreSQL): $$(tail -n 1 var/test-postgres.summary 2>/dev/null || echo 'no summary')"; \
	test $$sqlite -eq 0 && test $$postgres -eq 0

test-sqlite: install-dev
	@rm -f var/test-sqlite.summary
	$(BIN)/python -m pytest --summary-file var/test-sqlite.summary

test-postgres: install-dev
	@rm -f var/test-postgres.summary
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -m "postgres or both" -p no:cacheprovider \
		--summary-file var/test-postgres.summary

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var/cache var/broker var/celerybeat-schedule* var/static
