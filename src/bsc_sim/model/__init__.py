"""The model: one module per phase of the week (named as in ``BSCModel.PHASES``), plus its state.

``model.py`` holds :class:`BSCModel` and the step order; ``population.py`` the state arrays and
their builder; ``agents.py`` the Mesa handles; ``costs.py`` the ledger the phases write to;
``outcomes.py`` what a finished run reports. Infrastructure (CLI, config, results, experiments,
analysis, views) lives outside this package and never reaches into a phase.
"""

from .model import BSCModel

__all__ = ["BSCModel"]
