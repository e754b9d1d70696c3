# Two commands do all set-up on a fresh machine (they get uv if needed, then uv builds .venv from
# uv.lock with the Python named in .python-version):
#   make run    run the default design (pass overrides with ARGS="design=coach seed=3")
#   make test   run the test suite
#   make notebooks   open the teaching notebooks in JupyterLab (the notebooks dependency group)
# uv comes from PATH if installed; otherwise it is installed from PyPI into .tools/ (a private
# virtual environment, so systems that forbid pip installs into their Python are fine too).
PY ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif

.PHONY: setup run test bench docs notebooks
# The environment's packages are compiled to bytecode once, here: without it nothing is cached
# where PYTHONDONTWRITEBYTECODE is set or site-packages is read-only, and every process recompiles
# its imports (seconds per command and per worker). Not a [tool.uv] setting: that makes every
# `uv run` re-check all 11,000 files (0.3 s and a line on stderr each time).
# bsc_sim itself is installed editable, so uv compiles none of it: compileall does (0.09 CPU-s per
# process; a module edited since is recompiled in memory as usual, never run stale).
setup:
	@command -v $(UV) >/dev/null 2>&1 || { $(PY) -m venv .tools && .tools/bin/python -m pip install --quiet "uv>=0.5"; }
	@$(UV) sync --locked --compile-bytecode --quiet
	@$(UV) run --locked --no-sync python -m compileall -q src/bsc_sim >/dev/null

run: setup
	$(UV) run --locked bsc-sim run $(ARGS)

test: setup
	$(UV) run --locked pytest -n auto

# Jupyter refuses to run as root (containers, CI machines) unless told to.
notebooks: setup
	$(UV) run --locked --group notebooks jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

bench: setup
	$(UV) run --locked python benchmarks/run_benchmarks.py

docs: setup
	$(UV) run --locked bsc-sim params --markdown > docs/parameters.md
