"""bsc_sim: agent-based simulation of Breakthrough Series Collaboratives in early care and education.

Common use::

    from bsc_sim import load_params, run_sim
    result = run_sim(load_params(["design=coach"]), seed=1)
    result.summary["frac_classrooms_reached_end"]
"""

__version__ = "0.1.0"

from .config import load_params  # noqa: E402
from .model import BSCModel  # noqa: E402
from .params import Params  # noqa: E402
from .paramtools import ParamError  # noqa: E402
from .results import RunResult, load_result  # noqa: E402
from .run import run_sim  # noqa: E402
from .spread import SpreadNetwork, contagion_step, simulate_contagion  # noqa: E402

__all__ = ["BSCModel", "ParamError", "Params", "RunResult", "SpreadNetwork", "contagion_step", "load_params",
           "load_result", "run_sim", "simulate_contagion", "__version__"]
