# zen-tui: every target installs what it needs into .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test test-serial lint format keys typecheck bench soak keyring-test screenshots simulate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "zen-tui needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Run the dashboard against the bundled simulator: no account, no network.
demo: $(STAMP)
	$(BIN)/zen-tui --demo

## Run the simulator alone (prints base URLs and tokens for curl).
simulate: $(STAMP)
	$(BIN)/zen-tui simulate

## The test suite CI runs, on 4 workers (pytest-xdist; each test has its own tmp_path and
## ephemeral ports). 4 on 2 cores: about half the suite's time is waiting (subprocesses,
## sockets, the 12 s chaos run), which more workers than cores overlap. Soak runs are
## excluded: see `make soak`. Bytecode is written even where PYTHONDONTWRITEBYTECODE is set:
## zen_tui compiled once first, and pytest keeps the test modules it rewrites; else each worker
## and every zen-tui a test starts compiles them all again (about 20 s of CPU per worker).
test: $(STAMP)
	$(BIN)/python -m compileall -q zen_tui tools tests
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n 4 --dist worksteal

## The same suite on one worker: output in order, and `--pdb` works.
test-serial: $(STAMP)
	$(BIN)/python -m pytest -q

## Long chaos/soak runs, opt-in.
soak: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

## The keyring on a real Secret Service: installs GNOME Keyring (apt-get, Debian/Ubuntu; sudo
## when not root) and runs the opt-in test in a private D-Bus session. See docs/login.md.
keyring-test: $(STAMP)
	@command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null || \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) sh -c 'apt-get update -q && \
	  apt-get install -y -q --no-install-recommends gnome-keyring dbus'
	$(BIN)/python -m pytest -q -m secret_service tests/integration/test_secret_service.py -rs

## Code style, the layer contracts in pyproject.toml ([tool.importlinter]), then the docs: the
## key table matches the bindings, README's links resolve, and the guide builds with every
## internal link and anchor resolving (mkdocs --strict).
lint: $(STAMP)
	$(BIN)/ruff check zen_tui tests benchmarks tools
	$(BIN)/ruff format --check zen_tui tests benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/python tools/keys_table.py --check
	$(BIN)/python tools/check_links.py
	$(BIN)/mkdocs build --strict --quiet

format: $(STAMP)
	$(BIN)/ruff format zen_tui tests benchmarks tools
	$(BIN)/ruff check --fix zen_tui tests benchmarks tools

## Regenerate the key table in docs/keys.md from the bindings.
keys: $(STAMP)
	$(BIN)/python tools/keys_table.py

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks print ratios against a baseline measured in the same run; each records its
## figures in benchmarks/results.json and benchmarks/RESULTS.md (benchmarks/results.py).
BENCHMARKS := $(filter-out benchmarks/results.py benchmarks/local_store.py,$(wildcard benchmarks/*.py))
bench: $(STAMP)
	@for b in $(BENCHMARKS); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## Regenerate screenshots/ (SVG + PNG) from the demo, headless.
screenshots: $(STAMP)
	$(BIN)/python -m tools.screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
