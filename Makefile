# return2run: `make demo` builds everything into output/, `make test` runs the whole suite.
# Both work from a fresh clone: they create .venv, install the package, and install the
# Debian packages the tool needs when they are missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Pango renders text for WeasyPrint; libharfbuzz-subset0 lets it subset fonts fast (without it
# WeasyPrint silently falls back to a subsetter that makes PDF batches nearly twice as slow);
# DejaVu covers scripts the bundled font does not (Hebrew, Arabic, Greek, Cyrillic), Noto CJK
# the Chinese, Japanese and Korean names a plan may carry, and Symbola the emoji (PDFs only: the
# website uses the bundled font and the reader's own). A patient's text that none of them
# covers fails that plan rather than printing as boxes.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
                fontconfig fonts-dejavu-core fonts-noto-cjk fonts-symbola

# The browser tests drive Debian's Chromium through Playwright, which must never download a
# browser of its own (its Python package brings only its driver). They take axe-core and the Nu
# Html Checker (vnu.jar, run on Java) from the npm registry, pinned by package-lock.json.
# Node.js and Java are installed only when the commands are missing: a machine's own stay.
BROWSER_DEB_PACKAGES := chromium
BROWSER_DEB_COMMANDS := npm:npm java:default-jre-headless
NODE_TOOLS := node_modules/.package-lock.json
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test test-fast bench lint clean distclean system-packages browser-packages

# The example patients' check-ins are dated around 23 November 2026: plans are made as of that
# day, so the demo's plans read the same whenever it runs.
DEMO_DATE := 2026-11-23

demo: $(STAMP)
	$(BIN)/r2r build
	$(BIN)/r2r plans examples/patients --as-of $(DEMO_DATE)
	$(BIN)/r2r email examples/patients --as-of $(DEMO_DATE) --dry-run --yes

# Lint and types first (seconds), then the suite. R2R_BROWSER_TESTS=required: a missing browser
# or tool fails the browser tests, never skips them.
test: lint $(NODE_TOOLS) | browser-packages
	R2R_BROWSER_TESTS=required $(BIN)/python -m pytest -n auto

test-fast: lint
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
	$(BIN)/ruff format --check --quiet generator tests bench
	$(BIN)/mypy

$(STAMP): pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

system-packages:
	@$(call install-missing,$(DEB_PACKAGES),)

browser-packages:
	@$(call install-missing,$(BROWSER_DEB_PACKAGES),$(BROWSER_DEB_COMMANDS))

# $(call install-missing,PACKAGES,COMMAND:PACKAGE...): install with apt the PACKAGES that are not
# installed, and the package of each COMMAND that is not on the PATH.
define install-missing
command -v dpkg-query >/dev/null || { echo "not a Debian system: install $(1) $(foreach pair,$(2),$(lastword $(subst :, ,$(pair)))) yourself"; exit 0; }; \
missing=""; \
for package in $(1); do \
  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
done; \
for pair in $(2); do \
  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; \
done; \
if [ -n "$$missing" ]; then \
  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
  echo "Installing Debian packages:$$missing"; \
  $$sudo apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 \
    || { $$sudo apt-get update -q >/dev/null && $$sudo apt-get install -y -q --no-install-recommends $$missing; }; \
fi
endef

# axe-core and vnu.jar, exactly as package-lock.json pins them. --ignore-scripts: vnu-jar's
# install script would fetch a Java runtime from GitHub when it finds no Java; the tests run the
# system's Java on vnu.jar themselves, so no package script ever runs.
$(NODE_TOOLS): package-lock.json package.json | browser-packages
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
	touch $@

clean:
	rm -rf output bench/work .pytest_cache .hypothesis .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) bench/.venv *.egg-info node_modules
