# Two entry points (see README): `make demo` and `make test`.
# Both create or reuse a virtual environment in .venv from pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install clean

# tests/requirements-compile.txt: the cloud dialects the tests compile, installed without
# resolving their connectors' pins (protobuf<7, python-dateutil<3); see that file.
$(STAMP): pyproject.toml tests/requirements-compile.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -r tests/requirements-compile.txt
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dq-monitor demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check monitor tests dashboards
	$(BIN)/python -m pytest --cov=monitor --cov-report=term --cov-fail-under=80 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check monitor tests dashboards

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage .coverage.* build
