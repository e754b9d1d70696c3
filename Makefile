# Two commands do all set-up on a fresh machine (they install uv if needed, then uv builds .venv
# from uv.lock with the Python named in .python-version):
#   make run    run the default design (pass overrides with ARGS="design=coach seed=3")
#   make test   run the test suite
PY ?= python3
UV := $(PY) -m uv

.PHONY: setup run test bench
setup:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet "uv>=0.5"

run: setup
	$(UV) run --locked bsc-sim run $(ARGS)

test: setup
	$(UV) run --locked pytest -n auto

bench: setup
	$(UV) run --locked python benchmarks/run_benchmarks.py
