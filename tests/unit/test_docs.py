"""Documentation that is generated from code stays in sync with it."""

from pathlib import Path

from bsc_sim.cli import params_document

ROOT = Path(__file__).resolve().parents[2]


def test_parameter_table_in_docs_matches_code():
    text = (ROOT / "docs" / "parameters.md").read_text()
    assert text == params_document(), "stale: run `uv run bsc-sim params --markdown > docs/parameters.md`"
