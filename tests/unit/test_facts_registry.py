"""The registered facts file (configs/validation/facts.yaml) is complete and well formed.

Its roles and criteria were committed before any fitting; this test checks the structure only and
never a result.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bsc_sim.analysis.targets import summary_indicators
from bsc_sim.config import load_params

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "configs" / "validation" / "facts.yaml"
KEYS = set(re.findall(r"^- \[([a-z0-9]+)\] ", (ROOT / "docs" / "references.md").read_text(), flags=re.M))
FACT_KEYS = {"id", "role", "statement", "source", "model", "target", "criterion", "why"}
MODEL_KEYS = {"design", "overrides", "numerator", "denominator", "reads"}


def facts() -> list[dict]:
    data = yaml.safe_load(FACTS.read_text())
    assert set(data) == {"facts"}
    return data["facts"]


def names(expr: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr))


def test_each_fact_has_a_role_a_source_a_model_quantity_and_a_criterion():
    columns = set(summary_indicators())
    seen = set()
    for f in facts():
        assert set(f) <= FACT_KEYS and {"id", "role", "statement", "source", "model", "criterion", "why"} <= set(f), f.get("id")
        assert f["id"] not in seen, f"{f['id']}: listed twice"
        seen.add(f["id"])
        assert f["role"] in ("calibration", "validation"), f["id"]
        cited = {k.strip() for g in re.findall(r"\[([a-z0-9; ]+)\]", f["source"]) for k in g.split(";")}
        assert cited and cited <= KEYS, f"{f['id']}: cites {cited - KEYS or 'no key'}"
        m = f["model"]
        assert set(m) <= MODEL_KEYS and {"design", "numerator", "denominator"} <= set(m), f["id"]
        assert (ROOT / "configs" / "design" / f"{m['design']}.yaml").exists(), f["id"]
        for expr in (m["numerator"], m["denominator"]):
            assert names(expr) <= columns, f"{f['id']}: {names(expr) - columns} not summary columns"
        load_params([f"design={m['design']}", *m.get("overrides", [])])
        c = f["criterion"]
        assert set(c) == {"low", "high"} and 0 <= c["low"] <= c["high"], f["id"]
        if f["role"] == "calibration":
            t = f["target"]
            assert set(t) == {"value", "tolerance"} and t["tolerance"] > 0 and c["low"] <= t["value"] <= c["high"]
            assert not m.get("overrides") and names(m["numerator"]) == {m["numerator"]}, \
                f"{f['id']}: a calibration fact must be a plain ratio of two columns of the design the fitter runs"
        else:
            assert "target" not in f, f"{f['id']}: a validation fact has no fitting target"


def test_at_least_four_validation_facts_are_registered():
    roles = [f["role"] for f in facts()]
    assert roles.count("validation") >= 4 and roles.count("calibration") >= 1
