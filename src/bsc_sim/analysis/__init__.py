"""Analyses that read experiment stores or RunResults, never models: validation, the lever audit,
calibration (targets files in ``targets``), and the estimators they share (``stats``)."""
