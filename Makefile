# return2run: `make demo` builds everything into output/, `make test` runs the whole suite.
# Both work from a fresh clone: they create .venv, install the package, and install the
# Debian packages the tool needs when they are missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Pango renders text for WeasyPrint; libharfbuzz-subset0 lets it subset fonts fast (without it
# WeasyPrint silently falls back to a subsetter that makes PDF batches nearly twice as slow);
# DejaVu covers scripts the bundled font does not (Hebrew, Arabic, Greek, Cyrillic).
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
                fontconfig fonts-dejavu-core

.PHONY: demo test test-fast bench lint clean distclean system-packages

# The example patients' check-ins are dated around 23 November 2026: plans are made as of that
# day, so the demo's plans read the same whenever it runs.
DEMO_DATE := 2026-11-23

demo: $(STAMP)
	$(BIN)/r2r build
	$(BIN)/r2r plans examples/patients --as-of $(DEMO_DATE)
	$(BIN)/r2r email examples/patients --as-of $(DEMO_DATE) --dry-run --yes

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not slow and not browser"

# The anchors (MkDocs, Pelican) live in their own environment, apart from the tool's.
ANCHORS := bench/.venv/.installed

bench: $(STAMP) $(ANCHORS)
	$(BIN)/python bench/run.py

$(ANCHORS):
	$(PYTHON) -m venv bench/.venv
	bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check \
	    'mkdocs==1.6.1' 'pelican[markdown]==4.12.0'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check generator tests bench
	$(BIN)/mypy

$(STAMP): pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

system-packages:
	@command -v dpkg-query >/dev/null || { echo "not a Debian system: install $(DEB_PACKAGES) yourself"; exit 0; }; \
	missing=""; \
	for package in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "Installing Debian packages:$$missing"; \
	  $$sudo apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 \
	    || { $$sudo apt-get update -q >/dev/null && $$sudo apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

clean:
	rm -rf output bench/work .pytest_cache .hypothesis .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) bench/.venv *.egg-info
