"""Experiments: many runs of the model, from a laptop to a Dask cluster.

The shape is design -> run specs -> executor -> store: an experiment builds a list of
:class:`RunSpec` (parameters x seeds), :func:`run_experiment` runs the ones not yet in the store on
any ``concurrent.futures`` executor, and the analysis (comparison, sweep tables, sensitivity
indices) reads the store's tidy tables.
"""

from .executors import ExecutorSpec, SerialExecutor, open_executor
from .runner import ExperimentRun, run_experiment
from .specs import RunSpec, params_with, replicate_seeds

__all__ = ["ExecutorSpec", "ExperimentRun", "RunSpec", "SerialExecutor", "open_executor", "params_with",
           "replicate_seeds", "run_experiment"]
