"""The summary of fixed runs matches the stored baseline (regenerate with update_baseline.py)."""

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from update_baseline import CASES, compute  # noqa: E402


def test_summary_matches_baseline():
    baseline = json.loads((HERE / "baseline.json").read_text())
    current = compute()
    assert set(baseline) == set(CASES)
    for case, expected in baseline.items():
        got = current[case]
        assert set(got) == set(expected), f"{case}: summary keys changed"
        for key, value in expected.items():
            if value is None:
                assert got[key] is None, f"{case}.{key}"
            else:
                assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{case}.{key}"
