"""bsc_sim: agent-based simulation of Breakthrough Series Collaboratives in early care and education.

Common use::

    from bsc_sim import load_params, run_sim
    result = run_sim(load_params(["design=coach"]), seed=1)
    result.summary["frac_classrooms_reached_end"]
"""

__version__ = "0.1.0"

# The public names are imported on first use (PEP 562), so that `import bsc_sim.config` or the
# command line's start-up does not pay for Mesa and the model when it does not need them.
_EXPORTS = {
    "load_params": ".config", "BSCModel": ".model", "Params": ".params", "ParamError": ".paramtools",
    "RunResult": ".results", "load_result": ".results", "run_sim": ".run", "SpreadNetwork": ".spread",
    "contagion_step": ".spread", "simulate_contagion": ".spread",
}

__all__ = ["BSCModel", "ParamError", "Params", "RunResult", "SpreadNetwork", "contagion_step", "load_params",
           "load_result", "run_sim", "simulate_contagion", "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bsc_sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
