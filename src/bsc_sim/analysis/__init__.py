"""Analyses that read experiment stores or RunResults, never models: validation and calibration."""
