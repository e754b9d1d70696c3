"""Documentation that is generated from code stays in sync with it."""

from pathlib import Path

from bsc_sim.cli import params_table

ROOT = Path(__file__).resolve().parents[2]


def test_parameter_table_in_docs_matches_code():
    text = (ROOT / "docs" / "parameters.md").read_text()
    table = params_table(markdown=True)
    assert text.rstrip("\n").endswith(table), "docs/parameters.md is stale: regenerate with `bsc-sim params --markdown`"
